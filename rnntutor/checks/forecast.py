"""Self-checks for the forecasting chapter's exercises ("Forecasting"): a window function and the
seasonal naive forecast, written by the reader.

    make_windows(series, lookback) -> (X, y)         X[i] = series[i : i + lookback], y[i] = series[i + lookback]
    seasonal_naive(y, start, season) -> forecasts    yhat[t] = y[t - season] for t = start, ..., len(y) - 1
"""

from __future__ import annotations

import numpy as np

from ..baselines import seasonal_naive
from ..forecast import windows
from .result import CheckResult


def check_windows(make_windows) -> CheckResult:
    """Check ``make_windows(series, lookback) -> (X, y)`` against :func:`rnntutor.forecast.windows`."""
    series, lookback = np.arange(10.0) * 10, 3
    X, y = windows(series, lookback)
    try:
        got_X, got_y = (np.asarray(a, dtype=float) for a in make_windows(series, lookback))
    except Exception as exc:  # the reader's code: report whatever it raised
        return CheckResult(False, f"make_windows(series, 3) raised {type(exc).__name__}: {exc}")
    if got_X.shape != X.shape or got_y.shape != y.shape:
        return CheckResult(False, f"for 10 values and lookback 3 expected X of shape {X.shape} and y of shape "
                                  f"{y.shape}, one pair per value that has 3 values before it; got "
                                  f"{got_X.shape} and {got_y.shape}")
    if not np.array_equal(got_X, X):
        return CheckResult(False, f"X[0] should be series[0:3] = {X[0].tolist()}, got {got_X[0].tolist()}")
    if not np.array_equal(got_y, y):
        where = np.flatnonzero(series == got_y[0])
        seen = f" = series[{where[0]}]" if where.size else ""
        return CheckResult(False, f"y[0] should be series[3] = {y[0]:.0f}, the value right after X[0]; got "
                                  f"{got_y[0]:.0f}{seen}")
    return CheckResult(True, "every window of 3 values is paired with the value that follows it")


def check_seasonal_naive(forecast, season: int = 12) -> CheckResult:
    """Check ``forecast(y, start, season) -> one-step forecasts of y[start:]`` against
    :func:`rnntutor.baselines.seasonal_naive`."""
    y = np.round(100 + 10 * np.random.default_rng(0).standard_normal(4 * season + 5), 1)
    start = 2 * season + 3
    expected = seasonal_naive(y, start, season).one_step
    try:
        got = np.asarray(forecast(y, start, season), dtype=float)
    except Exception as exc:  # the reader's code: report whatever it raised
        return CheckResult(False, f"forecast(y, start, season) raised {type(exc).__name__}: {exc}")
    if got.shape != expected.shape:
        return CheckResult(False, f"expected one forecast for each of y[start:], shape {expected.shape}; got "
                                  f"shape {got.shape}")
    if np.allclose(got, expected):
        return CheckResult(True, "each forecast is the value one season earlier")
    if np.allclose(got, np.resize(y[start - season : start], len(got))):
        return CheckResult(False, "you repeat the last season before start: that is the multi-step forecast; "
                                  "one step ahead, yhat[t] = y[t - season] may use every true value before t")
    for lag in range(1, 2 * season + 1):
        if np.allclose(got, y[start - lag : len(y) - lag]):
            return CheckResult(False, f"your forecast of y[t] is y[t - {lag}]; the seasonal naive forecast is "
                                      f"y[t - season] = y[t - {season}], the same month one season earlier")
    k = int(np.argmax(~np.isclose(got, expected)))
    return CheckResult(False, f"forecast {k} (of y[start + {k}]) is {got[k]:.1f}; expected "
                              f"y[start + {k} - season] = {expected[k]:.1f}")
