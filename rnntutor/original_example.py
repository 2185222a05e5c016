"""The classic airline-passengers LSTM example, reproduced as it was written (chapter 8, "Forecasting").

A much-copied tutorial program: ``pd.read_csv(..., usecols=[1])``, every value divided by
``max - min`` of the *whole* series, windows of the last two months, the first 70 % of the windows for
training, ``nn.LSTM(2, 4, 2)`` and a linear head, the whole training set fed as *one* sequence of batch 1
(each window is one time step), 1000 full-batch Adam steps at ``lr = 1e-2``, then one pass over all
windows, whose outputs are plotted against the series. Only what no longer runs on today's torch is
changed (``Variable(...)`` and ``loss.data[0]``). ``scaling="train"`` repairs the scaling alone, so that
its share of the result can be measured.
"""

from __future__ import annotations

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
    if scaling not in ("original", "train"):
        raise ValueError(f"scaling must be 'original' or 'train', got {scaling!r}")
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
