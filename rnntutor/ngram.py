r"""Counting baselines for a character-level language model (chapter "Generating text").

:class:`NGram` of order ``n`` predicts a character from the ``n - 1`` before it, by counting, with
interpolated Kneser-Ney smoothing (Chen and Goodman 1999):

.. math::

    P_n(w \mid h) = \frac{\max(c(h w) - D, 0)}{c(h)} + \frac{D \, N_{1+}(h \bullet)}{c(h)} \, P_{n-1}(w \mid h')

where ``h'`` is the context ``h`` without its first character, ``c`` counts in the training text,
``N_{1+}(h \bullet)`` is how many different characters followed ``h``, and a context never seen falls back
to ``P_{n-1}`` alone. The discount is 0.9 at every order (the best of 0.75, 0.85, 0.9 and 0.95 on the
held-out Shakespeare), or, with ``discount=None``, estimated per order from the counts as
``D = n_1 / (n_1 + 2 n_2)`` (Ney, Essen and Kneser 1994; ``n_k``: how many n-grams occur exactly k times).
The lower orders count not occurrences but how many different characters preceded an n-gram
(Kneser and Ney's continuation counts), and order 1 is mixed with the uniform distribution, so that every
character of the vocabulary keeps a probability above zero. For each context the probabilities sum to one.
``NGram(1)`` is the unigram model: the smoothed frequency of each character.

Counting is done on integer codes with NumPy (an n-gram of ids ``a b c`` is the number ``(a V + b) V + c``),
so a million characters take well under a second per order.
"""

from __future__ import annotations

import math

import numpy as np

from .validate import check_positive_ints

__all__ = ["NGram", "best_order"]


def _codes(ids: np.ndarray, m: int, V: int) -> np.ndarray:
    """The code of every m-gram of ``ids`` (a run of m ids read as a number in base V)."""
    code = np.zeros(len(ids) - m + 1, dtype=np.int64)
    for j in range(m):
        code = code * V + ids[j : len(ids) - m + 1 + j]
    return code


class _Table:
    """Sorted distinct codes with a number each; :meth:`get` looks codes up (0 for a code not there)."""

    def __init__(self, codes: np.ndarray, counts: np.ndarray):
        self.codes, self.counts = codes, counts

    @classmethod
    def count(cls, codes: np.ndarray) -> _Table:
        return cls(*np.unique(codes, return_counts=True))

    def get(self, codes: np.ndarray) -> np.ndarray:
        if len(self.codes) == 0:
            return np.zeros(len(codes), dtype=np.int64)
        where = np.clip(np.searchsorted(self.codes, codes), 0, len(self.codes) - 1)
        return np.where(self.codes[where] == codes, self.counts[where], 0)


def _estimate_discount(counts: np.ndarray) -> float:
    """Ney's estimate of the discount from the count of counts: ``n1 / (n1 + 2 n2)``, kept in [0.1, 0.9]."""
    n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
    return float(np.clip(n1 / (n1 + 2 * n2), 0.1, 0.9)) if n1 + n2 else 0.5


