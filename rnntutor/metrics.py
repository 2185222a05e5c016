"""Forecast errors and the table that compares forecasting methods (chapter 8, "Forecasting").

With actual values ``y_t`` and forecasts ``yhat_t`` over the same test months::

    RMSE = sqrt(mean((y_t - yhat_t)^2)),   MAE = mean(|y_t - yhat_t|),   MAPE = 100 * mean(|y_t - yhat_t| / |y_t|)
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


def scores(actual, forecast) -> dict[str, float]:
    """RMSE, MAE and MAPE of one forecast."""
    return {"RMSE": rmse(actual, forecast), "MAE": mae(actual, forecast), "MAPE": mape(actual, forecast)}


def evaluation_table(actual, methods: dict[str, Forecasts | list[Forecasts]]) -> pd.DataFrame:
    """One row per method: RMSE, MAE and MAPE of its one-step and multi-step forecasts of ``actual``.

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
            table = pd.DataFrame([scores(actual, getattr(run, kind.replace("-", "_"))) for run in runs])
            row.update({(kind, metric): table[metric].mean() for metric in METRICS})
            row[(kind, "RMSE sd")] = table["RMSE"].std()
        row[("", "runs")] = len(runs)
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame
