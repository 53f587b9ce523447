"""Divergence is caught: a loss that is not finite, or that grows far above its lowest,
stops training with TrainingDivergedError naming the setting to change."""

from __future__ import annotations

import math

import pytest

import tfzoo
from tfzoo.divergence import LossWatch


def test_a_loss_that_explodes_or_is_not_finite_is_named():
    for bad in (math.nan, math.inf):
        assert LossWatch().check(bad) == f"became {bad}"
    watch = LossWatch(factor=1e4)
    assert [watch.check(loss) for loss in (2.3, 1.0, 0.5)] == [None] * 3
    problems = [watch.check(loss) for loss in (1e6, 1e8, 1e10)]
    assert "over 10000 times the lowest it reached (2" in problems[0]


def test_a_loss_near_zero_may_wobble_and_none_watches_only_for_nan():
    watch = LossWatch(factor=1e4)
    for loss in [1.0] + [1e-9] * 50 + [0.5] * 50:  # Far above its lowest, not above its first.
        assert watch.check(loss) is None
    unwatched = LossWatch(factor=None)
    assert unwatched.check(1.0) is None and unwatched.check(1e30) is None


@pytest.mark.parametrize("task_id, preset", [
    ("mnist-mlp", "handbook"), ("char-rnn", "handbook"), ("cartpole-dqn", "default"),
])
def test_a_learning_rate_of_1e9_stops_with_training_diverged(tmp_path, task_id, preset):
    with pytest.raises(tfzoo.TrainingDivergedError, match="Lower"):
        tfzoo.start_run(task_id, preset=preset, path=tmp_path / "run", steps=3000, seed=0,
                        progress=False, agent_overrides={"learning_rate": 1e9})
