"""The layers equal torch.nn.RNN, GRU and LSTM number for number: outputs, final states, every gradient."""

from __future__ import annotations

import itertools
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_match import assert_matches_torch, flatten

from rnntutor.layers import GRU, LSTM, RNN

#: kind -> (rnntutor class, torch class, options)
LAYERS = {
    "rnn_tanh": (RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "gru": (GRU, torch.nn.GRU, {}),
    "lstm": (LSTM, torch.nn.LSTM, {}),
}
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# The grid of 11 two-level factors (2**11 = 2048 cases per model) is sampled with a Plackett-Burman
# design of 12 runs and its fold-over (every level swapped), 24 runs: every level of every factor, and
# every combination of levels of every two factors, occurs in at least 6 of them.
FACTORS = {
    "batch": (1, 7),
    "input_size": (1, 5),
    "hidden_size": (1, 8),
    "num_layers": (1, 3),
    "bias": (True, False),
    "batch_first": (False, True),
    "bidirectional": (False, True),
    "with_state": (False, True),
    "unbatched": (False, True),
    "dtype": (torch.float64, torch.float32),
    "seq": (6, 1),
}
PLACKETT_BURMAN_12 = "++-+++---+-"


def design() -> list[dict]:
    rows = [PLACKETT_BURMAN_12[-k:] + PLACKETT_BURMAN_12[:-k] for k in range(11)] + ["-" * 11]
    rows += [row.translate(str.maketrans("+-", "-+")) for row in rows]
    return [{name: levels[sign == "+"] for (name, levels), sign in zip(FACTORS.items(), row, strict=True)}
            for row in rows]


def test_design_covers_every_pair_of_levels():
    cases = design()
    for a, b in itertools.combinations(FACTORS, 2):
        counts = {pair: 0 for pair in itertools.product(FACTORS[a], FACTORS[b])}
        for case in cases:
            counts[case[a], case[b]] += 1
        assert min(counts.values()) >= 6, (a, b, counts)


def make_pair(kind, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
              bidirectional=False, dtype=torch.float64, device="cpu"):
    """A torch layer and an rnntutor layer holding the torch layer's parameters."""
    ours_class, torch_class, options = LAYERS[kind]
    arguments = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, dropout=dropout,
                     bidirectional=bidirectional, device=device, dtype=dtype, **options)
    reference = torch_class(input_size, hidden_size, **arguments)
    ours = ours_class(input_size, hidden_size, **arguments)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def make_data(kind, seq, batch, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False,
              with_state=False, unbatched=False, dtype=torch.float64, device="cpu", seed=0):
    """Input and a matching initial state (or None) in the layout the layer expects."""
    generator = torch.Generator().manual_seed(seed)
    if unbatched:
        shape = (seq, input_size)
    else:
        shape = (batch, seq, input_size) if batch_first else (seq, batch, input_size)
    x = torch.randn(shape, generator=generator, dtype=dtype).to(device)
    if not with_state:
        return x, None
    rows = num_layers * (2 if bidirectional else 1)
    state_shape = (rows, hidden_size) if unbatched else (rows, batch, hidden_size)
    states = [torch.randn(state_shape, generator=generator, dtype=dtype).to(device)
              for _ in range(2 if kind == "lstm" else 1)]
    return x, tuple(states) if kind == "lstm" else states[0]


def check_case(kind, case, device="cpu"):
    layer = {name: case[name] for name in ("num_layers", "bias", "batch_first", "bidirectional", "dtype")}
    ours, reference = make_pair(kind, case["input_size"], case["hidden_size"], device=device, **layer)
    x, hx = make_data(kind, case["seq"], case["batch"], case["input_size"], case["hidden_size"],
                      case["num_layers"], case["bidirectional"], case["batch_first"], case["with_state"],
                      case["unbatched"], case["dtype"], device)
    assert_matches_torch(ours, reference, x, hx)


