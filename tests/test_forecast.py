import numpy as np
import pandas as pd
import pytest
import torch
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

from rnntutor.baselines import (
    BASELINES,
    all_baselines,
    drift,
    holt_winters,
    holt_winters_from_origins,
    naive,
    sarima,
    sarima_from_origins,
    sarima_in_sample_forecasts,
    seasonal_naive,
)
from rnntutor.checks import check_seasonal_naive, check_windows
from rnntutor.data import load_airline
from rnntutor.forecast import (
    MinMaxScaler,
    SeasonalDifference,
    cross_validate,
    fit_autoregression,
    fit_forecaster,
    fit_forecasters,
    windows,
)
from rnntutor.metrics import Forecasts, evaluation_table, mae, mape, mase, mase_scale, rmse
from rnntutor.original_example import create_dataset, original_forecasts, run_original, run_original_seeds

_, AIRLINE = load_airline()
START = 101  # the original split: the test months are June 1957 to December 1960


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


# windows, scaling, differencing


def test_windows_pair_each_window_with_the_value_horizon_steps_after_it():
    X, y = windows(np.arange(6.0), 3)
    assert X.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]] and y.tolist() == [3, 4, 5]
    X, y = windows(np.arange(6.0), 2, horizon=3)
    assert X.tolist() == [[0, 1], [1, 2]] and y.tolist() == [4, 5]
    X, y = windows(np.arange(4.0), 3)
    X[0, 0] = 99  # a copy, not a view of the series
    assert X.shape == (1, 3) and y.tolist() == [3]


def test_windows_equal_the_original_programs():
    X, y = windows(AIRLINE, 2)
    X_orig, y_orig = create_dataset(AIRLINE, 2)
    np.testing.assert_array_equal(X, X_orig)
    np.testing.assert_array_equal(y, y_orig)


@pytest.mark.parametrize("lookback, horizon, message", [(0, 1, "lookback must be a positive int"),
                                                         (2, 0, "horizon must be a positive int"),
                                                         (5, 1, "longer than lookback")])
def test_windows_reject_bad_arguments(lookback, horizon, message):
    with pytest.raises(ValueError, match=message):
        windows(np.arange(5.0), lookback, horizon)


def test_scaler_uses_the_training_part_only():
    scaler = MinMaxScaler().fit([2.0, 4.0, 6.0])
    assert scaler.transform([2.0, 6.0, 10.0]).tolist() == [0.0, 1.0, 2.0]  # a test value may exceed 1
    np.testing.assert_allclose(scaler.inverse(scaler.transform([3.0, 11.0])), [3.0, 11.0])
    with pytest.raises(ValueError, match="constant series"):
        MinMaxScaler().fit([5.0, 5.0])


def test_seasonal_log_difference_and_its_inverse():
    y = np.array([1.0, 2.0, 4.0, 3.0, 6.0, 8.0])
    t = SeasonalDifference(lag=3, log=True)
    v = t.apply(y)
    assert np.isnan(v[:3]).all()
    np.testing.assert_allclose(v[3:], np.log([3.0, 3.0, 2.0]))
    np.testing.assert_allclose(t.undo(v[3:], y[:3]), y[3:])
    np.testing.assert_allclose(SeasonalDifference(lag=1, log=False).apply(y)[1:], np.diff(y))


# metrics


def test_metrics_by_hand():
    actual, forecast = [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]
    assert rmse(actual, forecast) == pytest.approx(np.sqrt((1 + 0 + 1 + 4) / 4))
    assert mae(actual, forecast) == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert mape(actual, forecast) == pytest.approx(100 * (1 + 0 + 1 / 3 + 1 / 2) / 4)
    assert np.isnan(mape([0.0, 1.0], [1.0, 1.0]))
    with pytest.raises(ValueError, match="same non-zero length"):
        rmse([1.0, 2.0], [1.0])


