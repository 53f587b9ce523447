"""`tfzoo.testing`: the checks plugin authors run pass on tfzoo's own tasks and agents, and
catch each kind of broken task and agent they are for."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfzoo
from tfzoo.testing import check_agent, check_task


@pytest.mark.parametrize("task_id", sorted(tfzoo.registry))
def test_every_built_in_task_passes_check_task(task_id):
    check_task(task_id, preset="handbook")


def test_the_supervised_agent_passes_check_agent():
    report = check_agent("supervised", "linear-regression", preset="handbook", steps=100)
    assert report["after"] > report["before"] and len(report["episodes"]) == 100


class Line(tfzoo.SupervisedTask):
    """Is x above -0.5? Over 16 points, in batches of 4 (three quarters of the answers are 1)."""

    def __init__(self, *, noise: bool = False, late_noise: bool = False, halve: bool = False):
        inputs = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
        self.noise, self.late_noise, self.halve = noise, late_noise, halve
        self.steps = 0
        super().__init__({"train": (inputs, (inputs[:, 0] > -0.5).astype(np.int64))},
                         batch_size=4, num_classes=2)

    def reset(self, *, seed=None, options=None):
        self.steps = 0  # Steps into the episode.
        return super().reset(seed=seed, options=options)

    def step(self, action):
        observation, reward, terminated, truncated, info = super().step(action)
        self.steps += 1
        if self.noise or (self.late_noise and self.steps > 2):  # From NumPy's global
            reward += np.random.uniform(-1e-3, 1e-3)  # generator, not self.np_random: a bug.
        return observation, reward / 2 if self.halve else reward, terminated, truncated, info


def test_check_task_catches_unseeded_randomness_and_rewards_that_do_not_add_up():
    tfzoo.register("noisy-line", Line, agent="supervised", noise=True)
    with pytest.raises(AssertionError, match=r"rewards are not equivalent for the same seed"):
        check_task("noisy-line")
    tfzoo.register("late-noisy-line", Line, agent="supervised", late_noise=True)
    with pytest.raises(AssertionError, match=r"different rewards at step \d+ for the same "
                                             r"actions; draw every random number from "
                                             r"self\.np_random"):
        check_task("late-noisy-line")  # Gymnasium's checker compares the first step only.
    tfzoo.register("halved-line", Line, agent="supervised", halve=True)
    with pytest.raises(AssertionError, match=r"returned \S+, not 1\.0: a pass's rewards must"):
        check_task("halved-line")
    tfzoo.register("line", Line, agent="supervised")
    check_task("line")


class Forgetful(tfzoo.Agent):
    """Predicts the class most targets had, from their running mean, kept in a Python float
    that checkpoints miss."""

    def __init__(self, task, config):
        super().__init__()
        self.shape, self.rate, self.mean = task.action_space.shape, config.rate, 0.0

    def act(self, observation, *, explore=True):
        return np.full(self.shape, self.mean > 0.5, dtype=np.int64)

    def learn(self, transition):
        self.mean += self.rate * (float(np.mean(transition.info["target"])) - self.mean)
        return {"mean": self.mean}


class Remembering(Forgetful):
    """The same, with the mean in a `tf.Variable`, which checkpoints keep."""

    def __init__(self, task, config):
        super().__init__(task, config)
        self.mean_variable = tf.Variable(0.0)

    def act(self, observation, *, explore=True):
        return np.full(self.shape, float(self.mean_variable) > 0.5, dtype=np.int64)

    def learn(self, transition):
        target = float(np.mean(transition.info["target"]))
        self.mean_variable.assign_add(self.rate * (target - float(self.mean_variable)))
        return {"mean": float(self.mean_variable)}


def test_check_agent_catches_lost_checkpoints_and_agents_that_do_not_learn():
    from dataclasses import make_dataclass

    config = make_dataclass("MeanConfig", [("rate", float, 0.5)])
    tfzoo.register("line", Line, agent="remembering")
    for name, agent in (("forgetful", Forgetful), ("remembering", Remembering)):
        tfzoo.register_agent(name, agent, config=config)
    with pytest.raises(AssertionError, match=r"after save\(\) and restore\(\), a new agent"):
        check_agent("forgetful", "line", steps=20)
    with pytest.raises(AssertionError, match=r"remembering did not learn on line"):
        check_agent("remembering", "line", steps=20, agent_settings={"rate": 0.0})
    report = check_agent("remembering", "line", steps=20)
    assert report["before"] < report["after"]
