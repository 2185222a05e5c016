"""Self-checks for one step of a cell written by hand (chapters "The recurrent neuron", "The GRU",
"The LSTM").

A reader's step function takes plain tensors in torch's layout and returns the new state::

    rnn_step(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t
    gru_step(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t             # blocks r, z, n
    lstm_step(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> (h_t, c_t)   # blocks i, f, g, o

The check runs it in float64 on random numbers, compares it with the package's cell (itself equal to
torch's), and when they differ tries the usual mistakes one by one to name the one that was made.
"""

from __future__ import annotations

import itertools

import torch

from ..cells import ChoGRUCell, GRUCell, LSTMCell, RNNCell
from ._random import randomize_
from .result import CheckResult

BATCH, INPUT, HIDDEN = 3, 4, 5  # three different sizes, so that a transposed matrix shows up as a shape
EXACT, CLOSE = 1e-10, 1e-4
GATE_NAMES = {"GRU": ("r", "z", "n"), "LSTM": ("i", "f", "g", "o")}


def check_rnn_step(rnn_step, nonlinearity: str = "tanh") -> CheckResult:
    """Check ``rnn_step(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t`` against :class:`~rnntutor.RNNCell`."""
    return _check("RNN", rnn_step, RNNCell(INPUT, HIDDEN, nonlinearity=nonlinearity, dtype=torch.float64))


def check_gru_step(gru_step) -> CheckResult:
    """Check ``gru_step(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t`` against :class:`~rnntutor.GRUCell`."""
    return _check("GRU", gru_step, GRUCell(INPUT, HIDDEN, dtype=torch.float64))


def check_lstm_step(lstm_step) -> CheckResult:
    """Check ``lstm_step(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> (h_t, c_t)`` against
    :class:`~rnntutor.LSTMCell`."""
    return _check("LSTM", lstm_step, LSTMCell(INPUT, HIDDEN, dtype=torch.float64))


def _check(kind: str, step, cell) -> CheckResult:
    generator = torch.Generator().manual_seed(0)
    randomize_(cell, generator)
    x = torch.randn(BATCH, INPUT, dtype=torch.float64, generator=generator)
    state = tuple(torch.randn(BATCH, HIDDEN, dtype=torch.float64, generator=generator) for _ in cell.state_names)
    params = {name: p.detach().clone() for name, p in cell.named_parameters()}

    def reference(module=cell, **changed):
        p = {**params, **changed}
        with torch.no_grad():
            module.load_state_dict(p)
            out = module(x, state if len(state) > 1 else state[0])
            cell.load_state_dict(params)
        return out

    def theirs(**changed):
        p = {**params, **changed}
        return step(x, *state, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])

    names = ", ".join(("x", "h_prev", "c_prev")[: 1 + len(state)] + ("W_ih", "W_hh", "b_ih", "b_hh"))
    try:
        with torch.no_grad():
            got = theirs()
    except Exception as exc:  # the reader's code: report whatever it raised
        return CheckResult(False, f"calling your function as {step.__name__}({names}) raised "
                                  f"{type(exc).__name__}: {exc}")
    expected = reference()
    problem = _shape_problem(kind, got, expected)
    if problem:
        return CheckResult(False, problem)
    got = got if isinstance(got, tuple) else (got,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    diff = max(float((g.double() - e).abs().max()) for g, e in zip(got, expected, strict=True))
    if diff < EXACT:
        return CheckResult(True, f"your {kind} step equals torch.nn.{kind}Cell (largest difference {diff:.1e})")
    if diff < CLOSE:
        return CheckResult(False, f"close but not equal: largest difference {diff:.1e}, above {EXACT:.0e}. "
                                  f"Is part of your computation in float32? Keep the inputs' dtype.")
    for mistake, result in _mistakes(kind, cell, params, reference, x, state):
        if _equal(got, result):
            return CheckResult(False, mistake)
    worst = max(range(len(got)), key=lambda k: float((got[k].double() - expected[k]).abs().max()))
    part = ("h_t", "c_t")[worst] if len(got) > 1 else "h_t"
    return CheckResult(False, f"{part} differs from torch's by up to {diff:.3g}, and not by one of the usual "
                              f"mistakes (gate order, a missing bias, a swapped gate). Compare your code with "
                              f"the equations line by line.")


def _shape_problem(kind: str, got, expected) -> str | None:
    if kind == "LSTM":
        if not (isinstance(got, tuple | list) and len(got) == 2):
            return f"your LSTM step must return the pair (h_t, c_t); it returned {_describe(got)}"
        tensors, labels = got, ("h_t", "c_t")
    else:
        if isinstance(got, tuple | list):
            return f"your {kind} step must return the tensor h_t alone; it returned {_describe(got)}"
        tensors, labels = (got,), ("h_t",)
    for label, value in zip(labels, tensors, strict=True):
        if not isinstance(value, torch.Tensor):
            return f"{label} must be a torch.Tensor, got {type(value).__name__}"
        if tuple(value.shape) != (BATCH, HIDDEN):
            return (f"{label} must have shape (batch, hidden) = ({BATCH}, {HIDDEN}), got {tuple(value.shape)}. "
                    f"Check which side of each weight matrix you multiply: W_ih x_t is x @ W_ih.T in torch.")
    return None


def _describe(value) -> str:
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__


def _equal(got: tuple, result) -> bool:
    result = result if isinstance(result, tuple) else (result,)
    return all(float((g.double() - r).abs().max()) < CLOSE for g, r in zip(got, result, strict=True))


def _mistakes(kind: str, cell, params: dict, reference, x, state):
    """Yield (what the mistake is, what a step with that mistake returns), one usual mistake at a time."""
    zero = torch.zeros_like(params["bias_ih"])
    yield "you left out the bias b_hh (torch has two biases, b_ih and b_hh)", reference(bias_hh=zero)
    yield "you left out the bias b_ih (torch has two biases, b_ih and b_hh)", reference(bias_ih=zero)
    if kind == "RNN":
        other = "relu" if cell.nonlinearity == "tanh" else "tanh"
        twin = RNNCell(INPUT, HIDDEN, nonlinearity=other, dtype=torch.float64)
        yield f"you applied {other}; this cell uses {cell.nonlinearity}", reference(twin)
        return
    gates = GATE_NAMES[kind]
    for order in itertools.permutations(range(len(gates))):
        if order == tuple(range(len(gates))):
            continue
        permuted = {name: torch.cat([params[name].chunk(len(gates))[k] for k in order])
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        read_as = ", ".join(gates[order.index(k)] for k in range(len(gates)))
        yield (f"your gates are in the wrong order: you read the stacked blocks of W_ih and W_hh as "
               f"{read_as}, but torch stacks them as {', '.join(gates)}", reference(**permuted))
    if kind == "GRU":
        yield ("you applied the reset gate before the product, W_hn (r_t * h_prev), as Cho et al. (2014) do; "
               "torch applies it after: r_t * (W_hn h_prev + b_hn)",
               reference(ChoGRUCell(INPUT, HIDDEN, dtype=torch.float64)))
        (h_prev,) = state
        with torch.no_grad():
            _, gates = cell(x, h_prev, return_gates=True)
        yield ("z_t and 1 - z_t are swapped: in torch z_t keeps the old state, h_t = (1 - z_t) * n_t + z_t * h_prev",
               gates["z"] * gates["n"] + (1 - gates["z"]) * h_prev)
    if kind == "LSTM":
        h_t, c_t = reference()
        yield "you returned (c_t, h_t); return (h_t, c_t)", (c_t, h_t)
