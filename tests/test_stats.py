"""tfzoo.stats: the IQM, its bootstrap interval and performance profiles, by hand and against
rliable (Agarwal et al. 2021's library) on the same scores."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest

from tfzoo import stats
from tfzoo.errors import ConfigError

# Ten runs' returns on CartPole: a spread that has a middle half and tails.
RETURNS = np.array([500.0, 487.0, 312.0, 500.0, 455.0, 9.0, 478.0, 500.0, 431.0, 466.0])


def test_the_iqm_is_the_mean_of_the_middle_half():
    assert stats.iqm([1, 2, 3, 4]) == 2.5  # 1 and 4 cut.
    assert stats.iqm([8, 1, 100, 3, 5, -50, 2, 4]) == pytest.approx((2 + 3 + 4 + 5) / 4)
    scores = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])  # (runs, tasks)
    assert stats.iqm(scores) == pytest.approx((3 + 4 + 10 + 20) / 4)  # All 8 taken together.


def test_two_runs_give_their_own_scores_as_the_interval():
    # The resamples are (a, a), (a, b), (b, a), (b, b): a quarter of IQMs are a, a quarter b.
    result = stats.aggregate([3.0, 7.0])
    assert (result.iqm, result.low, result.high, result.runs) == (5.0, 3.0, 7.0, 2)
    assert result.describe() == "IQM 5.000 (95% CI 3.000-7.000)"


def test_identical_scores_give_a_zero_width_interval_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = stats.aggregate([500.0] * 5, threshold=475)
        values, low, high = stats.iqm_curve([[1.0, 2.0, 3.0], [1.0, 2.0, 5.0]])
    assert result.iqm == result.low == result.high == 500.0
    np.testing.assert_array_equal(low[:2], [1.0, 2.0])
    np.testing.assert_array_equal(high[:2], [1.0, 2.0])
    assert low[2] == 3.0 and high[2] == 5.0


def test_one_run_has_no_interval():
    result = stats.aggregate([487.2], threshold=475)
    assert result.iqm == 487.2 and math.isnan(result.low) and math.isnan(result.high)
    assert result.describe() == "IQM 487.2 (1 run: no CI), 1/1 run >= 475"


def test_the_share_at_or_above_the_threshold():
    result = stats.aggregate(RETURNS, threshold=478)
    assert result.fraction_above == 0.5  # 500, 487, 500, 478 (at), 500.
    assert result.threshold == 478.0 and result.confidence == 0.95
    assert stats.aggregate(RETURNS).fraction_above is None
    text = stats.aggregate(RETURNS, threshold=475).describe()
    assert text.startswith("IQM ") and text.endswith(", 5/10 runs >= 475")


def test_the_same_seed_gives_the_same_interval():
    first = stats.aggregate(RETURNS, seed=3)
    assert stats.aggregate(RETURNS, seed=3) == first
    assert stats.aggregate(RETURNS, seed=4) != first


def test_a_curves_band_is_each_steps_interval():
    rng = np.random.default_rng(0)
    curves = rng.normal(size=(6, 4))  # (runs, steps)
    values, low, high = stats.iqm_curve(curves, resamples=500, seed=2)
    for step in range(4):
        expected = stats.aggregate(curves[:, step], resamples=500, seed=2)
        assert (values[step], low[step], high[step]) == pytest.approx(
            (expected.iqm, expected.low, expected.high))


def _rliable():
    """rliable's metrics and library modules (its import warns about its dependencies)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rliable import library, metrics
    return library, metrics


@pytest.mark.parametrize("shape", [(10,), (6, 3)], ids=["runs", "runs-x-tasks"])
def test_the_iqm_and_its_interval_match_rliable(shape):
    library, metrics = _rliable()
    # Scores from a continuous distribution: with ties or a lone outlier (as in RETURNS) the
    # bootstrap distribution has gaps, and an end of the interval can fall either side of one.
    scores = np.random.default_rng(1).normal(400.0, 60.0, size=shape)
    assert stats.iqm(scores) == metrics.aggregate_iqm(scores)
    matrix = scores[:, None] if scores.ndim == 1 else scores
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arch's FutureWarning about random_state.
        _, intervals = library.get_interval_estimates(
            {"x": matrix}, lambda s: np.array([metrics.aggregate_iqm(s)]), reps=20_000,
            random_state=np.random.RandomState(0))
    result = stats.aggregate(scores, seed=0)
    # Both are Monte Carlo estimates of the same percentiles: equal within their noise.
    tolerance = 0.015 * np.ptp(scores)
    assert result.low == pytest.approx(intervals["x"][0, 0], abs=tolerance)
    assert result.high == pytest.approx(intervals["x"][1, 0], abs=tolerance)
    assert result.high - result.low > 10 * tolerance  # A real interval, not a point.


def test_the_performance_profile_matches_rliable():
    library, _ = _rliable()
    thresholds = np.linspace(0, 520, 27)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profiles, _ = library.create_performance_profile({"x": RETURNS[:, None]}, thresholds,
                                                         reps=100)
    np.testing.assert_array_equal(stats.performance_profile(RETURNS, thresholds),
                                  profiles["x"])
    # Strictly above: the runs at 500 are not above 500.
    assert stats.performance_profile(RETURNS, [500, 499.9, 8]).tolist() == [0.0, 0.3, 1.0]


@pytest.mark.parametrize("scores, words", [
    ([], "scores=[] cannot be summarised: pass one or more numbers"),
    ([1.0, float("nan")], "scores=[1.0, nan] holds NaN or infinity"),
    ([[[1.0]]], "or a (runs, tasks) array"),
    (["a", "b"], "scores=['a', 'b'] cannot be summarised"),
])
def test_bad_scores_are_explained(scores, words):
    with pytest.raises(ConfigError) as error:
        stats.aggregate(scores)
    assert words in str(error.value)


@pytest.mark.parametrize("keywords, words", [
    ({"confidence": 1.5}, "confidence=1.5 must be a number between 0 and 1 (exclusive)"),
    ({"confidence": 0}, "e.g. 0.95 for a 95% interval"),
    ({"resamples": 50}, "resamples=50 is too few"),
    ({"threshold": float("inf")}, "threshold=inf must be a finite number"),
])
def test_bad_settings_are_explained(keywords, words):
    with pytest.raises(ConfigError) as error:
        stats.aggregate(RETURNS, **keywords)
    assert words in str(error.value)


def test_bad_thresholds_are_explained():
    with pytest.raises(ConfigError, match=r"thresholds=\[\] must be one or more finite"):
        stats.performance_profile(RETURNS, [])


def test_without_scipy_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.stats", None)  # As if not installed.
    with pytest.raises(ConfigError, match=r"pip install 'tfzoo\[stats\]'"):
        stats.aggregate(RETURNS)
    assert stats.performance_profile(RETURNS, [400]).tolist() == [0.8]  # Needs no SciPy.


def test_importing_tfzoo_does_not_import_scipy():
    import subprocess

    code = "import sys, tfzoo, tfzoo.stats; print('scipy' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "False"
