"""The peephole LSTM: with its peephole weights at 0 it is torch's LSTMCell; otherwise its input and forget
gates see c_{t-1} and its output gate sees c_t, and autograd's gradients agree with finite differences."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from rnntutor.cells import LSTMCell, PeepholeLSTMCell
from rnntutor.layers import Recurrent

PEEPHOLES = ("weight_ci", "weight_cf", "weight_co")


def random_peepholes(cell, generator):
    with torch.no_grad():
        for name in PEEPHOLES:
            getattr(cell, name).copy_(torch.randn(cell.hidden_size, generator=generator, dtype=torch.float64))
    return cell


def data(batch, input_size, hidden_size, generator):
    x = torch.randn(batch, input_size, generator=generator, dtype=torch.float64)
    h = torch.randn(batch, hidden_size, generator=generator, dtype=torch.float64)
    c = 2 * torch.randn(batch, hidden_size, generator=generator, dtype=torch.float64)
    return x, (h, c)


@pytest.mark.parametrize("bias", [True, False])
def test_a_new_cell_is_torch_lstm_cell_from_the_same_seed(bias):
    torch.manual_seed(5)
    reference = torch.nn.LSTMCell(4, 6, bias=bias, dtype=torch.float64)
    torch.manual_seed(5)
    cell = PeepholeLSTMCell(4, 6, bias=bias, dtype=torch.float64)
    for name, value in reference.state_dict().items():
        assert torch.equal(cell.state_dict()[name], value), name
    for name in PEEPHOLES:
        assert torch.equal(getattr(cell, name), torch.zeros(6, dtype=torch.float64)), name
    x, hx = data(3, 4, 6, torch.Generator().manual_seed(0))
    for ours, theirs in zip(cell(x, hx), reference(x, hx), strict=True):
        assert (ours - theirs).abs().max().item() < 1e-12


def test_reset_parameters_draws_the_lstm_weights_again_and_zeroes_the_peepholes():
    cell = random_peepholes(PeepholeLSTMCell(3, 5, dtype=torch.float64), torch.Generator().manual_seed(1))
    before = cell.weight_hh.clone()
    cell.reset_parameters()
    assert not torch.equal(cell.weight_hh, before)
    assert all(not getattr(cell, name).any() for name in PEEPHOLES)


def test_input_and_forget_peepholes_act_as_an_input_c_prev_through_a_diagonal_matrix():
    """i_t and f_t of the peephole cell are those of torch's LSTMCell fed [x_t, c_{t-1}], with diag(w_ci) and
    diag(w_cf) as the weights of c_{t-1}; with w_co = 0 the whole step is that LSTMCell's."""
    generator = torch.Generator().manual_seed(2)
    cell = random_peepholes(PeepholeLSTMCell(3, 5, dtype=torch.float64), generator)
    with torch.no_grad():
        cell.weight_co.zero_()
    reference = torch.nn.LSTMCell(3 + 5, 5, dtype=torch.float64)
    zeros = torch.zeros(5, 5, dtype=torch.float64)
    with torch.no_grad():
        reference.weight_ih.copy_(torch.cat([
            cell.weight_ih,
            torch.cat([torch.diag(cell.weight_ci), torch.diag(cell.weight_cf), zeros, zeros]),
        ], dim=1))
        reference.weight_hh.copy_(cell.weight_hh)
        reference.bias_ih.copy_(cell.bias_ih)
        reference.bias_hh.copy_(cell.bias_hh)
    x, (h, c) = data(4, 3, 5, generator)
    (h_t, c_t), gates = cell(x, (h, c), return_gates=True)
    h_ref, c_ref = reference(torch.cat([x, c], dim=1), (h, c))
    assert (h_t - h_ref).abs().max().item() < 1e-12
    assert (c_t - c_ref).abs().max().item() < 1e-12


def test_the_output_gate_sees_the_new_cell_state():
    generator = torch.Generator().manual_seed(3)
    cell = random_peepholes(PeepholeLSTMCell(3, 5, dtype=torch.float64), generator)
    x, (h, c) = data(4, 3, 5, generator)
    (h_t, c_t), gates = cell(x, (h, c), return_gates=True)
    a_o = (F.linear(x, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh, cell.bias_hh)).chunk(4, -1)[3]
    o_t = torch.sigmoid(a_o + cell.weight_co * c_t)
    assert (gates["o"] - o_t).abs().max().item() < 1e-12
    assert (h_t - o_t * torch.tanh(c_t)).abs().max().item() < 1e-12
    # the old cell state would give another output gate
    assert (gates["o"] - torch.sigmoid(a_o + cell.weight_co * c)).abs().max().item() > 1e-3


def test_gradients_agree_with_finite_differences_in_float64():
    generator = torch.Generator().manual_seed(4)
    cell = random_peepholes(PeepholeLSTMCell(2, 3, dtype=torch.float64), generator)
    names = [name for name, _ in cell.named_parameters()]
    x, (h, c) = data(2, 2, 3, generator)

    def step(x, h, c, *parameters):
        (h_t, c_t) = torch.func.functional_call(cell, dict(zip(names, parameters, strict=True)), (x, (h, c)))
        return h_t, c_t

    inputs = [t.clone().requires_grad_() for t in (x, h, c, *cell.parameters())]
    assert torch.autograd.gradcheck(step, inputs, eps=1e-6, atol=1e-7)


def test_runs_in_a_layer_over_a_sequence():
    layer = Recurrent(PeepholeLSTMCell, input_size=3, hidden_size=4, num_layers=1, bias=True, batch_first=True,
                      dropout=0.0, bidirectional=False, device=None, dtype=None)
    assert {"weight_ci_l0", "weight_cf_l0", "weight_co_l0"} <= set(dict(layer.named_parameters()))
    x = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(5))
    (output, (h_n, c_n)), gates = layer(x, return_gates=True)
    assert output.shape == (2, 7, 4) and h_n.shape == c_n.shape == (1, 2, 4)
    assert set(gates["l0"]) == {"i", "f", "g", "o", "c", "h"}
    cell = LSTMCell(3, 4)
    assert sum(p.numel() for p in layer.parameters()) == sum(p.numel() for p in cell.parameters()) + 3 * 4
