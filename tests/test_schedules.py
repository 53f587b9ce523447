"""Schedules follow the budget a run actually has: the learning rate's cosine and the DQN's
exploration end where the budget ends, whether it is given in steps, episodes or seconds."""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

import tfzoo
from tfzoo.errors import ConfigError


def each_step(value) -> tuple[tfzoo.Callback, list]:
    """A callback that records `value()` after every step, and the list it records in."""
    values = []

    class Record(tfzoo.Callback):
        def on_step(self, state, running_episode):
            values.append(value())

    return Record(), values


class Listener(tfzoo.Agent):
    """Predicts zeros and keeps every fraction of the budget the loop tells it."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[float] = []

    def act(self, observation, *, explore=True):
        return np.zeros(len(observation), np.int64)

    def learn(self, transition):
        return {}

    def set_budget_spent(self, fraction):
        self.heard.append(fraction)


def blobs(count: int = 64, seed: int = 0) -> tfzoo.SupervisedTask:
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 2, count)
    inputs = (generator.normal(size=(count, 2)) + 2.0 * labels[:, None]).astype(np.float32)
    return tfzoo.SupervisedTask({"train": (inputs, labels)}, batch_size=8, num_classes=2)


def learner(task: tfzoo.SupervisedTask, **settings) -> tfzoo.Agent:
    """The supervised agent with a logistic regression, at learning rate 0.01."""
    return tfzoo.make_agent("supervised", task, model=lambda: keras.Sequential(
        [keras.layers.Dense(2)]), **{"learning_rate": 0.01, **settings})


def test_the_loop_tells_the_agent_the_fraction_of_its_budget_spent():
    agent = Listener()
    tfzoo.train(agent, blobs(), steps=4, seed=0, progress=False)
    assert agent.heard == [0.0, 0.25, 0.5, 0.75, 1.0]  # Before each step, then at the end.
    agent = Listener()  # Passes of 8 batches: the furthest along of two limits counts.
    tfzoo.train(agent, blobs(), steps=100, episodes=2, seed=0, progress=False)
    assert agent.heard[8] == 0.5 and agent.heard[-1] == 1.0 and len(agent.heard) == 17
    agent = Listener()
    tfzoo.evaluate(agent, blobs(), episodes=1)
    assert agent.heard == [], "evaluating is not training: no budget is spent"


def test_a_time_budget_ends_with_its_schedule_annealed():
    # However fast the machine, the run stops at the time limit with a step budget it
    # cannot reach, and then the whole budget is spent.
    agent = Listener()
    tfzoo.train(agent, blobs(), steps=10**9, max_seconds=0.2, seed=0, progress=False)
    assert agent.heard[-1] == 1.0 and agent.heard == sorted(agent.heard)
    task = blobs()
    annealed = learner(task, schedule="cosine")
    tfzoo.train(annealed, task, steps=10**9, max_seconds=0.2, seed=0, progress=False)
    assert annealed.schedules()["learning_rate"]["now"] == 0.0


@pytest.mark.parametrize("steps", [6, 24])
def test_a_cosine_over_the_budget_anneals_whatever_the_budget(steps):
    task = blobs()
    agent = learner(task, schedule="cosine")
    start = agent.schedules()["learning_rate"]
    assert (start["shape"], start["over"], start["now"]) == ("CosineDecay", "budget",
                                                            pytest.approx(0.01))
    tfzoo.train(agent, task, steps=steps, seed=0, progress=False)
    # The last step learned at the rate of step steps - 1 of a cosine over `steps` steps.
    last = 0.01 * 0.5 * (1 + math.cos(math.pi * (steps - 1) / steps))
    assert float(agent.optimizer.learning_rate) == pytest.approx(last, rel=1e-5)
    assert agent.schedules()["learning_rate"]["now"] == 0.0


def test_decay_start_holds_the_rate_then_anneals_over_the_rest_of_the_budget():
    task = blobs()
    agent = learner(task, schedule="cosine", decay_start=0.5)
    watch, rates = each_step(lambda: float(agent.optimizer.learning_rate))
    tfzoo.train(agent, task, steps=8, seed=0, progress=False, callbacks=[watch])
    # Steps 0-4 learn at the full rate; steps 5-7 at a cosine over the last half (4 steps).
    expected = [0.01 * 0.5 * (1 + math.cos(math.pi * max(step / 8 - 0.5, 0) / 0.5))
                for step in range(8)]
    assert rates[:5] == [pytest.approx(0.01)] * 5
    assert rates == [pytest.approx(rate, rel=1e-5) for rate in expected]
    assert agent.schedules()["learning_rate"] == {
        "shape": "CosineAfter", "learning_rate": 0.01, "start": 0.5, "over": "budget",
        "now": 0.0}
    for settings, message in [({"decay_start": 1.0}, "decay_start=1.0 must be a number"),
                              ({"decay_start": 0.5}, "needs schedule='cosine'"),
                              ({"schedule": "cosine", "decay_steps": 10, "decay_start": 0.5},
                               "decay_steps=None")]:
        with pytest.raises(ConfigError, match=message):
            learner(task, **settings)


def test_a_cosine_over_fixed_steps_stays_keras_own_and_says_so():
    task = blobs()
    agent = learner(task, schedule="cosine", decay_steps=100)
    tfzoo.train(agent, task, steps=50, seed=0, progress=False)
    schedule = agent.schedules()["learning_rate"]
    assert (schedule["over"], schedule["decay_steps"]) == ("steps", 100)
    assert schedule["now"] == pytest.approx(0.005, rel=1e-5)  # Half-way down its cosine.
    with pytest.raises(ConfigError, match="decay_steps > 0.*None to decay over the run"):
        tfzoo.make_agent("supervised", task, schedule="cosine", decay_steps=0)


def test_the_dqn_explores_over_its_share_of_the_budget():
    task = tfzoo.make("cartpole-dqn")
    agent = tfzoo.make_agent("dqn", task, exploration_start=1.0, exploration_end=0.1,
                             exploration_fraction=0.5, learning_starts=10**6)
    watch, epsilons = each_step(lambda: agent.epsilon)
    tfzoo.train(agent, task, steps=40, seed=0, progress=False, callbacks=[watch])
    # After step k (of 40) it has heard k / 40 before that step: epsilon at k - 1 of 20.
    assert epsilons[0] == 1.0 and epsilons[10] == pytest.approx(1.0 - 0.9 * 10 / 20)
    assert epsilons[20:] == [0.1] * 20
    assert agent.schedules()["epsilon"] == {"shape": "linear", "start": 1.0, "end": 0.1,
                                           "over": "budget", "fraction": 0.5, "now": 0.1}
    with pytest.raises(ConfigError, match="exploration_fraction"):
        tfzoo.make_agent("dqn", task, exploration_fraction=1.5)


def test_a_run_records_its_schedules_as_they_start_and_end(tmp_path):
    summary = tfzoo.start_run("linear-regression", seed=0, steps=30, path=tmp_path / "run",
                              agent_overrides={"schedule": "cosine"}, progress=False)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    started, ended = config["schedules"]["learning_rate"], summary["schedules"]["learning_rate"]
    assert started["over"] == ended["over"] == "budget" and config["budget"]["steps"] == 30
    assert started["now"] == pytest.approx(0.036) and ended["now"] == 0.0
