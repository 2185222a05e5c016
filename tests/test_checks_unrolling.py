"""The self-check of the hand-written unrolled network passes a correct loop and names each usual mistake."""

import pytest
import torch

from rnntutor.checks import check_rnn_forward


def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, feed_back=True, before=False, flip=False, W_T=False,
                act=torch.tanh):
    h, outputs = h0, []
    steps = reversed(range(len(x))) if flip else range(len(x))
    for t in steps:
        W = W_hh if W_T else W_hh.T
        new = act(x[t] @ W_ih.T + b_ih + (h if feed_back else h0) @ W + b_hh)
        outputs.append(h if before else new)
        h = new
    return torch.stack(outputs), h


def test_a_correct_loop_passes():
    result = check_rnn_forward(rnn_forward)
    assert result and repr(result).startswith("✓") and "torch.nn.RNN" in result.message


@pytest.mark.parametrize("mistake, words", [
    (dict(feed_back=False), "every step starts from h0"),
    (dict(before=True), "one step late"),
    (dict(flip=True), "from the last step to the first"),
    (dict(W_T=True), "W_hh where its transpose belongs"),
    (dict(act=torch.relu), "you applied relu"),
])
def test_usual_mistakes_in_the_loop_are_named(mistake, words):
    result = check_rnn_forward(lambda *a: rnn_forward(*a, **mistake))
    assert not result and words in result.message and repr(result).startswith("✗")


def test_a_missing_bias_is_named():
    result = check_rnn_forward(lambda x, h0, W_ih, W_hh, b_ih, b_hh: rnn_forward(x, h0, W_ih, W_hh, b_ih, 0 * b_hh))
    assert not result and "b_hh" in result.message


@pytest.mark.parametrize("bad, words", [
    (lambda *a: rnn_forward(*a)[0], "you returned only the outputs"),
    (lambda *a: rnn_forward(*a)[1], "you returned only h_n"),
    (lambda *a: (rnn_forward(*a)[0].transpose(0, 1), rnn_forward(*a)[1]), "batch first"),
    (lambda *a: (torch.cat([a[1][None], rnn_forward(*a)[0]]), rnn_forward(*a)[1]), "it holds h_0 too"),
    (lambda *a: (rnn_forward(*a)[0], rnn_forward(*a)[1][None]), "(num_layers, batch, hidden)"),
    (lambda *a: (rnn_forward(*a)[0], a[1]), "h_n is h0"),
    (lambda *a: (rnn_forward(*a)[0], rnn_forward(*a)[0][0]), "h_n is the first state"),
    (lambda *a: tuple(t.float() for t in rnn_forward(*a)), "float32"),
    (lambda *a: (rnn_forward(*a)[0] * 1.5, rnn_forward(*a)[1]), "not by one of the usual mistakes"),
])
def test_return_value_problems_are_named(bad, words):
    result = check_rnn_forward(bad)
    assert not result and words in result.message


def test_an_exception_in_the_readers_code_is_reported():
    def broken(x, h0, W_ih, W_hh, b_ih, b_hh):
        return rnn_forward(x.transpose(0, 1), h0, W_ih, W_hh, b_ih, b_hh)  # treats x as batch first

    result = check_rnn_forward(broken)
    assert not result and "raised RuntimeError" in result.message
    assert "(seq, batch, input) = (6, 3, 4)" in result.message
