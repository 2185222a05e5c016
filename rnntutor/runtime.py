"""Reproducible runs: one call seeds every generator, fixes the thread count and picks the device.

Every chapter starts with ``device = rnntutor.setup()``. Seeds alone are not enough for bit-identical
outputs on a CPU: the number of threads changes the order of floating-point sums, so it is fixed too.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch


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
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed``."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def setup(seed: int = 0, threads: int = 1, device: str | None = None) -> torch.device:
    """Make a notebook reproducible and return the device to compute on.

    Seeds every generator, runs torch on ``threads`` CPU threads (one by default, so that sums are
    added in the same order on every machine), applies the book's figure style, and returns
    CUDA when present (``device="cpu"`` forces the CPU).
    """
    seed_everything(seed)
    torch.set_num_threads(threads)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    from .plots import apply_style

    apply_style()
    return pick_device(device)
