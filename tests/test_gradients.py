"""Backpropagation through time, measured: against products of Jacobians written by hand, against autograd
re-run from each state with torch.nn's cells, and against the sum-over-steps rule for shared weights."""

import pytest
import torch

import rnntutor
from rnntutor.gradients import (
    parameter_uses,
    per_step_gradients,
    recurrent_weight,
    spectral_radius,
    state_gradient_norms,
    unroll,
)
from rnntutor.models import UnsharedRNN

DOUBLE = torch.float64


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_spectral_radius_of_known_matrices():
    assert spectral_radius(torch.diag(torch.tensor([0.5, -2.0, 1.0]))) == pytest.approx(2.0)
    rotation = torch.tensor([[0.0, -1.0], [1.0, 0.0]])  # eigenvalues +i and -i
    assert spectral_radius(3 * rotation) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="expected a square matrix, got"):
        spectral_radius(torch.ones(2, 3))


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0, 1.7])
def test_recurrent_weight_has_the_asked_spectral_radius_and_equal_singular_values(rho):
    W = recurrent_weight(6, rho, generator(), dtype=DOUBLE)
    assert W.shape == (6, 6) and W.dtype == DOUBLE
    assert spectral_radius(W) == pytest.approx(rho, abs=1e-12)
    assert torch.allclose(torch.linalg.svdvals(W), torch.full((6,), rho, dtype=DOUBLE), atol=1e-12)
    assert torch.equal(W, recurrent_weight(6, rho, generator(), dtype=DOUBLE))  # reproducible
    assert not torch.equal(W, recurrent_weight(6, rho, generator(1), dtype=DOUBLE)) or rho == 0


@pytest.mark.parametrize("bad", [{"hidden_size": 0, "spectral_radius": 1.0}, {"hidden_size": 3, "spectral_radius": -1},
                                 {"hidden_size": 2.0, "spectral_radius": 1.0}])
def test_recurrent_weight_refuses_bad_arguments(bad):
    with pytest.raises(ValueError, match="must be"):
        recurrent_weight(**bad)


def linear_step(W_hh, W_ih):
    """h_t = W_hh h_(t-1) + W_ih x_t, in torch's row layout."""
    return lambda x_t, h: x_t @ W_ih.T + (0 if h is None else h @ W_hh.T)


@pytest.mark.parametrize("rho", [0.8, 1.0, 1.25])
def test_linear_network_with_orthogonal_weight_follows_rho_to_the_k_exactly(rho):
    W_hh = recurrent_weight(5, rho, generator(), dtype=DOUBLE)
    x = torch.randn(3, 12, 2, dtype=DOUBLE, generator=generator(1))
    norms = state_gradient_norms(linear_step(W_hh, torch.randn(5, 2, dtype=DOUBLE)), x)
    assert torch.allclose(norms, rho ** torch.arange(12, dtype=DOUBLE), rtol=1e-12)


def test_linear_network_equals_the_product_of_jacobians_by_hand():
    """dh_T/dh_(T-k) = W^k, so dL/dh_(T-k) = (W^T)^k u, for any W (not only orthogonal)."""
    W_hh = torch.randn(4, 4, dtype=DOUBLE, generator=generator(2)) / 2
    u = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=DOUBLE)
    x = torch.randn(2, 7, 3, dtype=DOUBLE, generator=generator(3))
    norms = state_gradient_norms(linear_step(W_hh, torch.randn(4, 3, dtype=DOUBLE)), x, direction=u)
    by_hand = [(torch.linalg.matrix_power(W_hh.T, k) @ (u / u.norm())).norm() for k in range(7)]
    assert torch.allclose(norms, torch.stack(by_hand), rtol=1e-12)


def test_tanh_network_equals_the_backward_recursion_by_hand():
    """dL/dh_(t-1) = W_hh^T ((1 - h_t^2) * dL/dh_t), one sequence at a time."""
    cell = rnntutor.RNNCell(2, 4, dtype=DOUBLE)
    x = torch.randn(3, 9, 2, dtype=DOUBLE, generator=generator(4))
    norms = state_gradient_norms(cell, x)
    with torch.no_grad():
        h = unroll(cell, x)  # (batch, T, hidden)
    g = torch.ones(3, 4, dtype=DOUBLE) / 2  # u = ones / sqrt(4)
    by_hand = [g.norm(dim=-1).mean()]
    for t in range(8, 0, -1):
        g = ((1 - h[:, t] ** 2) * g) @ cell.weight_hh.detach()
        by_hand.append(g.norm(dim=-1).mean())
    assert torch.allclose(norms, torch.stack(by_hand), rtol=1e-10)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_gated_cells_match_autograd_rerun_from_each_state_with_torch_cells(kind):
    """Independent measurement: for each k, start torch.nn's cell at a fresh leaf h_(T-k) (the LSTM keeps
    c_(T-k)) and differentiate u^T h_T with respect to that leaf."""
    ours = getattr(rnntutor, f"{kind}Cell")(2, 3, dtype=DOUBLE)
    theirs = getattr(torch.nn, f"{kind}Cell")(2, 3, dtype=DOUBLE)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(4, 6, 2, dtype=DOUBLE, generator=generator(5))
    u = torch.tensor([0.3, -1.0, 2.0], dtype=DOUBLE)
    norms = state_gradient_norms(ours, x, direction=u)
    with torch.no_grad():
        states, state = [], None
        for t in range(6):
            state = theirs(x[:, t], state)
            states.append(state)
    expected = []
    for k in range(6):
        start = states[5 - k]
        h = (start[0] if kind == "LSTM" else start).clone().requires_grad_()
        state = (h, start[1]) if kind == "LSTM" else h
        for t in range(6 - k, 6):
            state = theirs(x[:, t], state)
        h_T = state[0] if kind == "LSTM" else state
        (grad,) = torch.autograd.grad((h_T @ (u / u.norm())).sum(), h)
        expected.append(grad.norm(dim=-1).mean())
    assert torch.allclose(norms, torch.stack(expected), rtol=1e-10)


