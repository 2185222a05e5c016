"""The classic airline-passengers LSTM example, reproduced as it was written (chapter 8, "Forecasting").

A much-copied tutorial program: ``pd.read_csv(..., usecols=[1])``, every value divided by
``max - min`` of the *whole* series, windows of the last two months, the first 70 % of the windows for
training, ``nn.LSTM(2, 4, 2)`` and a linear head, the whole training set fed as *one* sequence of batch 1
(each window is one time step), 1000 full-batch Adam steps at ``lr = 1e-2``, then one pass over all
windows, whose outputs are plotted against the series. Only what no longer runs on today's torch is
changed: ``loss.data[0]``, an error on today's torch, and ``Variable(...)``, which still runs but has
done nothing since torch 0.4. ``scaling="train"`` repairs the scaling alone, so that its share of the result
can be measured.

:func:`run_original_seeds` runs the same program for many seeds at once: the copies sit side by side in one
``lstm_reg`` of ``n`` times the width whose weight matrices are block-diagonal (copy ``k`` reads only its own
inputs and its own units), and each copy's loss is the original's. Adam acts element by element and the
gradients between blocks are zeroed, so copy ``k`` is ``run_original(seed=k)`` up to the rounding of the
larger matrix products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .metrics import Forecasts
from .runtime import seed_everything

LOOK_BACK = 2


class lstm_reg(nn.Module):  # noqa: N801 -- the original's name
    """The original model: a 2-layer LSTM over the sequence of windows, a linear regression on each step."""

    def __init__(self, input_size, hidden_size, output_size=1, num_layers=2):
        super().__init__()
        self.rnn = nn.LSTM(input_size, hidden_size, num_layers)  # rnn
        self.reg = nn.Linear(hidden_size, output_size)  # regression

    def forward(self, x):
        x, _ = self.rnn(x)  # (seq, batch, hidden)
        s, b, h = x.shape
        x = x.view(s * b, h)
        x = self.reg(x)
        x = x.view(s, b, -1)
        return x


def create_dataset(dataset, look_back=LOOK_BACK):
    """The original windowing: ``dataX[i] = dataset[i : i + look_back]``, ``dataY[i] = dataset[i + look_back]``."""
    dataX, dataY = [], []
    for i in range(len(dataset) - look_back):
        a = dataset[i : (i + look_back)]
        dataX.append(a)
        dataY.append(dataset[i + look_back])
    return np.array(dataX), np.array(dataY)


@dataclass
class OriginalRun:
    """What the original program computes, in the units of the series.

    ``predictions[i]`` is its output for window ``i``, a forecast of ``values[i + 2]``; the original plots
    it at position ``i``, two months early. ``start`` is the first test month (``values[start:]``),
    ``losses`` the training loss printed every 100 epochs, ``net`` the trained model; the model works on
    ``(values - offset) / scale``.
    """

    predictions: np.ndarray
    start: int
    losses: list[float]
    net: lstm_reg
    offset: float
    scale: float

    @property
    def one_step(self) -> np.ndarray:
        """The original's forecasts of the test months (from the true two months before each)."""
        return self.predictions[self.start - LOOK_BACK :]


