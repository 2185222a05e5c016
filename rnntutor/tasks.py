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


def marked_symbol(batch: int, length: int, symbols: int = 4, generator: torch.Generator | None = None):
    """Report the one marked symbol among distractors (chapter 5, "The GRU": attend to the dog, ignore the rest).

    Each step carries a symbol drawn uniformly from ``symbols`` values, one-hot encoded, and a marker: a
    last feature that is 1 at exactly one step, drawn uniformly from the ``length`` steps, and 0 at every
    other. The target, asked for after the last step, is the symbol at the marked step; every other symbol
    is a distractor. A model must let the marked symbol into its state, keep it through the distractors
    that follow, and ignore those that came before. Without memory the best guess is the last symbol,
    right with probability ``1 / length + (1 - 1 / length) / symbols``.

    Returns ``x`` of shape ``(batch, length, symbols + 1)`` (float32; the marker is ``x[..., -1]``, so
    ``x[..., -1].argmax(1)`` is the marked step) and ``y`` of shape ``(batch,)`` (int64).
    """
    _check_positive(batch=batch, length=length, symbols=symbols)
    if symbols < 2:
        raise ValueError(f"symbols must be at least 2, got {symbols}")
    tokens = torch.randint(symbols, (batch, length), generator=generator)
    marked = torch.randint(length, (batch,), generator=generator)
    marker = torch.nn.functional.one_hot(marked, length).float().unsqueeze(-1)
    x = torch.cat([torch.nn.functional.one_hot(tokens, symbols).float(), marker], dim=-1)
    return x, tokens.gather(1, marked.unsqueeze(1)).squeeze(1)
