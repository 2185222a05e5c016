"""Many seeds trained together: copy k of an Ensemble equals a separate run of fit with seed k.

The separate run is the reference: ``seed_everything(k)``, build the model, ``fit(..., seed=k)``. Weights,
per-epoch losses, gradient norms, early stopping and divergence must agree, in float64 to 1e-10 and in
float32 to 1e-5, for every optimizer, with and without clipping, shuffled tensors or a list of batches.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

import rnntutor
from rnntutor.ensemble import Ensemble
from rnntutor.models import SequenceModel
from rnntutor.runtime import seed_everything
from rnntutor.train import fit

TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}
SEEDS = [0, 3, 7]


@pytest.fixture
def dtype(request):
    old = torch.get_default_dtype()
    torch.set_default_dtype(request.param)
    yield request.param
    torch.set_default_dtype(old)


def classification(n, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, 3, generator=g, dtype=dtype)
    return x, (x[:, 0, 0] > 0).long() + (x[:, -1, 1] > 0).long()


def make_lstm():
    return SequenceModel("lstm", 3, 6, 3)


#: The first three run their cells' equations on stacked weights, the last through vmap.
MODELS = {
    "LSTM": make_lstm,
    "GRU": lambda: SequenceModel("gru", 3, 5, 3),
    "RNN": lambda: SequenceModel("rnn", 3, 7, 3),
    "two-layer GRU": lambda: SequenceModel("gru", 3, 4, 3, num_layers=2),
}


def separate_run(make_model, seed, data, **options):
    seed_everything(seed)
    model = make_model()
    return model, fit(model, nn.functional.cross_entropy, data, seed=seed, **options)


def largest_difference(a: nn.Module, b: nn.Module) -> float:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return max((x - y).abs().max().item() for x, y in pairs)


CASES = {
    "adam, shuffled batches, clipping, early stopping": dict(
        epochs=8, lr=0.01, batch_size=16, clip_norm=0.5, patience=2),
    "sgd, whole batch, no clipping": dict(epochs=6, lr=0.5, optimizer=torch.optim.SGD),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], indirect=True, ids=str)
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("model", list(MODELS))
def test_copy_k_equals_a_separate_run_with_seed_k(dtype, case, model):
    options = dict(CASES[case])
    data, val = classification(80, 1, dtype), classification(40, 2, dtype)
    if "patience" in options:
        options["val"] = val
    make_model = MODELS[model]
    ensemble = Ensemble(make_model, SEEDS)
    histories = ensemble.fit(nn.functional.cross_entropy, data, **options)
    tolerance = TOLERANCE[dtype]
    for k, seed in enumerate(SEEDS):
        alone, history = separate_run(make_model, seed, data, **options)
        assert largest_difference(alone, ensemble[k]) < tolerance
        assert history.epochs == histories[k].epochs
        assert history.best_epoch == histories[k].best_epoch
        assert history.stopped_early == histories[k].stopped_early
        for name in ("train_loss", "val_loss", "grad_norms"):
            ours, theirs = getattr(histories[k], name), getattr(history, name)
            assert len(ours) == len(theirs)
            assert max((abs(a - b) for a, b in zip(ours, theirs, strict=True)), default=0) < tolerance * 10


def test_copies_stop_at_different_epochs_and_keep_their_best_weights():
    data, val = classification(80, 1, torch.float32), classification(40, 2, torch.float32)
    ensemble = Ensemble(make_lstm, range(6))
    histories = ensemble.fit(nn.functional.cross_entropy, data, epochs=40, lr=0.1, batch_size=16, val=val,
                             patience=1)
    assert len({h.epochs for h in histories}) > 1, "these seeds should stop at different epochs"
    losses = ensemble.evaluate(nn.functional.cross_entropy, val)
    for k, history in enumerate(histories):
        assert history.stopped_early or history.epochs == 40
        assert losses[k].item() == pytest.approx(history.best_val_loss, rel=1e-5)


def test_with_data_per_copy_copy_k_equals_a_separate_run_on_its_own_data():
    sets = [classification(48, 10 + k, torch.float64) for k in range(len(SEEDS))]
    data = tuple(torch.stack(parts) for parts in zip(*sets, strict=True))
    options = dict(epochs=4, lr=0.01, batch_size=16, clip_norm=0.5)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        ensemble = Ensemble(make_lstm, SEEDS)
        histories = ensemble.fit(nn.functional.cross_entropy, data, data_per_copy=True, **options)
        for k, seed in enumerate(SEEDS):
            model, history = separate_run(make_lstm, seed, sets[k], **options)
            assert largest_difference(model, ensemble[k]) < TOLERANCE[torch.float64]
            assert histories[k].train_loss == pytest.approx(history.train_loss, abs=1e-9)
        alike = Ensemble(make_lstm, SEEDS)
        alike.fit(nn.functional.cross_entropy, sets[0], **options)
        assert largest_difference(alike[1], ensemble[1]) > 1e-3, "copy 1 trained on set 0 should differ"
    finally:
        torch.set_default_dtype(old)


def test_a_list_of_batches_is_shared_by_every_copy():
    batches = [classification(16, seed, torch.float32) for seed in range(4)]
    ensemble = Ensemble(make_lstm, SEEDS)
    histories = ensemble.fit(nn.functional.cross_entropy, batches, epochs=3, lr=0.02)
    for k, seed in enumerate(SEEDS):
        model, history = separate_run(make_lstm, seed, batches, epochs=3, lr=0.02)
        assert largest_difference(model, ensemble[k]) < 1e-5
        assert history.train_loss == pytest.approx(histories[k].train_loss, abs=1e-5)


def test_a_diverging_copy_stops_and_leaves_the_others_alone():
    x = torch.randn(32, 1)
    y = 3 * x

    def make():
        return nn.Linear(1, 1)

    ensemble = Ensemble(make, [0, 1])
    with torch.no_grad():
        ensemble.weight[1].fill_(1e30)  # copy 1 overflows at once
    histories = ensemble.fit(nn.functional.mse_loss, (x, y), epochs=5, lr=0.01)
    assert histories[1].diverged and histories[1].epochs == 1
    assert not histories[0].diverged and histories[0].epochs == 5
    assert all(math.isfinite(v) for v in histories[0].train_loss)


def test_a_validation_loss_that_is_not_a_number_stops_a_copy_as_fit_stops():
    data, (x_val, y_val) = classification(32, 1, torch.float32), classification(8, 2, torch.float32)
    x_val[0, 0, 0] = math.nan  # every validation loss is NaN: no epoch is better than the first
    options = dict(epochs=6, lr=0.01, val=(x_val, y_val), patience=2)
    histories = Ensemble(make_lstm, SEEDS).fit(nn.functional.cross_entropy, data, **options)
    for k, seed in enumerate(SEEDS):
        _, history = separate_run(make_lstm, seed, data, **options)
        assert (histories[k].best_epoch, histories[k].stopped_early, histories[k].epochs) == (0, True, 3)
        assert (history.best_epoch, history.stopped_early, history.epochs) == (0, True, 3)


@pytest.mark.parametrize("model", list(MODELS))
def test_outputs_are_stacked_along_a_first_axis_and_copies_differ(model):
    ensemble = Ensemble(MODELS[model], SEEDS)
    x = torch.randn(5, 6, 3)
    out = ensemble(x)
    assert out.shape == (3, 5, 3)
    for k in range(3):
        torch.testing.assert_close(out[k], ensemble[k](x))
    assert not torch.equal(out[0], out[1])
    per_copy = torch.randn(3, 5, 6, 3)
    torch.testing.assert_close(ensemble(per_copy, per_copy=True)[2], ensemble[2](per_copy[2]))


@pytest.mark.parametrize("model", ["LSTM", "GRU", "RNN"])
def test_a_one_layer_sequence_model_runs_its_cell_on_the_stacked_weights(model, monkeypatch):
    """The fast path: no functional_call (vmap's way through the module) in the forward or in training."""
    ensemble = Ensemble(MODELS[model], SEEDS)

    def refuse(*args):
        raise AssertionError("the copies went through vmap")

    monkeypatch.setattr(rnntutor.ensemble, "functional_call", refuse)
    ensemble(torch.randn(5, 6, 3))
    ensemble.fit(nn.functional.cross_entropy, classification(16, 0, torch.float32), epochs=1, lr=0.01)


@pytest.mark.parametrize("per_copy", [False, True], ids=["shared input", "input per copy"])
@pytest.mark.parametrize("model", ["LSTM", "GRU", "RNN"])
def test_the_input_terms_of_every_step_are_one_product(model, per_copy):
    """As in the layers, ``W_ih x_t + b_ih`` of every step is computed before the loop: each further step
    adds one matrix product (the state's), forward and backward alike."""
    ensemble = Ensemble(MODELS[model], SEEDS)

    def products(steps: int) -> tuple[int, int]:
        x = torch.randn(*([3] if per_copy else []), 5, steps, 3)
        with CountOperations(MATRIX_PRODUCTS) as forward:
            out = ensemble(x, per_copy=per_copy)
        with CountOperations(MATRIX_PRODUCTS) as backward:
            out.sum().backward()
        return forward.operations, backward.operations

    (forward_4, backward_4), (forward_8, backward_8) = products(4), products(8)
    assert forward_8 - forward_4 == 4
    assert backward_8 - backward_4 == 4 * 2  # the gradients of h_{t-1} and of W_hh


def test_an_input_the_stacked_path_does_not_take_gets_the_layers_own_message():
    ensemble = Ensemble(make_lstm, SEEDS)
    with pytest.raises(ValueError, match=r"LSTM: expected input of shape \(batch, seq, 3\)"):
        ensemble(torch.randn(5, 6, 4))
    with pytest.raises(ValueError, match="at least one time step"):
        ensemble(torch.randn(5, 0, 3))


def test_the_seed_offset_shifts_every_copy(monkeypatch):
    plain = Ensemble(make_lstm, [5])[0]
    monkeypatch.setenv("RNNTUTOR_SEED_OFFSET", "2")
    shifted = Ensemble(make_lstm, [3])[0]
    assert largest_difference(plain, shifted) == 0


@pytest.mark.parametrize(
    ("make", "seeds", "error", "message"),
    [
        (make_lstm, [], ValueError, "at least one seed"),
        (make_lstm, [1, 1], ValueError, "different from each other"),
        (lambda: "model", [0], TypeError, "must return a torch.nn.Module, got str"),
    ],
)
def test_bad_arguments_say_what_was_expected(make, seeds, error, message):
    with pytest.raises(error, match=message):
        Ensemble(make, seeds)


def test_bad_fit_arguments_and_indices():
    ensemble = Ensemble(make_lstm, SEEDS)
    data = classification(8, 0, torch.float32)
    with pytest.raises(TypeError, match="optimizer class"):
        ensemble.fit(nn.functional.cross_entropy, data, epochs=1,
                     optimizer=torch.optim.SGD(ensemble.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        ensemble.fit(nn.functional.cross_entropy, data, epochs=0, lr=0.1)
    with pytest.raises(ValueError, match="one training set per copy"):
        ensemble.fit(nn.functional.cross_entropy, data, epochs=1, lr=0.1, data_per_copy=True)
    with pytest.raises(IndexError, match="3 copies has no copy 3"):
        ensemble[3]
    with pytest.raises(ValueError, match="one input per copy"):
        ensemble(torch.randn(2, 6, 3), per_copy=True)


def test_exported_at_the_top_level():
    assert rnntutor.Ensemble is Ensemble


@pytest.mark.parametrize("model", ["LSTM", "two-layer GRU"], ids=["stacked cells", "vmap"])
def test_the_operations_do_not_grow_with_the_copies(model):
    """On a GPU a small model's time follows the number of operations launched (see
    benchmarks/count_operations.py): ten seeds together launch exactly what two launch. (One copy alone
    can launch fewer: some of its transposes need no copy.)"""
    batches = [classification(16, seed, torch.float32) for seed in range(3)]
    options = dict(epochs=2, lr=0.01, clip_norm=0.5, val=classification(8, 9, torch.float32), patience=1)

    def operations(seeds) -> int:
        ensemble = Ensemble(MODELS[model], seeds)
        with CountOperations() as counted:
            ensemble.fit(nn.functional.cross_entropy, batches, **options)
        return counted.operations

    assert operations(range(10)) == operations([0, 1]) > 0


MATRIX_PRODUCTS = {"mm", "addmm", "bmm", "baddbmm"}


class CountOperations(TorchDispatchMode):
    """Every ATen operation that is not a view (benchmarks/count_operations.py also leaves out those that only
    allocate), or only those named in ``names``."""

    def __init__(self, names: set[str] | None = None):
        super().__init__()
        self.names, self.operations = names, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        self.operations += not func.is_view and (self.names is None or name in self.names)
        return func(*args, **(kwargs or {}))
