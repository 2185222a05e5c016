"""The cells equal torch.nn's cells number for number: outputs, states, and every gradient."""

from __future__ import annotations

import itertools
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_match import assert_matches_torch, flatten

from rnntutor.cells import ChoGRUCell, GRUCell, LSTMCell, RNNCell, affine

#: kind -> (rnntutor class, torch class, options)
CELLS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "gru": (GRUCell, torch.nn.GRUCell, {}),
    "lstm": (LSTMCell, torch.nn.LSTMCell, {}),
}
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def make_pair(kind, input_size, hidden_size, bias=True, dtype=torch.float64, device="cpu"):
    """A torch cell and an rnntutor cell holding the torch cell's parameters."""
    ours_class, torch_class, options = CELLS[kind]
    reference = torch_class(input_size, hidden_size, bias=bias, device=device, dtype=dtype, **options)
    ours = ours_class(input_size, hidden_size, bias=bias, device=device, dtype=dtype, **options)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def make_data(kind, batch, input_size, hidden_size, with_state, dtype=torch.float64, device="cpu", seed=0):
    """Input (batch, input_size), or (input_size,) when ``batch`` is None, and a matching state or None."""
    generator = torch.Generator().manual_seed(seed)
    lead = () if batch is None else (batch,)
    x = torch.randn(*lead, input_size, generator=generator, dtype=dtype).to(device)
    if not with_state:
        return x, None
    states = [torch.randn(*lead, hidden_size, generator=generator, dtype=dtype).to(device)
              for _ in range(2 if kind == "lstm" else 1)]
    return x, tuple(states) if kind == "lstm" else states[0]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(
    "batch, input_size, hidden_size, bias, with_state",
    list(itertools.product([None, 1, 7], [1, 5], [1, 8], [True, False], [True, False])),
)
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_equals_torch(kind, batch, input_size, hidden_size, bias, with_state, dtype):
    ours, reference = make_pair(kind, input_size, hidden_size, bias, dtype)
    x, hx = make_data(kind, batch, input_size, hidden_size, with_state, dtype)
    assert_matches_torch(ours, reference, x, hx)


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(list(CELLS)),
    batch=st.one_of(st.none(), st.integers(1, 9)),
    input_size=st.integers(1, 9),
    hidden_size=st.integers(1, 9),
    bias=st.booleans(),
    with_state=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cell_equals_torch_on_random_shapes(kind, batch, input_size, hidden_size, bias, with_state, seed):
    torch.manual_seed(seed)
    ours, reference = make_pair(kind, input_size, hidden_size, bias)
    x, hx = make_data(kind, batch, input_size, hidden_size, with_state, seed=seed)
    assert_matches_torch(ours, reference, x, hx)


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_equals_torch_on_cuda(kind, dtype):
    ours, reference = make_pair(kind, 5, 8, True, dtype, device="cuda")
    for batch, with_state in [(7, True), (None, False)]:
        x, hx = make_data(kind, batch, 5, 8, with_state, dtype, device="cuda")
        assert_matches_torch(ours, reference, x, hx)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", list(CELLS))
def test_same_seed_gives_torch_parameters_and_state_dict_loads_into_torch(kind, bias):
    ours_class, torch_class, options = CELLS[kind]
    torch.manual_seed(11)
    reference = torch_class(5, 8, bias=bias, **options)
    torch.manual_seed(11)
    ours = ours_class(5, 8, bias=bias, **options)
    assert list(ours.state_dict()) == list(reference.state_dict())
    for name, value in reference.state_dict().items():
        assert torch.equal(ours.state_dict()[name], value), name
    ours.reset_parameters()  # new numbers, then load ours into torch and compare
    reference.load_state_dict(ours.state_dict())
    x, hx = make_data(kind, 3, 5, 8, True, torch.float32)
    assert_matches_torch(ours, reference, x, hx)


