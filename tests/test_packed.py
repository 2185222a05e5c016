"""The layers accept a PackedSequence as torch.nn.RNN, GRU and LSTM do: the same packed output, final states
(each sequence's own last step) and gradients of the input, the initial state and every parameter."""

from __future__ import annotations

import itertools
import re

import pytest
import torch
from test_layers import LAYERS, make_pair
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

INPUT_SIZE, HIDDEN_SIZE = 3, 4
LENGTHS = [5, 2, 7, 2, 1]  # unsorted, with a tie
CASES = list(itertools.product(LAYERS, (1, 2), (False, True), (False, True), (False, True)))


def packed_data(kind, num_layers, bidirectional, with_state, enforce_sorted, lengths=LENGTHS, seed=0):
    """A packed batch of sequences of ``lengths`` (sorted longest first when ``enforce_sorted``) and an
    initial state, or None, as leaves that require gradients."""
    generator = torch.Generator().manual_seed(seed)
    lengths = sorted(lengths, reverse=True) if enforce_sorted else lengths
    padded = torch.randn(max(lengths), len(lengths), INPUT_SIZE, generator=generator, dtype=torch.float64)
    rows = num_layers * (2 if bidirectional else 1)
    shape = (rows, len(lengths), HIDDEN_SIZE)
    state = None
    if with_state:
        state = tuple(torch.randn(shape, generator=generator, dtype=torch.float64)
                      for _ in range(2 if kind == "lstm" else 1))
    return padded, torch.tensor(lengths), state


def run(module, padded, lengths, state, enforce_sorted):
    """Pack, run, and backpropagate a fixed random weighting of the packed output and final states;
    return the packed output, the final states and every gradient."""
    padded = padded.clone().requires_grad_(True)
    state = None if state is None else tuple(s.clone().requires_grad_(True) for s in state)
    packed = pack_padded_sequence(padded, lengths, enforce_sorted=enforce_sorted)
    hx = None if state is None else (state if len(state) == 2 else state[0])
    output, final = module(packed) if hx is None else module(packed, hx)
    finals = final if isinstance(final, tuple) else (final,)
    generator = torch.Generator().manual_seed(1)
    loss = sum((t * torch.randn(t.shape, generator=generator, dtype=t.dtype)).sum()
               for t in (output.data, *finals))
    loss.backward()
    gradients = {"input": padded.grad}
    gradients.update({f"hx[{k}]": s.grad for k, s in enumerate(state or ())})
    gradients.update({name: p.grad for name, p in module.named_parameters()})
    return output, finals, gradients


@pytest.mark.parametrize(("kind", "num_layers", "bidirectional", "with_state", "enforce_sorted"), CASES)
def test_packed_input_equals_torch(kind, num_layers, bidirectional, with_state, enforce_sorted):
    ours, reference = make_pair(kind, INPUT_SIZE, HIDDEN_SIZE, num_layers=num_layers,
                                bidirectional=bidirectional)
    data = packed_data(kind, num_layers, bidirectional, with_state, enforce_sorted)
    output, finals, gradients = run(ours, *data, enforce_sorted)
    expected_output, expected_finals, expected_gradients = run(reference, *data, enforce_sorted)
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        assert torch.equal(getattr(output, name), getattr(expected_output, name)) \
            if getattr(expected_output, name) is not None else getattr(output, name) is None, name
    assert (output.data - expected_output.data).abs().max() < 1e-10
    assert len(finals) == len(expected_finals)
    for got, expected in zip(finals, expected_finals, strict=True):
        assert got.shape == expected.shape
        assert (got - expected).abs().max() < 1e-10
    assert gradients.keys() == expected_gradients.keys()
    for name, expected in expected_gradients.items():
        assert gradients[name] is not None, f"{name}: no gradient"
        assert (gradients[name] - expected).abs().max() < 1e-10, name


@pytest.mark.parametrize("kind", LAYERS)
def test_final_state_is_each_sequences_own_last_step(kind):
    """Independent of torch: h_n of a sequence in a packed batch equals h_n of that sequence run alone."""
    ours, _ = make_pair(kind, INPUT_SIZE, HIDDEN_SIZE, num_layers=2, bidirectional=True)
    padded, lengths, _ = packed_data(kind, 2, True, False, enforce_sorted=False)
    with torch.no_grad():
        output, final = ours(pack_padded_sequence(padded, lengths, enforce_sorted=False))
        unpacked, unpacked_lengths = pad_packed_sequence(output)
        assert torch.equal(unpacked_lengths, lengths)
        h_n = final[0] if kind == "lstm" else final
        for b, length in enumerate(lengths.tolist()):
            alone_output, alone = ours(padded[:length, b : b + 1])
            alone_h = alone[0] if kind == "lstm" else alone
            assert (h_n[:, b : b + 1] - alone_h).abs().max() < 1e-12
            assert (unpacked[:length, b : b + 1] - alone_output).abs().max() < 1e-12
            assert not unpacked[length:, b].any()


@pytest.mark.parametrize("kind", LAYERS)
def test_packed_input_errors(kind):
    ours, _ = make_pair(kind, INPUT_SIZE, HIDDEN_SIZE)
    padded, lengths, _ = packed_data(kind, 1, False, False, enforce_sorted=True)
    packed = pack_padded_sequence(padded, lengths)
    with pytest.raises(ValueError, match="return_gates=True needs a padded tensor as input, got a PackedSequence"):
        ours(packed, return_gates=True)
    wrong = pack_padded_sequence(torch.zeros(7, 5, 2, dtype=torch.float64), lengths)
    message = "expected a PackedSequence of 3 features, got data of shape (17, 2)"
    with pytest.raises(ValueError, match=re.escape(message)):
        ours(wrong)
    with pytest.raises(TypeError, match="input has dtype torch.float32, but the parameters are torch.float64"):
        ours(pack_padded_sequence(padded.float(), lengths))
    bad_state = torch.zeros(1, 4, HIDDEN_SIZE, dtype=torch.float64)
    with pytest.raises(ValueError, match=re.escape("of shape (1, 5, 4), got (1, 4, 4)")):
        ours(packed, (bad_state, bad_state) if kind == "lstm" else bad_state)


@pytest.mark.parametrize("kind", LAYERS)
def test_packed_input_stays_on_the_device_of_the_layer(kind):
    """On the meta device (shapes, no values) a path that left a tensor on the CPU would stop."""
    ours, _ = make_pair(kind, INPUT_SIZE, HIDDEN_SIZE, num_layers=2, bidirectional=True, device="meta")
    padded = torch.zeros(7, len(LENGTHS), INPUT_SIZE, dtype=torch.float64, device="meta")
    packed = pack_padded_sequence(padded, torch.tensor(LENGTHS), enforce_sorted=False)
    state = torch.zeros(4, len(LENGTHS), HIDDEN_SIZE, dtype=torch.float64, device="meta")
    output, final = ours(packed, (state, state) if kind == "lstm" else state)
    assert output.data.device.type == "meta" and output.data.shape == (sum(LENGTHS), 2 * HIDDEN_SIZE)
    for h in final if kind == "lstm" else (final,):
        assert h.device.type == "meta" and h.shape == (4, len(LENGTHS), HIDDEN_SIZE)
