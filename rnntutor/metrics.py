"""Forecast errors and the table that compares forecasting methods (chapter 8, "Forecasting").

With actual values ``y_t`` and forecasts ``yhat_t`` over the same test months::

    RMSE = sqrt(mean((y_t - yhat_t)^2)),   MAE = mean(|y_t - yhat_t|),   MAPE = 100 * mean(|y_t - yhat_t| / |y_t|)

and, after Hyndman and Koehler (2006), the mean absolute scaled error, the MAE divided by that of the seasonal
naive forecast one step ahead on the training part ``y_1, ..., y_T`` (season ``m``)::

    MASE = MAE / mean_{t = m+1..T} |y_t - y_{t-m}|

below 1 when a method beats, on the test values, what the seasonal naive forecast achieved on the training
values. It has no unit, so it compares methods across series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METRICS = ("RMSE", "MAE", "MAPE")
KINDS = ("one-step", "multi-step")


@dataclass
class Forecasts:
    """Forecasts of the test values ``y[start:]`` by one method.

    ``one_step[k]`` forecasts ``y[start + k]`` from the true values before it; ``multi_step[k]`` forecasts
    it from ``y[:start]`` alone, ``k + 1`` steps ahead (the method's own forecasts fill the gap).
    """

    one_step: np.ndarray
    multi_step: np.ndarray


def _pair(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape or actual.ndim != 1 or actual.size == 0:
        raise ValueError(f"actual and forecast must be 1-D arrays of the same non-zero length, got shapes "
                         f"{actual.shape} and {forecast.shape}")
    return actual, forecast


def rmse(actual, forecast) -> float:
    """Root mean squared error ``sqrt(mean((y - yhat)^2))``, in the units of the series."""
    actual, forecast = _pair(actual, forecast)
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def mae(actual, forecast) -> float:
    """Mean absolute error ``mean(|y - yhat|)``, in the units of the series."""
    actual, forecast = _pair(actual, forecast)
    return float(np.mean(np.abs(actual - forecast)))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error ``100 * mean(|y - yhat| / |y|)``; NaN when some ``y`` is zero."""
    actual, forecast = _pair(actual, forecast)
    if np.any(actual == 0):
        return float("nan")
    return float(100 * np.mean(np.abs(actual - forecast) / np.abs(actual)))


def mase_scale(y_train, season: int = 1) -> float:
    """The divisor of MASE: ``mean |y_t - y_{t-m}|`` over the training part (the seasonal naive forecast's
    in-sample MAE; the naive forecast's for ``season=1``)."""
    y_train = np.asarray(y_train, dtype=float)
    if not isinstance(season, int) or season < 1 or y_train.ndim != 1 or len(y_train) <= season:
        raise ValueError(f"need a 1-D training part longer than the season {season!r}, got shape {y_train.shape}")
    scale = float(np.mean(np.abs(y_train[season:] - y_train[:-season])))
    if not scale > 0:
        raise ValueError("the training part repeats itself every season exactly: MASE is not defined")
    return scale


def mase(actual, forecast, scale: float) -> float:
    """Mean absolute scaled error ``MAE / scale``, with ``scale = mase_scale(y_train, season)``."""
    return mae(actual, forecast) / scale


def scores(actual, forecast, mase_scale: float | None = None) -> dict[str, float]:
    """RMSE, MAE and MAPE of one forecast, and MASE when ``mase_scale`` is given."""
    result = {"RMSE": rmse(actual, forecast), "MAE": mae(actual, forecast), "MAPE": mape(actual, forecast)}
    if mase_scale is not None:
        result["MASE"] = mase(actual, forecast, mase_scale)
    return result


def evaluation_table(
    actual, methods: dict[str, Forecasts | list[Forecasts]], mase_scale: float | None = None
) -> pd.DataFrame:
    """One row per method: RMSE, MAE and MAPE of its one-step and multi-step forecasts of ``actual``, and MASE
    after MAPE when ``mase_scale`` (see :func:`mase_scale`) is given.

    A method given as a list of runs (several seeds) is scored run by run; its row holds the mean, and the
    column ``("one-step", "RMSE sd")`` / ``("multi-step", "RMSE sd")`` the sample standard deviation of
    RMSE over the runs (NaN for a single run). ``runs`` counts them.
    """
    rows = {}
    for name, runs in methods.items():
        runs = [runs] if isinstance(runs, Forecasts) else list(runs)
        if not runs or not all(isinstance(run, Forecasts) for run in runs):
            raise TypeError(f"method {name!r}: expected Forecasts or a non-empty list of Forecasts")
        row = {}
        for kind in KINDS:
            table = pd.DataFrame([scores(actual, getattr(run, kind.replace("-", "_")), mase_scale) for run in runs])
            row.update({(kind, metric): table[metric].mean() for metric in table.columns})
            row[(kind, "RMSE sd")] = table["RMSE"].std()
        row[("", "runs")] = len(runs)
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame
