"""A GRU with a gate held fixed, and the LSTM forget-gate bias: checked against torch and the equations."""

from __future__ import annotations

import pytest
import torch

from rnntutor import GRU, LSTM, GRUCell
from rnntutor.gate_control import FixedGateGRU, FixedGateGRUCell, set_forget_bias

IN, H, B = 3, 5, 4


def data(seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(B, IN, generator=generator, dtype=torch.float64)
    h = torch.randn(B, H, generator=generator, dtype=torch.float64)
    return x, h


def pair(**fixed):
    torch.manual_seed(0)
    reference = torch.nn.GRUCell(IN, H, dtype=torch.float64)
    cell = FixedGateGRUCell(IN, H, dtype=torch.float64, **fixed)
    cell.load_state_dict(reference.state_dict())
    return cell, reference


def test_with_no_gate_fixed_it_is_torchs_gru_cell():
    cell, reference = pair()
    x, h = data()
    assert torch.allclose(cell(x, h), reference(x, h), atol=1e-12, rtol=0)


def test_z_held_at_one_never_changes_the_state():
    cell, _ = pair(z=1.0)
    x, h = data()
    assert torch.equal(cell(x, h), h)


def test_z_held_at_zero_and_r_at_one_is_the_plain_recurrent_neuron():
    cell, _ = pair(z=0.0, r=1.0)
    rnn = torch.nn.RNNCell(IN, H, dtype=torch.float64)
    with torch.no_grad():  # the candidate's rows: the third block of each stacked parameter
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(rnn, name).copy_(getattr(cell, name).chunk(3)[2])
    x, h = data(1)
    assert torch.allclose(cell(x, h), rnn(x, h), atol=1e-12, rtol=0)


@pytest.mark.parametrize("z", [0.0, 0.3, 0.9])
def test_a_fixed_update_gate_mixes_candidate_and_old_state_in_that_proportion(z):
    cell, _ = pair(z=z)
    gru = GRUCell(IN, H, dtype=torch.float64)
    gru.load_state_dict(cell.state_dict())
    x, h = data(2)
    _, gates = gru(x, h, return_gates=True)  # same r_t and n_t: only z_t differs
    assert torch.allclose(cell(x, h), (1 - z) * gates["n"] + z * h, atol=1e-12, rtol=0)


def test_r_held_at_zero_makes_the_candidate_forget_the_state():
    cell, _ = pair(r=0.0)
    x, h = data(3)
    _, gates = cell(x, h, return_gates=True)
    _, gates_other = cell(x, torch.zeros_like(h), return_gates=True)
    assert torch.equal(gates["n"], gates_other["n"])
    assert torch.equal(gates["r"], torch.zeros(B, H, dtype=torch.float64))


def test_the_fixed_gates_rows_get_no_gradient_and_the_others_do():
    cell, _ = pair(z=0.5)
    x, h = data(4)
    cell(x, h).sum().backward()
    blocks = cell.weight_hh.grad.chunk(3)
    assert torch.equal(blocks[1], torch.zeros(H, H, dtype=torch.float64))
    assert blocks[0].abs().sum() > 0 and blocks[2].abs().sum() > 0


def test_the_layer_with_no_gate_fixed_is_torchs_gru():
    torch.manual_seed(1)
    reference = torch.nn.GRU(IN, H, num_layers=2, batch_first=True, bidirectional=True, dtype=torch.float64)
    layer = FixedGateGRU(IN, H, num_layers=2, batch_first=True, bidirectional=True, dtype=torch.float64)
    layer.load_state_dict(reference.state_dict())
    x = torch.randn(B, 6, IN, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    (ours, ours_h), (theirs, theirs_h) = layer(x), reference(x)
    assert torch.allclose(ours, theirs, atol=1e-12, rtol=0) and torch.allclose(ours_h, theirs_h, atol=1e-12, rtol=0)


def test_the_layer_records_the_fixed_gate_at_every_step():
    layer = FixedGateGRU(IN, H, batch_first=True, z=1.0)
    x = torch.randn(B, 6, IN)
    h0 = torch.randn(1, B, H)
    (output, _), gates = layer(x, h0, return_gates=True)
    assert torch.equal(gates["l0"]["z"], torch.ones(B, 6, H))
    assert torch.equal(output, h0[0].unsqueeze(1).expand(B, 6, H))
    assert "z=1.0" in repr(layer)


@pytest.mark.parametrize("bad", [1.5, -0.1, "0.5", True])
@pytest.mark.parametrize("gate", ["z", "r"])
def test_a_gate_value_outside_zero_one_is_named(gate, bad):
    with pytest.raises(ValueError, match=f"FixedGateGRUCell: {gate} must be None .* or a number in \\[0, 1\\]"):
        FixedGateGRUCell(IN, H, **{gate: bad})
    with pytest.raises(ValueError, match=f"FixedGateGRU: {gate} must be None"):
        FixedGateGRU(IN, H, **{gate: bad})


@pytest.mark.parametrize("make", [lambda: LSTM(IN, H, num_layers=2, bidirectional=True),
                                  lambda: torch.nn.LSTM(IN, H, num_layers=2, bidirectional=True)],
                         ids=["rnntutor", "torch"])
def test_set_forget_bias_sets_the_f_block_and_leaves_the_rest(make):
    lstm = make()
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    assert set_forget_bias(lstm, 2.0) is lstm
    for name, p in lstm.named_parameters():
        i, f, g, o = p.detach().chunk(4)
        old = before[name].chunk(4)
        if name.startswith("bias"):
            assert torch.equal(f, torch.full((H,), 2.0 if name.startswith("bias_ih") else 0.0))
            assert all(torch.equal(a, b) for a, b in zip((i, g, o), (old[0], old[2], old[3]), strict=True))
        else:
            assert torch.equal(p, before[name])


def test_with_zero_weights_the_forget_gate_starts_at_sigmoid_of_the_bias():
    lstm = LSTM(IN, H, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.zero_()
        lstm.weight_hh_l0.zero_()
    set_forget_bias(lstm, 1.0)
    _, gates = lstm(torch.randn(B, 7, IN), return_gates=True)
    assert torch.allclose(gates["l0"]["f"], torch.full((B, 7, H), torch.sigmoid(torch.tensor(1.0)).item()))


def test_set_forget_bias_names_bad_input():
    with pytest.raises(TypeError, match="expects an rnntutor.LSTM or torch.nn.LSTM layer, got GRU"):
        set_forget_bias(GRU(IN, H), 1.0)
    with pytest.raises(TypeError, match="value must be a real number, got '1'"):
        set_forget_bias(LSTM(IN, H), "1")
    with pytest.raises(ValueError, match="bias=False"):
        set_forget_bias(LSTM(IN, H, bias=False), 1.0)
