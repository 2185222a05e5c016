import math

import numpy as np
import pytest

from rnntutor.ngram import NGram, best_order

TEXT = np.array([0, 1, 2, 0, 1, 3, 0, 1, 2, 2, 1, 0, 3, 3, 0, 1, 2, 0], dtype=np.int64)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("discount", [0.9, 0.5, None])
def test_probabilities_sum_to_one_after_every_context_seen_or_not(order, discount):
    model = NGram(order, 5, discount).fit(TEXT)  # id 4 never occurs
    for context in ([], [0], [0, 1], [1, 2, 2], [4, 4, 4], [3, 0, 1]):
        p = model.probabilities(context)
        assert p.shape == (5,)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert (p > 0).all()  # smoothing keeps every character possible, the unseen one too


def test_log2_probs_agree_with_probabilities_and_bits_per_char_is_their_mean():
    model = NGram(3, 4).fit(TEXT)
    text = np.array([0, 1, 2, 2, 0, 3])
    logs = model.log2_probs(text, before=[1, 0])
    contexts = [[1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 2], [2, 2, 0]]
    for t, context in enumerate(contexts):
        assert logs[t] == pytest.approx(math.log2(model.probabilities(context)[text[t]]), abs=1e-12)
    assert model.bits_per_char(text, before=[1, 0]) == pytest.approx(-logs.mean())


def test_a_uniform_unigram_scores_log2_of_the_vocabulary():
    text = np.tile(np.arange(8), 50)
    model = NGram(1, 8).fit(text)
    assert model.bits_per_char(np.array([3, 1, 4, 1, 5, 0, 7, 2])) == pytest.approx(3.0, abs=1e-12)


def test_the_bigram_learns_a_deterministic_cycle_and_beats_the_unigram():
    text = np.tile([0, 1, 2, 3], 100)
    unigram, bigram = NGram(1, 4).fit(text), NGram(2, 4).fit(text)
    assert unigram.bits_per_char(text) == pytest.approx(2.0, abs=1e-2)
    assert bigram.bits_per_char(text) < 0.05
    assert bigram.probabilities([2]).argmax() == 3


def test_the_top_order_uses_raw_counts_with_the_discount():
    # After context 0 the training text has 0->1 four times and 0->3 once: (4 - D) / 5 plus the backoff share.
    model = NGram(2, 5, discount=0.5).fit(TEXT)
    lower = NGram(2, 5, discount=0.5).fit(TEXT).probabilities([])  # the order-1 distribution inside
    p = model.probabilities([0])
    assert p[1] == pytest.approx((4 - 0.5) / 5 + 0.5 * 2 / 5 * lower[1], abs=1e-12)
    assert p[2] == pytest.approx(0.5 * 2 / 5 * lower[2], abs=1e-12)


def test_best_order_picks_the_lowest_held_out_score_and_bad_arguments_are_refused():
    rng = np.random.default_rng(0)
    text = np.concatenate([np.tile([0, 1, 2, 3, 2, 1], 200), rng.integers(0, 4, 50)])
    model, scores = best_order(text[:1000], text[1000:], orders=range(1, 5))
    assert model.order == min(scores, key=scores.get) and set(scores) == {1, 2, 3, 4}
    with pytest.raises(ValueError, match="order must be a positive int"):
        NGram(0, 5)
    with pytest.raises(ValueError, match="64-bit codes"):
        NGram(6, 5000)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        NGram(2, 3).fit([0, 1, 5])
    with pytest.raises(RuntimeError, match="call fit"):
        NGram(2, 3).probabilities([0])
