"""The window self-check passes a correct function and names each usual mistake."""

import torch
import torch.nn.functional as F

from rnntutor.checks import check_last_window


def last_window(x, window):
    missing = window - x.shape[1]
    return F.pad(x, (0, 0, missing, 0)) if missing > 0 else x[:, -window:]


def test_a_correct_window_passes_and_prints_a_tick():
    result = check_last_window(last_window)
    assert result and repr(result).startswith("✓")
    index_based = check_last_window(lambda x, w: torch.cat([x.new_zeros(x.shape[0], w, x.shape[2]), x], 1)[:, -w:])
    assert index_based


def test_padding_on_the_right_is_named():
    result = check_last_window(lambda x, w: F.pad(x, (0, 0, 0, max(w - x.shape[1], 0)))[:, -w:])
    assert not result and "on the right" in result.message


def test_the_first_steps_instead_of_the_last_are_named():
    result = check_last_window(lambda x, w: last_window(x, w) if x.shape[1] <= w else x[:, :w])
    assert not result and "first 5 steps" in result.message


def test_shape_mistakes_are_named():
    assert "flattened" in check_last_window(lambda x, w: last_window(x, w).flatten(1)).message
    assert "pad it with zeros" in check_last_window(lambda x, w: x[:, -w:]).message
    assert "dimension 1" in check_last_window(lambda x, w: last_window(x, w) if x.shape[1] <= w else x[-w:]).message


def test_non_zero_padding_errors_and_non_tensors_are_reported():
    ones = check_last_window(lambda x, w: F.pad(x, (0, 0, max(w - x.shape[1], 0), 0), value=1.0)[:, -w:])
    assert "padding is not zero" in ones.message

    def stub(x, window):
        raise NotImplementedError

    raised = check_last_window(stub)
    assert not raised and raised.message.endswith("raised NotImplementedError")
    assert "torch.Tensor, got list" in check_last_window(lambda x, w: last_window(x, w).tolist()).message
    scaled = check_last_window(lambda x, w: 2 * last_window(x, w))
    assert not scaled and "not by a usual mistake" in scaled.message
