"""The forecasts a network has to beat (chapter 8, "Forecasting"), after Hyndman and Athanasopoulos.

Every baseline forecasts the test values ``y[start:]`` of a series with season length ``m`` twice: one
step ahead from the true values before each month, and ``h`` steps ahead from ``y[:start]`` alone
(``T = start``, ``h = 1, 2, ...``):

    naive            yhat_t = y_{t-1}                              yhat_{T+h} = y_{T-1}
    seasonal naive   yhat_t = y_{t-m}                              yhat_{T+h} = y_{T-1+h-m(floor((h-1)/m)+1)}
    drift            yhat_t = y_{t-1} + (y_{t-1} - y_0) / (t-1)    yhat_{T+h} = y_{T-1} + h (y_{T-1} - y_0) / (T-1)
    SARIMA           (0,1,1)(0,1,1)_m on log y (Box and Jenkins' airline model), fitted on y[:start]
    Holt-Winters     additive trend, multiplicative season, fitted on y[:start]

The two statistical models are fitted once on the training part; their one-step forecasts then run the
same fitted equations over the test months. Their matrices are tiny, so they run on one BLAS thread:
more threads only wait for each other (ten times slower on a busy machine).
"""

from __future__ import annotations

import numpy as np

from .evaluation import OriginForecasts, intervals_from_paths
from .metrics import Forecasts
from .validate import check_positive_ints


def _check(y, start: int, season: int, steps: int | None) -> tuple[np.ndarray, int]:
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"expected a 1-D series, got shape {y.shape}")
    check_positive_ints(season=season)
    if not isinstance(start, int) or not max(season, 2) <= start <= len(y):
        raise ValueError(f"start must be an int from {max(season, 2)} to {len(y)} (the series length), "
                         f"got {start!r}")
    steps = len(y) - start if steps is None else steps
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    return y, steps


def naive(y, start: int, season: int = 1, steps: int | None = None) -> Forecasts:
    """Last value: ``yhat_t = y_{t-1}``; ``steps`` multi-step forecasts (default: to the end of ``y``)."""
    y, steps = _check(y, start, season, steps)
    return Forecasts(y[start - 1 : -1], np.full(steps, y[start - 1]))


def seasonal_naive(y, start: int, season: int, steps: int | None = None) -> Forecasts:
    """Same month last season: ``yhat_t = y_{t-m}``; multi-step repeats the last training season."""
    y, steps = _check(y, start, season, steps)
    last_season = y[start - season : start]
    return Forecasts(y[start - season : len(y) - season], np.resize(last_season, steps))


def drift(y, start: int, season: int = 1, steps: int | None = None) -> Forecasts:
    """Last value plus the mean change so far: the line from the first to the last known value, extended."""
    y, steps = _check(y, start, season, steps)
    t = np.arange(start, len(y))
    one_step = y[t - 1] + (y[t - 1] - y[0]) / (t - 1)
    slope = (y[start - 1] - y[0]) / (start - 1)
    return Forecasts(one_step, y[start - 1] + slope * np.arange(1, steps + 1))


def sarima(y, start: int, season: int, steps: int | None = None) -> Forecasts:
    """SARIMA (0,1,1)(0,1,1)_m, on ``log y`` when every training value is positive; forecasts are ``exp``
    of the forecast log (the median, not the mean). A season of 1 gives ARIMA (0,1,1)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from threadpoolctl import threadpool_limits

    y, steps = _check(y, start, season, steps)
    log = bool(np.all(y[:start] > 0))
    z = np.log(y) if log else y
    seasonal_order = (0, 1, 1, season) if season > 1 else (0, 0, 0, 0)
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = SARIMAX(z[:start], order=(0, 1, 1), seasonal_order=seasonal_order).fit(disp=False)
        one_step = fitted.append(z[start:]).fittedvalues[start:] if start < len(y) else np.empty(0)
        multi_step = fitted.forecast(steps) if steps else np.empty(0)
    back = np.exp if log else np.asarray
    return Forecasts(back(np.asarray(one_step)), back(np.asarray(multi_step)))


def sarima_in_sample_forecasts(y, season: int) -> np.ndarray:
    """One-step forecasts of every value of ``y`` by the SARIMA of :func:`sarima` fitted on ``y`` itself
    (in-sample: how closely the model follows the months it was fitted on). The first ``season + 1``
    forecasts come before the differences can be taken and mean little."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from threadpoolctl import threadpool_limits

    y, _ = _check(y, len(y), season, 0)
    log = bool(np.all(y > 0))
    z = np.log(y) if log else y
    seasonal_order = (0, 1, 1, season) if season > 1 else (0, 0, 0, 0)
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = SARIMAX(z, order=(0, 1, 1), seasonal_order=seasonal_order).fit(disp=False)
    return np.exp(np.asarray(fitted.fittedvalues)) if log else np.asarray(fitted.fittedvalues)


def holt_winters(y, start: int, season: int, steps: int | None = None) -> Forecasts:
    """Holt-Winters: additive trend, multiplicative season (additive when some training value is not
    positive); Holt's linear trend for a season of 1."""
    from threadpoolctl import threadpool_limits

    y, steps = _check(y, start, season, steps)
    shape = {"trend": "add", "seasonal": None}
    if season > 1:
        shape.update(seasonal="mul" if np.all(y[:start] > 0) else "add", seasonal_periods=season)
    with threadpool_limits(limits=1, user_api="blas"):
        fitted, rerun = _holt_winters_fit(y, start, shape)
    multi_step = fitted.forecast(steps) if steps else np.empty(0)
    return Forecasts(np.asarray(rerun.fittedvalues[start:]), np.asarray(multi_step))


