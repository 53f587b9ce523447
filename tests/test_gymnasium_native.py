"""Every tfzoo task is also a Gymnasium environment, `gymnasium.make("tfzoo/<id>")`."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import RecordEpisodeStatistics

import tfzoo


def test_every_tfzoo_task_is_in_gymnasiums_registry():
    assert {f"tfzoo/{task_id}" for task_id in tfzoo.registry} <= set(gymnasium.registry)


@pytest.mark.parametrize("task_id", ["mnist-mlp", "cartpole-dqn"])
def test_gymnasium_make_builds_a_task_that_passes_check_env_and_its_wrappers(task_id):
    environment = gymnasium.make(f"tfzoo/{task_id}")
    assert environment.spec.id == f"tfzoo/{task_id}"
    check_env(environment, skip_render_check=True)
    environment = RecordEpisodeStatistics(gymnasium.make(f"tfzoo/{task_id}"))
    observation, _ = environment.reset(seed=0)
    length, done, info = 0, False, {}
    while not done:
        observation, reward, terminated, truncated, info = environment.step(
            environment.action_space.sample())
        length, done = length + 1, terminated or truncated
    assert info["episode"]["l"] == length and np.isfinite(info["episode"]["r"])


def test_gymnasium_make_takes_presets_and_settings_and_a_trained_agent_scores_on_it():
    environment = gymnasium.make("tfzoo/mnist-mlp", preset="handbook", split="test",
                                 batch_size=100)
    assert environment.observation_space.shape == (100, 28, 28)
    agent = tfzoo.make_agent("mnist-mlp", environment, preset="handbook")
    tfzoo.train(agent, tfzoo.make("mnist-mlp", preset="handbook"), steps=40, seed=0,
                progress=False)
    assert tfzoo.evaluate(agent, environment) > 0.5


def test_a_task_registered_later_is_in_gymnasium_too():
    tfzoo.register("my-regression", entry_point="tfzoo.envs.linear_regression:LinearRegression",
                   agent="supervised")
    environment = gymnasium.make("tfzoo/my-regression")
    assert environment.observation_space == tfzoo.make("my-regression").observation_space


def test_the_gymnasium_name_of_a_task_is_the_task_for_tfzoo_too():
    assert tfzoo.spec("tfzoo/mnist-mlp") is tfzoo.spec("mnist-mlp")
    assert tfzoo.spec("tfzoo/mnist-mlp").agent == "supervised"
