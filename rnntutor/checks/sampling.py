r"""Self-check for the distribution a character is sampled from (chapter "Generating text").

A reader writes ``sampling_probabilities(logits, temperature, k)``: from the scores ``logits`` of shape
(..., V) it keeps the ``k`` largest of each row, divides them by the temperature and applies the softmax
over them,

.. math::

    p_i = \frac{\exp(z_i / T)}{\sum_{j \in \text{top } k} \exp(z_j / T)} \text{ for } i \text{ in the top } k,
    \qquad p_i = 0 \text{ otherwise,}

and returns the probabilities, of the shape of ``logits``. The check compares it with
:func:`rnntutor.charlm.next_char_probabilities` on random scores and names the usual mistake.
"""

from __future__ import annotations

import math

import torch

from ..charlm import next_char_probabilities
from .result import CheckResult

ROWS, V = 4, 9
CASES = [(1.0, V), (0.5, 3), (2.0, 4), (0.7, 1)]  # (temperature, k): the last is greedy


def _scores() -> torch.Tensor:
    return torch.randn(ROWS, V, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2


def _masked(z, k, fill):
    kth = z.topk(k, dim=-1).values[..., -1:]
    return z.masked_fill(z < kth, fill)


def _smallest(z, k):
    kth = z.topk(k, dim=-1, largest=False).values[..., -1:]
    return z.masked_fill(z > kth, -math.inf)


_MISTAKES = [
    ("you multiplied the scores by the temperature; divide them: softmax(z / T), so that a low temperature "
     "sharpens the distribution", lambda z, T, k: next_char_probabilities(z * T, 1.0, k)),
    ("the temperature is missing: divide the scores by T before the softmax",
     lambda z, T, k: next_char_probabilities(z, 1.0, k)),
    ("the probabilities outside the top k are zero, but the rest no longer sum to 1: take the softmax over the "
     "top k only (set the others to -inf first), or divide by their sum",
     lambda z, T, k: torch.softmax(z / T, -1) * (z >= z.topk(k, -1).values[..., -1:])),
    ("you set the scores outside the top k to 0, which still leaves them a probability; set them to -inf",
     lambda z, T, k: torch.softmax(_masked(z, k, 0.0) / T, -1)),
    ("you kept the k smallest scores; keep the k largest (topk, or sort in descending order)",
     lambda z, T, k: torch.softmax(_smallest(z, k) / T, -1)),
    ("you kept k + 1 scores (the k-th largest is the threshold, and it stays: keep scores >= it)",
     lambda z, T, k: torch.softmax(_masked(z, min(k + 1, z.shape[-1]), -math.inf) / T, -1)),
    ("you applied the softmax over the wrong axis: each row (the last axis, dim=-1) must sum to 1",
     lambda z, T, k: torch.softmax(_masked(z, k, -math.inf) / T, 0)),
]


def check_sampling_probabilities(sampling_probabilities) -> CheckResult:
    """Check ``sampling_probabilities(logits, temperature, k)`` against the package's distribution."""
    z = _scores()
    name = getattr(sampling_probabilities, "__name__", "your function")
    for T, k in CASES:
        try:
            got = sampling_probabilities(z.clone(), T, k)
        except Exception as exc:  # the reader's code: report whatever it raised
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return CheckResult(False, f"calling {name}(logits, {T}, {k}) with logits of shape {tuple(z.shape)} "
                                      f"raised {detail}")
        if not isinstance(got, torch.Tensor):
            return CheckResult(False, f"return a torch.Tensor of probabilities, got {type(got).__name__}")
        if tuple(got.shape) != tuple(z.shape):
            return CheckResult(False, f"return one probability per score, shape {tuple(z.shape)}; got "
                                      f"{tuple(got.shape)}")
        got = got.double()
        expected = next_char_probabilities(z, T, k)
        if torch.isnan(got).any():
            return CheckResult(False, f"temperature {T}, k = {k}: your probabilities hold NaN (a softmax of a row "
                                      f"that is all -inf?)")
        if (got - expected).abs().max() < 1e-6:
            continue
        for message, wrong in _MISTAKES:
            if torch.allclose(got, wrong(z, T, k), atol=1e-6):
                return CheckResult(False, f"temperature {T}, k = {k}: {message}")
        diff = float((got - expected).abs().max())
        return CheckResult(False, f"temperature {T}, k = {k}: your probabilities differ from the expected ones by "
                                  f"up to {diff:.3g}, and not by one of the usual mistakes")
    return CheckResult(True, f"your probabilities are right at {len(CASES)} temperatures and values of k, "
                             f"greedy (k = 1) included")
