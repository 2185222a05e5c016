"""Self-check for the window a fixed-window model sees (chapter "Why recurrent networks").

A reader's function cuts the last ``window`` steps out of a batch of sequences, with zeros on the left
of a sequence shorter than the window::

    last_window(x, window) -> (batch, window, features)      x: (batch, length, features)

The check compares it with what :class:`~rnntutor.models.WindowModel` feeds its first layer, for a
sequence shorter than the window, one as long, and one longer, and names the usual mistakes.
"""

from __future__ import annotations

import torch
from torch import nn

from ..models import WindowModel
from .result import CheckResult

BATCH, FEATURES, WINDOW = 2, 3, 5
LENGTHS = (3, 5, 8)  # shorter than the window, as long, longer


def check_last_window(last_window) -> CheckResult:
    """Check ``last_window(x, window) -> (batch, window, features)`` against :class:`WindowModel`."""
    generator = torch.Generator().manual_seed(0)
    for length in LENGTHS:
        x = torch.randn(BATCH, length, FEATURES, generator=generator) + 1  # no zeros among the values
        expected = _window_model_input(x, WINDOW)
        try:
            got = last_window(x.clone(), WINDOW)
        except Exception as exc:  # the reader's code: report whatever it raised
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return CheckResult(False, f"last_window(x, {WINDOW}) for x of shape {tuple(x.shape)} raised {detail}")
        problem = _problem(got, expected, x)
        if problem:
            return CheckResult(False, f"for {length} steps and a window of {WINDOW}: {problem}")
    return CheckResult(True, f"your window equals WindowModel's for {LENGTHS[0]}, {LENGTHS[1]} and {LENGTHS[2]} steps "
                             f"(window {WINDOW})")


def _window_model_input(x: torch.Tensor, window: int) -> torch.Tensor:
    """What ``WindowModel(window, ...)`` passes to its first linear layer, unflattened to (batch, window, features)."""
    model = WindowModel(window, x.shape[-1], 1, 1)
    seen = []
    model.net[0].register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0]))
    with torch.no_grad():
        model(x)
    return seen[0].reshape(x.shape[0], window, x.shape[-1])


def _problem(got, expected: torch.Tensor, x: torch.Tensor) -> str | None:
    batch, length, features = x.shape
    window = expected.shape[1]
    if not isinstance(got, torch.Tensor):
        return f"return a torch.Tensor, got {type(got).__name__}"
    if tuple(got.shape) != tuple(expected.shape):
        hint = ""
        if tuple(got.shape) == (batch, window * features):
            hint = " You flattened the window; return it as (batch, window, features)."
        elif tuple(got.shape) == tuple(x.shape):
            hint = (" You returned the sequence unchanged: pad it with zeros on the left." if length < window
                    else " The steps are dimension 1 of x (dimension 0 is the batch).")
        return (f"expected shape (batch, window, features) = {tuple(expected.shape)}, "
                f"got {tuple(got.shape)}.{hint}")
    got = got.to(expected.dtype)
    if torch.equal(got, expected):
        return None
    missing = window - length
    if missing > 0 and torch.equal(got, nn.functional.pad(x, (0, 0, 0, missing))):
        return "you put the zeros on the right; they go on the left, before the first step"
    if missing < 0 and torch.equal(got, x[:, :window]):
        return f"you took the first {window} steps; the window holds the last {window}"
    if missing > 0 and torch.equal(got[:, missing:], x):
        return "the steps are right but the padding is not zero"
    return "the values differ from the last steps of x, zero-padded on the left, and not by a usual mistake"
