"""The self-checks pass a correct step and name each usual mistake."""

import pytest
import torch
import torch.nn.functional as F

from rnntutor.checks import check_gru_step, check_lstm_step, check_rnn_step


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def gru_step(x, h, W_ih, W_hh, b_ih, b_hh, order=(0, 1, 2), reset_before=False, swap_z=False):
    W_ir, W_iz, W_in = (W_ih.chunk(3)[k] for k in order)
    W_hr, W_hz, W_hn = (W_hh.chunk(3)[k] for k in order)
    b_ir, b_iz, b_in = (b_ih.chunk(3)[k] for k in order)
    b_hr, b_hz, b_hn = (b_hh.chunk(3)[k] for k in order)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    if reset_before:
        n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    else:
        n = torch.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    return z * n + (1 - z) * h if swap_z else (1 - z) * n + z * h


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh, order=(0, 1, 2, 3)):
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = (a.chunk(4, dim=-1)[k] for k in order)
    c_t = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_t), c_t


def test_correct_steps_pass_and_print_a_tick():
    for result in (check_rnn_step(rnn_step), check_gru_step(gru_step), check_lstm_step(lstm_step)):
        assert result and repr(result).startswith("✓")
    relu = check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh: F.relu(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh),
                          nonlinearity="relu")
    assert relu


def test_lstm_gates_in_the_wrong_order_are_named():
    result = check_lstm_step(lambda *a: lstm_step(*a, order=(1, 0, 2, 3)))
    assert not result
    assert "wrong order" in result.message and "f, i, g, o" in result.message


def test_gru_conventions_are_named():
    assert "Cho et al." in check_gru_step(lambda *a: gru_step(*a, reset_before=True)).message
    assert "swapped" in check_gru_step(lambda *a: gru_step(*a, swap_z=True)).message
    assert "z, r, n" in check_gru_step(lambda *a: gru_step(*a, order=(1, 0, 2))).message


def test_missing_bias_transposed_weight_and_float32_are_named():
    no_bhh = check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T))
    assert "b_hh" in no_bhh.message
    transposed = check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih + h @ W_hh))
    assert not transposed and "raised RuntimeError" in transposed.message
    single = check_rnn_step(lambda *a: rnn_step(*(t.float() for t in a)))
    assert not single and "float32" in single.message
    assert "relu" in check_rnn_step(lambda *a: F.relu(rnn_step(*a).atanh())).message


@pytest.mark.parametrize("bad, words", [
    (lambda *a: lstm_step(*a)[0], "must return the pair (h_t, c_t)"),
    (lambda *a: lstm_step(*a)[::-1], "you returned (c_t, h_t)"),
    (lambda *a: (lstm_step(*a)[0][:, :2], lstm_step(*a)[1]), "shape (batch, hidden) = (3, 5), got (3, 2)"),
])
def test_lstm_return_value_problems_are_named(bad, words):
    result = check_lstm_step(bad)
    assert not result and words in result.message


def test_an_unknown_mistake_still_fails_with_the_size_of_the_difference():
    result = check_gru_step(lambda *a: gru_step(*a) * 0.5)
    assert not result and "differs from torch's by up to" in result.message
