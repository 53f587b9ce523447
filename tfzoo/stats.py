"""Statistics over runs (seeds): the interquartile mean, its bootstrap confidence interval and
performance profiles, as Agarwal et al. 2021 recommend; numbers only, no files or plots.

"Deep Reinforcement Learning at the Edge of the Statistical Precipice" (Agarwal et al.,
NeurIPS 2021, and its library `rliable`) shows that a handful of seeds summarised by their
mean, or by their best, misleads. It recommends the interquartile mean (IQM: the mean of
the middle half of the scores, robust to one lucky or broken seed yet using half of them),
a stratified bootstrap confidence interval around it, and performance profiles (the share
of runs above each score). These are those, computed with SciPy (`scipy.stats.trim_mean`
and `scipy.stats.bootstrap`, the `stats` extra), which is imported only when they are used.

Scores are a 1-D array (one score per run of one task) or a 2-D one (runs, tasks); with
tasks, each task's runs are resampled on their own (a bootstrap stratified over tasks), and
the IQM is that of all the scores together.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfzoo import validate
from tfzoo.errors import ConfigError

BATCH = 250
"""Bootstrap resamples drawn at a time: bounds the memory of a curve's bands (a step's
interval is then the same as `aggregate` gives for that step's scores with the same seed)."""


@dataclass(frozen=True)
class Aggregate:
    """The summary of a set of runs' scores: their IQM and its confidence interval."""

    iqm: float
    """The interquartile mean: the mean of the scores left when the lowest and the highest
    quarter are cut (`scipy.stats.trim_mean(scores, 0.25)`)."""
    low: float
    """The lower end of the IQM's confidence interval (NaN with a single run)."""
    high: float
    """The upper end of the IQM's confidence interval (NaN with a single run)."""
    runs: int
    """How many runs the scores are of (the rows of 2-D scores)."""
    threshold: float | None = None
    """The score a run should reach (e.g. the task's reward threshold), or None."""
    fraction_above: float | None = None
    """The share of the scores at or above `threshold` (None without a threshold)."""
    confidence: float = 0.95
    """The interval's coverage."""

    def describe(self) -> str:
        """One line, e.g. "IQM 487.2 (95% CI 470.1-500.0), 9/10 runs >= 475"."""
        if math.isnan(self.low):
            (value,) = format_numbers(self.iqm)
            text = f"IQM {value} ({self.runs} run: no CI)"
        else:
            value, low, high = format_numbers(self.iqm, self.low, self.high)
            text = f"IQM {value} ({self.confidence:.0%} CI {join_range(low, high)})"
        if self.threshold is None or self.fraction_above is None:
            return text
        return f"{text}, {describe_share(self.fraction_above, self.runs)} >= {self.threshold:g}"


def iqm(scores: Any) -> float:
    """The interquartile mean of `scores` (1-D runs, or 2-D runs x tasks, taken together).

    It is `scipy.stats.trim_mean(scores, 0.25, axis=None)`, exactly what
    `rliable.metrics.aggregate_iqm` computes: with 4 scores, the mean of the middle 2.

    Raises:
        ConfigError: `scores` is empty, not finite, or SciPy is not installed.
    """
    return float(_scipy_stats().trim_mean(_scores(scores), 0.25, axis=None))


def aggregate(scores: Any, *, threshold: float | None = None, confidence: float = 0.95,
              resamples: int = 10_000, seed: int = 0) -> Aggregate:
    """The IQM of `scores` with its stratified bootstrap percentile confidence interval.

    Args:
        scores: One score per run (1-D), or (runs, tasks) (2-D): each task's runs are then
            resampled independently, as `rliable.library.get_interval_estimates` does.
        threshold: The score a run should reach; `fraction_above` is the share at or above it.
        confidence: The interval's coverage, between 0 and 1.
        resamples: Bootstrap resamples, at least 100.
        seed: Seed of the resampling: the same seed gives the same interval.

    Returns:
        An `Aggregate`; with a single run its interval is NaN (nothing to resample), with
        identical scores it is that score at both ends.

    Raises:
        ConfigError: A bad value among the above, or SciPy is not installed.
    """
    scores = _scores(scores)
    threshold = validate.number("threshold", threshold, optional=True)
    confidence, resamples = _confidence(confidence), _resamples(resamples)
    seed = validate.seed(seed)
    center = iqm(scores)
    if scores.shape[0] == 1:
        low = high = math.nan
    elif np.ptp(scores) == 0:  # Every resample is the same: no need to ask SciPy.
        low = high = center
    else:
        samples = [scores] if scores.ndim == 1 else list(scores.T)  # One per task.
        low, high = _interval(samples, _pooled_iqm, confidence, resamples, seed)
    fraction = None if threshold is None else float(np.mean(scores >= threshold))
    return Aggregate(center, float(low), float(high), int(scores.shape[0]), threshold,
                     fraction, confidence)


