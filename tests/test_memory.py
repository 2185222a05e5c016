import pytest
import torch

from rnntutor import generator, seed_everything
from rnntutor.cells import ChoGRUCell
from rnntutor.gradients import unroll
from rnntutor.layers import GRU, RNN
from rnntutor.memory import (
    TEST_SEED,
    TRAIN_SEED,
    hidden_size_for,
    lag_sweep,
    parameter_count,
    recall_weights,
    recurrent_cell,
    summarize,
    sweep_model,
)
from rnntutor.models import SequenceModel
from rnntutor.tasks import adding_problem
from rnntutor.train import fit


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("hidden, inputs, outputs", [(1, 1, 1), (7, 2, 1), (31, 5, 3)])
def test_parameter_count_matches_the_model(kind, hidden, inputs, outputs):
    model = SequenceModel(kind, inputs, hidden, outputs)
    assert parameter_count(kind, hidden, inputs, outputs) == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("budget", [60, 1200, 4400, 4417])
def test_hidden_size_for_picks_the_closest_count(kind, budget):
    size = hidden_size_for(kind, budget, 2, 1)
    best = min(abs(parameter_count(kind, h, 2, 1) - budget) for h in range(1, 200))
    assert abs(parameter_count(kind, size, 2, 1) - budget) == best


def test_equal_budgets_give_narrower_gated_cells():
    sizes = [hidden_size_for(kind, 4400, 2, 1) for kind in ("rnn", "gru", "lstm")]
    assert sizes[0] > sizes[1] > sizes[2]


@pytest.mark.parametrize("call, message", [
    (lambda: hidden_size_for("rnn", 3, 2, 1), "budget must be an int of at least"),
    (lambda: hidden_size_for("rnn", 100.0, 2, 1), "budget must be an int"),
    (lambda: parameter_count("transformer", 4, 2, 1), "kind must be one of"),
])
def test_bad_sizes_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def tiny_sweep(**changes):
    options = dict(lengths=[3, 4], seeds=[0, 1], steps=3, batch_size=8, test_size=16, budget=120)
    return lag_sweep(**{**options, **changes})


def test_the_sweep_returns_one_scored_result_per_length_model_and_seed():
    results = tiny_sweep()
    assert [(r.length, r.model, r.seed) for r in results] == [
        (length, model, seed) for length in (3, 4) for model in ("RNN", "GRU", "LSTM") for seed in (0, 1)]
    for r in results:
        x, y = adding_problem(16, r.length, generator(TEST_SEED))
        assert r.baseline_mse == pytest.approx(float(((y - 1) ** 2).mean()))
        with torch.no_grad():
            assert r.test_mse == pytest.approx(float(((r.network(x).squeeze(-1) - y) ** 2).mean()), rel=1e-5)
        assert r.relative_error == pytest.approx(r.test_mse / r.baseline_mse)
        assert r.recall == pytest.approx(recall_weights(r.network, x), abs=1e-5)
        assert r.parameters == sum(p.numel() for p in r.network.parameters())
        assert abs(r.parameters - 120) < 0.25 * 120


def test_the_sweep_is_reproducible():
    first, second = tiny_sweep(lengths=[3]), tiny_sweep(lengths=[3])
    assert [r.test_mse for r in first] == [r.test_mse for r in second]


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_each_seed_of_the_sweep_equals_a_run_alone(kind):
    """The seeds train together in one Ensemble; seed 1 ends where fit() with seed 1 ends on its own."""
    [_, result] = tiny_sweep(lengths=[4], seeds=[0, 1], kinds=[kind], forget_bias=1.0)
    hidden = hidden_size_for(kind, 120, 2, 1)
    seed_everything(1)
    alone = sweep_model(kind, hidden, forget_bias=1.0)
    train = adding_problem(3 * 8, 4, generator(TRAIN_SEED))
    fit(alone, lambda p, t: torch.nn.functional.mse_loss(p.squeeze(-1), t), train, epochs=1, batch_size=8,
        lr=1e-2, clip_norm=1.0, seed=1)
    for name, value in alone.state_dict().items():
        torch.testing.assert_close(result.network.state_dict()[name], value, rtol=1e-5, atol=1e-6)


def test_the_seed_offset_changes_the_draws(monkeypatch):
    first = tiny_sweep(lengths=[3], kinds=["gru"])
    monkeypatch.setenv("RNNTUTOR_SEED_OFFSET", "5")
    shifted = tiny_sweep(lengths=[3], kinds=["gru"])
    assert [r.test_mse for r in first] != [r.test_mse for r in shifted]


