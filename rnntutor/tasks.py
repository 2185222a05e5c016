"""Sequence tasks that need memory, generated on the fly (chapters 1 and 7).

Every generator takes a ``torch.Generator`` so that a batch is reproducible, and returns inputs in the
batch-first layout ``(batch, length, features)``.
"""

from __future__ import annotations

import torch


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def first_symbol(batch: int, length: int, symbols: int = 4, generator: torch.Generator | None = None):
    """Recall the first symbol of a random sequence (chapter 1, "Why recurrent networks").

    Each sequence is ``length`` symbols drawn uniformly from ``symbols`` values, one-hot encoded; the
    target is the first one. A model that sees only the last ``w`` steps can do no better than chance,
    ``1 / symbols``, once ``length > w``.

    Returns ``x`` of shape ``(batch, length, symbols)`` (float32) and ``y`` of shape ``(batch,)`` (int64).
    """
    _check_positive(batch=batch, length=length, symbols=symbols)
    if symbols < 2:
        raise ValueError(f"symbols must be at least 2, got {symbols}")
    tokens = torch.randint(symbols, (batch, length), generator=generator)
    x = torch.nn.functional.one_hot(tokens, symbols).float()
    return x, tokens[:, 0]
