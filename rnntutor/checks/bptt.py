r"""Self-check for backpropagation through time written by hand (chapter "Training through time").

For the recurrent neuron :math:`h_t = \tanh(a_t)`, :math:`a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`,
and a loss that reads the last state only, the gradient goes back one step at a time:

.. math::

    \frac{\partial L}{\partial h_{t-1}} = W_{hh}^\top \Big( (1 - h_t^2) \odot \frac{\partial L}{\partial h_t} \Big).

A reader's function applies it, batched in torch's layout (a row per sequence)::

    state_gradients(h, W_hh, g_T) -> (T, batch, hidden)
    # h: (T, batch, hidden) holds h_1 ... h_T      g_T: (batch, hidden) is dL/dh_T
    # result[t] is dL/dh_(t+1): the same layout as h, result[-1] is g_T

The check runs a real recurrent neuron in float64, takes the gradients from autograd, and when they
differ names the usual mistake.
"""

from __future__ import annotations

import torch

from ..cells import RNNCell
from ._random import randomize_
from .result import CheckResult

STEPS, BATCH, INPUT, HIDDEN = 5, 3, 2, 4  # different sizes, so that a mixed-up axis shows in a shape
EXACT, CLOSE = 1e-10, 1e-6


def check_state_gradients(state_gradients) -> CheckResult:
    """Check ``state_gradients(h, W_hh, g_T)`` against the gradients autograd gives the states of an
    :class:`~rnntutor.RNNCell` unrolled over several steps."""
    h, W_hh, g_T, expected = _example()
    try:
        got = state_gradients(h.clone(), W_hh.clone(), g_T.clone())
    except Exception as exc:  # the reader's code: report whatever it raised
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return CheckResult(False, f"calling your function as {state_gradients.__name__}(h, W_hh, g_T) with h of "
                                  f"shape {tuple(h.shape)} raised {detail}")
    if isinstance(got, list | tuple) and got and all(isinstance(g, torch.Tensor) for g in got):
        got = torch.stack(list(got))
    if not isinstance(got, torch.Tensor):
        return CheckResult(False, f"return a torch.Tensor of shape (T, batch, hidden), got {type(got).__name__}")
    if tuple(got.shape) != tuple(h.shape):
        hint = " Return one gradient per state, the last one g_T itself." if got.shape[0] == STEPS - 1 else ""
        return CheckResult(False, f"the gradients have the layout of h, (T, batch, hidden) = {tuple(h.shape)}, got "
                                  f"{tuple(got.shape)}.{hint}")
    got = got.double()
    diff = float((got - expected).abs().max())
    if diff < EXACT:
        return CheckResult(True, f"your gradients equal autograd's at all {STEPS} steps (largest difference "
                                 f"below {EXACT:.0e})")
    if float((got.flip(0) - expected).abs().max()) < CLOSE:
        return CheckResult(False, "your gradients are in reverse order: result[t] must belong to h[t], so the last "
                                  "entry is g_T; fill the result from the end, or flip it")
    for mistake, rule in _MISTAKES:
        if float((got - _backward(h, W_hh, g_T, rule)).abs().max()) < CLOSE:
            return CheckResult(False, mistake)
    return CheckResult(False, f"your gradients differ from autograd's by up to {diff:.3g}, and not by one of the "
                              f"usual mistakes. Check one step: g_(t-1) = ((1 - h_t**2) * g_t) @ W_hh.")


def _example():
    """States, W_hh, dL/dh_T and the true dL/dh_t of a random run, for the loss L = sum(g_T * h_T)."""
    generator = torch.Generator().manual_seed(0)
    cell = RNNCell(INPUT, HIDDEN, dtype=torch.float64)
    randomize_(cell, generator)
    x = torch.randn(STEPS, BATCH, INPUT, dtype=torch.float64, generator=generator)
    state = torch.randn(BATCH, HIDDEN, dtype=torch.float64, generator=generator)
    h = []
    for x_t in x:
        state = cell(x_t, state)
        h.append(state)
    g_T = torch.randn(BATCH, HIDDEN, dtype=torch.float64, generator=generator)
    grads = torch.autograd.grad((h[-1] * g_T).sum(), h)
    return torch.stack(h).detach(), cell.weight_hh.detach(), g_T, torch.stack(grads)


def _backward(h: torch.Tensor, W_hh: torch.Tensor, g_T: torch.Tensor, rule) -> torch.Tensor:
    """Go back from g_T with ``rule(g_t, h, t, W_hh) -> g_(t-1)``, one step at a time."""
    grads = [g_T]
    for t in range(len(h) - 1, 0, -1):
        grads.insert(0, rule(grads[0], h, t, W_hh))
    return torch.stack(grads)


_MISTAKES = [
    ("you multiplied by W_hh where its transpose belongs: backpropagation uses W_hh^T, which in torch's row "
     "layout is g @ W_hh (the forward step is h @ W_hh.T)",
     lambda g, h, t, W: ((1 - h[t] ** 2) * g) @ W.T),
    ("you left out the derivative of tanh: each step back multiplies by (1 - h_t**2) before W_hh^T",
     lambda g, h, t, W: g @ W),
    ("the tanh derivative belongs to the step you are undoing: use (1 - h_t**2), the state that step produced, "
     "not (1 - h_(t-1)**2)",
     lambda g, h, t, W: ((1 - h[t - 1] ** 2) * g) @ W),
    ("h_t is already tanh(a_t), so the derivative of tanh is 1 - h_t**2; 1 - tanh(h_t)**2 applies tanh twice",
     lambda g, h, t, W: ((1 - torch.tanh(h[t]) ** 2) * g) @ W),
    ("you applied the tanh derivative after multiplying by W_hh^T; it comes first: ((1 - h_t**2) * g_t) @ W_hh",
     lambda g, h, t, W: (1 - h[t] ** 2) * (g @ W)),
    ("you wrote the recursion of dL/da_t, which applies (1 - h_(t-1)**2) after W_hh^T; for dL/dh_t the derivative "
     "of the step being undone comes first: ((1 - h_t**2) * g_t) @ W_hh",
     lambda g, h, t, W: (1 - h[t - 1] ** 2) * (g @ W)),
]
