"""The model with separate weights per step, and the switch task that chapters 2 and 3 train on."""

import pytest
import torch

from rnntutor.models import SequenceModel, UnsharedRNN
from rnntutor.tasks import switch


def test_switch_target_is_the_last_nonzero_command_off_at_start():
    x, y = switch(200, 15, p=0.2, generator=torch.Generator().manual_seed(0))
    assert x.shape == (200, 15, 1) and x.dtype == torch.float32 and y.shape == (200,) and y.dtype == torch.int64
    assert set(x.unique().tolist()) == {-1.0, 0.0, 1.0}
    for commands, target in zip(x[..., 0].tolist(), y.tolist(), strict=True):
        on = False
        for command in commands:
            on = on if command == 0 else command > 0
        assert target == int(on)


def test_switch_every_step_holds_the_position_after_each_step():
    x, every = switch(50, 9, generator=torch.Generator().manual_seed(1), every_step=True)
    _, last = switch(50, 9, generator=torch.Generator().manual_seed(1))
    assert every.shape == (50, 9) and torch.equal(every[:, -1], last)
    on = torch.zeros(50, dtype=torch.bool)
    for t in range(9):
        on = torch.where(x[:, t, 0] != 0, x[:, t, 0] > 0, on)
        assert torch.equal(every[:, t].bool(), on)


def test_switch_commands_have_the_asked_frequency_and_refuse_bad_p():
    x, _ = switch(400, 50, p=0.1, generator=torch.Generator().manual_seed(2))
    assert (x == 1).float().mean().item() == pytest.approx(0.1, abs=0.01)
    assert (x == -1).float().mean().item() == pytest.approx(0.1, abs=0.01)
    for bad in (0, 0.6, True):
        with pytest.raises(ValueError, match=r"p must be a number in \(0, 0.5\]"):
            switch(2, 3, p=bad)


def test_unshared_rnn_grows_with_length_and_has_one_cell_per_step():
    def count(model):
        return sum(p.numel() for p in model.parameters())

    cell = 8 * (3 + 8) + 2 * 8  # W_ih, W_hh, b_ih, b_hh of one step
    head = 8 * 2 + 2
    for length in (1, 5, 20):
        assert count(UnsharedRNN(length, 3, 8, 2)) == length * cell + head
    assert count(SequenceModel("rnn", 3, 8, 2)) == cell + head


def test_unshared_rnn_with_equal_weights_at_every_step_is_the_shared_model():
    shared = SequenceModel("rnn", 3, 4, 2)
    unshared = UnsharedRNN(6, 3, 4, 2)
    weights = {name.removesuffix("_l0"): p for name, p in shared.recurrent.state_dict().items()}
    for cell in unshared.cells:
        cell.load_state_dict(weights)
    unshared.head.load_state_dict(shared.head.state_dict())
    x = torch.randn(5, 6, 3)
    assert torch.allclose(unshared(x), shared(x), atol=1e-6)
    with torch.no_grad():
        unshared.cells[2].weight_hh.add_(0.5)  # one step's own weight changes one step only
    assert not torch.allclose(unshared(x), shared(x), atol=1e-3)


def test_unshared_rnn_trains_every_step():
    model = UnsharedRNN(4, 2, 3, 1)
    model(torch.randn(5, 4, 2)).sum().backward()
    assert all(cell.weight_ih.grad is not None and cell.weight_ih.grad.abs().sum() > 0 for cell in model.cells)


def test_unshared_rnn_refuses_other_lengths_and_bad_input():
    model = UnsharedRNN(10, 1, 4, 2)
    with pytest.raises(ValueError, match="weights for exactly 10 steps and cannot run on a sequence of 12 steps"):
        model(torch.randn(3, 12, 1))
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 10, 1\), got \(3, 10\)"):
        model(torch.randn(3, 10))
    with pytest.raises(ValueError, match="length must be a positive int, got 0"):
        UnsharedRNN(0, 1, 4, 2)
