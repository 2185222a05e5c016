r"""Self-checks for a batch of sequences of different lengths, padded to one length (chapter "Real batches").

``masked_mean(losses, lengths)``: the mean of per-step losses (batch, T) over the real steps only,

.. math::

    L = \frac{\sum_b \sum_{t < n_b} \ell_{b,t}}{\sum_b n_b},

where sequence ``b`` has ``n_b = lengths[b]`` real steps and the rest is padding.

``last_real_output(output, lengths)``: from a batch-first output (batch, T, H), each sequence's output at
its own last real step, ``output[b, n_b - 1]``, shape (batch, H).
"""

from __future__ import annotations

import torch

from .result import CheckResult

LENGTHS = torch.tensor([5, 2, 7, 1, 4])  # unsorted, one of full length 7


def _losses() -> torch.Tensor:
    """Per-step losses of 5 sequences of 7 steps; padded steps hold large values, as a real run can."""
    generator = torch.Generator().manual_seed(0)
    losses = torch.rand(len(LENGTHS), 7, generator=generator, dtype=torch.float64)
    padding = torch.arange(7) >= LENGTHS[:, None]
    return torch.where(padding, 10 + losses, losses)


def _mask(lengths, steps, shift=0):
    return torch.arange(steps) < lengths[:, None] + shift


def _masked_mean(losses, lengths):
    mask = _mask(lengths, losses.shape[1])
    return (losses * mask).sum() / mask.sum()


_MEAN_MISTAKES = [
    ("you averaged over every step, padding included: multiply by a mask of the real steps "
     "(t < lengths[b]) and divide by the number of real steps", lambda x, n: x.mean()),
    ("you masked the padding but divided by every step; divide by the number of real steps, lengths.sum()",
     lambda x, n: (x * _mask(n, x.shape[1])).sum() / x.numel()),
    ("you averaged each sequence, then the sequences: a short sequence then weighs as much as a long one; "
     "divide the sum over all real steps by their number",
     lambda x, n: ((x * _mask(n, x.shape[1])).sum(1) / n).mean()),
    ("your mask keeps one padded step per sequence: step t is real when t < lengths[b] (steps count from 0)",
     lambda x, n: (x * _mask(n, x.shape[1], 1)).sum() / _mask(n, x.shape[1], 1).sum()),
    ("your mask drops each sequence's last real step: step t is real when t < lengths[b]",
     lambda x, n: (x * _mask(n, x.shape[1], -1)).sum() / _mask(n, x.shape[1], -1).sum()),
]


def _call(function, *arguments):
    """``function(*arguments)``, or the CheckResult that reports what it raised."""
    name = getattr(function, "__name__", "your function")
    try:
        return function(*arguments)
    except Exception as exc:  # the reader's code: report whatever it raised
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return CheckResult(False, f"calling {name} on tensors of shape "
                                  f"{', '.join(str(tuple(a.shape)) for a in arguments)} raised {detail}")


def check_masked_mean(masked_mean) -> CheckResult:
    """Check ``masked_mean(losses, lengths)``, the mean of ``losses`` (batch, T) over the real steps."""
    losses = _losses()
    got = _call(masked_mean, losses.clone(), LENGTHS.clone())
    if isinstance(got, CheckResult):
        return got
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        return CheckResult(False, f"return one number, a tensor of shape (); got {shape}")
    got = got.double().reshape(())
    if abs(got - _masked_mean(losses, LENGTHS)) < 1e-6:
        return CheckResult(True, f"your mean counts the {int(LENGTHS.sum())} real steps of {len(LENGTHS)} "
                                 f"sequences of different lengths, and no padding")
    for message, wrong in _MEAN_MISTAKES:
        if abs(got - wrong(losses, LENGTHS)) < 1e-6:
            return CheckResult(False, message)
    return CheckResult(False, f"your mean is {float(got):.4f}, the mean over the real steps is "
                              f"{float(_masked_mean(losses, LENGTHS)):.4f}, and not by one of the usual mistakes")


def check_last_real_output(last_real_output) -> CheckResult:
    """Check ``last_real_output(output, lengths)``: ``output[b, lengths[b] - 1]`` for every ``b``."""
    output = torch.randn(len(LENGTHS), 7, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    batch = torch.arange(len(LENGTHS))
    got = _call(last_real_output, output.clone(), LENGTHS.clone())
    if isinstance(got, CheckResult):
        return got
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != (len(LENGTHS), 3):
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        return CheckResult(False, f"return one output per sequence, shape (batch, H) = ({len(LENGTHS)}, 3); "
                                  f"got {shape}")
    got = got.double()

    def same(expected):
        return bool((got - expected).abs().max() < 1e-6)

    if same(output[batch, LENGTHS - 1]):
        return CheckResult(True, f"you picked each of {len(LENGTHS)} sequences' output at its own last real step")
    if same(output[:, -1]):
        return CheckResult(False, "you took the last padded step, output[:, -1]: for every sequence shorter than "
                                  "the batch that is padding; take output[b, lengths[b] - 1]")
    if same(output[batch, LENGTHS.clamp(max=6)]):
        return CheckResult(False, "you took step lengths[b], one past the last real step (steps count from 0): "
                                  "take lengths[b] - 1")
    return CheckResult(False, "for some sequence your output is not output[b, lengths[b] - 1], and not one of "
                              "the usual mistakes")
