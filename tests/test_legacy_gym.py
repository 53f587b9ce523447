"""`tfzoo.from_gym`: environments of the legacy `gym` package, old and 0.26 APIs, under NumPy 2."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import tfzoo

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # gym warns that it is unmaintained, as it is.
    gym = pytest.importorskip("gym")


class OldAPICorridor:
    """An environment written for the old gym API: `reset()` returns the observation only,
    `step` a 4-tuple, `seed(n)` seeds it. Walk right from 0 to 3; a time limit of 6 steps
    ends the episode with `info["TimeLimit.truncated"]`, as gym's TimeLimit did."""

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Box(0.0, 3.0, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.position, self.steps, self.seeded = 0, 0, None

    def seed(self, seed=None):
        self.seeded = seed
        return [seed]

    def reset(self):
        self.position, self.steps = 0, 0
        return np.array([self.position], np.float32)

    def step(self, action):
        self.position = max(0, self.position + (1 if action == 1 else -1))
        self.steps += 1
        reached = self.position == 3
        info = {"TimeLimit.truncated": True} if self.steps >= 6 and not reached else {}
        done = reached or self.steps >= 6
        return np.array([self.position], np.float32), float(reached), done, info


def test_a_gym_026_environment_runs_under_numpy_2_and_trains():
    assert not hasattr(np, "bool8")  # The trap this adapter avoids: gym's checker uses it.
    task = tfzoo.from_gym(gym.make("CartPole-v1"))
    check_env(task, skip_render_check=True)
    observation, info = task.reset(seed=3)
    again, _ = task.reset(seed=3)
    np.testing.assert_array_equal(observation, again)  # Seeding reaches gym's environment.
    agent = tfzoo.make_agent("dqn", task, learning_starts=50, train_freq=1, hidden_sizes=(16,))
    history = tfzoo.train(agent, task, steps=300, seed=0, progress=False)
    assert history.state.steps == 300 and "loss" in history.episodes[-1]
    assert all(record["terminated"] for record in history.episodes[:-1])


def test_an_old_api_environment_tells_termination_from_the_time_limit():
    environment = OldAPICorridor()
    task = tfzoo.from_gym(environment)
    check_env(task, skip_render_check=True)
    observation, info = task.reset(seed=7)
    assert environment.seeded == 7 and info == {} and observation.shape == (1,)
    for _ in range(3):
        _, reward, terminated, truncated, _ = task.step(1)
    assert (reward, terminated, truncated) == (1.0, True, False)
    task.reset()
    for _ in range(6):
        _, reward, terminated, truncated, info = task.step(0)
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert "TimeLimit.truncated" not in info


def test_spaces_are_converted_and_non_environments_refused():
    from tfzoo.legacy_gym import convert_space

    space = gym.spaces.Dict({"position": gym.spaces.Box(-1.0, 1.0, (2,), np.float32),
                             "mode": gym.spaces.Discrete(3, start=1)})
    converted = convert_space(space)
    assert converted["mode"].n == 3 and converted["mode"].start == 1
    assert converted["position"].shape == (2,) and converted["position"].dtype == np.float32
    with pytest.raises(TypeError, match="has no 'reset'.*Gymnasium environment needs no"):
        tfzoo.from_gym(object())