def test_sweep_model_sets_the_forget_bias_of_the_lstm_only():
    lstm = sweep_model("lstm", 5, forget_bias=1.0)
    assert torch.equal((lstm.recurrent.bias_ih_l0 + lstm.recurrent.bias_hh_l0)[5:10], torch.ones(5))
    torch.manual_seed(0)
    gru = sweep_model("gru", 5, forget_bias=1.0)
    torch.manual_seed(0)
    assert torch.equal(gru.recurrent.bias_hh_l0, SequenceModel("gru", 2, 5, 1).recurrent.bias_hh_l0)


def test_the_sweep_learns_a_short_sequence():
    """A GRU trained for a few seconds beats the trivial baseline by far at length 4."""
    [result] = lag_sweep([4], [0], kinds=["gru"], steps=150, batch_size=128, budget=300, test_size=500)
    assert result.relative_error < 0.2


@pytest.mark.parametrize("changes, message", [
    ({"lengths": []}, "lengths must not be empty"),
    ({"lengths": [1]}, "every length must be an int of at least 2"),
    ({"kinds": ["rnn", "tcn"]}, "kind must be one of"),
    ({"steps": 0}, "steps must be a positive int"),
    ({"batch_size": 0}, "batch_size must be a positive int"),
    ({"seeds": []}, "seeds must not be empty"),
])
def test_the_sweep_refuses_bad_arguments(changes, message):
    with pytest.raises(ValueError, match=message):
        tiny_sweep(**changes)


def test_summarize_gives_mean_and_spread_per_model_and_length():
    results = tiny_sweep()
    table = summarize(results)
    assert list(table.index.get_level_values("model").unique()) == ["RNN", "GRU", "LSTM"]
    row = table.loc[("LSTM", 4)]
    errors = [r.relative_error for r in results if r.model == "LSTM" and r.length == 4]
    assert row["mean"] == pytest.approx(sum(errors) / 2)
    assert (row["min"], row["max"], row["seeds"]) == (min(errors), max(errors), 2)
    with pytest.raises(ValueError, match="no results"):
        summarize([])


class Memory(torch.nn.Module):
    """Predicts a v_i + b v_j + c exactly: a stand-in for a trained model with known weights."""

    def __init__(self, a, b):
        super().__init__()
        self.weights = torch.nn.Parameter(torch.tensor([a, b]))

    def forward(self, x):
        marked = x[..., 0][x[..., 1] == 1].view(-1, 2)
        return (marked @ self.weights + 0.3).unsqueeze(1)


@pytest.mark.parametrize("a, b", [(1.0, 1.0), (0.0, 0.7), (0.25, -0.5)])
def test_recall_weights_recover_known_weights(a, b):
    x, _ = adding_problem(200, 9, torch.Generator().manual_seed(0))
    got = recall_weights(Memory(a, b), x)
    assert got == pytest.approx((a, b), abs=1e-5)


def test_recall_weights_refuse_other_inputs():
    with pytest.raises(ValueError, match="shape \\(batch, length, 2\\)"):
        recall_weights(Memory(1.0, 1.0), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="exactly two marked steps"):
        recall_weights(Memory(1.0, 1.0), torch.zeros(3, 4, 2))


@pytest.mark.parametrize("make", [
    lambda: SequenceModel("rnn", 2, 5, 1),
    lambda: SequenceModel("gru", 2, 5, 1),
    lambda: sweep_model("lstm", 5, forget_bias=1.0),
])
def test_recurrent_cell_steps_as_the_layer_does(make):
    seed_everything(3)
    model = make()
    x, _ = adding_problem(4, 6, generator(1))
    cell = recurrent_cell(model)
    with torch.no_grad():
        expected, _ = model.recurrent(x)
        got = unroll(cell, x)
    assert (got - expected).abs().max().item() < 1e-6
    assert cell.weight_hh.data_ptr() != model.recurrent.weight_hh_l0.data_ptr()  # a copy


def test_recurrent_cell_keeps_the_relu_and_the_reset_before_form():
    x, _ = adding_problem(3, 5, generator(2))
    for layer in (RNN(2, 4, nonlinearity="relu", batch_first=True), GRU(2, 4, batch_first=True, reset_after=False)):
        model = SequenceModel("rnn", 2, 4, 1)
        model.recurrent = layer
        cell = recurrent_cell(model)
        with torch.no_grad():
            assert (unroll(cell, x) - layer(x)[0]).abs().max().item() < 1e-6
    assert isinstance(cell, ChoGRUCell)


def test_recurrent_cell_refuses_a_stacked_layer():
    with pytest.raises(ValueError, match="one-layer, one-direction"):
        recurrent_cell(SequenceModel("gru", 2, 4, 1, num_layers=2))
