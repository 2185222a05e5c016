"""One training loop for every chapter: mini-batches, optional gradient clipping, early stopping.

Each step is plain gradient descent on the mean loss of a batch,

    theta <- theta - lr * step(grad L(theta)),    grad clipped to  g * min(1, c / ||g||)  when c is given,

and the loop only adds the bookkeeping that chapters measure: the loss of every epoch, the validation
loss, the gradient norm of every step (before clipping), and the epoch with the best validation loss,
whose weights are put back at the end.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch import nn

from .runtime import seed_everything
from .validate import check_positive_ints


@dataclass
class History:
    """What :func:`fit` measured.

    ``train_loss[e]`` is the mean training loss of epoch ``e`` (weighted by batch size), ``val_loss[e]``
    the loss on the validation data after that epoch, ``grad_norms`` the global gradient norm
    ``||g||_2`` of every step before clipping. ``best_epoch`` (0-based) is the epoch whose weights the
    model holds at the end when validation data were given. ``stopped_early`` says that patience ran
    out; ``diverged`` that the training loss stopped being a finite number.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    diverged: bool = False

    @property
    def epochs(self) -> int:
        """Number of epochs that ran."""
        return len(self.train_loss)

    @property
    def best_val_loss(self) -> float | None:
        """Validation loss of the best epoch (``None`` without validation data)."""
        return None if self.best_epoch is None else self.val_loss[self.best_epoch]


