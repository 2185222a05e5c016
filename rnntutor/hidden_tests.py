"""What the assignments' hidden tests use, so that a submission cannot switch them off.

A hidden test runs in the student's kernel, after the student's code. So it trusts nothing that code
could have replaced and that a public test or the prompt names:

- the expected values are computed here in NumPy, in float64, from the same inputs (drawn with NumPy),
  and compared by a plain maximum of absolute differences: not by ``torch.testing.assert_close``,
  ``torch.allclose``, ``torch.nn`` or the package's self-checks, which a submission may have replaced;
- the tolerance follows the dtype of the inputs, so any correct answer passes in float32 or float64;
- a forbidden shortcut (``torch.nn``, ``torch.nn.functional``, ``torch._VF``, ``torch.lstm_cell`` and the
  other fused cells and layers; the package's own metrics and baselines) is refused twice: by reading the
  submitted function's code (the names it uses, also through aliases, closures and default arguments), and
  while the function runs, by a ``TorchFunctionMode`` that stops any call to torch's cells, layers or
  ``linear``;
- ``with_given(function, name=correct)`` runs a question's function with a correct version of the one
  it builds on, so that a mistake in one question does not cost the next ones;
- for the forecasting questions, made-up series from Python's ``random`` and the airline series read
  from the package's CSV file, compared as Python lists with ``==`` (not ``np.array_equal``).

What it cannot stop: a submission that knows these tests and replaces NumPy, Python's builtins or this
module itself. The sandbox of ``rnntutor.grading`` protects the machine, not the score; check unusual
submissions by eye.
"""

from __future__ import annotations

import contextlib
import inspect
import types

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

#: Attribute and global names whose use in a submitted function counts as a shortcut (names a student's own
#: helper would not have); torch's layers and ``linear`` are refused when the name resolves to torch's object.
FORBIDDEN_NAMES = frozenset({
    "nn", "functional", "_VF", "_VariableFunctions", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell",
    "quantized_lstm_cell", "quantized_gru_cell", "_thnn_fused_lstm_cell", "_thnn_fused_gru_cell",
})
#: torch functions a submitted function may not call (checked while it runs).
FORBIDDEN_CALLS = frozenset({
    "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell", "lstm", "gru", "rnn_tanh", "rnn_relu", "linear",
    "bilinear", "_thnn_fused_lstm_cell", "_thnn_fused_gru_cell", "quantized_lstm_cell", "quantized_gru_cell",
})
#: Largest difference accepted from float64 reference values, by the dtype of the inputs.
TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-5, torch.float16: 1e-2, torch.bfloat16: 5e-2}


class ForbiddenShortcut(AssertionError):
    """A submitted function uses what the assignment forbids."""


def shortcuts(function) -> list[str]:
    """The forbidden names ``function`` uses: in its code (nested functions included), through the globals,
    closures and default arguments it refers to."""
    found = set()
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        modules = [v for v in map(function.__globals__.get, code.co_names) if isinstance(v, types.ModuleType)]
        for module in modules:  # and the modules reached through them, such as rnntutor.metrics
            modules += [v for v in (getattr(module, n, None) for n in code.co_names)
                        if isinstance(v, types.ModuleType) and v not in modules]
        for name in code.co_names:
            if name in FORBIDDEN_NAMES:
                found.add(name)
            value = function.__globals__.get(name)
            if value is not None and _forbidden_object(value):
                found.add(f"{name} ({_describe(value)})")
            found.update(f"{m.__name__}.{name}" for m in modules  # such as rnntutor.mase
                         if not isinstance(getattr(m, name, None), types.ModuleType)
                         and _forbidden_object(getattr(m, name, None)))
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    bound = [c.cell_contents for c in (function.__closure__ or ()) if _has_contents(c)]
    bound += list(function.__defaults__ or ()) + list((function.__kwdefaults__ or {}).values())
    found.update(_describe(v) for v in bound if _forbidden_object(v))
    return sorted(found)


def refuse_shortcuts(*functions) -> None:
    """Raise ForbiddenShortcut when one of ``functions`` uses torch's modules or fused kernels."""
    for function in functions:
        if not isinstance(function, types.FunctionType):
            raise ForbiddenShortcut(f"{function!r} must be a function written with def")
        inner = inspect.unwrap(function)  # through decorators such as @torch.no_grad()
        used = sorted(set(shortcuts(function)) | set(shortcuts(inner) if isinstance(inner, types.FunctionType) else []))
        if used:
            raise ForbiddenShortcut(f"{function.__name__} uses {', '.join(used)}: the assignment asks for plain "
                                    "tensor operations, without torch.nn or torch's fused cells")