def test_mase_divides_by_the_seasonal_naive_error_on_the_training_part():
    y_train = np.array([1.0, 2.0, 4.0, 3.0, 5.0, 9.0])
    assert mase_scale(y_train, 3) == pytest.approx((2 + 3 + 5) / 3)
    assert mase_scale(y_train) == pytest.approx((1 + 2 + 1 + 2 + 4) / 5)
    assert mase([1.0, 2.0], [2.0, 4.0], 1.5) == pytest.approx(1.0)
    seasonal = seasonal_naive(AIRLINE, START, 12)
    scale = mase_scale(AIRLINE[:START], 12)
    test = AIRLINE[START:]
    assert mase(test, seasonal.one_step, scale) == pytest.approx(mae(test, seasonal.one_step) / scale)
    with pytest.raises(ValueError, match="longer than the season"):
        mase_scale(y_train, 6)
    with pytest.raises(ValueError, match="MASE is not defined"):
        mase_scale([1.0, 2.0, 1.0, 2.0], 2)


def test_evaluation_table_adds_mase_only_when_asked():
    actual = np.array([10.0, 20.0])
    plain = evaluation_table(actual, {"one": Forecasts(actual + 1, actual - 2)})
    assert "MASE" not in plain.columns.get_level_values(1)
    table = evaluation_table(actual, {"one": Forecasts(actual + 1, actual - 2)}, mase_scale=4.0)
    assert table.loc["one", ("one-step", "MASE")] == 0.25 and table.loc["one", ("multi-step", "MASE")] == 0.5
    assert list(table.columns.get_level_values(1)[:5]) == ["RMSE", "MAE", "MAPE", "MASE", "RMSE sd"]


def test_evaluation_table_averages_runs_and_gives_the_spread():
    actual = np.array([10.0, 20.0])
    runs = [Forecasts(actual + 1, actual + 2), Forecasts(actual + 3, actual + 2)]
    table = evaluation_table(actual, {"one": Forecasts(actual, actual - 4), "two": runs})
    assert table.loc["one", ("one-step", "RMSE")] == 0 and table.loc["one", ("multi-step", "MAE")] == 4
    assert table.loc["two", ("one-step", "RMSE")] == 2  # mean of 1 and 3
    assert table.loc["two", ("one-step", "RMSE sd")] == pytest.approx(np.std([1, 3], ddof=1))
    assert np.isnan(table.loc["one", ("one-step", "RMSE sd")])
    assert table.loc["two", ("", "runs")] == 2
    with pytest.raises(TypeError, match="method 'bad'"):
        evaluation_table(actual, {"bad": [actual]})


# baselines


def test_simple_baselines_by_hand():
    y = np.array([10.0, 12.0, 14.0, 11.0, 13.0, 15.0, 12.0])  # season 3
    f = naive(y, 4, 3)
    assert f.one_step.tolist() == [11, 13, 15] and f.multi_step.tolist() == [11, 11, 11]
    f = seasonal_naive(y, 4, 3)
    assert f.one_step.tolist() == [12, 14, 11] and f.multi_step.tolist() == [12, 14, 11]
    assert seasonal_naive(y, 3, 3, steps=4).multi_step.tolist() == [10, 12, 14, 10]
    f = drift(y, 4, 3)
    np.testing.assert_allclose(f.one_step, [11 + 1 / 3, 13 + 3 / 4, 15 + 5 / 5])
    np.testing.assert_allclose(f.multi_step, [11 + 1 / 3, 11 + 2 / 3, 12])


def test_baselines_reproduce_the_published_errors_on_the_original_split():
    # naive 50.0, seasonal naive 42.7, SARIMA 14.4: one-step RMSE measured elsewhere on this split
    f = all_baselines(AIRLINE, START, 12)
    assert set(f) == set(BASELINES)
    test = AIRLINE[START:]
    assert rmse(test, f["naive"].one_step) == pytest.approx(50.0, abs=0.05)
    assert rmse(test, f["seasonal naive"].one_step) == pytest.approx(42.7, abs=0.05)
    assert rmse(test, f["SARIMA"].one_step) == pytest.approx(14.4, abs=0.05)
    for forecasts in f.values():  # one step ahead from the origin is both kinds of forecast
        assert forecasts.one_step.shape == forecasts.multi_step.shape == test.shape
        assert forecasts.one_step[0] == pytest.approx(forecasts.multi_step[0])