@pytest.mark.parametrize("case", design(), ids=lambda case: "-".join(
    f"{name}={str(value).replace('torch.', '')}" for name, value in case.items()))
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_equals_torch(kind, case):
    check_case(kind, case)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(list(LAYERS)),
    seq=st.integers(1, 5),
    batch=st.integers(1, 4),
    input_size=st.integers(1, 4),
    hidden_size=st.integers(1, 4),
    num_layers=st.integers(1, 3),
    flags=st.fixed_dictionaries({name: st.booleans() for name in
                                 ("bias", "batch_first", "bidirectional", "with_state", "unbatched")}),
    seed=st.integers(0, 2**16),
)
def test_layer_equals_torch_on_random_shapes(kind, seq, batch, input_size, hidden_size, num_layers, flags, seed):
    torch.manual_seed(seed)
    case = dict(seq=seq, batch=batch, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                dtype=torch.float64, **flags)
    check_case(kind, case)


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("case", design()[:6], ids=lambda case: f"{case['num_layers']}layers-{case['dtype']}")
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_equals_torch_on_cuda(kind, case):
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):  # cuDNN would round float32 to TF32
        check_case(kind, case, device="cuda")


@pytest.mark.parametrize("kind", list(LAYERS))
def test_dropout_between_layers_draws_what_torch_draws(kind):
    ours, reference = make_pair(kind, 5, 8, num_layers=3, dropout=0.5, bidirectional=True)
    x, hx = make_data(kind, 6, 4, 5, 8, 3, True, with_state=True)
    assert_matches_torch(ours, reference, x, hx, seed=5)  # training mode: dropout acts
    output, _ = ours(x)
    assert not torch.equal(output, ours(x)[0])  # a new mask each call
    ours.eval()
    reference.eval()
    assert torch.equal(ours(x)[0], ours(x)[0])
    assert_matches_torch(ours, reference, x, hx)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_same_seed_gives_torch_parameters_and_state_dict_loads_into_torch(kind, bias):
    ours_class, torch_class, options = LAYERS[kind]
    torch.manual_seed(3)
    reference = torch_class(5, 8, 2, bias=bias, bidirectional=True, **options)
    torch.manual_seed(3)
    ours = ours_class(5, 8, 2, bias=bias, bidirectional=True, **options)
    assert list(ours.state_dict()) == list(reference.state_dict())
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in reference.named_parameters()]
    for name, value in reference.state_dict().items():
        assert torch.equal(ours.state_dict()[name], value), name
    ours.reset_parameters()  # new numbers, then load ours into torch and compare
    assert not torch.equal(ours.weight_hh_l1_reverse, reference.weight_hh_l1_reverse)
    reference.load_state_dict(ours.state_dict())
    x, hx = make_data(kind, 4, 3, 5, 8, 2, True, with_state=True, dtype=torch.float32)
    assert_matches_torch(ours, reference, x, hx)


def test_parameters_replaced_by_assign_or_converted_by_double_are_used():
    ours, reference = make_pair("lstm", 5, 8, num_layers=2, dtype=torch.float32)
    reference = reference.double()
    ours.load_state_dict(reference.state_dict(), assign=True)  # new Parameter objects, now float64
    assert ours.weight_ih_l0.dtype == torch.float64
    assert_matches_torch(ours, reference, *make_data("lstm", 4, 3, 5, 8, 2))
    ours, reference = make_pair("gru", 5, 8, num_layers=2, dtype=torch.float32)
    assert_matches_torch(ours.double(), reference.double(), *make_data("gru", 4, 3, 5, 8, 2))


def test_cho_gru_layer_runs_the_reset_before_cell():
    from rnntutor.cells import ChoGRUCell

    gru = GRU(5, 8, reset_after=False, dtype=torch.float64)
    cell = ChoGRUCell(5, 8, dtype=torch.float64)
    cell.load_state_dict({name[:-3]: value for name, value in gru.state_dict().items()})
    x, h = make_data("gru", 4, 3, 5, 8, with_state=True)
    output, _ = gru(x, h)
    state = h[0]
    for t in range(4):
        state = cell(x[t], state)
        assert (output[t] - state).abs().max().item() < 1e-12
    assert "reset_after=False" in repr(gru)


def torch_outputs_of_every_layer(kind, ours, x):
    """The outputs of each layer of ``ours``, computed by torch one layer at a time."""
    _, torch_class, options = LAYERS[kind]
    outputs = []
    for layer in range(ours.num_layers):
        single = torch_class(x.shape[-1], ours.hidden_size, bidirectional=ours.bidirectional,
                             dtype=x.dtype, **options)
        suffix = f"_l{layer}"
        single.load_state_dict({name.replace(suffix, "_l0"): value for name, value in ours.state_dict().items()
                                if re.search(suffix + "(_reverse)?$", name)})
        x, _ = single(x)
        outputs.append(x)
    return outputs