class _Forbid(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in FORBIDDEN_CALLS:
            raise ForbiddenShortcut(f"the submission called torch's {func.__name__}, which the assignment forbids")
        return func(*args, **(kwargs or {}))


def call(function, *args):
    """``function(*args)`` without gradients, with every forbidden torch function stopped while it runs."""
    refuse_shortcuts(function)
    with torch.no_grad(), _Forbid():
        return function(*args)


@contextlib.contextmanager
def with_given(function, **given):
    """Run ``function`` with the global names in ``given`` (e.g. a correct ``lstm_step``) set to the given
    values, and restore them afterwards."""
    namespace = function.__globals__
    missing = object()
    saved = {name: namespace.get(name, missing) for name in given}
    namespace.update(given)
    try:
        yield function
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def tensors(seed: int, shapes, dtype=torch.float32, scale: float = 1.0):
    """Tensors of the given shapes with normal entries drawn by NumPy (not by torch, which a submission
    may have replaced)."""
    rng = np.random.default_rng(seed)
    return [torch.tensor(scale * rng.standard_normal(shape), dtype=dtype) for shape in shapes]


def expect_close(got, expected, what: str, dtype=torch.float32) -> None:
    """Assert that ``got`` is a plain tensor of ``expected``'s shape within the dtype's tolerance of the
    float64 NumPy array ``expected``."""
    if type(got) is not torch.Tensor:
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(got).__name__}")
    if tuple(got.shape) != tuple(np.shape(expected)):
        raise AssertionError(f"{what}: expected shape {tuple(np.shape(expected))}, got {tuple(got.shape)}")
    values = np.array(got.detach().cpu().to(torch.float64).numpy(), dtype=np.float64)
    difference = float(np.max(np.abs(values - expected), initial=0.0))
    tolerance = TOLERANCE.get(dtype, 1e-5) * max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    if not difference <= tolerance:  # also false for NaN
        raise AssertionError(f"{what}: differs from the expected values by up to {difference:.3g} "
                             f"(tolerance {tolerance:.1g} for {dtype})")


def numpy(*values):
    """The float64 NumPy copies of tensors."""
    return [np.array(v.detach().cpu().to(torch.float64).numpy(), dtype=np.float64) for v in values]


def plain(value):
    """``value`` as nested Python lists of numbers (from a NumPy array, a tensor, a list or a number), so
    that ``plain(got) == expected`` compares with Python's own ``==``, not with ``np.array_equal``."""
    if isinstance(value, np.ndarray | torch.Tensor):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def series(seed: int, length: int = 60) -> list[float]:
    """A made-up monthly series of ``length`` values (Python's random, not NumPy's): a trend, a season of 12
    and noise, all values different, so that a window or a forecast off by one step never matches."""
    import random

    rng = random.Random(seed)
    return [round(100 + 2 * t + 30 * ((t % 12) - 6) ** 2 / 36 + rng.random(), 3) for t in range(length)]


def adding_batch(seed: int, batch: int, length: int) -> np.ndarray:
    """A batch of the adding problem drawn by NumPy, float64 (batch, length, 2): values uniform in [0, 1),
    one marked step in the first half and one in the second."""
    rng = np.random.default_rng(seed)
    x = np.zeros((batch, length, 2))
    x[..., 0] = rng.random((batch, length))
    half = length // 2
    for row in x:
        row[rng.integers(half), 1] = row[rng.integers(half, length), 1] = 1.0
    return x


def airline() -> list[float]:
    """The 144 monthly totals of the airline series, read from the package's CSV file with the csv module
    (not through ``rnntutor.load_airline``, which a submission may have replaced)."""
    import csv
    from importlib import resources

    with (resources.files("rnntutor") / "datasets" / "airline-passengers.csv").open(newline="") as f:
        return [float(row["Passengers"]) for row in csv.DictReader(f)]


# The equations in NumPy, float64: the expected values. --------------------------------------------------

def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """h_t = tanh(W_ih x + b_ih + W_hh h + b_hh), NumPy."""
    return np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """(h_t, c_t) of an LSTM with torch's gate order i, f, g, o, NumPy."""
    i, f, g, o = np.split(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, 4, axis=-1)
    c_t = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c_t), c_t


def gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """h_t of a GRU in torch's form (gates r, z, n; the reset gate after the hidden product), NumPy."""
    ir, iz, i_n = np.split(x @ W_ih.T + b_ih, 3, axis=-1)
    hr, hz, hn = np.split(h @ W_hh.T + b_hh, 3, axis=-1)
    r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
    n = np.tanh(i_n + r * hn)
    return (1.0 - z) * n + z * h