@pytest.mark.parametrize("batch", [None, 4])
@pytest.mark.parametrize("kind", list(CELLS))
def test_return_gates_keeps_the_result_and_gives_each_gate(kind, batch):
    ours, reference = make_pair(kind, 5, 8)
    x, hx = make_data(kind, batch, 5, 8, True)
    plain = ours(x, hx)
    result, gates = ours(x, hx, return_gates=True)
    for a, b in zip(flatten(plain), flatten(result), strict=True):
        assert torch.equal(a, b)
    # the gates from torch's parameters: pre-activations of all gates, in torch's order
    h_prev = hx[0] if kind == "lstm" else hx
    Wx = F.linear(x, reference.weight_ih, reference.bias_ih).chunk(ours.num_gates, dim=-1)
    Wh = F.linear(h_prev, reference.weight_hh, reference.bias_hh).chunk(ours.num_gates, dim=-1)
    h_t = reference(x, hx)
    if kind == "lstm":
        h_t, c_t = h_t
        expected = {"i": torch.sigmoid(Wx[0] + Wh[0]), "f": torch.sigmoid(Wx[1] + Wh[1]),
                    "g": torch.tanh(Wx[2] + Wh[2]), "o": torch.sigmoid(Wx[3] + Wh[3]), "c": c_t}
    elif kind == "gru":
        r_t = torch.sigmoid(Wx[0] + Wh[0])
        expected = {"r": r_t, "z": torch.sigmoid(Wx[1] + Wh[1]), "n": torch.tanh(Wx[2] + r_t * Wh[2])}
    else:
        expected = {"a": Wx[0] + Wh[0]}
    expected["h"] = h_t
    assert list(gates) == list(expected)
    for name, value in expected.items():
        assert gates[name].shape == value.shape, name
        assert (gates[name] - value).abs().max().item() < 1e-12, name


def saturated(cell, gate: int, value: float):
    """Set the input bias of GRU gate ``gate`` (0 = r, 1 = z) to ``value``, saturating its sigmoid."""
    with torch.no_grad():
        cell.bias_ih[gate * cell.hidden_size:(gate + 1) * cell.hidden_size] = value
    return cell


def test_cho_gru_has_the_parameters_of_the_gru_and_differs_from_it():
    torch.manual_seed(0)
    reference = torch.nn.GRUCell(5, 8, dtype=torch.float64)
    cho = ChoGRUCell(5, 8, dtype=torch.float64)
    cho.load_state_dict(reference.state_dict())
    x, h = make_data("gru", 4, 5, 8, True)
    assert (cho(x, h) - reference(x, h)).abs().max() > 1e-3


def test_cho_gru_with_reset_gate_open_equals_torch():
    """r_t = 1: W_hn (r_t * h) + b_hn = r_t * (W_hn h + b_hn), so the two forms agree."""
    _, reference = make_pair("gru", 5, 8)
    cho = ChoGRUCell(5, 8, dtype=torch.float64)
    cho.load_state_dict(saturated(reference, 0, 1000.0).state_dict())
    x, hx = make_data("gru", 4, 5, 8, True)
    assert_matches_torch(cho, reference, x, hx)


def test_cho_gru_with_reset_gate_closed_keeps_only_the_bias_b_hn():
    """r_t = 0: Cho's candidate is tanh(W_in x + b_in + b_hn); torch's is that when b_in holds b_hn and
    W_hn, b_hn are zero."""
    _, reference = make_pair("gru", 5, 8)
    cho = ChoGRUCell(5, 8, dtype=torch.float64)
    cho.load_state_dict(saturated(reference, 0, -1000.0).state_dict())
    H = 8
    with torch.no_grad():
        reference.bias_ih[2 * H:] += reference.bias_hh[2 * H:]
        reference.bias_hh[2 * H:] = 0
        reference.weight_hh[2 * H:] = 0
    x, hx = make_data("gru", 4, 5, 8, True)
    assert (cho(x, hx) - reference(x, hx)).abs().max().item() < 1e-12


@pytest.mark.parametrize("cell_class", [GRUCell, ChoGRUCell])
def test_gru_update_gate_z_keeps_the_old_state(cell_class):
    cell = cell_class(5, 8, dtype=torch.float64)
    x, h = make_data("gru", 4, 5, 8, True)
    assert torch.equal(saturated(cell, 1, 1000.0)(x, h), h)  # z_t = 1: h_t = h_{t-1}
    h_t, gates = saturated(cell, 1, -1000.0)(x, h, return_gates=True)  # z_t = 0: h_t = n_t
    assert torch.equal(h_t, gates["n"])


# ---------------------------------------------------------------- bad input: a clear error, expected vs got


@pytest.fixture(params=list(CELLS))
def cell_kind(request):
    return request.param


def state_like(kind, tensor):
    return (tensor, tensor.clone()) if kind == "lstm" else tensor


def test_wrong_feature_size(cell_kind):
    cell, _ = make_pair(cell_kind, 5, 8)
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 5\).*got .*\(3, 4\)"):
        cell(torch.randn(3, 4, dtype=torch.float64))


@pytest.mark.parametrize("shape", [(), (2, 3, 5)])
def test_wrong_number_of_dimensions(cell_kind, shape):
    cell, _ = make_pair(cell_kind, 5, 8)
    with pytest.raises(ValueError, match=rf"or unbatched \(5,\), got a {len(shape)}-D tensor"):
        cell(torch.randn(shape, dtype=torch.float64))


def test_input_that_is_not_a_tensor(cell_kind):
    cell, _ = make_pair(cell_kind, 5, 8)
    with pytest.raises(TypeError, match="input must be a torch.Tensor, got list"):
        cell([[0.0] * 5])


@pytest.mark.parametrize("batch, state_shape", [(3, (3, 7)), (3, (2, 8)), (3, (8,)), (None, (1, 8))])
def test_wrong_state_shape(cell_kind, batch, state_shape):
    cell, _ = make_pair(cell_kind, 5, 8)
    x = torch.randn(*(() if batch is None else (batch,)), 5, dtype=torch.float64)
    expected = str((8,) if batch is None else (batch, 8))
    with pytest.raises(ValueError, match=re.escape(f"of shape {expected}, got {state_shape}")):
        cell(x, state_like(cell_kind, torch.zeros(state_shape, dtype=torch.float64)))


@pytest.mark.parametrize("hx", [torch.zeros(3, 8), [torch.zeros(3, 8)], "h"])
def test_lstm_state_that_is_not_a_pair(hx):
    cell = LSTMCell(5, 8)
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\) of two tensors, got"):
        cell(torch.randn(3, 5), hx)


def test_mismatched_dtype(cell_kind):
    cell, _ = make_pair(cell_kind, 5, 8)  # float64 parameters
    message = "has dtype torch.float32, but the parameters are torch.float64"
    with pytest.raises(TypeError, match="input " + message):
        cell(torch.randn(3, 5))
    with pytest.raises(TypeError, match=r"hx.* " + message):
        cell(torch.randn(3, 5, dtype=torch.float64), state_like(cell_kind, torch.zeros(3, 8)))


def test_mismatched_device(cell_kind):
    cell, _ = make_pair(cell_kind, 5, 8)  # parameters on the CPU; the meta device stands for a GPU
    with pytest.raises(ValueError, match="input is on device meta, but the parameters are on cpu"):
        cell(torch.randn(3, 5, dtype=torch.float64, device="meta"))
    hx = state_like(cell_kind, torch.zeros(3, 8, dtype=torch.float64, device="meta"))
    with pytest.raises(ValueError, match=r"hx.* is on device meta, but the parameters are on cpu"):
        cell(torch.randn(3, 5, dtype=torch.float64), hx)


@pytest.mark.parametrize("size", [0, -1, 2.0, True])
def test_bad_size(size):
    with pytest.raises(ValueError, match=f"hidden_size must be a positive int, got {size!r}"):
        LSTMCell(5, size)


def test_bad_nonlinearity():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        RNNCell(5, 8, nonlinearity="sigmoid")


@pytest.mark.parametrize("bias", [True, False])
def test_affine_is_linear_and_keeps_stacked_copies_apart(bias):
    """``affine`` is F.linear on one weight; with a leading axis of copies, copy k's rows meet copy k's weight."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 5, 3, generator=generator, dtype=torch.float64)
    weight = torch.randn(4, 6, 3, generator=generator, dtype=torch.float64)
    b = torch.randn(4, 6, generator=generator, dtype=torch.float64) if bias else None
    stacked = affine(x, weight, b)
    assert stacked.shape == (4, 5, 6)
    for k in range(4):
        alone = F.linear(x[k], weight[k], None if b is None else b[k])
        assert torch.equal(affine(x[k], weight[k], None if b is None else b[k]), alone)
        torch.testing.assert_close(stacked[k], alone, rtol=0, atol=1e-12)
