"""Forecasting a series with a recurrent network, done right (chapter 8, "Forecasting").

The network never sees raw values. A series ``y`` with season length ``m`` becomes its seasonal growth

    v_t = g(y_t) - g(y_{t-m}),      g = log when every training value is positive, else the identity,

scaled to ``[0, 1]`` by the minimum and maximum of the *training* part only. Windows of the last ``w``
growths predict the next one, and the forecast goes back to the series' units:

    yhat_t = g^{-1}(g(y_{t-m}) + vhat_t),      vhat_t = f(v_{t-w}, ..., v_{t-1})

``f`` is an LSTM or GRU read at its last step, with a linear head, trained on mini-batches with a
validation tail and early stopping. One-step forecasts use the true values before each month; recursive
multi-step forecasts feed the model its own forecasts. :func:`fit_forecaster` trains one seed;
:func:`fit_forecasters` trains many seeds together (an :class:`~rnntutor.ensemble.Ensemble`) and forecasts
with all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .ensemble import Ensemble
from .metrics import Forecasts
from .models import SequenceModel
from .runtime import seed_everything
from .train import History, fit
from .validate import check_positive_ints


def windows(series, lookback: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``series`` into look-back windows and targets ``horizon`` steps after each window's end.

    ``X[i] = series[i : i + lookback]`` and ``y[i] = series[i + lookback + horizon - 1]``, for every ``i``
    whose target lies inside the series: ``len(series) - lookback - horizon + 1`` pairs.
    """
    series = np.asarray(series)
    check_positive_ints(lookback=lookback, horizon=horizon)
    count = len(series) - lookback - horizon + 1
    if series.ndim != 1 or count < 1:
        raise ValueError(f"need a 1-D series longer than lookback + horizon - 1 = {lookback + horizon - 1}, "
                         f"got shape {series.shape}")
    X = np.lib.stride_tricks.sliding_window_view(series, lookback)[:count]
    return X.copy(), series[lookback + horizon - 1 :].copy()


class MinMaxScaler:
    """``z = (x - min) / (max - min)`` with ``min`` and ``max`` taken from the data given to :meth:`fit`
    (the training part only, so that nothing of the test period leaks into training)."""

    def fit(self, x) -> MinMaxScaler:
        x = np.asarray(x, dtype=float)
        if x.size == 0 or not np.all(np.isfinite(x)):
            raise ValueError("MinMaxScaler.fit needs a non-empty array of finite numbers")
        self.low, self.high = float(x.min()), float(x.max())
        if self.high == self.low:
            raise ValueError(f"cannot scale a constant series (every value is {self.low})")
        return self

    def transform(self, x) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.low) / (self.high - self.low)

    def inverse(self, z) -> np.ndarray:
        return np.asarray(z, dtype=float) * (self.high - self.low) + self.low


@dataclass
class SeasonalDifference:
    """``v_t = g(y_t) - g(y_{t-lag})`` with ``g = log`` when ``log`` is true; :meth:`undo` inverts it."""

    lag: int
    log: bool

    def g(self, y) -> np.ndarray:
        return np.log(y) if self.log else np.asarray(y, dtype=float)

    def apply(self, y) -> np.ndarray:
        """The growths ``v``, aligned with ``y``: ``v[t]`` for ``t >= lag``, NaN before."""
        gy = self.g(y)
        return np.concatenate([np.full(self.lag, np.nan), gy[self.lag :] - gy[: -self.lag]])

    def undo(self, v, y_lagged) -> np.ndarray:
        """``y_t = g^{-1}(g(y_{t-lag}) + v_t)``."""
        level = self.g(y_lagged) + v
        return np.exp(level) if self.log else level


def _check_start(y, start, first: int) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if not isinstance(start, int) or not first <= start <= len(y):
        raise ValueError(f"start must be an int from season + window = {first} to len(y) = {len(y)}, "
                         f"got {start!r}")
    return y


def _check_steps(steps) -> None:
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")