def state_gradients(h, W_hh, g_T):
    """dL/dh_t for t = 1 ... T of the recurrent neuron, from g_T = dL/dh_T:
    g_(t-1) = ((1 - h_t^2) * g_t) W_hh, NumPy; the layout of ``h``."""
    grads = [g_T]
    for t in range(len(h) - 1, 0, -1):
        grads.append(((1.0 - h[t] ** 2) * grads[-1]) @ W_hh)
    return np.stack(grads[::-1])


def recurrent_weight_gradient(h0, h, g):
    """dL/dW_hh = sum over t of ((1 - h_t^2) * g_t)^T h_(t-1), summed over the batch too, NumPy."""
    previous = np.concatenate([h0[None], h[:-1]])
    return sum(((1.0 - h[t] ** 2) * g[t]).T @ previous[t] for t in range(len(h)))


def clip_by_norm(grads, max_norm):
    """The gradients scaled by min(1, max_norm / their joint norm), NumPy."""
    total = np.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    return [g * scale for g in grads], total


def sampling_probabilities(z, temperature, k):
    """softmax(z / T) over the k largest scores of each row, 0 elsewhere, NumPy."""
    kth = np.sort(z, axis=-1)[..., -k][..., None]
    a = np.where(z >= kth, z / temperature, -np.inf)
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sample_index(p, u):
    """The index i of each row with P(< i) <= u < P(<= i): inverse-CDF sampling, as Python lists."""
    return [int(np.searchsorted(np.cumsum(row), value, side="right")) for row, value in zip(p, u, strict=True)]


def midpoints(p, rng):
    """Uniform numbers in the middle of the interval of a random index with probability at least 0.01 in each
    row of ``p``, so that inverse-CDF sampling in any precision picks that index."""
    u = []
    for row in p:
        index = rng.choice(np.flatnonzero(row >= 0.01))
        u.append(float(np.sum(row[:index]) + row[index] / 2))
    return u


def generate(table, first, temperature, k, rng):
    """(the indices a bigram table of scores generates from ``first``, the uniform numbers that pick them),
    NumPy; one step for each of ``rng``'s draws, with the numbers chosen by ``midpoints``."""
    index, indices, u = first, [], []
    for _ in range(rng.integers(5, 12)):
        p = sampling_probabilities(table[index][None], temperature, k)
        u += midpoints(p, rng)
        index = sample_index(p, u[-1:])[0]
        indices.append(index)
    return indices, u


def unroll(step, xs, state, *params):
    """Run a NumPy ``step`` over ``xs`` (time first); return (every h stacked, the last state)."""
    outputs = []
    for x in xs:
        state = step(x, *state, *params) if isinstance(state, tuple) else step(x, state, *params)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return np.stack(outputs), state


# Correct torch steps, given to the next question so that one mistake does not cost two. -----------------

def given_rnn_step(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


def given_lstm_step(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    i, f, g, o = (x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=-1)
    c_t = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_t), c_t


def given_gru_step(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    ir, iz, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    hr, hz, hn = (h_prev @ W_hh.T + b_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
    return (1 - z) * torch.tanh(i_n + r * hn) + z * h_prev


def given_sampling_probabilities(logits, temperature, k):
    kth = logits.topk(k, dim=-1).values[..., -1:]
    return torch.softmax(logits.masked_fill(logits < kth, float("-inf")) / temperature, dim=-1)


def given_sample_from(probabilities, u):
    index = (probabilities.cumsum(dim=-1) <= u[..., None]).sum(dim=-1)
    return index.clamp(max=probabilities.shape[-1] - 1)


def given_mase_scale(train, season):
    return sum(abs(train[t] - train[t - season]) for t in range(season, len(train))) / (len(train) - season)


def given_mase(actual, forecast, train, season):
    return sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / len(actual) / given_mase_scale(
        [float(v) for v in train], season)


def _forbidden_object(value) -> bool:
    if isinstance(value, types.ModuleType):
        name = value.__name__
        return name == "torch._VF" or name.startswith(("torch.nn", "torch._C"))
    if isinstance(value, torch.nn.Module) or (isinstance(value, type) and issubclass(value, torch.nn.Module)):
        return True
    name = getattr(value, "__name__", "")
    if name in FORBIDDEN_CALLS and any(value is getattr(m, name, None)
                                       for m in (torch, torch._VF, torch.nn.functional)):
        return True
    module = getattr(value, "__module__", None) or ""
    return callable(value) and module.startswith(("torch.nn", "rnntutor.metrics", "rnntutor.baselines"))


def _describe(value) -> str:
    return getattr(value, "__name__", None) or type(value).__name__


def _has_contents(cell) -> bool:
    try:
        return cell.cell_contents is not None or True
    except ValueError:
        return False
