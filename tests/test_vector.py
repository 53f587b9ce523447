"""Vector environments in the loop: Gymnasium 1.x autoreset, batched DQN learning, --num-envs."""

from __future__ import annotations

import functools
import json

import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from test_dqn import CHAIN_SETTINGS, Chain

import tfzoo
from tfzoo.tools.cli import main


class Count(gymnasium.Env):
    """Observes (0, length), (1, length), ...; terminates on reaching `length`."""

    def __init__(self, length: int) -> None:
        self.length, self.count = length, 0
        self.observation_space = gymnasium.spaces.Box(0, 100, (2,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.count = 0
        return np.array([0.0, self.length], np.float32), {}

    def step(self, action):
        self.count += 1
        observation = np.array([self.count, self.length], np.float32)
        return observation, 1.0, self.count == self.length, False, {}


class Recorder(tfzoo.Agent):
    """Acts on batches and keeps every transition row it is given."""

    batched_act = True

    def __init__(self) -> None:
        super().__init__()
        self.rows = []

    def act(self, observation, *, explore=True):
        return np.zeros(len(observation), np.int64)

    def learn(self, transition):
        for row in zip(transition.observation, transition.next_observation,
                       transition.terminated, strict=True):
            self.rows.append(row)
        return {"rows": float(len(transition.reward))}


LENGTHS = (2, 3, 5)


@pytest.mark.parametrize("mode", [AutoresetMode.SAME_STEP, AutoresetMode.NEXT_STEP])
def test_transitions_never_cross_an_episode_end_in_either_autoreset_mode(mode):
    task = gymnasium.vector.SyncVectorEnv(
        [functools.partial(Count, length) for length in LENGTHS], autoreset_mode=mode
    )
    agent = Recorder()
    history = tfzoo.train(agent, task, steps=60, progress=False)
    for observation, next_observation, terminated in agent.rows:
        # The same episode on both sides: never a reset's first observation after an end.
        assert next_observation[0] == observation[0] + 1
        assert next_observation[1] == observation[1]
        assert terminated == (next_observation[0] == next_observation[1])
    assert history.state.steps == len(agent.rows) >= 60  # Reset-only steps are not steps.
    assert sorted({record["length"] for record in history.episodes}) == list(LENGTHS)
    assert all(record["return"] == record["length"] and record["terminated"]
               for record in history.episodes)
    assert [record["steps"] for record in history.episodes] == sorted(
        record["steps"] for record in history.episodes)
    assert all(record["rows"] > 0 for record in history.episodes)


def test_agents_that_act_on_one_observation_and_disabled_autoreset_are_refused():
    task = tfzoo.make_vec("linear-regression", 2)
    agent = tfzoo.make_agent("linear-regression", tfzoo.make("linear-regression"))
    with pytest.raises(tfzoo.ConfigError, match="acts on one observation at a time"):
        tfzoo.train(agent, task, steps=5, progress=False)
    disabled = gymnasium.vector.SyncVectorEnv([functools.partial(Count, 2)] * 2,
                                              autoreset_mode=AutoresetMode.DISABLED)
    with pytest.raises(tfzoo.ConfigError, match="autoreset disabled"):
        tfzoo.train(Recorder(), disabled, steps=5, progress=False)
    with pytest.raises(tfzoo.ConfigError, match="num_envs=0 must be a whole number >= 1"):
        tfzoo.make_vec("cartpole-dqn", 0)


def test_dqn_counts_a_batch_as_that_many_steps_and_keeps_its_replay_ratio():
    agent = tfzoo.make_agent("dqn", Chain(), batch_size=4, learning_starts=0, train_freq=4,
                             gradient_steps=3, target_update_interval=10)
    observations = np.eye(5, dtype=np.float32)[[1, 2, 3, 1, 2, 3, 1, 2]]  # (8 envs, 5)
    ends = np.array([False] * 7 + [True])
    batch = tfzoo.Transition(observations, np.ones(8, np.int64), np.zeros(8), observations,
                             ends, np.zeros(8, bool), {})
    metrics = agent.learn(batch)
    # Eight steps pass two multiples of train_freq=4: two phases of three gradient steps.
    assert agent.progress.steps == 8 and agent.progress.episodes == 1
    assert int(agent.optimizer.iterations) == 6 and metrics["loss"] >= 0
    np.testing.assert_array_equal(agent.replay_buffer.ends[:8], ends)
    assert agent.replay_buffer.size == 8


def test_dqn_learns_the_chain_from_four_environments_at_once():
    task = gymnasium.vector.SyncVectorEnv([Chain] * 4, autoreset_mode=AutoresetMode.SAME_STEP)
    agent = tfzoo.make_agent("dqn", Chain(), **CHAIN_SETTINGS)
    tfzoo.train(agent, task, steps=1500, seed=0, progress=False)
    optimal = np.array([[0.1, 0.81], [0.729, 0.9], [0.81, 1.0]])
    q_values = agent.q_network(np.eye(5, dtype=np.float32)[1:4]).numpy()  # (3 states, 2)
    np.testing.assert_allclose(q_values, optimal, atol=0.08)
    assert tfzoo.evaluate(agent, Chain(), episodes=1) == 1.0


def test_tfzoo_train_num_envs_records_it_and_loads_as_one_environment(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", "cartpole-dqn", "--num-envs", "4", "--steps", "400", "--seed", "1",
                 "--logdir", str(run_dir), "--no-progress", "--set", "learning_starts=100"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 400 and summary["episodes"] >= 4
    assert json.loads((run_dir / "config.json").read_text())["num_envs"] == 4
    task, agent, _ = tfzoo.load_run(run_dir)
    assert agent.progress.steps == 400 and not isinstance(task, gymnasium.vector.VectorEnv)
    assert main(["train", "mnist-mlp", "--num-envs", "2", "--steps", "5",
                 "--logdir", str(tmp_path / "mlp")]) == 2
    assert "only agents that act on batches" in capsys.readouterr().err


def test_async_vector_environments_run_in_the_loop_too():
    task = tfzoo.make_vec("cartpole-dqn", 2, vectorization_mode="async")
    try:
        agent = Recorder()
        history = tfzoo.train(agent, task, steps=100, seed=0, progress=False)
    finally:
        task.close()
    assert history.state.steps == len(agent.rows) >= 100
    assert all(record["length"] >= 1 for record in history.episodes)
    with pytest.raises(tfzoo.ConfigError, match="must be 'sync' or 'async'"):
        tfzoo.make_vec("cartpole-dqn", 2, vectorization_mode="threads")
