"""The lag sweep of chapter 7 ("Long-range memory"): an RNN, a GRU and an LSTM of about the same size learn
the adding problem at several sequence lengths and seeds, and each is scored against the trivial baseline.

The score is the test error relative to the baseline that always predicts the mean target, 1:

    relative error = MSE(model) / MSE(1),    MSE(1) = mean_n (y_n - 1)^2 ~ 1/6,

so 0 is a perfect memory, 1 is no better than remembering nothing, and 1/2 is a model that holds only the
second of the two numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn

from .gate_control import set_forget_bias
from .models import RECURRENT_LAYERS, SequenceModel
from .tasks import adding_problem
from .train import evaluate, fit
from .validate import check_positive_ints

GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # blocks of rows in weight_ih: a; r, z, n; i, f, g, o
NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
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
    same sequences, their ratio, and the trained ``network`` itself (in evaluation mode)."""

    model: str
    length: int
    seed: int
    parameters: int
    test_mse: float
    baseline_mse: float
    relative_error: float
    network: nn.Module = field(repr=False, compare=False)


def lag_sweep(
    lengths: Iterable[int],
    seeds: Iterable[int],
    *,
    kinds: Iterable[str] = ("rnn", "gru", "lstm"),
    budget: int = 4400,
    steps: int = 400,
    batch_size: int = 128,
    lr: float = 1e-2,
    clip_norm: float = 1.0,
    forget_bias: float = 1.0,
    test_size: int = 1000,
    device: torch.device | str | None = None,
) -> list[SweepResult]:
    """Train every model kind on the adding problem at every length and seed; score each on fresh sequences.

    A controlled experiment: for one ``(length, seed)`` every kind sees the same ``steps`` batches of
    ``batch_size`` sequences, drawn with ``torch.Generator().manual_seed(seed)``, and starts from weights
    drawn after ``torch.manual_seed(seed)``; it trains with Adam (``lr``) and gradients clipped to norm
    ``clip_norm``, at a hidden size chosen by :func:`hidden_size_for` so that every model has about ``budget``
    parameters. The LSTM's forget-gate bias starts at ``forget_bias``
    (:func:`rnntutor.gate_control.set_forget_bias`; Jozefowicz, Zaremba and Sutskever 2015 advise 1). Every
    model of one length is tested on the same ``test_size`` sequences. Returns one :class:`SweepResult` per
    (kind, length, seed).
    """
    lengths, seeds, kinds = list(lengths), list(seeds), list(kinds)
    for kind in kinds:
        _check_kind(kind)
    for name, values in (("lengths", lengths), ("seeds", seeds), ("kinds", kinds)):
        if not values:
            raise ValueError(f"{name} must not be empty")
    check_positive_ints(steps=steps, test_size=test_size)
    for length in lengths:
        if not isinstance(length, int) or isinstance(length, bool) or length < 2:
            raise ValueError(f"every length must be an int of at least 2, got {length!r}")
    sizes = {kind: hidden_size_for(kind, budget, 2, 1) for kind in kinds}

    def mse(prediction, target):
        return nn.functional.mse_loss(prediction.squeeze(-1), target)

    results = []
    for length in lengths:
        test = adding_problem(test_size, length, torch.Generator().manual_seed(TEST_SEED))
        baseline = float(((test[1] - 1.0) ** 2).mean())
        for seed in seeds:
            data = torch.Generator().manual_seed(seed)
            batches = [adding_problem(batch_size, length, data) for _ in range(steps)]
            for kind in kinds:
                torch.manual_seed(seed)
                model = SequenceModel(kind, 2, sizes[kind], 1)
                if kind == "lstm":
                    set_forget_bias(model.recurrent, forget_bias)
                fit(model, mse, batches, epochs=1, lr=lr, clip_norm=clip_norm, seed=seed, device=device)
                error = evaluate(model, mse, test)
                results.append(SweepResult(NAMES[kind], length, seed, sum(p.numel() for p in model.parameters()),
                                           error, baseline, error / baseline, model.eval()))
    return results


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
    if not (torch.is_tensor(x) and x.dim() == 3 and x.shape[2] == 2):
        raise ValueError(f"x must be adding-problem inputs of shape (batch, length, 2), got "
                         f"{tuple(x.shape) if torch.is_tensor(x) else type(x).__name__}")
    values, markers = x[..., 0], x[..., 1]
    if not torch.equal(markers.sum(1), torch.full_like(markers[:, 0], 2.0)):
        raise ValueError("every sequence of x must have exactly two marked steps")
    marked = values[markers == 1].view(-1, 2)  # (v_i, v_j) of every sequence, in order of time
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    prediction = model(x.to(device)).reshape(-1).cpu().double()
    model.train(was_training)
    design = torch.cat([marked.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)
    a, b, _ = torch.linalg.lstsq(design, prediction.unsqueeze(1)).solution.squeeze(1).tolist()
    return a, b


def _check_kind(kind) -> None:
    if kind not in RECURRENT_LAYERS:
        raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}")
