"""Self-check for the unrolled recurrent network written by hand (chapter "The recurrent neuron").

A reader's function runs the recurrent neuron along a whole sequence, in torch's layout
(sequence first), and returns every state and the last one::

    rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh) -> (outputs, h_n)
    # x: (seq, batch, input)   h0, h_n: (batch, hidden)   outputs: (seq, batch, hidden), outputs[t] = h_{t+1}

The check runs it in float64 on random numbers, compares it with the package's :class:`~rnntutor.RNN`
layer (itself equal to ``torch.nn.RNN``), and when they differ names the usual mistake.
"""

from __future__ import annotations

import torch

from ..cells import RNNCell
from ..layers import RNN
from ._random import randomize_
from .result import CheckResult

SEQ, BATCH, INPUT, HIDDEN = 6, 3, 4, 5  # four different sizes, so that a mixed-up axis shows in a shape
EXACT, CLOSE = 1e-10, 1e-4


def check_rnn_forward(rnn_forward) -> CheckResult:
    """Check ``rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh) -> (outputs, h_n)`` against :class:`~rnntutor.RNN`."""
    generator = torch.Generator().manual_seed(0)
    layer = RNN(INPUT, HIDDEN, dtype=torch.float64)
    with torch.no_grad():
        randomize_(layer, generator)
        x = torch.randn(SEQ, BATCH, INPUT, dtype=torch.float64, generator=generator)
        h0 = torch.randn(BATCH, HIDDEN, dtype=torch.float64, generator=generator)
        outputs, h_n = layer(x, h0.unsqueeze(0))
    params = {name: layer.get_parameter(f"{name}_l0").detach() for name in ("weight_ih", "weight_hh", "bias_ih",
                                                                             "bias_hh")}
    try:
        with torch.no_grad():
            got = rnn_forward(x.clone(), h0.clone(), *(p.clone() for p in params.values()))
    except Exception as exc:  # the reader's code: report whatever it raised
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return CheckResult(False, f"calling your function as {rnn_forward.__name__}(x, h0, W_ih, W_hh, b_ih, b_hh) "
                                  f"with x of shape (seq, batch, input) = {tuple(x.shape)} raised {detail}")
    problem = _shape_problem(got)
    if problem:
        return CheckResult(False, problem)
    got_outputs, got_h_n = (g.double() for g in got)
    diff = max(_diff(got_outputs, outputs), _diff(got_h_n, h_n[0]))
    if diff < EXACT:
        return CheckResult(True, f"your unrolled network equals torch.nn.RNN over {SEQ} steps "
                                 f"(largest difference below {EXACT:.0e})")
    if diff < CLOSE:
        return CheckResult(False, f"close but not equal: largest difference {diff:.1e}, above {EXACT:.0e}. "
                                  f"Is part of your computation in float32? Keep the inputs' dtype.")
    if _diff(got_outputs, outputs) < EXACT:
        return CheckResult(False, _h_n_problem(got_h_n, h0, outputs))
    for mistake, wrong in _mistakes(params, x, h0):
        if _diff(got_outputs, wrong) < CLOSE:
            return CheckResult(False, mistake)
    return CheckResult(False, f"your outputs differ from torch's by up to {_diff(got_outputs, outputs):.3g}, and "
                              f"not by one of the usual mistakes. Compare your loop with h_t = tanh(W_ih x_t + b_ih "
                              f"+ W_hh h_(t-1) + b_hh), one step at a time.")


