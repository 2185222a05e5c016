"""Reproducible runs: one call seeds every generator, fixes the thread count and picks the device.

Every chapter starts with ``device = rnntutor.setup()``. Seeds alone are not enough for bit-identical
outputs on a CPU: the number of threads changes the order of floating-point sums, so it is fixed too.

Every seed the book draws goes through :func:`seed_everything`, :func:`generator` or :func:`seeds`, and each
adds the integer in the environment variable ``RNNTUTOR_SEED_OFFSET`` (0 when unset). Setting it re-runs the
whole book on other random draws: a claim that the book makes must hold for every offset.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

SEED_OFFSET_VARIABLE = "RNNTUTOR_SEED_OFFSET"
THREADS_VARIABLE = "RNNTUTOR_THREADS"


def seed_offset() -> int:
    """The integer in ``RNNTUTOR_SEED_OFFSET`` (0 when unset), added to every seed the book draws."""
    text = os.environ.get(SEED_OFFSET_VARIABLE, "").strip()
    if not text:
        return 0
    try:
        offset = int(text)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a non-negative integer, got {text!r}") from None
    if offset < 0:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a non-negative integer, got {offset}")
    return offset


def _check_seed(seed) -> int:
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return seed


def pick_device(prefer: str | None = None) -> torch.device:
    """Return CUDA when a GPU is present, else the CPU; ``prefer`` ("cpu", "cuda") overrides."""
    if prefer is not None:
        if prefer not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {prefer!r}")
        if prefer == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for, but torch finds no CUDA GPU here")
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed`` plus the seed offset."""
    seed = _check_seed(seed) + seed_offset()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def generator(seed: int = 0) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed`` plus the seed offset: the book draws data with it."""
    return torch.Generator().manual_seed(_check_seed(seed) + seed_offset())


def seeds(n: int = 10, start: int = 0) -> list[int]:
    """The ``n`` seeds ``start, start + 1, ...`` that a claim is measured on (shifted by the seed offset
    where they are used: pass them to :class:`~rnntutor.ensemble.Ensemble` or :func:`seed_everything`)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return list(range(_check_seed(start), start + n))


def setup(seed: int = 0, threads: int | None = None, device: str | None = None) -> torch.device:
    """Make a notebook reproducible and return the device to compute on.

    Seeds every generator (with the seed offset added), runs torch on ``threads`` CPU threads (by default
    the integer in ``RNNTUTOR_THREADS``, else one, so that sums are added in the same order on every run),
    applies the book's figure style, and returns CUDA when present (``device="cpu"`` forces the CPU).
    """
    seed_everything(seed)
    if threads is None:
        text = os.environ.get(THREADS_VARIABLE, "").strip() or "1"
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{THREADS_VARIABLE} must be a positive integer, got {text!r}")
        threads = int(text)
    torch.set_num_threads(threads)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    from .plots import apply_style

    apply_style()
    return pick_device(device)