def test_state_gradient_norms_refuses_bad_input():
    cell = rnntutor.RNNCell(2, 3)
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, length, features\)"):
        state_gradient_norms(cell, torch.randn(5, 2))
    with pytest.raises(ValueError, match=r"direction must be a nonzero vector of shape \(3,\)"):
        state_gradient_norms(cell, torch.randn(1, 4, 2), direction=torch.ones(2))


def test_unroll_equals_the_layer():
    layer = rnntutor.RNN(3, 4, batch_first=True)
    cell = rnntutor.RNNCell(3, 4)
    cell.load_state_dict({name.removesuffix("_l0"): p for name, p in layer.state_dict().items()})
    x = torch.randn(2, 5, 3)
    assert torch.allclose(unroll(cell, x), layer(x)[0], atol=1e-6)


@pytest.mark.parametrize("kind, name", [("RNN", "weight_hh"), ("RNN", "weight_ih"), ("GRU", "weight_hh"),
                                        ("LSTM", "bias_hh")])
def test_per_step_contributions_add_up_to_the_shared_gradient(kind, name):
    cell = getattr(rnntutor, f"{kind}Cell")(2, 3, dtype=DOUBLE)
    x = torch.randn(4, 6, 2, dtype=DOUBLE, generator=generator(6))
    target = torch.randn(4, 6, 3, dtype=DOUBLE, generator=generator(7))

    def loss_fn(states):
        return ((states - target) ** 2).sum()

    contributions = per_step_gradients(cell, x, loss_fn, name=name)
    shared = dict(cell.named_parameters())[name]
    assert contributions.shape == (6, *shared.shape)
    (expected,) = torch.autograd.grad(loss_fn(unroll(cell, x)), shared)
    assert torch.allclose(contributions.sum(0), expected, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(contributions[0], contributions[-1])  # the steps contribute differently


def test_per_step_contributions_of_a_linear_network_are_delta_times_previous_state():
    """For h_t = W h_(t-1) + U x_t and L = u^T h_T: dL/dW^(t) = ((W^T)^(T-t) u) h_(t-1)^T."""
    cell = rnntutor.RNNCell(2, 3, nonlinearity="relu", dtype=DOUBLE)
    with torch.no_grad():
        cell.weight_hh.copy_(torch.eye(3, dtype=DOUBLE) * 0.9)
        cell.bias_ih.fill_(5.0)  # large biases keep every pre-activation positive: relu is the identity here
        cell.bias_hh.zero_()
    x = torch.rand(1, 5, 2, dtype=DOUBLE, generator=generator(8))
    u = torch.tensor([1.0, 2.0, -1.0], dtype=DOUBLE)
    contributions = per_step_gradients(cell, x, lambda states: states[0, -1] @ u)
    with torch.no_grad():
        h = torch.cat([torch.zeros(1, 3, dtype=DOUBLE), unroll(cell, x)[0]])  # h_0 ... h_T
    W = cell.weight_hh.detach()
    for t in range(1, 6):
        delta = torch.linalg.matrix_power(W.T, 5 - t) @ u
        assert torch.allclose(contributions[t - 1], torch.outer(delta, h[t - 1]), atol=1e-12)


def test_per_step_gradients_refuses_an_unknown_parameter_and_a_non_scalar_loss():
    cell = rnntutor.RNNCell(2, 3)
    with pytest.raises(ValueError, match="has no parameter 'W_hh'; it has"):
        per_step_gradients(cell, torch.randn(1, 3, 2), lambda s: s.sum(), name="W_hh")
    with pytest.raises(ValueError, match="loss_fn must return a scalar tensor"):
        per_step_gradients(cell, torch.randn(1, 3, 2), lambda s: s)


def test_parameter_uses_counts_one_use_per_step_for_shared_weights_and_one_for_unshared():
    cell = rnntutor.RNNCell(2, 3)
    assert parameter_uses(unroll(cell, torch.randn(4, 7, 2)), cell) == dict.fromkeys(
        ["weight_ih", "weight_hh", "bias_ih", "bias_hh"], 7)
    model = UnsharedRNN(5, 2, 3, 1)
    uses = parameter_uses(model(torch.randn(4, 5, 2)), model)
    assert len(uses) == 5 * 4 + 2 and set(uses.values()) == {1}
    head_only = torch.nn.Linear(3, 1)
    assert parameter_uses(head_only(torch.randn(2, 3)), cell) == dict.fromkeys(
        ["weight_ih", "weight_hh", "bias_ih", "bias_hh"], 0)
    with pytest.raises(ValueError, match="has no grad_fn"):
        with torch.no_grad():
            parameter_uses(unroll(cell, torch.randn(1, 2, 2)), cell)