def test_sarima_equals_statsmodels_on_the_log_series():
    log = np.log(AIRLINE)
    with threadpool_limits(limits=1, user_api="blas"):  # tiny matrices: threads only wait for each other
        fitted = SARIMAX(log[:START], order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False)
    whole = fitted.apply(log)  # the same parameters run over the whole series
    f = sarima(AIRLINE, START, 12)
    np.testing.assert_allclose(f.one_step, np.exp(whole.predict(START, len(log) - 1)), rtol=1e-6)
    np.testing.assert_allclose(f.multi_step, np.exp(fitted.get_forecast(len(log) - START).predicted_mean))


def test_holt_winters_equals_statsmodels_and_its_one_step_recursion():
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = ExponentialSmoothing(AIRLINE[:START], trend="add", seasonal="mul", seasonal_periods=12).fit()
    f = holt_winters(AIRLINE, START, 12)
    np.testing.assert_allclose(f.multi_step, fitted.forecast(len(AIRLINE) - START))
    # one step ahead, by the Holt-Winters equations with the fitted parameters
    p = fitted.params
    alpha, beta, gamma = p["smoothing_level"], p["smoothing_trend"], p["smoothing_seasonal"]
    level, trend, season = fitted.level[-1], fitted.trend[-1], list(fitted.season[-12:])
    for t in range(START, len(AIRLINE)):
        forecast = (level + trend) * season[-12]
        assert f.one_step[t - START] == pytest.approx(forecast, rel=1e-9)
        y = AIRLINE[t]
        new_level = alpha * y / season[-12] + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        season.append(gamma * y / (level + trend) + (1 - gamma) * season[-12])
        level = new_level


def test_sarima_in_sample_forecasts_are_the_fitted_values_of_the_log_model():
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = SARIMAX(np.log(AIRLINE[:START]), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False)
    ours = sarima_in_sample_forecasts(AIRLINE[:START], 12)
    np.testing.assert_allclose(ours, np.exp(fitted.fittedvalues), rtol=1e-6)
    assert 5 < rmse(AIRLINE[13:START], ours[13:]) < 12  # close in-sample, after its 13 months of start-up


@pytest.mark.parametrize("start, message", [(5, "start must be an int from 12"), (200, "to 144")])
def test_baselines_reject_a_bad_start(start, message):
    with pytest.raises(ValueError, match=message):
        seasonal_naive(AIRLINE, start, 12)


# the recurrent forecaster


@pytest.fixture(scope="module")
def forecaster():
    torch.set_num_threads(1)
    return fit_forecaster(AIRLINE[:START], cell="lstm", seed=0)


def test_forecaster_meets_the_targets_on_the_original_split(forecaster):
    f = forecaster.forecasts(AIRLINE, START)
    test = AIRLINE[START:]
    one_step, multi_step = rmse(test, f.one_step), rmse(test, f.multi_step)
    assert one_step <= 20  # target: one-step RMSE at most 20
    assert one_step < rmse(test, seasonal_naive(AIRLINE, START, 12).one_step) / 2
    assert multi_step < rmse(test, seasonal_naive(AIRLINE, START, 12).multi_step)
    history = forecaster.history
    assert history.best_val_loss == min(history.val_loss) and history.epochs < 300


def test_recursive_forecasts_feed_back_their_own_values(forecaster):
    y = AIRLINE[: START + 2].copy()
    first, second = forecaster.recursive(y, START, 2)
    assert first == pytest.approx(forecaster.one_step(y, START)[0], rel=1e-6)
    y[START] = first  # with the first forecast in place of the truth, the second is one step ahead
    assert second == pytest.approx(forecaster.one_step(y, START + 1)[0], rel=1e-6)


def test_forecaster_sees_only_the_training_part(forecaster):
    changed = AIRLINE.copy()
    changed[START:] *= 3  # what happens in the test months cannot change the model
    refit = fit_forecaster(changed[:START], cell="lstm", seed=0)
    assert refit.history.train_loss == forecaster.history.train_loss
    np.testing.assert_allclose(refit.recursive(changed, START, 5), forecaster.recursive(AIRLINE, START, 5))


