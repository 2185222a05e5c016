"""Sequence tasks that need memory, generated on the fly (chapters 1 to 7).

Every generator takes a ``torch.Generator`` so that a batch is reproducible, and returns inputs in the
batch-first layout ``(batch, length, features)``.
"""

from __future__ import annotations

import torch

from .validate import check_positive_ints


def first_symbol(batch: int, length: int, symbols: int = 4, generator: torch.Generator | None = None):
    """Recall the first symbol of a random sequence (chapter 1, "Why recurrent networks").

    Each sequence is ``length`` symbols drawn uniformly from ``symbols`` values, one-hot encoded; the
    target is the first one. A model that sees only the last ``w`` steps can do no better than chance,
    ``1 / symbols``, once ``length > w``.

    Returns ``x`` of shape ``(batch, length, symbols)`` (float32) and ``y`` of shape ``(batch,)`` (int64).
    """
    check_positive_ints(batch=batch, length=length, symbols=symbols)
    if symbols < 2:
        raise ValueError(f"symbols must be at least 2, got {symbols}")
    tokens = torch.randint(symbols, (batch, length), generator=generator)
    x = torch.nn.functional.one_hot(tokens, symbols).float()
    return x, tokens[:, 0]


def switch(batch: int, length: int, p: float = 0.2, generator: torch.Generator | None = None,
           every_step: bool = False):
    """Remember the position of a switch (chapters 2 and 3, "The recurrent neuron" and "Parameter sharing").

    At each step the input is a command: ``+1`` (turn on) with probability ``p``, ``-1`` (turn off) with
    probability ``p``, else ``0`` (leave it). The switch starts off. The target is 1 when the switch is on
    after the last step, 0 when it is off: the last nonzero command, however far back it lies. The rule is
    the same at every step, so a model that learns it for one length has learned it for all.

    Returns ``x`` of shape ``(batch, length, 1)`` (float32) and ``y`` of shape ``(batch,)`` (int64), or with
    ``every_step=True`` the position after every step, ``(batch, length)``.
    """
    check_positive_ints(batch=batch, length=length)
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p <= 0.5:
        raise ValueError(f"p must be a number in (0, 0.5], got {p!r}")
    u = torch.rand(batch, length, generator=generator)
    commands = (u < p).float() - ((u >= p) & (u < 2 * p)).float()
    steps = torch.arange(length).expand(batch, length)
    last = torch.where(commands != 0, steps, -1).cummax(dim=1).values  # where the last command so far was
    on = (last >= 0) & (commands.gather(1, last.clamp(min=0)) > 0)
    return commands.unsqueeze(-1), (on.long() if every_step else on[:, -1].long())


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
    check_positive_ints(batch=batch, length=length, symbols=symbols)
    if symbols < 2:
        raise ValueError(f"symbols must be at least 2, got {symbols}")
    tokens = torch.randint(symbols, (batch, length), generator=generator)
    marked = torch.randint(length, (batch,), generator=generator)
    marker = torch.nn.functional.one_hot(marked, length).float().unsqueeze(-1)
    x = torch.cat([torch.nn.functional.one_hot(tokens, symbols).float(), marker], dim=-1)
    return x, tokens.gather(1, marked.unsqueeze(1)).squeeze(1)


def adding_problem(batch: int, length: int, generator: torch.Generator | None = None):
    """The adding problem of Hochreiter and Schmidhuber (1997) (chapter 7, "Long-range memory").

    Each step carries two features: a value ``v_t`` drawn uniformly from [0, 1] and a marker ``m_t``.
    Exactly two steps are marked (``m_t = 1``): one drawn uniformly from the first half of the sequence,
    ``i < length // 2``, and one from the second half, ``j >= length // 2``. The target, asked for after the
    last step, is the sum of the two marked values,

        y = sum_t m_t v_t = v_i + v_j,

    so the first of them must be held for at least ``length - length // 2`` steps of distractors. A model
    that remembers nothing predicts the mean, ``E[y] = 1``, with mean squared error ``Var(v_i + v_j) =
    2 / 12 = 1/6 ~ 0.167``; one that remembers only the second value predicts ``v_j + 1/2``, with error
    ``1/12 ~ 0.083``.

    Returns ``x`` of shape ``(batch, length, 2)`` (float32; values ``x[..., 0]``, markers ``x[..., 1]``)
    and ``y`` of shape ``(batch,)`` (float32).
    """
    check_positive_ints(batch=batch, length=length)
    if length < 2:
        raise ValueError(f"length must be at least 2 (one marked step in each half), got {length}")
    half = length // 2
    values = torch.rand(batch, length, generator=generator)
    first = torch.randint(half, (batch,), generator=generator)
    second = half + torch.randint(length - half, (batch,), generator=generator)
    rows = torch.arange(batch)
    markers = torch.zeros(batch, length)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return torch.stack([values, markers], dim=-1), values[rows, first] + values[rows, second]


def delayed_copy(batch: int, length: int, delay: int, symbols: int = 2, generator: torch.Generator | None = None):
    """Repeat, at every step of a stream, the symbol read ``delay`` steps before (chapter 4, "Training through
    time": truncated backpropagation through time).

    Each of the ``batch`` streams is ``length`` symbols drawn uniformly from ``symbols`` values, one-hot
    encoded; the target at step ``t`` is the input at step ``t - delay``, a dependency of exactly ``delay``
    steps. The stream was already running before its first step: the targets of the first ``delay`` steps
    are symbols the model never saw, drawn like the others, so that every step has a target and nothing
    can be learned there. A model that remembers nothing is right with probability ``1 / symbols``.

    Returns ``x`` of shape ``(batch, length, symbols)`` (float32) and ``y`` of shape ``(batch, length)``
    (int64), ``y[:, t] == x[:, t - delay].argmax(-1)`` for ``t >= delay``.
    """
    check_positive_ints(batch=batch, length=length, delay=delay, symbols=symbols)
    if symbols < 2:
        raise ValueError(f"symbols must be at least 2, got {symbols}")
    tokens = torch.randint(symbols, (batch, delay + length), generator=generator)
    x = torch.nn.functional.one_hot(tokens[:, delay:], symbols).float()
    return x, tokens[:, :length]
