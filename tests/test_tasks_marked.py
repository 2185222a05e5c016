"""The marked-symbol task: one marked step matters, the others are distractors."""

from __future__ import annotations

import pytest
import torch

from rnntutor.tasks import marked_symbol


def test_shapes_and_types():
    x, y = marked_symbol(7, 11, symbols=5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (7, 11, 6) and x.dtype == torch.float32
    assert y.shape == (7,) and y.dtype == torch.int64


def test_one_mark_per_sequence_and_one_symbol_per_step():
    x, _ = marked_symbol(200, 9, symbols=3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(x[..., -1].sum(1), torch.ones(200))
    assert torch.equal(x[..., :-1].sum(-1), torch.ones(200, 9))
    assert set(x.unique().tolist()) == {0.0, 1.0}


def test_target_is_the_symbol_at_the_marked_step():
    x, y = marked_symbol(50, 8, symbols=4, generator=torch.Generator().manual_seed(2))
    for sequence, target in zip(x.tolist(), y.tolist(), strict=True):
        (marked,) = [t for t, step in enumerate(sequence) if step[-1] == 1.0]
        assert sequence[marked][:-1].index(1.0) == target


def test_the_same_seed_gives_the_same_batch_and_another_seed_another():
    first = marked_symbol(16, 10, generator=torch.Generator().manual_seed(3))
    again = marked_symbol(16, 10, generator=torch.Generator().manual_seed(3))
    other = marked_symbol(16, 10, generator=torch.Generator().manual_seed(4))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[0], other[0])


def test_the_mark_falls_on_every_step_equally_often():
    batch, length = 20_000, 5
    x, _ = marked_symbol(batch, length, generator=torch.Generator().manual_seed(5))
    counts = torch.bincount(x[..., -1].argmax(1), minlength=length).double()
    expected = batch / length
    spread = (batch * (1 / length) * (1 - 1 / length)) ** 0.5
    assert ((counts - expected).abs() < 5 * spread).all(), counts


def test_guessing_the_last_symbol_is_right_as_often_as_the_docstring_says():
    batch, length, symbols = 40_000, 5, 4
    x, y = marked_symbol(batch, length, symbols, generator=torch.Generator().manual_seed(6))
    rate = (x[:, -1, :-1].argmax(-1) == y).double().mean().item()
    assert rate == pytest.approx(1 / length + (1 - 1 / length) / symbols, abs=0.01)


def test_a_sequence_of_one_step_marks_that_step():
    x, y = marked_symbol(10, 1, generator=torch.Generator().manual_seed(7))
    assert torch.equal(x[:, 0, -1], torch.ones(10))
    assert torch.equal(x[:, 0, :-1].argmax(-1), y)


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, 5), "batch must be a positive int, got 0"),
        ((4, 0), "length must be a positive int, got 0"),
        ((4, 5.0), "length must be a positive int, got 5.0"),
        ((4, 5, 1), "symbols must be at least 2, got 1"),
        ((4, 5, True), "symbols must be a positive int, got True"),
    ],
)
def test_bad_sizes_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        marked_symbol(*args)
