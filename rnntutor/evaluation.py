"""Forecasts scored from many origins, compared by a test, and prediction intervals scored (chapter 8).

**Rolling origins.** A forecast made at origin ``o`` (knowing ``y[:o]``) for horizon ``h`` targets
``y[o + h - 1]``. Scoring the forecasts from every origin of a test period, horizon by horizon, is the
time-series cross-validation of Hyndman and Athanasopoulos: one origin is one path, many origins average
out the luck of where the path starts.

**Diebold-Mariano test** (Diebold and Mariano 1995), with the small-sample correction of Harvey, Leybourne
and Newbold (1997). For the losses ``d_t = e1_t^p - e2_t^p`` (``|e|^p``) of two methods' ``h``-step errors
over ``n`` origins::

    DM = dbar / sqrt(V / n),      V = gamma_0 + 2 sum_{k=1}^{h-1} gamma_k,
    gamma_k = (1/n) sum_{t>k} (d_t - dbar)(d_{t-k} - dbar),
    DM* = DM * sqrt((n + 1 - 2h + h(h - 1)/n) / n),   p = 2 P(T_{n-1} > |DM*|)

(errors ``h`` steps ahead from consecutive origins overlap, so up to ``h - 1`` autocovariances count).

**Prediction intervals** ``[l, u]`` meant to hold ``y`` with probability ``1 - alpha`` are scored by their
empirical coverage and by the interval score of Gneiting and Raftery (2007), lower is better::

    S = (u - l) + (2/alpha) (l - y) 1{y < l} + (2/alpha) (y - u) 1{y > u}

which rewards narrow intervals and charges every miss by how far it misses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def targets(y, origins, horizon: int) -> np.ndarray:
    """``actual[i, h - 1] = y[origins[i] + h - 1]`` for ``h = 1..horizon``, NaN beyond the end of ``y``."""
    y = np.asarray(y, dtype=float)
    origins = np.asarray(origins)
    if not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon must be a positive int, got {horizon!r}")
    if y.ndim != 1 or origins.ndim != 1 or origins.size == 0 or origins.min() < 1 or origins.max() >= len(y):
        raise ValueError(f"need a 1-D series and origins from 1 to len(y) - 1 = {len(y) - 1}, got "
                         f"origins {origins.min() if origins.size else 'none'} to "
                         f"{origins.max() if origins.size else 'none'}")
    index = origins[:, None] + np.arange(horizon)
    return np.where(index < len(y), y[np.minimum(index, len(y) - 1)], np.nan)


def _paired(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape or actual.ndim != 2:
        raise ValueError(f"expected actual and forecast of one shape (origins, horizons), got {actual.shape} "
                         f"and {forecast.shape}")
    return actual, forecast


def rmse_by_horizon(actual, forecast) -> np.ndarray:
    """RMSE of each column (horizon) over the origins whose target exists (``actual`` not NaN)."""
    actual, forecast = _paired(actual, forecast)
    return np.sqrt(np.nanmean((actual - forecast) ** 2, axis=0))


def mase_by_horizon(actual, forecast, scale: float) -> np.ndarray:
    """MASE of each column: its MAE over the origins, divided by ``scale`` (:func:`rnntutor.metrics.mase_scale`)."""
    actual, forecast = _paired(actual, forecast)
    return np.nanmean(np.abs(actual - forecast), axis=0) / scale


@dataclass
class DieboldMariano:
    """The Diebold-Mariano statistic with Harvey et al.'s correction, and its two-sided p-value."""

    statistic: float
    p_value: float
    n: int
    horizon: int


def diebold_mariano(errors_1, errors_2, horizon: int = 1, power: int = 2) -> DieboldMariano:
    """Test equal accuracy of two methods from their ``horizon``-step errors at the same ``n`` origins, in
    time order. A negative statistic says method 1 has the lower loss ``|e|^power``. See the module's
    equations; like R's ``forecast::dm.test``, a long-run variance that comes out negative falls back to
    ``horizon=1``."""
    e1, e2 = np.asarray(errors_1, dtype=float), np.asarray(errors_2, dtype=float)
    if e1.shape != e2.shape or e1.ndim != 1 or not np.all(np.isfinite(e1 - e2)):
        raise ValueError(f"expected two 1-D arrays of finite errors of one length, got shapes {e1.shape} and "
                         f"{e2.shape}")
    n = len(e1)
    if not isinstance(horizon, int) or not 1 <= horizon < n:
        raise ValueError(f"horizon must be an int from 1 to n - 1 = {n - 1}, got {horizon!r}")
    d = np.abs(e1) ** power - np.abs(e2) ** power
    centred = d - d.mean()
    gamma = [centred[k:] @ centred[: n - k] / n for k in range(horizon)]
    variance = gamma[0] + 2 * sum(gamma[1:])
    if variance <= 0:
        if horizon > 1:
            return diebold_mariano(e1, e2, 1, power)
        raise ValueError("the two methods' losses differ by a constant: the test is not defined")
    from scipy.stats import t

    statistic = d.mean() / math.sqrt(variance / n)
    statistic *= math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    return DieboldMariano(float(statistic), float(2 * t.sf(abs(statistic), df=n - 1)), n, horizon)


def _interval(actual, lower, upper) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    actual, lower, upper = (np.asarray(a, dtype=float) for a in (actual, lower, upper))
    if not actual.shape == lower.shape == upper.shape:
        raise ValueError(f"actual, lower and upper must have one shape, got {actual.shape}, {lower.shape}, "
                         f"{upper.shape}")
    if np.any(lower > upper):
        raise ValueError("every lower bound must lie at or below its upper bound")
    return actual, lower, upper


def coverage(actual, lower, upper) -> float:
    """Share of the actual values (NaN ignored) that lie inside ``[lower, upper]``."""
    actual, lower, upper = _interval(actual, lower, upper)
    known = ~np.isnan(actual)
    return float(np.mean((lower[known] <= actual[known]) & (actual[known] <= upper[known])))


def interval_score(actual, lower, upper, alpha: float) -> float:
    """Mean interval score of Gneiting and Raftery for ``(1 - alpha)`` intervals (NaN actuals ignored)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha!r}")
    actual, lower, upper = _interval(actual, lower, upper)
    known = ~np.isnan(actual)
    y, lo, up = actual[known], lower[known], upper[known]
    score = (up - lo) + 2 / alpha * (lo - y) * (y < lo) + 2 / alpha * (y - up) * (y > up)
    return float(score.mean())


@dataclass
class OriginForecasts:
    """Forecasts from many origins: ``point[i, h - 1]`` forecasts ``y[origins[i] + h - 1]``, and
    ``intervals[level] = (lower, upper)``, of the same shape, are meant to hold it with probability ``level``."""

    point: np.ndarray
    intervals: dict[float, tuple[np.ndarray, np.ndarray]]


def intervals_from_paths(paths, levels=(0.8, 0.95)) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Central intervals of simulated futures ``paths`` of shape ``(copies, origins, paths, horizon)``: for each
    level, the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles over every copy's paths together."""
    paths = np.asarray(paths, dtype=float)
    if paths.ndim != 4:
        raise ValueError(f"expected paths of shape (copies, origins, paths, horizon), got {paths.shape}")
    pooled = np.moveaxis(paths, 0, 2).reshape(paths.shape[1], -1, paths.shape[3])
    return {level: (np.quantile(pooled, (1 - level) / 2, axis=1), np.quantile(pooled, (1 + level) / 2, axis=1))
            for level in levels}