def test_copy_k_of_forecasters_trained_together_equals_fit_forecaster_with_seed_k(forecaster):
    together = fit_forecasters(AIRLINE[:START], [0, 2], cell="lstm")
    assert len(together) == 2
    alone = {0: forecaster, 2: fit_forecaster(AIRLINE[:START], cell="lstm", seed=2)}
    one_step, multi_step = together.one_step(AIRLINE, START), together.recursive(AIRLINE, START, 6)
    for k, seed in enumerate([0, 2]):
        history = together.histories[k]
        assert history.epochs == alone[seed].history.epochs and history.best_epoch == alone[seed].history.best_epoch
        np.testing.assert_allclose(history.train_loss, alone[seed].history.train_loss, rtol=1e-4)
        np.testing.assert_allclose(one_step[k], alone[seed].one_step(AIRLINE, START), rtol=1e-5)
        np.testing.assert_allclose(multi_step[k], alone[seed].recursive(AIRLINE, START, 6), rtol=1e-5)
        np.testing.assert_allclose(together[k].recursive(AIRLINE, START, 6), multi_step[k], rtol=1e-5)
    forecasts = together.forecasts(AIRLINE, START)
    assert len(forecasts) == 2 and forecasts[1].multi_step.shape == (len(AIRLINE) - START,)
    np.testing.assert_array_equal(forecasts[0].one_step, one_step[0])


def test_forecasters_check_their_start_and_steps():
    together = fit_forecasters(AIRLINE[:START], [0, 1], epochs=2)
    with pytest.raises(ValueError, match="start must be an int from season \\+ window = 25"):
        together.one_step(AIRLINE, 10)
    with pytest.raises(ValueError, match="steps must be a non-negative int"):
        together.recursive(AIRLINE, START, -1)
    with pytest.raises(ValueError, match="seeds must be different"):
        fit_forecasters(AIRLINE[:START], [1, 1], epochs=2)


def test_autoregression_is_least_squares_on_the_forecasters_windows():
    ar = fit_autoregression(AIRLINE[:START])
    growth = ar.scaler.transform(ar.transform.apply(AIRLINE[:START])[12:])
    X, target = windows(growth, 13)
    assert X.shape == (START - 12 - 13, 13)
    fitted = ar.model.linear.weight.detach().double().numpy()[0] @ X.T + ar.model.linear.bias.item()
    residual = target - fitted
    np.testing.assert_allclose(X.T @ residual, 0, atol=1e-4)  # the normal equations
    assert abs(residual.sum()) < 1e-4
    f = ar.forecasts(AIRLINE, START)
    assert rmse(AIRLINE[START:], f.one_step) < 20 and f.multi_step.shape == (len(AIRLINE) - START,)
    assert not ar.transform.log or np.all(f.one_step > 0)


def test_forecaster_works_without_season_or_logs():
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.standard_normal(60)) - 20  # crosses zero: no log
    f = fit_forecaster(y[:40], season=1, window=4, cell="gru", epochs=20)
    assert not f.transform.log and f.transform.lag == 1
    assert f.forecasts(y, 40).multi_step.shape == (20,)


@pytest.mark.parametrize("kwargs, message", [
    ({"season": 0}, "season must be a positive int"),
    ({"window": 0}, "window must be a positive int"),
    ({"cell": "tcn"}, "kind must be one of"),
])
def test_forecaster_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_forecaster(AIRLINE[:START], epochs=1, **kwargs)


def test_forecaster_says_when_the_series_is_too_short():
    with pytest.raises(ValueError, match="the training part has 40 values; season 12 .* need 45"):
        fit_forecaster(AIRLINE[:40])


# the original program


