"""Divergence is caught: a loss that is not finite, or that grows far above its lowest,
stops training with TrainingDivergedError naming the setting to change."""

from __future__ import annotations

import math

import pytest

import tfzoo
from tfzoo.divergence import LossWatch


def test_a_loss_that_explodes_or_is_not_finite_stops_training():
    for bad in (math.nan, math.inf):
        with pytest.raises(tfzoo.TrainingDivergedError, match=f"became {bad} at step 3"):
            LossWatch().check(bad, "at step 3", "Lower it.")
    watch = LossWatch(factor=1e4)
    for loss in (2.3, 1.0, 0.5):
        watch.check(loss, "", "")
    with pytest.raises(tfzoo.TrainingDivergedError, match="over 10000 times the lowest"):
        for loss in (1e6, 1e8, 1e10):
            watch.check(loss, "", "Lower it.")


def test_a_loss_near_zero_may_wobble_and_none_watches_only_for_nan():
    watch = LossWatch(factor=1e4)
    for loss in [1.0] + [1e-9] * 50 + [0.5] * 50:  # Far above its lowest, not above its first.
        watch.check(loss, "", "")
    unwatched = LossWatch(factor=None)
    for loss in (1.0, 1e30):
        unwatched.check(loss, "", "")


@pytest.mark.parametrize("task_id, preset", [
    ("mnist-mlp", "handbook"), ("char-rnn", "handbook"), ("cartpole-dqn", "default"),
])
def test_a_learning_rate_of_1e9_stops_with_training_diverged(tmp_path, task_id, preset):
    with pytest.raises(tfzoo.TrainingDivergedError, match="Lower"):
        tfzoo.start_run(task_id, preset=preset, path=tmp_path / "run", steps=3000, seed=0,
                        progress=False, agent_overrides={"learning_rate": 1e9})
