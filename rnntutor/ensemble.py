"""Many seeds trained together: N independent copies of one model in one batched computation.

A claim about training ("the GRU learns the task") is a claim about random draws, so the book measures it
on many seeds. Training them one after another costs N times one run; :class:`Ensemble` stacks the N
copies' parameters along a new first axis and runs them at once, so each step of the loop launches the same
operations as for one model, on tensors N times larger. A :class:`~rnntutor.models.SequenceModel` over one
layer of the book's RNN, GRU or LSTM runs its cell's own equations on the stacked weights
(:func:`~rnntutor.cells.affine` keeps each copy's products apart); any other model runs through
``torch.func.vmap``, which does the same for any module at a higher cost per operation.

The copies stay independent. Copy ``k`` is built after ``seed_everything(seeds[k])``; with ``(X, y)`` data
it shuffles its own mini-batches with ``generator(seeds[k])``; Adam and SGD act element by element, so one
optimizer over the stacked parameters is N optimizers; gradient clipping, divergence and early stopping are
decided per copy. Copy ``k`` therefore equals ``fit(make_model(), ..., seed=seeds[k])`` run alone, up to
the rounding of batched arithmetic (tests/test_ensemble.py).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from .cells import GRUCell, LSTMCell, RNNCell, affine
from .models import SequenceModel
from .runtime import generator, seed_everything
from .train import History, _batcher, _batches, _check_args, _is_tensor_pair, _samples
from .truncated import _check_stream, chunk_starts, detach_state
from .validate import check_positive_ints

__all__ = ["Ensemble"]


class Ensemble(nn.Module):
    """``len(seeds)`` copies of ``make_model()``, the ``k``-th built after ``seed_everything(seeds[k])``.

    ``ensemble(x)`` runs every copy on the same input and returns their outputs stacked, of shape
    ``(len(seeds), *output_shape)``; ``ensemble[k]`` is copy ``k`` as an ordinary module (a copy of its
    weights); :meth:`fit` trains all copies together, :meth:`fit_truncated` by truncated backpropagation
    through time, each copy carrying its own state from chunk to chunk.
    """

    def __init__(self, make_model: Callable[[], nn.Module], seeds: Sequence[int], device=None):
        super().__init__()
        seeds = list(seeds)
        if not seeds:
            raise ValueError("seeds must hold at least one seed, got none")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be different from each other, got {seeds}")
        models = []
        for seed in seeds:
            seed_everything(seed)
            model = make_model()
            if not isinstance(model, nn.Module):
                raise TypeError(f"make_model must return a torch.nn.Module, got {type(model).__name__}")
            models.append(model.to(device) if device is not None else model)
        self.seeds = seeds
        params, buffers = stack_module_state(models)
        self._names = list(params)
        for name, value in params.items():
            self.register_parameter(name.replace(".", "__"), nn.Parameter(value))
        for name, value in buffers.items():
            self.register_buffer(name.replace(".", "__"), value)
        self._buffer_names = list(buffers)
        # The architecture without weights, which functional_call fills with one copy's tensors, and an
        # untouched copy that __getitem__ loads a copy's weights into (lists: not registered as submodules).
        self._template = [copy.deepcopy(models[0]).to("meta")]
        self._blueprint = [copy.deepcopy(models[0])]
        self._stacked_cell = _stackable_cell(self._template[0])

    def train(self, mode: bool = True) -> Ensemble:
        """Training or evaluation mode, for the copies too (dropout acts only in training mode)."""
        self._template[0].train(mode)
        return super().train(mode)

    def __len__(self) -> int:
        return len(self.seeds)

    def _stacked(self) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        params = {name: getattr(self, name.replace(".", "__")) for name in self._names}
        buffers = {name: getattr(self, name.replace(".", "__")) for name in self._buffer_names}
        return params, buffers

    def _call(self, params, buffers, x):
        return functional_call(self._template[0], (params, buffers), (x,))

    def _run(self, params, buffers, x, per_copy: bool) -> torch.Tensor:
        """Every copy's output, ``(copies, ...)``: on ``x``, or on ``x[k]`` for copy ``k`` with ``per_copy``."""
        cell = self._stacked_cell
        if cell is not None and _fits_stacked(x, per_copy, cell.input_size, params["recurrent.weight_ih_l0"]):
            return self._run_stacked(params, x, per_copy)
        # Any other model or input goes the general way, whose layers check the input and say what is wrong.
        return vmap(self._call, in_dims=(0, 0, 0 if per_copy else None))(params, buffers, x)

    def _run_stacked(self, params, x, per_copy: bool) -> torch.Tensor:
        """:class:`SequenceModel`'s forward for every copy at once: its cell's own ``step`` on the stacked
        weights, ``h_t`` of shape (copies, batch, hidden), and the head on ``h_T``.

        The arithmetic of vmap's path without its cost per operation: the input terms ``W_ih x_t + b_ih`` of
        every copy and step in one product before the loop, as the layers compute them; then each step is
        one batched product for the state and the cell's element-wise equations.
        """
        cell = self._stacked_cell
        for name, value in cell._parameters.items():
            if value is not None:
                cell._parameters[name] = params[f"recurrent.{name}_l0"]
        n = len(self)
        if per_copy:  # x: (copies, batch, steps, in); each copy's steps by its own W_ih
            projected = affine(x.flatten(1, 2), cell.weight_ih, cell.bias_ih).unflatten(1, x.shape[1:3])
        else:  # x: (batch, steps, in); one product for every copy, (batch * steps, in) @ (in, copies * rows)
            weight = cell.weight_ih.reshape(-1, x.shape[-1])
            bias = None if cell.bias_ih is None else cell.bias_ih.reshape(-1)
            projected = F.linear(x, weight, bias).unflatten(-1, (n, -1)).movedim(2, 0)
        inputs = projected.unbind(2)  # step t: (copies, batch, rows)
        state = tuple(x.new_zeros(n, inputs[0].shape[1], cell.hidden_size) for _ in cell.state_names)
        state = state if len(state) > 1 else state[0]
        for x_proj in inputs:
            state, gates = cell.step(x_proj, state)
        return affine(gates["h"], params["head.weight"], params["head.bias"])

    def forward(self, x: torch.Tensor, per_copy: bool = False) -> torch.Tensor:
        """Outputs of every copy, stacked: ``(copies, ...)``. With ``per_copy=True``, ``x`` holds one input
        per copy along its first axis."""
        params, buffers = self._stacked()
        if per_copy and (not torch.is_tensor(x) or x.shape[0] != len(self)):
            got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(f"with per_copy=True, x needs one input per copy along its first axis "
                             f"({len(self)}), got shape {got}")
        return self._run(params, buffers, x, per_copy)

    def __getitem__(self, k: int) -> nn.Module:
        """Copy ``k`` as an ordinary module, holding a copy of its weights."""
        if not isinstance(k, int) or not -len(self) <= k < len(self):
            raise IndexError(f"an ensemble of {len(self)} copies has no copy {k!r}")
        model = copy.deepcopy(self._blueprint[0]).to(self._device())
        params, buffers = self._stacked()
        state = {name: value[k].detach().clone() for name, value in {**params, **buffers}.items()}
        model.load_state_dict(state)
        return model

    def _device(self) -> torch.device:
        return getattr(self, self._names[0].replace(".", "__")).device

    def fit(
        self,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        data,
        *,
        epochs: int,
        lr: float | None = None,
        optimizer: type | None = None,
        batch_size: int | None = None,
        clip_norm: float | None = None,
        val: tuple[torch.Tensor, torch.Tensor] | None = None,
        patience: int | None = None,
        progress: bool = False,
        data_per_copy: bool = False,
    ) -> list[History]:
        """Train every copy as :func:`rnntutor.train.fit` trains one, and return one :class:`History` each.

        The arguments are those of :func:`~rnntutor.train.fit` (``optimizer`` is a class: Adam when
        omitted). Clipping rescales each copy's gradient by its own norm, ``g * min(1, c / ||g||)``. A copy
        whose loss stops being finite, or whose validation loss did not improve for ``patience`` epochs,
        stops: its history ends there, and at the end it holds the weights of its best epoch, as ``fit``
        leaves them. Training ends when every copy has stopped or after ``epochs``.

        With ``data_per_copy=True``, ``data = (X, y)`` holds one training set per copy along a first axis
        (``X[k]``, ``y[k]`` train copy ``k``), so that a claim covers draws of the data as well as of the
        weights; ``val`` stays one set for all.
        """
        opt = _check_args(self, epochs, lr, _optimizer_class(optimizer), batch_size, clip_norm, val, patience)
        params, buffers = self._stacked()
        device = self._device()
        n = len(self)
        per_copy_data = _is_tensor_pair(data)
        if data_per_copy and not (per_copy_data and len(data[0]) == len(data[1]) == n):
            shapes = tuple(tuple(t.shape) for t in data) if per_copy_data else type(data).__name__
            raise ValueError(f"with data_per_copy=True, data must be (X, y) with one training set per copy "
                             f"along the first axis ({n} copies), got {shapes}")
        if per_copy_data:  # each copy shuffles with its own generator, as fit with its seed; see _batcher
            axis = 1 if data_per_copy else 0  # of the samples
            x_all, y_all = _samples(data, device, axis)
            samples = x_all.shape[axis]
            rows = torch.arange(n, device=device).unsqueeze(1) if data_per_copy else None
            shufflers = [generator(seed) for seed in self.seeds]

            def batches():
                orders = torch.stack([torch.randperm(samples, generator=g) for g in shufflers])
                return _batches(x_all, y_all, orders.to(device), batch_size or samples, rows)
        else:
            batches = _batcher(data, batch_size, device)
        val = None if val is None else tuple(t.to(device) for t in val)

        def losses_of(params, buffers, x, y):
            outputs = self._run(params, buffers, x, per_copy_data)
            return vmap(loss_fn, in_dims=(0, 0 if per_copy_data else None))(outputs, y)
        histories = [History() for _ in range(n)]
        running = [True] * n
        best = {name: value.detach().clone() for name, value in params.items()}
        epoch_range = range(epochs)
        if progress:
            from tqdm.auto import tqdm

            epoch_range = tqdm(epoch_range, desc=f"epochs ({n} seeds)")
        for epoch in epoch_range:
            self.train()
            total, count, step_norms = torch.zeros(n, dtype=torch.float64, device=device), 0, []
            for x, y in batches():
                x, y = x.to(device), y.to(device)
                losses = losses_of(params, buffers, x, y)
                opt.zero_grad()
                losses.sum().backward()  # copies share no parameter: each gets the gradient of its own loss
                step_norms.append(_clip_per_copy(params, clip_norm))
                opt.step()
                size = x.shape[1] if per_copy_data else len(x)
                total += losses.detach().double() * size
                count += size
            step_norms, epoch_loss, val_losses = _read_epoch(
                step_norms, total / count, None if val is None else self.evaluate(loss_fn, val))
            _record_norms(histories, running, step_norms)
            _record_epoch(histories, running, epoch_loss)
            if val is not None:
                improved = [False] * n
                for k, history in enumerate(histories):
                    if not running[k]:
                        continue
                    history.val_loss.append(val_losses[k])
                    if history.best_epoch is None or history.val_loss[-1] < history.best_val_loss:  # as fit
                        history.best_epoch = epoch
                        improved[k] = True
                    elif patience is not None and epoch - history.best_epoch >= patience:
                        history.stopped_early = True
                        running[k] = False
                _keep(best, params, improved)
            if progress:
                epoch_range.set_postfix(running=sum(running), loss=f"{min(epoch_loss):.4g}")
            if not any(running):
                break
        if progress:
            epoch_range.close()
        if val is not None:
            _keep(params, best, [h.best_epoch is not None for h in histories])
        return histories

    def fit_truncated(
        self,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        data: tuple[torch.Tensor, torch.Tensor],
        *,
        chunk: int,
        epochs: int,
        lr: float | None = None,
        optimizer: type | None = None,
        clip_norm: float | None = None,
        data_per_copy: bool = False,
    ) -> list[History]:
        """Train every copy as :func:`rnntutor.truncated.fit_truncated` trains one, and return one
        :class:`History` each.

        Each copy carries its own state from chunk to chunk, detached at every chunk's start. With
        ``data_per_copy=True``, ``data = (x, y)`` holds one set of streams per copy along a first axis. A
        copy whose loss stops being finite stops.
        """
        optimizer = _optimizer_class(optimizer)
        n = len(self)
        if data_per_copy and not (_is_tensor_pair(data) and data[0].dim() == 4 and len(data[0]) == len(data[1]) == n):
            shapes = tuple(tuple(t.shape) for t in data) if _is_tensor_pair(data) else type(data).__name__
            raise ValueError(f"with data_per_copy=True, data must be (x, y) with one set of streams per copy along "
                             f"the first axis ({n} copies), got {shapes}")
        x, y = _check_stream("Ensemble.fit_truncated", data, 1 if data_per_copy else 0)
        opt = _check_args(self, epochs, lr, optimizer, None, clip_norm, None, None)
        check_positive_ints("Ensemble.fit_truncated", chunk=chunk)
        params, buffers = self._stacked()
        device = self._device()
        x, y = x.to(device), y.to(device)
        steps = x.shape[2 if data_per_copy else 1]

        def copy_loss(p, b, x_chunk, y_chunk, state):
            outputs, state = functional_call(self._template[0], (p, b), (x_chunk, state))
            return loss_fn(outputs, y_chunk), state

        data_dim = 0 if data_per_copy else None
        histories = [History() for _ in range(n)]
        running = [True] * n
        for _ in range(epochs):
            self.train()
            state, total, step_norms = None, torch.zeros(n, dtype=torch.float64, device=device), []
            for start in chunk_starts(steps, chunk):
                part = slice(start, start + chunk)
                x_chunk, y_chunk = (x[:, :, part], y[:, :, part]) if data_per_copy else (x[:, part], y[:, part])
                losses_of = vmap(copy_loss, in_dims=(0, 0, data_dim, data_dim, None if state is None else 0))
                losses, state = losses_of(params, buffers, x_chunk, y_chunk, state)
                opt.zero_grad()
                losses.sum().backward()
                step_norms.append(_clip_per_copy(params, clip_norm))
                opt.step()
                state = detach_state(state)
                total += losses.detach().double() * min(chunk, steps - start)
            step_norms, epoch_loss, _ = _read_epoch(step_norms, total / steps, None)
            _record_norms(histories, running, step_norms)
            _record_epoch(histories, running, epoch_loss)
            if not any(running):
                break
        return histories

    @torch.no_grad()
    def evaluate(self, loss_fn, data: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Loss of every copy on ``data = (X, y)`` in evaluation mode: a tensor of shape ``(copies,)``."""
        x, y = data
        device = self._device()
        was_training = self.training
        self.eval()
        params, buffers = self._stacked()
        losses = vmap(loss_fn, in_dims=(0, None))(self._run(params, buffers, x.to(device), False), y.to(device))
        self.train(was_training)
        return losses


def _stackable_cell(model: nn.Module):
    """The cell of ``model`` when it is a :class:`SequenceModel` over one layer and direction of an RNN, GRU or
    LSTM cell, whose equations run stacked copies (:meth:`Ensemble._run_stacked`); None for any other model,
    which the ensemble runs through vmap."""
    if type(model) is not SequenceModel:
        return None
    layer = model.recurrent
    cell = layer._cells[0][0]
    one_layer = layer.num_layers == 1 and not layer.bidirectional
    return cell if one_layer and type(cell) in (RNNCell, GRUCell, LSTMCell) else None


def _fits_stacked(x, per_copy: bool, input_size: int, weight: torch.Tensor) -> bool:
    """Whether ``x`` is a batch of sequences that :meth:`Ensemble._run_stacked` takes as it is: (batch,
    steps, input_size), or (copies, batch, steps, input_size) with ``per_copy``, at least one step, with the
    weights' dtype and device."""
    return (torch.is_tensor(x) and x.dim() == 3 + per_copy and x.shape[-1] == input_size and x.shape[-2] > 0
            and x.dtype == weight.dtype and x.device == weight.device)


def _optimizer_class(optimizer: type | None) -> type:
    """The optimizer class the copies train with: Adam when none is given; an instance is refused, since it
    holds parameters of its own."""
    if isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError("an Ensemble builds its own optimizer: pass an optimizer class such as "
                        "torch.optim.SGD, not an instance")
    return optimizer or torch.optim.Adam


def _clip_per_copy(params: dict[str, torch.Tensor], clip_norm: float | None) -> torch.Tensor:
    """Each copy's gradient norm before clipping, ``(copies,)``; with ``clip_norm`` each copy's gradient is
    rescaled by its own norm, ``g * min(1, c / ||g||)``."""
    grads = [p.grad for p in params.values() if p.grad is not None]
    norms = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads]),
                                     dim=0)
    if clip_norm is not None:
        scale = (clip_norm / (norms + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.view(-1, *[1] * (g.dim() - 1)).to(g.dtype))
    return norms


@torch.no_grad()
def _keep(target: dict[str, torch.Tensor], source: dict[str, torch.Tensor], copies: list[bool]) -> None:
    """Copy the stacked weights of the chosen ``copies`` (one flag per copy) from ``source`` into ``target``,
    one operation per weight."""
    if not any(copies):
        return
    chosen = torch.tensor(copies, device=next(iter(target.values())).device)
    for name, value in target.items():
        value.copy_(torch.where(chosen.view(-1, *[1] * (value.dim() - 1)), source[name], value))


def _read_epoch(step_norms: list[torch.Tensor], epoch_loss: torch.Tensor, val_losses: torch.Tensor | None):
    """Each copy's gradient norms of the epoch's steps, its epoch loss and its validation loss (or None), all
    read from the device in one transfer (see :func:`rnntutor.train.read_numbers`): three lists, one entry
    per copy."""
    columns = [torch.stack(step_norms, dim=1)] if step_norms else []
    columns += [epoch_loss.unsqueeze(1)] + ([] if val_losses is None else [val_losses.unsqueeze(1)])
    rows = torch.cat([column.double() for column in columns], dim=1).tolist()  # float32 to 64 is exact
    steps = len(step_norms)
    return ([row[:steps] for row in rows], [row[steps] for row in rows],
            None if val_losses is None else [row[steps + 1] for row in rows])


def _record_norms(histories: list[History], running: list[bool], step_norms: list[list[float]]) -> None:
    """Append each running copy's gradient norms of every step of an epoch to its history."""
    for k, norms in enumerate(step_norms):
        if running[k]:
            histories[k].grad_norms += norms


def _record_epoch(histories: list[History], running: list[bool], epoch_loss: list[float]) -> None:
    """Append each running copy's training loss of this epoch; a copy whose loss is not finite stops."""
    for k, loss in enumerate(epoch_loss):
        if running[k]:
            histories[k].train_loss.append(loss)
            if not math.isfinite(loss):
                histories[k].diverged = True
                running[k] = False