def test_original_program_splits_where_the_original_did_and_leaks_the_test_range():
    run = run_original(AIRLINE, seed=0, epochs=100)
    assert run.start == START and len(run.predictions) == len(AIRLINE) - 2
    assert len(run.losses) == 1
    assert run.offset == 0 and run.scale == AIRLINE.max() - AIRLINE.min()  # the maximum lies in the test part
    assert AIRLINE.argmax() >= START
    assert run.one_step.shape == (len(AIRLINE) - START,)
    fixed = run_original(AIRLINE, seed=0, epochs=100, scaling="train")
    assert fixed.offset == AIRLINE[:START].min() and fixed.scale == np.ptp(AIRLINE[:START])
    with pytest.raises(ValueError, match="scaling must be"):
        run_original(AIRLINE, scaling="none")


@pytest.mark.parametrize("scaling", ["original", "train"])
def test_original_runs_side_by_side_equal_the_program_run_alone(scaling):
    together = run_original_seeds(AIRLINE, [0, 3, 5], epochs=100, scaling=scaling)
    for seed, run in zip([0, 3, 5], together, strict=True):
        alone = run_original(AIRLINE, seed=seed, epochs=100, scaling=scaling)
        assert (run.start, run.offset, run.scale) == (alone.start, alone.offset, alone.scale)
        np.testing.assert_allclose(run.losses, alone.losses, rtol=1e-4)
        np.testing.assert_allclose(run.predictions, alone.predictions, atol=1e-3)  # thousands of passengers
        for name, value in alone.net.state_dict().items():
            torch.testing.assert_close(run.net.state_dict()[name], value, atol=1e-5, rtol=1e-4)


def test_original_runs_side_by_side_reject_bad_seeds_and_scaling():
    with pytest.raises(ValueError, match="seeds must be one or more different seeds"):
        run_original_seeds(AIRLINE, [], epochs=1)
    with pytest.raises(ValueError, match="seeds must be one or more different seeds"):
        run_original_seeds(AIRLINE, [2, 2], epochs=1)
    with pytest.raises(ValueError, match="scaling must be"):
        run_original_seeds(AIRLINE, [0], scaling="none")


def test_original_recursion_starts_where_its_one_step_forecast_does():
    run = run_original(AIRLINE, seed=0, epochs=20)
    f = original_forecasts(run, AIRLINE)
    assert f.multi_step[0] == pytest.approx(f.one_step[0], rel=1e-5)
    assert f.multi_step.shape == f.one_step.shape


# self-checks for the exercises


def test_check_windows_names_the_mistake():
    right = check_windows(lambda s, k: (np.array([s[i : i + k] for i in range(len(s) - k)]), s[k:]))
    assert right and str(right).startswith("✓")
    early = check_windows(lambda s, k: (np.array([s[i : i + k] for i in range(len(s) - k)]), s[k - 1 : -1]))
    assert not early and "y[0] should be series[3] = 30" in str(early) and "series[2]" in str(early)
    too_many = check_windows(lambda s, k: (np.array([s[i : i + k] for i in range(len(s) - k + 1)]), s[k - 1 :]))
    assert not too_many and "shape (7, 3)" in str(too_many)
    crash = check_windows(lambda s, k: 1 / 0)
    assert not crash and "ZeroDivisionError" in str(crash)


def test_check_seasonal_naive_names_the_mistake():
    assert check_seasonal_naive(lambda y, start, m: y[start - m : len(y) - m])
    lag = check_seasonal_naive(lambda y, start, m: y[start - 1 : -1])
    assert not lag and "y[t - 1]" in str(lag)
    repeat = check_seasonal_naive(lambda y, start, m: np.resize(y[start - m : start], len(y) - start))
    assert not repeat and "multi-step" in str(repeat)
    shape = check_seasonal_naive(lambda y, start, m: y[start - m :])
    assert not shape and "shape" in str(shape)
    other = check_seasonal_naive(lambda y, start, m: pd.Series(y[start - m : len(y) - m]) + 1)
    assert not other and "forecast 0" in str(other)


# many origins and prediction intervals