def _diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def _shape_problem(got) -> str | None:
    if isinstance(got, torch.Tensor):
        which = {(SEQ, BATCH, HIDDEN): "only the outputs", (BATCH, HIDDEN): "only h_n"}.get(tuple(got.shape), "")
        return f"return the pair (outputs, h_n); you returned {which or 'one tensor'}"
    if not (isinstance(got, tuple | list) and len(got) == 2):
        length = f" of {len(got)} items" if isinstance(got, tuple | list) else ""
        return f"return the pair (outputs, h_n); you returned a {type(got).__name__}{length}"
    for label, value in zip(("outputs", "h_n"), got, strict=True):
        if not isinstance(value, torch.Tensor):
            return f"{label} must be a torch.Tensor, got {type(value).__name__}"
    outputs, h_n = (tuple(g.shape) for g in got)
    if outputs == (BATCH, SEQ, HIDDEN):
        return (f"outputs has shape {outputs}, batch first; torch's layout is sequence first, (seq, batch, "
                f"hidden) = {(SEQ, BATCH, HIDDEN)}: stack the states along dimension 0")
    if outputs == (SEQ + 1, BATCH, HIDDEN):
        return (f"outputs has {SEQ + 1} steps for a sequence of {SEQ}: it holds h_0 too. outputs[t] is the state "
                f"after reading x[t], so there is one per input step")
    if outputs != (SEQ, BATCH, HIDDEN):
        return f"outputs must have shape (seq, batch, hidden) = {(SEQ, BATCH, HIDDEN)}, got {outputs}"
    if h_n == (1, BATCH, HIDDEN):
        return (f"h_n has shape {h_n}, torch.nn.RNN's (num_layers, batch, hidden); here return the last state "
                f"alone, (batch, hidden) = {(BATCH, HIDDEN)}")
    if h_n != (BATCH, HIDDEN):
        return f"h_n must have shape (batch, hidden) = {(BATCH, HIDDEN)}, got {h_n}"
    return None


def _h_n_problem(got_h_n: torch.Tensor, h0: torch.Tensor, outputs: torch.Tensor) -> str:
    if _diff(got_h_n, h0) < EXACT:
        return "your outputs are right, but h_n is h0: return the last state, outputs[-1]"
    if _diff(got_h_n, outputs[0]) < EXACT:
        return "your outputs are right, but h_n is the first state: return the last one, outputs[-1]"
    return "your outputs are right, but h_n is not the last state: return outputs[-1]"


def _run(cell: RNNCell, x: torch.Tensor, h0: torch.Tensor, feed_back: bool = True, before: bool = False):
    """The outputs of a loop over x with ``cell``; ``feed_back=False`` starts every step from h0, and
    ``before=True`` stores each state before the update instead of after it."""
    h, outputs = h0, []
    for x_t in x:
        new = cell(x_t, h if feed_back else h0)
        outputs.append(h if before else new)
        h = new
    return torch.stack(outputs)


def _mistakes(params: dict, x: torch.Tensor, h0: torch.Tensor):
    """Yield (what the mistake is, the outputs a loop with that mistake returns), one mistake at a time."""

    def cell(nonlinearity="tanh", **changed):
        module = RNNCell(INPUT, HIDDEN, nonlinearity=nonlinearity, dtype=torch.float64)
        module.load_state_dict({**params, **changed})
        return module

    with torch.no_grad():
        yield ("every step starts from h0: feed each new state back into the next step, h = step(x[t], h)",
               _run(cell(), x, h0, feed_back=False))
        yield ("your outputs are one step late: outputs[t] must be the state after reading x[t]; you stored the "
               "state before updating it", _run(cell(), x, h0, before=True))
        reversed_run = _run(cell(), x.flip(0), h0)
        yield "you read the sequence from the last step to the first; start with x[0]", reversed_run
        yield "you read the sequence from the last step to the first; start with x[0]", reversed_run.flip(0)
        yield ("you multiplied by W_hh where its transpose belongs: W_hh h is h @ W_hh.T in torch's layout",
               _run(cell(weight_hh=params["weight_hh"].T), x, h0))
        zero = torch.zeros_like(params["bias_hh"])
        yield "you left out the bias b_hh (torch has two biases, b_ih and b_hh)", _run(cell(bias_hh=zero), x, h0)
        yield "you left out the bias b_ih (torch has two biases, b_ih and b_hh)", _run(cell(bias_ih=zero), x, h0)
        yield "you applied relu; the recurrent neuron here uses tanh", _run(cell("relu"), x, h0)