def run_original(values, seed: int = 0, epochs: int = 1000, scaling: str = "original") -> OriginalRun:
    """Run the original program on ``values`` (with ``seed`` for torch) and return what it computes.

    ``scaling="original"`` divides by ``max - min`` of all values, test months included;
    ``scaling="train"`` subtracts the training minimum and divides by the training range instead.
    """
    _check_scaling(scaling)
    seed_everything(seed)
    dataset = np.asarray(values, dtype="float32")
    train_size = int((len(dataset) - LOOK_BACK) * 0.7)
    if scaling == "original":
        max_value = np.max(dataset)
        min_value = np.min(dataset)
        offset, scalar = np.float32(0), max_value - min_value
    else:
        train = dataset[: train_size + LOOK_BACK]
        offset, scalar = train.min(), train.max() - train.min()
    dataset = (dataset - offset) / scalar  # was: list(map(lambda x: x / scalar, dataset))

    data_X, data_Y = create_dataset(dataset)
    train_X = data_X[:train_size].reshape(-1, 1, LOOK_BACK)
    train_Y = data_Y[:train_size].reshape(-1, 1, 1)
    train_x = torch.from_numpy(train_X)
    train_y = torch.from_numpy(train_Y)

    net = lstm_reg(LOOK_BACK, 4)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for e in range(epochs):
        out = net(train_x)  # was: net(Variable(train_x))
        loss = criterion(out, train_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (e + 1) % 100 == 0:
            losses.append(loss.item())  # was: loss.data[0]

    net = net.eval()
    with torch.no_grad():
        pred_test = net(torch.from_numpy(data_X.reshape(-1, 1, LOOK_BACK)))
    predictions = pred_test.view(-1).numpy().astype(float) * float(scalar) + float(offset)
    return OriginalRun(predictions, train_size + LOOK_BACK, losses, net, float(offset), float(scalar))


def _check_scaling(scaling: str) -> None:
    if scaling not in ("original", "train"):
        raise ValueError(f"scaling must be 'original' or 'train', got {scaling!r}")


def _block(name: str, k: int, copies: int, hidden: int = 4) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows, and columns for a matrix, of copy ``k``'s share of parameter ``name`` of the wide model in which
    ``copies`` originals of ``hidden`` units each sit side by side."""
    units = k * hidden + np.arange(hidden)
    if name.startswith("reg."):
        return np.array([k]), units if name.endswith("weight") else None
    # torch's LSTM stacks the gates i, f, g, o: the row of unit j of gate q is q * (width) + j
    rows = (np.arange(4)[:, None] * copies * hidden + units).ravel()
    if not name.startswith("rnn.weight"):
        return rows, None
    inputs = LOOK_BACK if name == "rnn.weight_ih_l0" else hidden
    return rows, k * inputs + np.arange(inputs)


def run_original_seeds(
    values, seeds: Sequence[int], epochs: int = 1000, scaling: str = "original", device=None
) -> list[OriginalRun]:
    """:func:`run_original` for every seed in ``seeds``, trained side by side in one wide model (on ``device``,
    the CPU by default); one :class:`OriginalRun` per seed, whose ``net`` is that copy as an ordinary
    ``lstm_reg`` on the CPU."""
    _check_scaling(scaling)
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be one or more different seeds, got {seeds}")
    copies = len(seeds)
    dataset = np.asarray(values, dtype="float32")
    train_size = int((len(dataset) - LOOK_BACK) * 0.7)
    if scaling == "original":
        offset, scalar = np.float32(0), np.max(dataset) - np.min(dataset)
    else:
        train = dataset[: train_size + LOOK_BACK]
        offset, scalar = train.min(), train.max() - train.min()
    data_X, data_Y = create_dataset((dataset - offset) / scalar)
    train_x = torch.from_numpy(data_X[:train_size].reshape(-1, 1, LOOK_BACK)).repeat(1, 1, copies)
    train_y = torch.from_numpy(data_Y[:train_size].reshape(-1, 1, 1))

    nets = []
    for seed in seeds:
        seed_everything(seed)
        nets.append(lstm_reg(LOOK_BACK, 4))
    wide = lstm_reg(LOOK_BACK * copies, 4 * copies, copies)
    masks = {}
    with torch.no_grad():
        for name, param in wide.named_parameters():
            param.zero_()
            masks[name] = torch.zeros_like(param)
            for k, net in enumerate(nets):
                rows, cols = _block(name, k, copies)
                own = net.get_parameter(name)
                index = (rows,) if cols is None else np.ix_(rows, cols)
                param[index] = own
                masks[name][index] = 1
    wide.to(device)
    masks = {name: mask.to(device) for name, mask in masks.items()}
    train_x, train_y = train_x.to(device), train_y.to(device)
    optimizer = torch.optim.Adam(wide.parameters(), lr=1e-2)
    losses = []
    for e in range(epochs):
        out = wide(train_x)  # (seq, 1, copies): column k is copy k's output
        loss = ((out - train_y) ** 2).mean(dim=(0, 1))  # nn.MSELoss of every copy
        optimizer.zero_grad()
        loss.sum().backward()  # each copy's parameters get the gradient of its own loss
        for name, param in wide.named_parameters():
            param.grad.mul_(masks[name])  # nothing flows between copies
        optimizer.step()
        if (e + 1) % 100 == 0:
            losses.append(loss.tolist())

    runs = []
    with torch.no_grad():
        all_x = torch.from_numpy(data_X.reshape(-1, 1, LOOK_BACK))
        for k, net in enumerate(nets):
            for name, param in net.named_parameters():
                rows, cols = _block(name, k, copies)
                param.copy_(wide.get_parameter(name).cpu()[(rows,) if cols is None else np.ix_(rows, cols)])
            net.eval()
            predictions = net(all_x).view(-1).numpy().astype(float) * float(scalar) + float(offset)
            runs.append(OriginalRun(predictions, train_size + LOOK_BACK, [step[k] for step in losses], net,
                                    float(offset), float(scalar)))
    return runs


def recursive_original(run: OriginalRun, values) -> np.ndarray:
    """Forecast the test months with the original model as a forecaster must: from the training months
    alone, each forecast fed back as the newest value. Every forecast reruns the model over the whole
    sequence of windows, as the original's single pass does."""
    values = np.asarray(values, dtype="float32")
    dataset = list((values[: run.start] - np.float32(run.offset)) / np.float32(run.scale))
    with torch.no_grad():
        for _ in range(len(values) - run.start):
            data_X = np.lib.stride_tricks.sliding_window_view(np.array(dataset, dtype="float32"), LOOK_BACK)
            out = run.net(torch.tensor(data_X).view(-1, 1, LOOK_BACK))  # the last window is the newest
            dataset.append(out[-1].item())
    return np.array(dataset[run.start :]) * run.scale + run.offset


def original_forecasts(run: OriginalRun, values) -> Forecasts:
    """The original's one-step forecasts and its recursive multi-step forecasts of the test months."""
    return Forecasts(run.one_step, recursive_original(run, values))
