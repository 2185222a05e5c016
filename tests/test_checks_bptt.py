"""The self-check of backpropagation through time passes the right recursion and names each usual mistake."""

import pytest
import torch

from rnntutor.checks import check_state_gradients


def state_gradients(h, W_hh, g_T, rule=None):
    rule = rule or (lambda g, t: ((1 - h[t] ** 2) * g) @ W_hh)
    grads = [g_T]
    for t in range(len(h) - 1, 0, -1):
        grads.insert(0, rule(grads[0], t))
    return torch.stack(grads)


def test_the_backward_recursion_passes():
    result = check_state_gradients(state_gradients)
    assert result and repr(result).startswith("✓")
    as_list = check_state_gradients(lambda h, W, g: list(state_gradients(h, W, g)))
    assert as_list


@pytest.mark.parametrize("rule, words", [
    (lambda h, W: lambda g, t: ((1 - h[t] ** 2) * g) @ W.T, "W_hh where its transpose belongs"),
    (lambda h, W: lambda g, t: g @ W, "left out the derivative of tanh"),
    (lambda h, W: lambda g, t: ((1 - h[t - 1] ** 2) * g) @ W, "not (1 - h_(t-1)**2)"),
    (lambda h, W: lambda g, t: ((1 - torch.tanh(h[t]) ** 2) * g) @ W, "applies tanh twice"),
    (lambda h, W: lambda g, t: (1 - h[t] ** 2) * (g @ W), "after multiplying by W_hh^T"),
    (lambda h, W: lambda g, t: (1 - h[t - 1] ** 2) * (g @ W), "recursion of dL/da_t"),
    (lambda h, W: lambda g, t: ((1 - h[t] ** 2) * g) @ W * 0.5, "not by one of the usual mistakes"),
])
def test_usual_mistakes_in_the_step_are_named(rule, words):
    result = check_state_gradients(lambda h, W, g: state_gradients(h, W, g, rule(h, W)))
    assert not result and words in result.message


@pytest.mark.parametrize("bad, words", [
    (lambda h, W, g: state_gradients(h, W, g).flip(0), "reverse order"),
    (lambda h, W, g: state_gradients(h, W, g)[:-1], "the last one g_T itself"),
    (lambda h, W, g: state_gradients(h, W, g).transpose(0, 1), "(T, batch, hidden) = (5, 3, 4)"),
    (lambda h, W, g: None, "got NoneType"),
    (lambda h, W, g: (1 - h**2) @ W.T @ g, "raised RuntimeError"),
])
def test_return_value_problems_are_named(bad, words):
    result = check_state_gradients(bad)
    assert not result and words in result.message