BASELINES = {
    "naive": naive,
    "seasonal naive": seasonal_naive,
    "drift": drift,
    "SARIMA": sarima,
    "Holt-Winters": holt_winters,
}


def all_baselines(y, start: int, season: int, steps: int | None = None) -> dict[str, Forecasts]:
    """The forecasts of every baseline in :data:`BASELINES`, by name."""
    return {name: method(y, start, season, steps) for name, method in BASELINES.items()}



def sarima_from_origins(y, start: int, season: int, origins, horizon: int, levels=(0.8, 0.95)) -> OriginForecasts:
    """SARIMA of :func:`sarima`, fitted on ``y[:start]`` once, forecasting ``horizon`` steps from every origin
    ``o`` in ``origins`` with ``y[:o]`` as its data (the parameters stay those of the training part), with
    statsmodels' Gaussian prediction intervals on the log scale, taken back by ``exp``."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from threadpoolctl import threadpool_limits

    y, _ = _check(y, start, season, 0)
    origins = _check_origins(origins, season, len(y))
    log = bool(np.all(y[:start] > 0))
    z = np.log(y) if log else y
    back = np.exp if log else np.asarray
    seasonal_order = (0, 1, 1, season) if season > 1 else (0, 0, 0, 0)
    point = np.empty((len(origins), horizon))
    bounds = {level: (np.empty_like(point), np.empty_like(point)) for level in levels}
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = SARIMAX(z[:start], order=(0, 1, 1), seasonal_order=seasonal_order).fit(disp=False)
        for i, origin in enumerate(origins):
            forecast = fitted.apply(z[:origin]).get_forecast(horizon)
            point[i] = back(np.asarray(forecast.predicted_mean))
            for level, (lower, upper) in bounds.items():
                interval = np.asarray(forecast.conf_int(alpha=1 - level))
                lower[i], upper[i] = back(interval[:, 0]), back(interval[:, 1])
    return OriginForecasts(point, bounds)


def holt_winters_from_origins(
    y, start: int, season: int, origins, horizon: int, gen: np.random.Generator, levels=(0.8, 0.95), paths: int = 500
) -> OriginForecasts:
    """Holt-Winters of :func:`holt_winters`, fitted on ``y[:start]`` once, forecasting ``horizon`` steps from
    every origin. Intervals are quantiles of ``paths`` futures that statsmodels simulates from the state
    space form (multiplicative errors, ``y_t = yhat_t (1 + e_t)``), with ``e_t`` drawn by ``gen`` from the
    relative errors on the training part; the point forecast is the path with every ``e_t = 0``."""
    from threadpoolctl import threadpool_limits

    y, _ = _check(y, start, season, 0)
    origins = _check_origins(origins, season, len(y))
    if not np.all(y > 0):
        raise ValueError("holt_winters_from_origins needs a positive series (multiplicative errors)")
    shape = {"trend": "add", "seasonal": None}
    if season > 1:
        shape.update(seasonal="mul", seasonal_periods=season)
    with threadpool_limits(limits=1, user_api="blas"):
        fitted, rerun = _holt_winters_fit(y, start, shape)
        relative = np.asarray(fitted.resid) / np.asarray(fitted.fittedvalues)
        point = np.empty((len(origins), horizon))
        simulated = np.empty((len(origins), paths, horizon))
        for i, origin in enumerate(origins):
            anchor = "end" if origin == len(y) else int(origin)
            draws = gen.choice(relative, size=(horizon, paths))
            point[i] = rerun.simulate(horizon, anchor=anchor, error="mul", random_errors=np.zeros((horizon, 1)))
            simulated[i] = np.asarray(rerun.simulate(horizon, anchor=anchor, repetitions=paths, error="mul",
                                                     random_errors=draws)).T
    return OriginForecasts(point, intervals_from_paths(simulated[None], levels))


def _check_origins(origins, season: int, length: int) -> np.ndarray:
    origins = np.atleast_1d(np.asarray(origins))
    if origins.ndim != 1 or origins.size == 0 or origins.min() < season + 2 or origins.max() > length:
        raise ValueError(f"origins must run from season + 2 = {season + 2} to the series length {length}")
    return origins


def _holt_winters_fit(y: np.ndarray, start: int, shape: dict):
    """Holt-Winters fitted on ``y[:start]``, and the same model, its parameters fixed, run over all of ``y``
    (its fitted values from ``start`` on are one-step forecasts that use no later value)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    fitted = ExponentialSmoothing(y[:start], **shape).fit()
    p = fitted.params
    known = {"initial_level": p["initial_level"], "initial_trend": p["initial_trend"]}
    smoothing = {"smoothing_level": p["smoothing_level"], "smoothing_trend": p["smoothing_trend"]}
    if "seasonal_periods" in shape:
        known["initial_seasonal"] = p["initial_seasons"]
        smoothing["smoothing_seasonal"] = p["smoothing_seasonal"]
    rerun = ExponentialSmoothing(y, initialization_method="known", **shape, **known).fit(
        optimized=False, **smoothing
    )
    return fitted, rerun