@pytest.mark.parametrize("layout", ["seq_first", "batch_first", "unbatched"])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_return_gates_records_every_gate_of_every_layer_and_direction(kind, layout):
    H, seq, batch = 8, 6, 4
    ours, reference = make_pair(kind, 5, H, num_layers=2, bidirectional=True, batch_first=layout == "batch_first")
    x, hx = make_data(kind, seq, batch, 5, H, 2, True, layout == "batch_first", True, layout == "unbatched")
    plain = ours(x, hx)
    result, gates = ours(x, hx, return_gates=True)
    for a, b in zip(flatten(plain), flatten(result), strict=True):
        assert torch.equal(a, b)
    assert list(gates) == ["l0", "l0_reverse", "l1", "l1_reverse"]
    symbols = {"rnn_tanh": "ah", "rnn_relu": "ah", "gru": "rznh", "lstm": "ifgoch"}[kind]
    shape = {"seq_first": (seq, batch, H), "batch_first": (batch, seq, H), "unbatched": (seq, H)}[layout]
    for record in gates.values():
        assert list(record) == list(symbols)
        assert all(value.shape == shape for value in record.values())
    # from here on, time first: (seq, batch, ...)
    to_time_first = {"seq_first": lambda v: v, "batch_first": lambda v: v.transpose(0, 1),
                     "unbatched": lambda v: v.unsqueeze(1)}[layout]
    gates = {key: {name: to_time_first(value) for name, value in record.items()} for key, record in gates.items()}
    final = flatten(result[1])
    for layer in range(2):
        for direction, key in enumerate([f"l{layer}", f"l{layer}_reverse"]):
            h = gates[key]["h"]
            last = -1 if direction == 0 else 0  # the reverse direction ends at position 0
            assert torch.equal(h[last], final[0][2 * layer + direction].reshape(h[last].shape))
            if kind == "lstm":
                g = gates[key]
                assert torch.equal(g["c"][last], final[1][2 * layer + direction].reshape(h[last].shape))
                c_prev = g["c"].roll(1 if direction == 0 else -1, dims=0)[1:-1]  # c_{t-1} in processing order
                inner = slice(1, -1)
                expected_c = g["f"][inner] * c_prev + g["i"][inner] * g["g"][inner]
                assert (g["c"][inner] - expected_c).abs().max() < 1e-12
                assert (g["h"] - g["o"] * torch.tanh(g["c"])).abs().max() < 1e-12
    output = to_time_first(result[0])
    assert torch.equal(gates["l1"]["h"], output[..., :H])
    assert torch.equal(gates["l1_reverse"]["h"], output[..., H:])


@pytest.mark.parametrize("kind", list(LAYERS))
def test_recorded_h_of_every_layer_equals_torch_run_layer_by_layer(kind):
    ours, _ = make_pair(kind, 5, 8, num_layers=3, bidirectional=True)
    x, _ = make_data(kind, 6, 4, 5, 8)
    _, gates = ours(x, return_gates=True)
    for layer, expected in enumerate(torch_outputs_of_every_layer(kind, ours, x)):
        assert (gates[f"l{layer}"]["h"] - expected[..., :8]).abs().max() < 1e-12
        assert (gates[f"l{layer}_reverse"]["h"] - expected[..., 8:]).abs().max() < 1e-12


# ---------------------------------------------------------------- bad input: a clear error, expected vs got


@pytest.fixture(params=list(LAYERS))
def kind(request):
    return request.param


def state_like(kind, tensor):
    return (tensor, tensor.clone()) if kind == "lstm" else tensor


def test_wrong_feature_size(kind):
    layer, _ = make_pair(kind, 5, 8)
    with pytest.raises(ValueError, match=re.escape("expected input of shape (seq, batch, 5) or unbatched "
                                                   "(seq, 5), got a 3-D tensor of shape (6, 2, 4)")):
        layer(torch.randn(6, 2, 4, dtype=torch.float64))
    layer, _ = make_pair(kind, 5, 8, batch_first=True)
    with pytest.raises(ValueError, match=re.escape("expected input of shape (batch, seq, 5)")):
        layer(torch.randn(2, 6, 4, dtype=torch.float64))