class NGram:
    """An interpolated Kneser-Ney character model of order ``order`` over ``vocab_size`` ids.

    ``NGram(order, vocab_size).fit(ids)`` counts the training ids; :meth:`log2_probs` scores a text,
    :meth:`bits_per_char` averages them, :meth:`probabilities` gives the distribution after a context.
    """

    def __init__(self, order: int, vocab_size: int, discount: float | None = 0.9):
        check_positive_ints("NGram", order=order, vocab_size=vocab_size)
        if discount is not None and not 0 < discount < 1:
            raise ValueError(f"NGram: discount must lie between 0 and 1, got {discount}")
        if order * math.log2(vocab_size) >= 62:
            raise ValueError(f"NGram: order {order} over {vocab_size} characters does not fit in 64-bit codes; "
                             f"use an order below {int(62 / math.log2(vocab_size)) + 1}")
        self.order, self.vocab_size, self.discount = order, vocab_size, discount
        self.tables = None

    def __repr__(self) -> str:
        return f"NGram(order={self.order}, vocab_size={self.vocab_size}, discount={self.discount})"

    def fit(self, ids) -> NGram:
        """Count the n-grams of the training ids (a 1-D sequence of ints below ``vocab_size``)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) < self.order:
            raise ValueError(f"NGram: {len(ids)} training characters are fewer than the order {self.order}")
        if ids.min() < 0 or ids.max() >= self.vocab_size:
            raise ValueError(f"NGram: ids must lie in [0, {self.vocab_size}), got {ids.min()} to {ids.max()}")
        V, n = self.vocab_size, self.order
        # For order m: counts of m-grams (raw at the top order, continuation counts below), the total of
        # those counts per context (m-1 chars), and the number of different characters after each context.
        self.tables, self.discounts = {}, {}
        for m in range(1, n + 1):
            if m == n:
                grams = _Table.count(_codes(ids, m, V))
            else:  # how many different characters came before each m-gram
                longer = np.unique(_codes(ids, m + 1, V))
                grams = _Table.count(longer % V**m)
            context = grams.codes // V
            ctx_codes, first = np.unique(context, return_index=True)
            totals = np.add.reduceat(grams.counts, first)
            followers = np.diff(np.append(first, len(context)))
            self.tables[m] = (grams, _Table(ctx_codes, totals), _Table(ctx_codes, followers))
            self.discounts[m] = self.discount or _estimate_discount(grams.counts)
        return self

    def _check_fitted(self):
        if self.tables is None:
            raise RuntimeError("NGram: call fit(ids) before scoring")

    def _prob(self, contexts: np.ndarray, lengths: np.ndarray, w: np.ndarray) -> np.ndarray:
        """P(w | context) for arrays of contexts: ``contexts[:, -L:]`` with ``L = lengths`` are the ids before."""
        V = self.vocab_size
        p = np.full(len(w), 1.0 / V)
        for m in range(1, self.order + 1):
            grams, totals, followers = self.tables[m]
            D = self.discounts[m]
            k = m - 1  # context length at this order
            if k:
                ctx = np.zeros(len(w), dtype=np.int64)
                for j in range(k):
                    ctx = ctx * V + contexts[:, contexts.shape[1] - k + j]
            else:
                ctx = np.zeros(len(w), dtype=np.int64)
            c_h = totals.get(ctx).astype(np.float64)
            seen = (c_h > 0) & (lengths >= k)
            c_hw = grams.get(ctx * V + w).astype(np.float64)
            n_h = followers.get(ctx).astype(np.float64)
            safe = np.where(seen, c_h, 1.0)
            higher = np.maximum(c_hw - D, 0) / safe + D * n_h / safe * p
            p = np.where(seen, higher, p)
        return p

    def _contexts(self, ids: np.ndarray, before: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        k = self.order - 1
        prefix = np.zeros(0, dtype=np.int64) if before is None else np.asarray(before, dtype=np.int64)[-k:] if k else \
            np.zeros(0, dtype=np.int64)
        full = np.concatenate([np.zeros(k, dtype=np.int64), prefix, ids])
        start = k + len(prefix)
        positions = np.arange(start, start + len(ids))
        window = np.stack([full[positions - k + j] for j in range(k)], axis=1) if k else \
            np.zeros((len(ids), 0), dtype=np.int64)
        return window, positions - k

    def log2_probs(self, ids, before=None) -> np.ndarray:
        """``log2 P(ids[t] | the order - 1 ids before it)`` for every t. ``before``: ids that precede the
        text (e.g. the end of the training text); without them the first characters use shorter contexts."""
        self._check_fitted()
        ids = np.asarray(ids, dtype=np.int64)
        window, lengths = self._contexts(ids, before)
        return np.log2(self._prob(window, lengths, ids))

    def bits_per_char(self, ids, before=None) -> float:
        """The mean of ``-log2 P`` over the text ``ids``: its cross-entropy in bits per character."""
        return float(-self.log2_probs(ids, before).mean())

    def probabilities(self, context) -> np.ndarray:
        """The distribution over the next id after the ids ``context`` (its last ``order - 1`` count)."""
        self._check_fitted()
        k = self.order - 1
        context = np.asarray(context, dtype=np.int64)[-k:] if k else np.zeros(0, dtype=np.int64)
        window = np.zeros((self.vocab_size, k), dtype=np.int64)
        if k:
            window[:, k - len(context):] = context
        lengths = np.full(self.vocab_size, len(context))
        return self._prob(window, lengths, np.arange(self.vocab_size))


def best_order(train_ids, held_out_ids, orders=range(1, 8), vocab_size: int | None = None):
    """Fit one :class:`NGram` per order and return ``(model, {order: bits per char on held_out_ids})`` with
    the model of the lowest bits per character. Chosen on the held-out text itself, the baseline is as
    good as it can be made there (a flattering choice for the baseline)."""
    train_ids, held_out_ids = np.asarray(train_ids), np.asarray(held_out_ids)
    V = vocab_size or int(max(train_ids.max(), held_out_ids.max())) + 1
    scores, models = {}, {}
    for order in orders:
        if order * math.log2(max(V, 2)) >= 62 or order > len(train_ids):
            break
        models[order] = NGram(order, V).fit(train_ids)
        scores[order] = models[order].bits_per_char(held_out_ids, before=train_ids)
    best = min(scores, key=scores.get)
    return models[best], scores
