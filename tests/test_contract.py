"""Every registered task is a well-behaved Gymnasium environment."""

from __future__ import annotations

import warnings

import pytest
from gymnasium.utils.env_checker import check_env

import tfzoo


@pytest.mark.parametrize("task_id", sorted(tfzoo.registry))
@pytest.mark.parametrize("preset", ["handbook", "default"])
def test_every_registered_task_passes_check_env(task_id, preset):
    task = tfzoo.make(task_id, preset=preset)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Regression predictions are unbounded on purpose; Gymnasium merely remarks on it.
        warnings.filterwarnings("ignore", message=r".*Box action space m\w+ value is -?infinity")
        # So are CartPole's velocities, in Gymnasium's own CartPole-v1.
        if task_id == "cartpole-dqn":
            warnings.filterwarnings(
                "ignore", message=r".*Box observation space m\w+ value is -?infinity")
        check_env(task.unwrapped, skip_render_check=True)  # As Gymnasium advises.


@pytest.mark.parametrize("task_id", sorted(tfzoo.registry))
def test_every_registered_task_has_a_handbook_and_a_default_preset(task_id):
    task_spec = tfzoo.spec(task_id)
    assert {"handbook", task_spec.default_preset} <= set(task_spec.presets)
    for preset in task_spec.presets.values():
        assert preset.steps or preset.episodes, "built-in presets carry a training budget"
    for preset in task_spec.presets:  # A preset sets the task and the agent together.
        task = tfzoo.make(task_id, preset=preset)
        agent = tfzoo.make_agent(task_id, task, preset=preset)
        observation, _ = task.reset(seed=0)
        assert task.action_space.contains(agent.act(observation))