def fit(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    data,
    *,
    epochs: int,
    lr: float | None = None,
    optimizer: torch.optim.Optimizer | type | None = None,
    batch_size: int | None = None,
    clip_norm: float | None = None,
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    patience: int | None = None,
    seed: int | None = None,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> History:
    """Train ``model`` to lower ``loss_fn(model(x), y)`` and return its :class:`History`.

    ``data`` is either a pair of tensors ``(X, y)`` with samples along the first axis, cut into shuffled
    mini-batches of ``batch_size`` (all samples at once when ``None``), or a re-iterable of ``(x, y)``
    batches (a list, a ``DataLoader``) that is walked once per epoch.
    The optimizer is Adam with learning rate ``lr`` unless ``optimizer`` is given: an optimizer instance,
    or an optimizer class that is called with the model's parameters and ``lr``.
    ``clip_norm`` rescales the gradient to at most that global norm before each step.
    ``val = (X_val, y_val)`` is evaluated after every epoch; the weights of the best epoch are restored at
    the end, and training stops after ``patience`` epochs without improvement.
    ``seed`` seeds every generator first (shuffling, dropout); ``device`` moves the model, and the data once;
    ``progress`` shows a tqdm bar (off by default, so stored notebook outputs stay the same).
    """
    opt = _check_args(model, epochs, lr, optimizer, batch_size, clip_norm, val, patience)
    if seed is not None:
        seed_everything(seed)
    if device is not None:
        model.to(device)
    device = next(model.parameters()).device
    batches = _batcher(data, batch_size, device)
    val = None if val is None else tuple(t.to(device) for t in val)  # moved once, see _batcher
    history = History()
    best_state = None
    params = [p for p in model.parameters() if p.requires_grad]

    epoch_range = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        epoch_range = tqdm(epoch_range, desc="epochs")
    for epoch in epoch_range:
        model.train()
        losses, norms, sizes = [], [], []
        for x, y in batches():
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            if clip_norm is None:
                norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
            else:
                norm = torch.nn.utils.clip_grad_norm_(params, clip_norm)
            opt.step()
            losses.append(loss.detach())
            norms.append(norm)
            sizes.append(len(x))
        numbers = read_numbers(norms + losses)  # one wait for the device an epoch
        history.grad_norms += numbers[:len(norms)]
        history.train_loss.append(weighted_mean(numbers[len(norms):], sizes))
        if not math.isfinite(history.train_loss[-1]):
            history.diverged = True
            break
        if val is not None:
            history.val_loss.append(evaluate(model, loss_fn, val, device=device))
            if history.best_epoch is None or history.val_loss[-1] < history.best_val_loss:
                history.best_epoch = epoch
                best_state = copy.deepcopy(model.state_dict())
            elif patience is not None and epoch - history.best_epoch >= patience:
                history.stopped_early = True
                break
        if progress:
            postfix = {"loss": f"{history.train_loss[-1]:.4g}"}
            if val is not None:
                postfix["val"] = f"{history.val_loss[-1]:.4g}"
            epoch_range.set_postfix(postfix)
    if progress:
        epoch_range.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def evaluate(model: nn.Module, loss_fn, data: tuple[torch.Tensor, torch.Tensor], device=None) -> float:
    """Loss of ``model`` on ``data = (X, y)`` in evaluation mode (no dropout, no gradient)."""
    x, y = data
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    loss = loss_fn(model(x.to(device)), y.to(device)).item()
    model.train(was_training)
    return loss


def read_numbers(values: list[torch.Tensor]) -> list[float]:
    """The numbers in a list of one-number tensors, read in one transfer: a training loop that reads its
    losses and norms once an epoch lets a GPU run ahead of Python instead of waiting at every step."""
    return torch.stack(values).tolist() if values else []


def weighted_mean(values: list[float], weights: list[int]) -> float:
    """``sum_i w_i v_i / sum_i w_i``, summed in order (an epoch's loss from its batches' mean losses)."""
    return sum(value * weight for value, weight in zip(values, weights, strict=True)) / sum(weights)


def _batcher(data, batch_size: int | None, device) -> Callable[[], Iterable]:
    """A function that returns one epoch's batches.

    ``(X, y)`` tensors, and a list or tuple of ``(x, y)`` batches, move to ``device`` once, before the first
    step, not batch by batch at every step: on a GPU every copy from the CPU waits until the GPU has caught
    up, as a read does. Each epoch's order is drawn on the CPU, from torch's global generator, so that every
    device sees the same batches, and moves in one copy. Other iterables (a ``DataLoader``) are walked as
    they come, and the training loop moves each batch.
    """
    if _is_tensor_pair(data):
        x, y = _samples(data, device)
        size = len(x) if batch_size is None else batch_size
        return lambda: _batches(x, y, torch.randperm(len(x)).to(x.device), size)
    if batch_size is not None:
        raise ValueError("batch_size applies to (X, y) tensors; an iterable of batches is used as it comes")
    if iter(data) is data:
        raise TypeError("data must be (X, y) tensors or a re-iterable of (x, y) batches such as a list or a "
                        f"DataLoader; a {type(data).__name__} can be walked only once")
    if isinstance(data, list | tuple) and all(_is_tensor_pair(batch) for batch in data):
        moved = [(x.to(device), y.to(device)) for x, y in data]
        return lambda: moved
    return lambda: data


def _is_tensor_pair(data) -> bool:
    return isinstance(data, tuple | list) and len(data) == 2 and all(torch.is_tensor(t) for t in data)


def _samples(data, device, axis: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` on ``device``, after checking that they hold the same number of samples along ``axis``,
    at least one."""
    x, y = data
    if x.shape[axis] != y.shape[axis]:
        raise ValueError(f"X and y must hold the same number of samples, got {x.shape[axis]} and {y.shape[axis]}")
    if x.shape[axis] == 0:
        raise ValueError("the training data is empty")
    return x.to(device), y.to(device)


def _batches(x, y, order: torch.Tensor, size: int, rows: torch.Tensor | None = None) -> Iterable:
    """One epoch's batches ``x[idx], y[idx]``, ``idx`` the next ``size`` entries of ``order``. With orders of
    many copies, ``order`` (copies, samples), a batch is (copies, size, ...); with ``rows`` (copies, 1), copy
    ``k`` takes its samples from ``x[k]`` and ``y[k]``."""
    for idx in order.split(size, dim=-1):
        index = idx if rows is None else (rows, idx)
        yield x[index], y[index]


def _check_args(model, epochs, lr, optimizer, batch_size, clip_norm, val, patience) -> torch.optim.Optimizer:
    """Validate the arguments of :func:`fit` and return the optimizer to use."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("model has no trainable parameters")
    optional = {"batch_size": batch_size, "patience": patience}
    check_positive_ints(epochs=epochs, **{name: value for name, value in optional.items() if value is not None})
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm must be a positive number, got {clip_norm!r}")
    if patience is not None and val is None:
        raise ValueError("patience needs validation data: pass val=(X_val, y_val)")
    if val is not None and not (isinstance(val, tuple | list) and len(val) == 2
                                and all(torch.is_tensor(t) for t in val)):
        raise TypeError("val must be a pair of tensors (X_val, y_val)")
    if lr is not None and not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if isinstance(optimizer, torch.optim.Optimizer):
        if lr is not None:
            raise ValueError("give either lr or an optimizer instance (which has its own lr), not both")
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if not all(id(p) in held for p in model.parameters() if p.requires_grad):
            raise ValueError("the optimizer does not hold the model's parameters; build it from model.parameters()")
        return optimizer
    if lr is None:
        raise ValueError("give lr (for Adam or an optimizer class) or an optimizer instance")
    if optimizer is None:
        return torch.optim.Adam(model.parameters(), lr=lr)
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        return optimizer(model.parameters(), lr=lr)
    raise TypeError(f"optimizer must be a torch.optim.Optimizer instance or class, got {optimizer!r}")
