r"""Self-check for the gradient of the shared recurrent weight, summed over steps (chapter "Parameter
sharing").

Step :math:`t` of a recurrent neuron computes :math:`a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`
with the same :math:`W_{hh}` as every other step, so the gradient of :math:`W_{hh}` is the sum of one
contribution per step, :math:`\partial L / \partial W_{hh} = \sum_t \delta_t h_{t-1}^\top` with
:math:`\delta_t = \partial L / \partial a_t`. A reader's function computes it from the states and the
:math:`\delta_t`, batched in torch's layout::

    whh_gradient(h, delta) -> (hidden, hidden)
    # h: (T + 1, batch, hidden) holds h_0 ... h_T      delta: (T, batch, hidden) holds delta_1 ... delta_T

The check runs a real recurrent neuron in float64, takes :math:`\delta_t` and the gradient of
:math:`W_{hh}` from autograd, and when the reader's sum differs names the usual mistake.
"""

from __future__ import annotations

import torch

from ..cells import RNNCell
from ._random import randomize_
from .result import CheckResult

STEPS, BATCH, INPUT, HIDDEN = 4, 3, 2, 5  # different sizes, so that a mixed-up axis shows in a shape
EXACT, CLOSE = 1e-10, 1e-6


def check_whh_gradient(whh_gradient) -> CheckResult:
    """Check ``whh_gradient(h, delta) -> dL/dW_hh`` against the gradient that autograd gives the shared
    :math:`W_{hh}` of an :class:`~rnntutor.RNNCell` unrolled over several steps."""
    h, delta, expected = _example()
    try:
        got = whh_gradient(h.clone(), delta.clone())
    except Exception as exc:  # the reader's code: report whatever it raised
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return CheckResult(False, f"calling your function as {whh_gradient.__name__}(h, delta) with h of shape "
                                  f"{tuple(h.shape)} and delta of shape {tuple(delta.shape)} raised {detail}")
    if not isinstance(got, torch.Tensor):
        return CheckResult(False, f"return a torch.Tensor, got {type(got).__name__}")
    if tuple(got.shape) != (HIDDEN, HIDDEN):
        hint = ""
        if tuple(got.shape) in ((STEPS, HIDDEN, HIDDEN), (BATCH, HIDDEN, HIDDEN)):
            axis = "steps" if got.shape[0] == STEPS else "batch"
            hint = f" You kept one matrix per {'step' if axis == 'steps' else 'sequence'}: sum over the {axis} too."
        return CheckResult(False, f"the gradient of W_hh has W_hh's shape (hidden, hidden) = {(HIDDEN, HIDDEN)}, "
                                  f"got {tuple(got.shape)}.{hint}")
    got = got.double()
    diff = float((got - expected).abs().max())
    if diff < EXACT:
        return CheckResult(True, f"your sum over the {STEPS} steps equals the gradient autograd gives the shared "
                                 f"W_hh (largest difference below {EXACT:.0e})")
    for mistake, wrong in _mistakes(h, delta):
        if float((got - wrong).abs().max()) < CLOSE:
            return CheckResult(False, mistake)
    return CheckResult(False, f"your gradient differs from autograd's by up to {diff:.3g}, and not by one of the "
                              f"usual mistakes. Write the contribution of one step, delta_t h_(t-1)^T summed over "
                              f"the batch, then add the steps.")


def _example():
    """States, deltas and the true gradient of W_hh for a loss on every state of a random run."""
    generator = torch.Generator().manual_seed(0)
    cell = RNNCell(INPUT, HIDDEN, dtype=torch.float64)
    randomize_(cell, generator)
    x = torch.randn(STEPS, BATCH, INPUT, dtype=torch.float64, generator=generator)
    h = [torch.randn(BATCH, HIDDEN, dtype=torch.float64, generator=generator)]
    pre = []
    for x_t in x:
        h_t, gates = cell(x_t, h[-1], return_gates=True)
        h.append(h_t)
        pre.append(gates["a"])
    weights = torch.randn(STEPS, BATCH, HIDDEN, dtype=torch.float64, generator=generator)
    loss = (torch.stack(h[1:]) * weights).sum()  # a loss that reads every state
    *delta, grad = torch.autograd.grad(loss, [*pre, cell.weight_hh])
    return torch.stack(h).detach(), torch.stack(delta), grad


def _mistakes(h: torch.Tensor, delta: torch.Tensor):
    """Yield (what the mistake is, the result a sum with that mistake gives)."""
    per_step = delta.transpose(1, 2) @ h[:-1]  # (T, hidden, hidden): delta_t^T h_(t-1), summed over the batch
    right = per_step.sum(0)
    yield ("off by one step: step t multiplies W_hh by h_(t-1), so pair delta with h[:-1] (h_0 ... h_(T-1)), "
           "not h[1:]"), (delta.transpose(1, 2) @ h[1:]).sum(0)
    yield ("your matrix is transposed: the contribution is delta_t h_(t-1)^T, rows for the units that receive, "
           "columns for the units that send"), right.T
    yield "you kept only the last step's contribution: the shared W_hh gets one from every step, add them all", \
        per_step[-1]
    yield "you kept only the first step's contribution: the shared W_hh gets one from every step, add them all", \
        per_step[0]
    yield f"you averaged over the {STEPS} steps; the gradient is their sum", right / STEPS
    yield f"you averaged over the batch of {BATCH}; the loss adds the sequences, so the gradient is their sum", \
        right / BATCH