@pytest.mark.parametrize("shape", [(5,), (1, 6, 2, 5)])
def test_1d_and_4d_input(kind, shape):
    layer, _ = make_pair(kind, 5, 8)
    with pytest.raises(ValueError, match=rf"got a {len(shape)}-D tensor of shape {re.escape(str(shape))}"):
        layer(torch.randn(shape, dtype=torch.float64))


def test_input_that_is_not_a_tensor_or_is_empty(kind):
    layer, _ = make_pair(kind, 5, 8)
    with pytest.raises(TypeError, match="input must be a torch.Tensor, got list"):
        layer([[0.0] * 5])
    with pytest.raises(ValueError, match=re.escape("expected at least one time step, got input of shape (0, 2, 5)")):
        layer(torch.randn(0, 2, 5, dtype=torch.float64))
    layer, _ = make_pair(kind, 5, 8, batch_first=True)
    with pytest.raises(ValueError, match=re.escape("expected at least one time step, got input of shape (2, 0, 5)")):
        layer(torch.randn(2, 0, 5, dtype=torch.float64))


@pytest.mark.parametrize(
    "input_shape, state_shape, expected",
    [
        ((6, 3, 5), (2, 3, 8), (4, 3, 8)),  # rows: num_layers * directions = 4
        ((6, 3, 5), (4, 2, 8), (4, 3, 8)),  # batch
        ((6, 3, 5), (4, 3, 7), (4, 3, 8)),  # hidden size
        ((6, 3, 5), (4, 8), (4, 3, 8)),  # unbatched state for batched input
        ((6, 5), (4, 1, 8), (4, 8)),  # batched state for unbatched input
    ],
)
def test_wrong_state_shape(kind, input_shape, state_shape, expected):
    layer, _ = make_pair(kind, 5, 8, num_layers=2, bidirectional=True)
    x = torch.randn(input_shape, dtype=torch.float64)
    with pytest.raises(ValueError, match=re.escape(f"of shape {expected}, got {state_shape}")):
        layer(x, state_like(kind, torch.zeros(state_shape, dtype=torch.float64)))


@pytest.mark.parametrize("hx", [torch.zeros(1, 3, 8), [torch.zeros(1, 3, 8)], 0.0])
def test_lstm_state_that_is_not_a_pair(hx):
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\) of two tensors, got"):
        LSTM(5, 8)(torch.randn(6, 3, 5), hx)


def test_mismatched_dtype(kind):
    layer, _ = make_pair(kind, 5, 8)  # float64 parameters
    message = "has dtype torch.float32, but the parameters are torch.float64"
    with pytest.raises(TypeError, match="input " + message):
        layer(torch.randn(6, 3, 5))
    with pytest.raises(TypeError, match=r"hx.* " + message):
        layer(torch.randn(6, 3, 5, dtype=torch.float64), state_like(kind, torch.zeros(1, 3, 8)))


def test_mismatched_device(kind):
    layer, _ = make_pair(kind, 5, 8)  # parameters on the CPU; the meta device stands for a GPU
    with pytest.raises(ValueError, match="input is on device meta, but the parameters are on cpu"):
        layer(torch.randn(6, 3, 5, dtype=torch.float64, device="meta"))
    hx = state_like(kind, torch.zeros(1, 3, 8, dtype=torch.float64, device="meta"))
    with pytest.raises(ValueError, match=r"hx.* is on device meta, but the parameters are on cpu"):
        layer(torch.randn(6, 3, 5, dtype=torch.float64), hx)


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_layers must be a positive int, got 0"):
        LSTM(5, 8, num_layers=0)
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\], got 1.5"):
        GRU(5, 8, 2, dropout=1.5)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        RNN(5, 8, nonlinearity="gelu")
    with pytest.warns(UserWarning, match="dropout acts between layers"):
        LSTM(5, 8, dropout=0.2)


def test_repr_reads_like_torch():
    assert repr(LSTM(16, 64, 2, batch_first=True)) == repr(torch.nn.LSTM(16, 64, 2, batch_first=True))
    assert repr(RNN(3, 4, nonlinearity="relu", bidirectional=True)).startswith("RNN(3, 4, bidirectional=True")