def iqm_curve(scores: Any, *, confidence: float = 0.95, resamples: int = 2_000,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The IQM across runs at each step of learning curves, and its confidence band.

    Args:
        scores: (runs, steps): each run's value at the same steps.
        confidence, resamples, seed: As for `aggregate`; at each step the interval is the
            one `aggregate` gives for that step's scores with the same arguments.

    Returns:
        (iqm, low, high), one value per step; with a single run, low and high are NaN.
    """
    scores = _scores(scores)
    if scores.ndim != 2:
        raise ConfigError(f"iqm_curve takes scores of shape (runs, steps), not "
                          f"{scores.shape}: stack each run's curve as a row.")
    confidence, resamples = _confidence(confidence), _resamples(resamples)
    seed = validate.seed(seed)
    centers = _scipy_stats().trim_mean(scores, 0.25, axis=0)
    if scores.shape[0] == 1:
        return centers, np.full_like(centers, np.nan), np.full_like(centers, np.nan)
    low, high = centers.copy(), centers.copy()  # Steps where every run agrees keep these.
    varied = np.ptp(scores, axis=0) > 0
    if varied.any():
        low[varied], high[varied] = _interval([scores[:, varied].T], _pooled_iqm, confidence,
                                              resamples, seed)
    return centers, low, high


def performance_profile(scores: Any, thresholds: Any) -> np.ndarray:
    """The share of scores strictly above each threshold (a score distribution).

    This is `rliable.library.create_performance_profile`'s profile: for 2-D scores
    (runs, tasks), the share of all of them. It needs no SciPy.

    Returns:
        One share per threshold, from 0 to 1, in the order given.
    """
    scores = _scores(scores).reshape(-1)
    thresholds = np.asarray(thresholds, dtype=float) if _numeric(thresholds) else None
    if thresholds is None or thresholds.ndim != 1 or thresholds.size == 0 or \
            not np.isfinite(thresholds).all():
        raise ConfigError(f"thresholds={_preview(thresholds)} must be one or more finite "
                          f"numbers in a 1-D sequence, e.g. numpy.linspace(0, 500, 101).")
    return (scores[None, :] > thresholds[:, None]).mean(axis=1)


def format_numbers(*values: float) -> list[str]:
    """`values` with the same decimals, enough for 4 significant digits of the largest."""
    largest = max((abs(value) for value in values if math.isfinite(value)), default=0.0)
    decimals = 3 if largest == 0 else max(0, 3 - math.floor(math.log10(largest)))
    return [f"{value:.{decimals}f}" for value in values]


def join_range(low: str, high: str) -> str:
    """"470.1-500.0", or "-0.2 to -0.1" where a minus sign would make the dash ambiguous."""
    return f"{low} to {high}" if low.startswith("-") or high.startswith("-") else f"{low}-{high}"


def describe_share(fraction: float, runs: int) -> str:
    """"9/10 runs" when `fraction` is a whole number of `runs`, else "45% of scores"."""
    count = fraction * runs
    if abs(count - round(count)) < 1e-9:
        return f"{round(count)}/{runs} run{'s' if runs != 1 else ''}"
    return f"{fraction:.0%} of scores"


def _interval(samples: list[np.ndarray], statistic: Callable[..., np.ndarray],
              confidence: float, resamples: int, seed: int) -> tuple[Any, Any]:
    """The percentile bootstrap interval of `statistic` over `samples`, each resampled on its
    own along its last axis (SciPy's `bootstrap`, vectorised)."""
    result = _scipy_stats().bootstrap(
        samples, statistic, n_resamples=resamples, batch=BATCH, vectorized=True, axis=-1,
        confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed),
    )
    return result.confidence_interval.low, result.confidence_interval.high


def _pooled_iqm(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    """The IQM of all `samples` together along their last axis (SciPy passes axis=-1)."""
    pooled = samples[0] if len(samples) == 1 else np.concatenate(samples, axis=-1)
    return _scipy_stats().trim_mean(pooled, 0.25, axis=axis)


def _scores(scores: Any) -> np.ndarray:
    """`scores` as a float array of 1 or 2 dimensions, non-empty and finite."""
    array = np.asarray(scores, dtype=float) if _numeric(scores) else None
    if array is None or array.ndim not in (1, 2) or array.size == 0:
        raise ConfigError(
            f"scores={_preview(scores)} cannot be summarised: pass one or more numbers, one "
            f"per run (1-D), or a (runs, tasks) array (2-D) with at least one run and task.")
    if not np.isfinite(array).all():
        raise ConfigError(
            f"scores={_preview(array)} holds NaN or infinity, which no statistic can rank. "
            f"Leave out the runs that diverged or did not finish (or count them as failures "
            f"with a finite score, e.g. the lowest possible).")
    return array


def _numeric(values: Any) -> bool:
    """Whether `values` converts to a float array (numbers, not strings or objects)."""
    if isinstance(values, (str, bytes)):
        return False
    try:
        np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _confidence(value: Any) -> float:
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not real or not 0 < value < 1:
        raise ConfigError(f"confidence={value!r} must be a number between 0 and 1 (exclusive): "
                          f"the interval's coverage, e.g. 0.95 for a 95% interval.")
    return float(value)


def _resamples(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 100:
        raise ConfigError(f"resamples={value!r} is too few for an interval's ends: pass a "
                          f"whole number of at least 100 (the default is 10,000).")
    return int(value)


def _preview(values: Any) -> str:
    text = repr(values.tolist() if isinstance(values, np.ndarray) else values)
    return text if len(text) <= 60 else text[:57] + "..."


def _scipy_stats() -> Any:
    """`scipy.stats`, or a ConfigError naming the extra that brings it."""
    try:
        import scipy.stats
    except ImportError:
        raise ConfigError("tfzoo's statistics over runs (the IQM and its bootstrap confidence "
                          "interval) are computed with SciPy, which is not installed: pip "
                          "install 'tfzoo[stats]'.") from None
    return scipy.stats
