import numpy as np
import pytest
from scipy import stats
from statsmodels.tsa.stattools import acovf

from rnntutor.evaluation import (
    coverage,
    diebold_mariano,
    interval_score,
    intervals_from_paths,
    mase_by_horizon,
    rmse_by_horizon,
    targets,
)


def test_targets_line_up_origins_and_horizons_and_leave_nan_beyond_the_end():
    actual = targets(np.arange(10.0), [7, 8, 9], 3)
    np.testing.assert_array_equal(actual, [[7, 8, 9], [8, 9, np.nan], [9, np.nan, np.nan]])


@pytest.mark.parametrize("origins, horizon", [([0], 1), ([10], 1), ([], 1), ([3], 0)])
def test_targets_reject_origins_outside_the_series(origins, horizon):
    with pytest.raises(ValueError, match="origins|horizon"):
        targets(np.arange(10.0), origins, horizon)


def test_errors_by_horizon_skip_the_missing_targets():
    actual = np.array([[1.0, 2.0], [3.0, np.nan]])
    forecast = np.array([[2.0, 2.0], [0.0, 100.0]])
    np.testing.assert_allclose(rmse_by_horizon(actual, forecast), [np.sqrt((1 + 9) / 2), 0.0])
    np.testing.assert_allclose(mase_by_horizon(actual, forecast, 2.0), [1.0, 0.0])


def test_diebold_mariano_one_step_is_the_paired_t_test_of_the_loss_differences():
    # With h = 1 the corrected statistic is dbar / (s / sqrt(n)), s with n - 1: Student's paired t-test.
    e1 = np.array([1.0, -2.0, 3.0, -1.0, 2.0, 0.5, -1.5])
    e2 = np.array([0.5, 1.0, -1.0, 2.0, 0.5, 1.0, -0.2])
    expected = stats.ttest_1samp(e1**2 - e2**2, 0.0)
    result = diebold_mariano(e1, e2)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert (result.n, result.horizon) == (7, 1)
    by_hand = diebold_mariano(e1, e2, power=1)  # absolute errors, d = |e1| - |e2|
    assert by_hand.statistic == pytest.approx(stats.ttest_1samp(abs(e1) - abs(e2), 0.0).statistic, rel=1e-12)


def test_diebold_mariano_with_autocovariances_and_the_small_sample_correction():
    rng = np.random.default_rng(3)
    e1, e2 = rng.standard_normal(40) * 1.3, rng.standard_normal(40)
    d, n, h = e1**2 - e2**2, 40, 3
    gamma = acovf(d, nlag=h - 1, demean=True, adjusted=False)
    dm = d.mean() / np.sqrt((gamma[0] + 2 * gamma[1:].sum()) / n)
    corrected = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    result = diebold_mariano(e1, e2, horizon=h)
    assert result.statistic == pytest.approx(corrected, rel=1e-12)
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(corrected), n - 1), rel=1e-10)
    swapped = diebold_mariano(e2, e1, horizon=h)
    assert swapped.statistic == pytest.approx(-result.statistic) and swapped.p_value == pytest.approx(result.p_value)


def test_diebold_mariano_falls_back_to_one_step_when_the_variance_is_negative():
    e1 = np.array([1.0, -2.0, 3.0, -1.0, 2.0])
    e2 = np.array([0.5, 1.0, -1.0, 2.0, 0.5])
    # d = (0.75, 3, 8, -3, 3.75): gamma_0 = 13.075, gamma_1 = -7.05, so gamma_0 + 2 gamma_1 < 0
    assert diebold_mariano(e1, e2, horizon=2) == diebold_mariano(e1, e2, horizon=1)


@pytest.mark.parametrize("e1, e2, horizon, message", [
    ([1.0, 2.0], [1.0], 1, "same length|one length"),
    ([1.0, 2.0, 3.0], [1.0, 2.0, np.nan], 1, "finite"),
    ([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], 3, "horizon"),
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 1, "constant"),
])
def test_diebold_mariano_rejects_what_it_cannot_test(e1, e2, horizon, message):
    with pytest.raises(ValueError, match=message):
        diebold_mariano(e1, e2, horizon)


def test_interval_score_and_coverage_by_hand():
    y, lower, upper = np.array([0.0, 5.0, -3.0, np.nan]), -np.ones(4), np.ones(4)
    # widths 2; y = 5 misses by 4 (2 / 0.2 * 4 = 40), y = -3 by 2 (20): (2 + 42 + 22) / 3
    assert interval_score(y, lower, upper, alpha=0.2) == pytest.approx(22.0)
    assert coverage(y, lower, upper) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="lower bound"):
        coverage(y, upper, lower)
    with pytest.raises(ValueError, match="alpha"):
        interval_score(y, lower, upper, alpha=1.5)


def test_intervals_from_paths_pool_every_copy():
    paths = np.arange(200.0).reshape(2, 1, 100, 1)  # copy 0 holds 0..99, copy 1 100..199
    (lower, upper), = intervals_from_paths(paths, levels=(0.5,)).values()
    np.testing.assert_allclose([lower[0, 0], upper[0, 0]], np.quantile(np.arange(200.0), [0.25, 0.75]))
