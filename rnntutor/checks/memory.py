"""Self-check for the target of the adding problem (chapter 7, "Long-range memory").

A reader's function takes the inputs of :func:`rnntutor.tasks.adding_problem` and returns the targets::

    adding_target(x) -> y      # x: (batch, length, 2), values x[..., 0], markers x[..., 1]; y: (batch,)

with ``y_n = sum_t m_{n,t} v_{n,t}``. The check runs it on sequences of two lengths, compares it with the
targets the generator made, and when they differ names the usual mistake.
"""

from __future__ import annotations

import torch

from ..tasks import adding_problem
from .result import CheckResult

TOLERANCE = 1e-5


def check_adding_target(adding_target) -> CheckResult:
    """Check ``adding_target(x) -> y``, the sum of the two marked values of every sequence."""
    generator = torch.Generator().manual_seed(0)
    cases = [adding_problem(5, 8, generator), adding_problem(3, 11, generator)]  # batch, length, 2 all differ
    for x, y in cases:
        given = x.clone()
        try:
            got = adding_target(given)
        except Exception as exc:  # the reader's code: report whatever it raised
            return CheckResult(False, f"calling adding_target(x) with x of shape {tuple(x.shape)} raised "
                                      f"{type(exc).__name__}: {exc}")
        if not torch.equal(given, x):
            return CheckResult(False, "your function changed x in place; compute the target without writing to x")
        if not torch.is_tensor(got):
            return CheckResult(False, f"adding_target should return a tensor of shape (batch,), got "
                                      f"{type(got).__name__}")
        problem = _shape_problem(tuple(got.shape), tuple(x.shape))
        if problem:
            return CheckResult(False, problem)
        got = got.double()
        if not torch.allclose(got, y.double(), atol=TOLERANCE):
            return CheckResult(False, _value_problem(got, x.double(), y.double()))
    return CheckResult(True, "your targets equal v_i + v_j on sequences of two lengths")


def _shape_problem(got: tuple, x_shape: tuple) -> str | None:
    batch, length, _ = x_shape
    if got == (batch,):
        return None
    hints = {
        (batch, length): "this is one number per step: add over the time axis, dim 1",
        (batch, 2): "you added each feature over time; multiply the values x[..., 0] by the markers x[..., 1] "
                    "first, then add",
        (batch, 1): "drop the last axis",
        (length,): "you added over the batch axis, dim 0; the steps are dim 1",
        (length, 2): "you added over the batch axis, dim 0; the steps are dim 1",
        (): "you added over everything; keep one number per sequence",
    }
    hint = hints.get(got, "expected one number per sequence")
    return f"expected shape (batch,) = ({batch},) for x of shape {x_shape}, got {got}: {hint}"


def _value_problem(got: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> str:
    values, markers = x[..., 0], x[..., 1]
    marked = [row[m == 1] for row, m in zip(values, markers, strict=True)]  # (v_i, v_j) of every sequence
    mistakes = [
        (values.sum(1), "you added every value; only the two marked steps count: multiply by the markers x[..., 1]"),
        (markers.sum(1), "you added the markers x[..., 1]; the values are x[..., 0]"),
        (y / 2, "that is the mean of the two marked values; the target is their sum"),
        (torch.stack([v[0] * v[1] for v in marked]), "that is the product of the two marked values; the target is "
                                                     "their sum"),
        (torch.stack([v[0] for v in marked]), "that is only the first marked value; the target adds both"),
        (torch.stack([v[1] for v in marked]), "that is only the second marked value; the target adds both"),
        (values[:, -1], "that is the value at the last step; the target adds the two marked values"),
    ]
    for wrong, message in mistakes:
        if torch.allclose(got, wrong, atol=TOLERANCE):
            return message
    return (f"your targets differ from v_i + v_j by up to {float((got - y).abs().max()):.3g}; the target is the "
            "sum of the values x[..., 0] at the two steps where the marker x[..., 1] is 1")
