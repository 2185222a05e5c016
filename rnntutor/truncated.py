r"""Truncated backpropagation through time (chapter "Training through time").

A stream too long to backpropagate through at once, :math:`x_1, \dots, x_T`, is cut into chunks of
:math:`k` steps. The forward pass runs the whole stream: the state at the end of one chunk is the initial
state of the next. The backward pass stops at each chunk's start: the state is detached there,
``h.detach()``, so the loss at step :math:`t` sends its gradient back at most to the first step of its
chunk, at most :math:`k - 1` steps. The weights change after every chunk. A dependency that spans
:math:`d \ge k` steps then never produces a gradient, however long training runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .models import RECURRENT_LAYERS
from .runtime import seed_everything
from .train import History, _check_args, read_numbers, weighted_mean
from .validate import check_positive_ints

__all__ = ["StreamModel", "chunk_starts", "detach_state", "fit_truncated"]


class StreamModel(nn.Module):
    """A recurrent layer with a linear head at every step, whose state goes in and comes out.

    ``outputs, state = model(x, state)``: ``x`` is batch-first ``(batch, length, input_size)``, ``outputs``
    is ``(batch, length, output_size)``, one answer per step, :math:`y_t = W_{hy} h_t + b_y`; ``state`` is the
    layer's final state (``(h, c)`` for the LSTM), to pass in with the next stretch of the stream (``None``:
    zeros). ``kind`` is ``"rnn"``, ``"gru"`` or ``"lstm"``.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        if kind not in RECURRENT_LAYERS:
            raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}")
        self.kind = kind
        self.recurrent = RECURRENT_LAYERS[kind](input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor, state=None):
        outputs, state = self.recurrent(x, state)
        return self.head(outputs), state


def detach_state(state):
    """The same state, cut from the autograd graph: a tensor, or a tuple of tensors (the LSTM's ``(h, c)``)."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def chunk_starts(length: int, chunk: int) -> range:
    """The first step of every chunk of ``chunk`` steps in a stream of ``length`` steps (the last may be shorter)."""
    check_positive_ints(length=length, chunk=chunk)
    return range(0, length, chunk)


def _check_stream(name: str, data, axis: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``data = (x, y)`` with the stream's steps along ``axis`` of both, the same number of them."""
    if not (isinstance(data, tuple | list) and len(data) == 2 and all(torch.is_tensor(t) for t in data)):
        raise TypeError(f"{name}: data must be a pair of tensors (x, y), got {type(data).__name__}")
    x, y = data
    if x.dim() < axis + 3 or y.dim() < axis + 2 or x.shape[axis + 1] != y.shape[axis + 1]:
        raise ValueError(f"{name}: x must be (batch, length, features) and y (batch, length, ...) with the same "
                         f"length{' (after the copies axis)' if axis else ''}, got shapes {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    return x, y


def fit_truncated(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    data: tuple[torch.Tensor, torch.Tensor],
    *,
    chunk: int,
    epochs: int,
    lr: float | None = None,
    optimizer: torch.optim.Optimizer | type | None = None,
    clip_norm: float | None = None,
    seed: int | None = None,
) -> History:
    """Train ``model`` on the streams ``data = (x, y)`` by truncated backpropagation through time.

    ``x`` is ``(batch, length, features)``: ``batch`` streams read side by side; ``y`` holds a target for
    every step, ``(batch, length, ...)``. ``model(x_chunk, state)`` returns ``(outputs, state)``, as
    :class:`StreamModel` does. Each epoch starts from the zero state and walks the stream in chunks of
    ``chunk`` steps; each chunk gives one update on ``loss_fn(outputs, y_chunk)``. The other arguments are
    those of :func:`rnntutor.train.fit`. ``train_loss[e]`` is the loss of epoch ``e`` averaged over its steps,
    ``grad_norms`` the norm of every chunk's gradient before clipping.
    """
    x, y = _check_stream("fit_truncated", data, 0)
    opt = _check_args(model, epochs, lr, optimizer, None, clip_norm, None, None)
    check_positive_ints("fit_truncated", chunk=chunk)
    if seed is not None:
        seed_everything(seed)
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    history = History()
    for _ in range(epochs):
        model.train()
        state, losses, norms = None, [], []
        for start in chunk_starts(x.shape[1], chunk):
            outputs, state = model(x[:, start:start + chunk], state)
            loss = loss_fn(outputs, y[:, start:start + chunk])
            opt.zero_grad()
            loss.backward()  # reaches back to this chunk's first step, no further
            if clip_norm is None:
                norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
            else:
                norm = torch.nn.utils.clip_grad_norm_(params, clip_norm)
            opt.step()
            state = detach_state(state)  # carried into the next chunk, cut from this chunk's graph
            losses.append(loss.detach())
            norms.append(norm)
        history.grad_norms += read_numbers(norms)  # read once an epoch (see read_numbers)
        lengths = [min(chunk, x.shape[1] - start) for start in chunk_starts(x.shape[1], chunk)]
        history.train_loss.append(weighted_mean(read_numbers(losses), lengths))
        if not math.isfinite(history.train_loss[-1]):
            history.diverged = True
            break
    return history
