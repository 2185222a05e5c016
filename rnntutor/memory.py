"""The lag sweep of chapter 7 ("Long-range memory"): an RNN, a GRU and an LSTM of about the same size learn
the adding problem at several sequence lengths and seeds, and each is scored against the trivial baseline.

The score is the test error relative to the baseline that always predicts the mean target, 1:

    relative error = MSE(model) / MSE(1),    MSE(1) = mean_n (y_n - 1)^2 ~ 1/6,

so 0 is a perfect memory, 1 is no better than remembering nothing, and 1/2 is a model that holds only the
second of the two numbers.

:func:`recurrent_cell` takes the cell out of a trained model, so that chapter 4's
:func:`~rnntutor.gradients.state_gradient_norms` can measure how far back its gradient reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

import pandas as pd
import torch
from torch import nn

from .cells import Cell, ChoGRUCell, GRUCell, LSTMCell, RNNCell
from .ensemble import Ensemble
from .gate_control import set_forget_bias
from .layers import GRU, LSTM, RNN
from .models import RECURRENT_LAYERS, SequenceModel
from .runtime import generator
from .tasks import adding_problem
from .validate import check_positive_ints

GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # blocks of rows in weight_ih: a; r, z, n; i, f, g, o
NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
TRAIN_SEED = 2**31 - 2  # the training sequences: one pool per length, shared by every model and seed
TEST_SEED = 2**31 - 1  # the test sequences: one set per length, shared by every model and training seed


def parameter_count(kind: str, hidden_size: int, input_size: int, output_size: int) -> int:
    """Parameters of ``SequenceModel(kind, input_size, hidden_size, output_size)``: ``G`` gate blocks of
    ``W_ih, W_hh, b_ih, b_hh`` and the head,

        P = G (H I + H^2 + 2 H) + (H + 1) O,    G = 1 (RNN), 3 (GRU), 4 (LSTM).
    """
    _check_kind(kind)
    H, I, O = hidden_size, input_size, output_size  # noqa: E741 (the symbols of the equation)
    return GATES[kind] * (H * I + H * H + 2 * H) + (H + 1) * O


def hidden_size_for(kind: str, budget: int, input_size: int, output_size: int) -> int:
    """The hidden size whose model has the parameter count closest to ``budget`` (the smaller on a tie).

    An LSTM has four blocks of weights to an RNN's one, so at the same budget its hidden state is about
    half as wide: the fair comparison holds the number of parameters fixed, not the width.
    """
    _check_kind(kind)
    smallest = parameter_count(kind, 1, input_size, output_size)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < smallest:
        raise ValueError(f"budget must be an int of at least {smallest} (a {NAMES[kind]} of hidden size 1), "
                         f"got {budget!r}")
    size = 1
    while parameter_count(kind, size + 1, input_size, output_size) <= budget:
        size += 1
    below, above = (parameter_count(kind, h, input_size, output_size) for h in (size, size + 1))
    return size if budget - below <= above - budget else size + 1


@dataclass(frozen=True)
class SweepResult:
    """One trained model of the sweep: its ``model`` name, sequence ``length`` and ``seed``, its number of
    ``parameters``, the mean squared error on the test sequences, the error of always predicting 1 on the
    same sequences, their ratio, the weights ``(a, b)`` of the two marked numbers in its answers on the test
    sequences (:func:`recall_weights`), and the trained ``network`` itself (in evaluation mode)."""

    model: str
    length: int
    seed: int
    parameters: int
    test_mse: float
    baseline_mse: float
    relative_error: float
    recall: tuple[float, float]
    network: nn.Module = field(repr=False, compare=False)


def sweep_model(kind: str, hidden_size: int, forget_bias: float = 1.0) -> SequenceModel:
    """The model of the sweep: ``SequenceModel(kind, 2, hidden_size, 1)``, an LSTM with its forget-gate bias
    set to ``forget_bias`` (:func:`rnntutor.gate_control.set_forget_bias`)."""
    model = SequenceModel(kind, 2, hidden_size, 1)
    if kind == "lstm":
        set_forget_bias(model.recurrent, forget_bias)
    return model


def lag_sweep(
    lengths: Iterable[int],
    seeds: Iterable[int],
    *,
    kinds: Iterable[str] = ("rnn", "gru", "lstm"),
    budget: int = 4400,
    steps: int = 250,
    batch_size: int = 32,
    lr: float = 1e-2,
    clip_norm: float = 1.0,
    forget_bias: float = 1.0,
    test_size: int = 500,
    device: torch.device | str | None = None,
) -> list[SweepResult]:
    """Train every model kind on the adding problem at every length and seed; score each on fresh sequences.

    A controlled experiment. At one length every kind and seed trains on the same pool of
    ``steps * batch_size`` sequences (drawn with ``generator(TRAIN_SEED)``), one epoch in ``steps``
    mini-batches of ``batch_size``; seed ``s`` starts from weights drawn after ``seed_everything(s)`` and
    walks the pool in the order ``generator(s)`` shuffles it, the same for every kind. Every model trains
    with Adam (``lr``) and its gradient clipped to norm ``clip_norm``, at a hidden size chosen by
    :func:`hidden_size_for` so that it has about ``budget`` parameters; the LSTM's forget-gate bias starts at
    ``forget_bias`` (Jozefowicz, Zaremba and Sutskever 2015 advise 1). The seeds of one (kind, length) train
    together in one :class:`~rnntutor.ensemble.Ensemble`, so seed ``s`` gives what
    ``fit(sweep_model(...), ..., seed=s)`` gives alone. Every model of one length is tested on the same
    ``test_size`` sequences (``generator(TEST_SEED)``). Returns one :class:`SweepResult` per (length, kind,
    seed), in that order. The defaults are those of chapter 7.
    """
    lengths, seeds, kinds = list(lengths), list(seeds), list(kinds)
    for kind in kinds:
        _check_kind(kind)
    for name, values in (("lengths", lengths), ("seeds", seeds), ("kinds", kinds)):
        if not values:
            raise ValueError(f"{name} must not be empty")
    check_positive_ints(steps=steps, batch_size=batch_size, test_size=test_size)
    for length in lengths:
        if not isinstance(length, int) or isinstance(length, bool) or length < 2:
            raise ValueError(f"every length must be an int of at least 2, got {length!r}")
    sizes = {kind: hidden_size_for(kind, budget, 2, 1) for kind in kinds}

    results = []
    for length in lengths:
        train = adding_problem(steps * batch_size, length, generator(TRAIN_SEED))
        x_test, y_test = adding_problem(test_size, length, generator(TEST_SEED))
        baseline = float(((y_test - 1.0) ** 2).mean())
        for kind in kinds:
            ensemble = Ensemble(partial(sweep_model, kind, sizes[kind], forget_bias), seeds, device=device)
            ensemble.fit(_mse, train, epochs=1, batch_size=batch_size, lr=lr, clip_norm=clip_norm)
            ensemble.eval()
            with torch.no_grad():  # every seed's answers on the test sequences: (seeds, test_size)
                predictions = ensemble(x_test.to(next(ensemble.parameters()).device)).squeeze(-1).cpu()
            errors = ((predictions - y_test) ** 2).mean(dim=1).tolist()
            parameters = parameter_count(kind, sizes[kind], 2, 1)
            for k, seed in enumerate(seeds):
                results.append(SweepResult(NAMES[kind], length, seed, parameters, errors[k], baseline,
                                           errors[k] / baseline, _recall(predictions[k], x_test),
                                           ensemble[k].eval()))
    return results


def _mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return nn.functional.mse_loss(prediction.squeeze(-1), target)


def summarize(results: Iterable[SweepResult]) -> pd.DataFrame:
    """The relative error over seeds: one row per (model, length) with its ``mean``, ``min`` and ``max``
    and the number of ``seeds``, models in the order they came."""
    rows = pd.DataFrame([{"model": r.model, "length": r.length, "relative_error": r.relative_error}
                         for r in results])
    if rows.empty:
        raise ValueError("no results to summarize")
    order = list(dict.fromkeys(rows["model"]))
    table = rows.groupby(["model", "length"])["relative_error"].agg(["mean", "min", "max", "count"])
    return table.rename(columns={"count": "seeds"}).reindex(order, level="model")


@torch.no_grad()
def recall_weights(model: nn.Module, x: torch.Tensor) -> tuple[float, float]:
    """How much of each marked number reaches the prediction: the least-squares fit

        y_hat ~ a v_i + b v_j + c

    over the sequences ``x`` of the adding problem, where ``v_i`` is the first marked value and ``v_j`` the
    second. A perfect memory has ``a = b = 1``; a number that is forgotten has weight 0. Returns ``(a, b)``.
    """
    _check_adding_inputs(x)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    prediction = model(x.to(device)).reshape(-1).cpu()
    model.train(was_training)
    return _recall(prediction, x)


def recurrent_cell(model: nn.Module) -> Cell:
    """The cell of ``model.recurrent``, a one-layer :class:`~rnntutor.RNN`, :class:`~rnntutor.GRU` or
    :class:`~rnntutor.LSTM` (as in :class:`~rnntutor.models.SequenceModel`), as a new
    :class:`~rnntutor.cells.RNNCell`, :class:`~rnntutor.cells.GRUCell` (:class:`~rnntutor.cells.ChoGRUCell`
    with ``reset_after=False``) or :class:`~rnntutor.cells.LSTMCell` holding a copy of the layer's
    parameters, on the layer's device: one step ``cell(x_t, state)`` of the network, for measuring the
    gradient step by step with :func:`rnntutor.gradients.state_gradient_norms`."""
    layer = getattr(model, "recurrent", None)
    if not isinstance(layer, (RNN, GRU, LSTM)) or layer.num_layers != 1 or layer.bidirectional:
        raise ValueError("recurrent_cell: expected a model whose .recurrent is a one-layer, one-direction "
                         f"rnntutor RNN, GRU or LSTM, got {type(layer).__name__}")
    if isinstance(layer, RNN):
        cell_class, options = RNNCell, {"nonlinearity": layer.nonlinearity}
    elif isinstance(layer, GRU):
        cell_class, options = (GRUCell if layer.reset_after else ChoGRUCell), {}
    else:
        cell_class, options = LSTMCell, {}
    weight = layer.weight_ih_l0
    cell = cell_class(layer.input_size, layer.hidden_size, layer.bias, device=weight.device, dtype=weight.dtype,
                      **options)
    cell.load_state_dict({name.removesuffix("_l0"): value for name, value in layer.state_dict().items()})
    return cell


def _check_adding_inputs(x) -> None:
    if not (torch.is_tensor(x) and x.dim() == 3 and x.shape[2] == 2):
        raise ValueError(f"x must be adding-problem inputs of shape (batch, length, 2), got "
                         f"{tuple(x.shape) if torch.is_tensor(x) else type(x).__name__}")
    if not torch.equal(x[..., 1].sum(1), torch.full_like(x[:, 0, 1], 2.0)):
        raise ValueError("every sequence of x must have exactly two marked steps")


def _recall(prediction: torch.Tensor, x: torch.Tensor) -> tuple[float, float]:
    """The least-squares weights ``(a, b)`` of ``prediction ~ a v_i + b v_j + c`` (float64)."""
    values, markers = x[..., 0], x[..., 1]
    marked = values[markers == 1].view(-1, 2)  # (v_i, v_j) of every sequence, in order of time
    design = torch.cat([marked.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)
    a, b, _ = torch.linalg.lstsq(design, prediction.double().reshape(-1, 1)).solution.squeeze(1).tolist()
    return a, b


def _check_kind(kind) -> None:
    if kind not in RECURRENT_LAYERS:
        raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}")