def test_forecasts_from_many_origins_equal_the_recursion_from_each(forecaster):
    together = fit_forecasters(AIRLINE[:START], [0, 1], epochs=3)
    origins = np.array([START, START + 5, len(AIRLINE)])
    rolled = together.from_origins(AIRLINE, origins, 4)
    assert rolled.shape == (2, 3, 4)
    for i, origin in enumerate(origins):
        np.testing.assert_allclose(rolled[:, i], together.recursive(AIRLINE, int(origin), 4), rtol=1e-4)
    np.testing.assert_allclose(rolled[:, :2, 0], together.one_step(AIRLINE, START)[:, [0, 5]], rtol=1e-6)
    changed = AIRLINE.copy()
    changed[START:] *= 3  # a forecast from origin START reads nothing from START on
    np.testing.assert_allclose(together.from_origins(changed, [START], 4), rolled[:, :1], rtol=1e-6)


def test_sample_paths_add_each_copys_own_residuals_to_the_growth():
    together = fit_forecasters(AIRLINE[:START], [0, 1], epochs=3)
    residuals = together.residuals(AIRLINE[:START])
    assert residuals.shape == (2, START - 12 - 13)
    gen = np.random.default_rng(0)
    zero = together.sample_paths(AIRLINE, [START, START + 1], 3, np.zeros_like(residuals), 4, gen)
    assert zero.shape == (2, 2, 4, 3)
    point = together.from_origins(AIRLINE, [START, START + 1], 3)
    np.testing.assert_allclose(zero, np.repeat(point[:, :, None], 4, 2))
    # residuals 0.4 and 0.2 are centred on their mean 0.3: each path's log growth moves by +0.1 or -0.1
    two_values = np.where(np.arange(residuals.shape[1]) % 2, 0.4, 0.2) * np.ones_like(residuals)
    drawn = together.sample_paths(AIRLINE, [START], 1, two_values, 50, gen)[:, 0, :, 0]
    point = together.from_origins(AIRLINE, [START], 1)[:, 0]
    ratio = np.log(drawn / point)
    assert np.allclose(np.abs(ratio), 0.1, atol=1e-6) and (ratio > 0).any() and (ratio < 0).any()


def test_cross_validation_scores_each_candidate_on_the_training_part_only():
    candidates = [dict(window=6), dict(window=13, log=False)]
    scores = cross_validate(AIRLINE[:START], candidates, [0, 1], epochs=2)
    changed = AIRLINE.copy()
    changed[START:] = 1.0
    np.testing.assert_array_equal(cross_validate(changed[:START], candidates, [0, 1], epochs=2), scores)
    assert scores.shape == (2, 2) and (scores > 0).all()  # one row per candidate, one column per seed


def test_cross_validation_column_k_is_seed_k_scored_alone():
    candidates = [dict(window=6, hidden_size=4)]
    together = cross_validate(AIRLINE[:START], candidates, [3, 8], folds=1, epochs=2)
    alone = cross_validate(AIRLINE[:START], candidates, [8], folds=1, epochs=2)
    np.testing.assert_allclose(together[:, 1], alone[:, 0], rtol=1e-4)


def test_statistical_models_from_many_origins_continue_their_fit_on_the_training_part():
    origins = np.arange(START, len(AIRLINE) + 1)
    s = sarima_from_origins(AIRLINE, START, 12, origins, 3)
    np.testing.assert_allclose(s.point[0], sarima(AIRLINE, START, 12, 3).multi_step, rtol=1e-8)
    np.testing.assert_allclose(s.point[:-1, 0], sarima(AIRLINE, START, 12).one_step, rtol=1e-8)
    hw = holt_winters_from_origins(AIRLINE, START, 12, origins, 3, np.random.default_rng(0), paths=50)
    np.testing.assert_allclose(hw.point[0], holt_winters(AIRLINE, START, 12, 3).multi_step, rtol=1e-8)
    np.testing.assert_allclose(hw.point[:-1, 0], holt_winters(AIRLINE, START, 12).one_step, rtol=1e-8)
    for result in (s, hw):
        (lo80, up80), (lo95, up95) = result.intervals[0.8], result.intervals[0.95]
        assert np.all(lo95 <= lo80) and np.all(up80 <= up95)
        assert np.all(lo80 < result.point) and np.all(result.point < up80)