@dataclass
class RecurrentForecaster:
    """A trained recurrent forecaster: the network and the transforms fitted on the training part."""

    model: nn.Module
    transform: SeasonalDifference
    scaler: MinMaxScaler
    window: int
    history: History

    def _predict(self, growth_windows: np.ndarray) -> np.ndarray:
        """Growths ``vhat`` for windows of scaled growths, shape ``(n, window)``."""
        self.model.eval()
        device = next(self.model.parameters()).device
        x = torch.as_tensor(growth_windows, dtype=torch.float32, device=device).unsqueeze(-1)
        with torch.no_grad():
            return self.scaler.inverse(self.model(x).squeeze(-1).cpu().numpy())

    def _check_start(self, y, start) -> np.ndarray:
        return _check_start(y, start, self.transform.lag + self.window)

    def one_step(self, y, start: int) -> np.ndarray:
        """Forecasts of ``y[start:]``, each from the true values before it."""
        y = self._check_start(y, start)
        z = self.scaler.transform(self.transform.apply(y))
        t = np.arange(start, len(y))
        vhat = self._predict(z[t[:, None] - self.window + np.arange(self.window)])
        return self.transform.undo(vhat, y[t - self.transform.lag])

    def recursive(self, y, start: int, steps: int) -> np.ndarray:
        """Forecasts of the ``steps`` values after ``y[:start]``, each fed back as the next input."""
        y = self._check_start(y, start)[:start]
        _check_steps(steps)
        lag = self.transform.lag
        levels = list(y)
        z = list(self.scaler.transform(self.transform.apply(y)))
        for _ in range(steps):
            vhat = self._predict(np.array([z[-self.window :]]))[0]
            levels.append(float(self.transform.undo(vhat, levels[-lag])))
            z.append(float(self.scaler.transform(vhat)))
        return np.array(levels[start:])

    def forecasts(self, y, start: int) -> Forecasts:
        """One-step and recursive multi-step forecasts of ``y[start:]``."""
        return Forecasts(self.one_step(y, start), self.recursive(y, start, len(y) - start))


def _training_data(y_train, season: int, window: int | None, val_size: int | None, log: bool | None = None):
    """The transform and scaler fitted on ``y_train`` and its windows: training and validation pairs.
    ``log=None`` takes logs when every training value is positive."""
    y_train = np.asarray(y_train, dtype=float)
    window = season + 1 if window is None else window
    val_size = max(season, 2) if val_size is None else val_size
    check_positive_ints(season=season, window=window, val_size=val_size)
    if y_train.ndim != 1 or not np.all(np.isfinite(y_train)):
        raise ValueError(f"y_train must be a 1-D array of finite numbers, got shape {y_train.shape}")
    needed = min_train_length(season, window, val_size)
    if len(y_train) < needed:
        raise ValueError(f"the training part has {len(y_train)} values; season {season} + window {window} + "
                         f"validation {val_size} + {MIN_TRAIN_WINDOWS} training windows need {needed}")
    if log is None:
        log = bool(np.all(y_train > 0))
    elif log and not np.all(y_train > 0):
        raise ValueError("log=True needs every training value to be positive")
    transform = SeasonalDifference(season, log=bool(log))
    growth = transform.apply(y_train)[season:]
    scaler = MinMaxScaler().fit(growth)
    X, target = (torch.as_tensor(a, dtype=torch.float32) for a in windows(scaler.transform(growth), window))
    X, target = X.unsqueeze(-1), target.unsqueeze(-1)
    return transform, scaler, window, (X[:-val_size], target[:-val_size]), (X[-val_size:], target[-val_size:])


