"""Telling from its loss that training diverged: a loss that is not finite, or one that grew
far above the lowest it reached. It says so; the agent raises `TrainingDivergedError`.
"""

from __future__ import annotations

import math


class LossWatch:
    """Watches a training loss, step by step, for divergence.

    Training has diverged when the loss is NaN or infinite, or when its moving average has
    grown to more than `factor` times the lowest it reached and above its first value (so
    that a loss that fell near zero, as a least-squares fit's does, may still wobble).
    A learning rate far too high (e.g. `learning_rate=1e9`) trips it within a few steps;
    healthy training never comes near.

    Args:
        factor: How far above its lowest the averaged loss may grow (default 1e4); None
            watches for non-finite losses only.
        smoothing: The weight of the past in the moving average (0.9: about the last ten
            steps), so that one noisy batch cannot trip it.
    """

    def __init__(self, factor: float | None = 1e4, smoothing: float = 0.9) -> None:
        self.factor, self.smoothing = factor, smoothing
        self.average: float | None = None
        self.first = self.lowest = math.inf

    def check(self, loss: float) -> str | None:
        """What shows that training diverged at this step's `loss`, as words to follow "the
        loss" in an error (the caller raises `TrainingDivergedError` with its own fix), or
        None. It costs a few float operations: nothing is read from TensorFlow."""
        if not math.isfinite(loss):
            return f"became {loss}"
        self.average = loss if self.average is None else (
            self.smoothing * self.average + (1.0 - self.smoothing) * loss)
        self.first = self.average if self.first == math.inf else self.first
        self.lowest = min(self.lowest, self.average)
        if self.factor is not None and self.average > max(self.factor * self.lowest, self.first):
            return (f"averaged over the last steps grew to {self.average:.3g}, over "
                    f"{self.factor:g} times the lowest it reached ({self.lowest:.3g}; "
                    f"divergence_factor={self.factor:g} sets how much growth counts as "
                    f"diverging, None checks only for NaN and infinity)")
        return None