def fit_forecaster(
    y_train,
    *,
    season: int = 12,
    window: int | None = None,
    log: bool | None = None,
    cell: str = "lstm",
    hidden_size: int = 16,
    val_size: int | None = None,
    epochs: int = 300,
    lr: float = 0.01,
    batch_size: int = 16,
    patience: int = 30,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> RecurrentForecaster:
    """Train a recurrent forecaster on ``y_train`` (the training part only) and return it.

    ``window`` defaults to ``season + 1`` growths; the last ``val_size`` windows (default: one season)
    are held out for early stopping, and the weights of the epoch with the lowest validation loss are
    kept. ``log`` chooses ``g`` (default: log when every training value is positive). ``cell`` is ``"lstm"``
    or ``"gru"`` (the package's own layers); ``seed`` fixes the initial weights and the order of the
    mini-batches.
    """
    transform, scaler, window, train, val = _training_data(y_train, season, window, val_size, log)
    seed_everything(seed)
    model = SequenceModel(cell, input_size=1, hidden_size=hidden_size, output_size=1)
    history = fit(model, nn.functional.mse_loss, train, val=val, epochs=epochs, lr=lr, batch_size=batch_size,
                  patience=patience, seed=seed, device=device, progress=progress)
    return RecurrentForecaster(model, transform, scaler, window, history)


@dataclass
class ForecasterEnsemble:
    """Recurrent forecasters of one series trained together, one per seed (see :func:`fit_forecasters`).

    ``ensemble[k]`` is the model of seed ``seeds[k]``, ``histories[k]`` its training; ``self[k]`` is that
    copy as a :class:`RecurrentForecaster`. :meth:`one_step` and :meth:`recursive` forecast with every copy
    at once and return one row per copy.
    """

    ensemble: Ensemble
    transform: SeasonalDifference
    scaler: MinMaxScaler
    window: int
    histories: list[History]

    def __len__(self) -> int:
        return len(self.ensemble)

    def __getitem__(self, k: int) -> RecurrentForecaster:
        return RecurrentForecaster(self.ensemble[k], self.transform, self.scaler, self.window, self.histories[k])

    def _predict(self, growth_windows: np.ndarray, per_copy: bool) -> np.ndarray:
        """Growths ``vhat`` of shape ``(copies, n)`` for windows ``(n, window)`` shared by every copy, or
        ``(copies, n, window)`` with ``per_copy``."""
        self.ensemble.eval()
        x = torch.as_tensor(growth_windows, dtype=torch.float32, device=self.ensemble._device()).unsqueeze(-1)
        with torch.no_grad():
            return self.scaler.inverse(self.ensemble(x, per_copy=per_copy).squeeze(-1).cpu().numpy())

    def one_step(self, y, start: int) -> np.ndarray:
        """Forecasts of ``y[start:]`` by every copy, each from the true values before it: ``(copies, n)``."""
        y = _check_start(y, start, self.transform.lag + self.window)
        z = self.scaler.transform(self.transform.apply(y))
        t = np.arange(start, len(y))
        vhat = self._predict(z[t[:, None] - self.window + np.arange(self.window)], per_copy=False)
        return self.transform.undo(vhat, y[t - self.transform.lag])

    def recursive(self, y, start: int, steps: int) -> np.ndarray:
        """Forecasts of the ``steps`` values after ``y[:start]`` by every copy, each copy fed back its own
        forecasts: ``(copies, steps)``."""
        y = _check_start(y, start, self.transform.lag + self.window)[:start]
        _check_steps(steps)
        lag, copies = self.transform.lag, len(self)
        levels = np.tile(y, (copies, 1))
        z = np.tile(self.scaler.transform(self.transform.apply(y)), (copies, 1))
        for _ in range(steps):
            vhat = self._predict(z[:, None, -self.window :], per_copy=True)[:, 0]
            levels = np.column_stack([levels, self.transform.undo(vhat, levels[:, -lag])])
            z = np.column_stack([z, self.scaler.transform(vhat)])
        return levels[:, start:]

    def forecasts(self, y, start: int) -> list[Forecasts]:
        """One-step and recursive multi-step forecasts of ``y[start:]``, one :class:`Forecasts` per copy."""
        one_step, multi_step = self.one_step(y, start), self.recursive(y, start, len(y) - start)
        return [Forecasts(a, b) for a, b in zip(one_step, multi_step, strict=True)]

    def residuals(self, y_train) -> np.ndarray:
        """Each copy's one-step errors in growth units, ``g(y_t) - g(yhat_t)``, over every training window
        of ``y_train``: ``(copies, windows)``. :meth:`sample_paths` draws from them."""
        first = self.transform.lag + self.window
        y_train = _check_start(y_train, first, first)
        return self.transform.g(y_train[first:]) - self.transform.g(self.one_step(y_train, first))

    def from_origins(self, y, origins, horizon: int) -> np.ndarray:
        """Recursive forecasts ``horizon`` steps ahead from each origin ``o`` (knowing ``y[:o]`` only), by every
        copy: ``(copies, len(origins), horizon)``; row ``i`` forecasts ``y[origins[i] : origins[i] + horizon]``."""
        return self._roll(y, origins, horizon, None)[:, :, 0]

    def sample_paths(self, y, origins, horizon: int, residuals, paths: int, gen: np.random.Generator) -> np.ndarray:
        """Simulated futures from each origin: at every step each copy adds one of its own ``residuals`` (growth
        units, centred on their mean, drawn with replacement by ``gen``) to its forecast growth and feeds the
        result back, the residual bootstrap of Hyndman and Athanasopoulos for neural network autoregressions.
        ``(copies, len(origins), paths, horizon)``."""
        residuals = np.asarray(residuals, dtype=float)
        if residuals.ndim != 2 or len(residuals) != len(self):
            raise ValueError(f"residuals must hold one row per copy ({len(self)}), got shape {residuals.shape}")
        residuals = residuals - residuals.mean(axis=1, keepdims=True)
        check_positive_ints(paths=paths)
        n = len(np.atleast_1d(origins)) * paths
        picks = gen.integers(0, residuals.shape[1], size=(len(self), n, horizon))
        noise = np.take_along_axis(residuals[:, :, None], picks.reshape(len(self), -1, 1), axis=1)
        return self._roll(y, origins, horizon, noise.reshape(len(self), n, horizon), paths)

    def _roll(self, y, origins, horizon: int, noise, paths: int = 1) -> np.ndarray:
        """``(copies, origins, paths, horizon)`` recursive forecasts; ``noise`` (growth units, shape ``(copies,
        origins * paths, horizon)``) is added to each forecast growth before it is fed back."""
        y = np.asarray(y, dtype=float)
        origins = np.atleast_1d(np.asarray(origins))
        lag, first = self.transform.lag, self.transform.lag + self.window
        if origins.ndim != 1 or origins.size == 0 or origins.min() < first or origins.max() > len(y):
            raise ValueError(f"origins must run from season + window = {first} to len(y) = {len(y)}")
        check_positive_ints(horizon=horizon)
        copies, rows = len(self), np.repeat(origins, paths)
        z = self.scaler.transform(self.transform.apply(y))
        z = np.tile(z[rows[:, None] - self.window + np.arange(self.window)], (copies, 1, 1))
        levels = np.tile(y[rows[:, None] - lag + np.arange(lag)], (copies, 1, 1))
        for h in range(horizon):
            vhat = self._predict(z[:, :, -self.window :], per_copy=True)
            if noise is not None:
                vhat = vhat + noise[:, :, h]
            levels = np.concatenate([levels, self.transform.undo(vhat, levels[:, :, -lag])[:, :, None]], axis=2)
            z = np.concatenate([z, self.scaler.transform(vhat)[:, :, None]], axis=2)
        return levels[:, :, lag:].reshape(copies, len(origins), paths, horizon)


def fit_forecasters(
    y_train,
    seeds,
    *,
    season: int = 12,
    window: int | None = None,
    log: bool | None = None,
    cell: str = "lstm",
    hidden_size: int = 16,
    val_size: int | None = None,
    epochs: int = 300,
    lr: float = 0.01,
    batch_size: int = 16,
    patience: int = 30,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> ForecasterEnsemble:
    """Train one forecaster per seed in ``seeds``, all together, as :func:`fit_forecaster` trains one.

    Copy ``k`` equals ``fit_forecaster(y_train, seed=seeds[k], ...)`` up to the rounding of batched
    arithmetic; each copy stops early on its own.
    """
    transform, scaler, window, train, val = _training_data(y_train, season, window, val_size, log)
    ensemble = Ensemble(lambda: SequenceModel(cell, input_size=1, hidden_size=hidden_size, output_size=1),
                        seeds, device=device)
    histories = ensemble.fit(nn.functional.mse_loss, train, val=val, epochs=epochs, lr=lr, batch_size=batch_size,
                             patience=patience, progress=progress)
    return ForecasterEnsemble(ensemble, transform, scaler, window, histories)


class LinearAutoregression(nn.Module):
    """A linear model of a window of scaled growths: ``vhat = w . (z_{t-w}, ..., z_{t-1}) + b``. It reads the
    recurrent forecaster's inputs, of shape ``(batch, window, 1)``, so it takes the network's place in a
    :class:`RecurrentForecaster`: the rung of the ablation ladder without recurrence or nonlinearity."""

    def __init__(self, window: int):
        super().__init__()
        self.linear = nn.Linear(window, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.squeeze(-1))


def fit_autoregression(
    y_train, *, season: int = 12, window: int | None = None, val_size: int | None = None, log: bool | None = None
) -> RecurrentForecaster:
    """A linear autoregression on exactly the inputs of :func:`fit_forecaster` (the same transform, scaler and
    windows), fitted by least squares on every training window, the validation tail included (there is
    nothing to stop early). Deterministic: no seed."""
    transform, scaler, window, (X, target), (X_val, target_val) = _training_data(y_train, season, window, val_size,
                                                                                  log)
    inputs = torch.cat([X, X_val]).squeeze(-1).double().numpy()
    targets = torch.cat([target, target_val]).squeeze(-1).double().numpy()
    coef, *_ = np.linalg.lstsq(np.column_stack([inputs, np.ones(len(inputs))]), targets, rcond=None)
    model = LinearAutoregression(window)
    with torch.no_grad():
        model.linear.weight.copy_(torch.as_tensor(coef[:-1]).view(1, -1))
        model.linear.bias.fill_(float(coef[-1]))
    return RecurrentForecaster(model, transform, scaler, window, History())


#: The fewest training windows :func:`fit_forecaster` accepts besides the validation tail.
MIN_TRAIN_WINDOWS = 8


def min_train_length(season: int, window: int, val_size: int) -> int:
    """Fewest training values that leave ``MIN_TRAIN_WINDOWS`` windows after the validation tail."""
    return season + window + val_size + MIN_TRAIN_WINDOWS



def cross_validate(
    y_train, candidates, seeds, *, season: int = 12, folds: int = 2, horizon: int = 12, device=None, **settings
) -> np.ndarray:
    """Rolling-origin cross-validation inside the training part (chapter "Forecasting"): for each candidate
    (a dict of :func:`fit_forecasters` settings such as ``window``, ``hidden_size``, ``log``) and each of the
    last ``folds`` seasons of ``y_train``, train the seeds on the values before that season, forecast up to
    ``horizon`` steps from each of its origins (not beyond its end) and take each seed's RMSE over all of
    them. Returns that RMSE averaged over the folds, one row per candidate and one column per seed; a
    candidate's score is its row's mean. Nothing after ``y_train`` is read.
    """
    from .evaluation import targets

    y_train = np.asarray(y_train, dtype=float)
    check_positive_ints(folds=folds, horizon=horizon)
    length = max(season, horizon)
    scores = []
    for candidate in candidates:
        errors = []
        for fold in range(folds, 0, -1):
            origin = len(y_train) - fold * length
            fitted = fit_forecasters(y_train[:origin], seeds, season=season, device=device, **settings, **candidate)
            known = y_train[: origin + length]
            origins = np.arange(origin, origin + length)
            forecast = fitted.from_origins(known, origins, horizon)
            errors.append(np.sqrt(np.nanmean((forecast - targets(known, origins, horizon)) ** 2, axis=(1, 2))))
        scores.append(np.mean(errors, axis=0))
    return np.array(scores)
