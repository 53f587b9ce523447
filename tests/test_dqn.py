"""The DQN agent: replay buffer, schedule, TD targets, learning a chain, checkpoints, CartPole."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
import tensorflow as tf

import tfzoo
from tfzoo.agents.dqn import DQNConfig, ReplayBuffer, linear_schedule, td_targets
from tfzoo.runs.summary import rebuild_evaluation_task


class Chain(tfzoo.Task):
    """Five states in a row; start in state 1. Left from 1 ends with 0.1 at once; right to
    state 4 ends with 1.0 three steps later. With gamma 0.9 the optimal policy always goes
    right (0.81 > 0.1), which a greedy or myopic learner misses.

    Observations are one-hot; episodes are cut at 20 steps (`truncated`).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, render_mode: str | None = None) -> None:
        import gymnasium

        super().__init__(render_mode)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (5,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.state, self.steps = 1, 0

    def _observation(self):
        return np.eye(5, dtype=np.float32)[self.state]

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state, self.steps = 1, 0
        return self._observation(), {}

    def step(self, action):
        self.state += 1 if action == 1 else -1
        self.steps += 1
        reward = {0: 0.1, 4: 1.0}.get(self.state, 0.0)
        terminated = self.state in (0, 4)
        return self._observation(), reward, terminated, self.steps >= 20 and not terminated, {}

    def render(self):
        frame = np.zeros((8, 40, 3), np.uint8)
        frame[:, 8 * self.state : 8 * self.state + 8] = 255
        return frame


CHAIN_SETTINGS = dict(
    hidden_sizes=(32,), learning_rate=1e-2, gamma=0.9, batch_size=32, learning_starts=50,
    train_freq=1, gradient_steps=1, target_update_interval=50, exploration_duration=300,
    exploration_end=0.1,
)


def test_replay_buffer_wraps_around_and_samples_with_its_dtypes():
    buffer = ReplayBuffer(capacity=3, observation_shape=(2,))
    for i in range(5):  # One at a time, as batches of one; the first two are overwritten.
        buffer.add([[i, i]], [i % 2], [float(i)], [[i + 1, i + 1]], [i == 4])
    assert buffer.size == 3
    assert sorted(buffer.rewards) == [2.0, 3.0, 4.0]
    observations, actions, rewards, next_observations, ends = buffer.sample(
        np.random.default_rng(0), batch_size=4, batches=6
    )
    assert observations.shape == next_observations.shape == (6, 4, 2)
    assert actions.shape == rewards.shape == ends.shape == (6, 4)
    assert (observations.dtype, actions.dtype, rewards.dtype, ends.dtype) == (
        np.float32, np.int64, np.float32, np.float32
    )
    assert set(rewards.ravel()) <= {2.0, 3.0, 4.0}
    np.testing.assert_array_equal(next_observations, observations + 1)
    np.testing.assert_array_equal(ends, rewards == 4.0)

    copy = ReplayBuffer(capacity=3, observation_shape=(2,))
    copy.state.deserialize(buffer.state.serialize())
    assert (copy.size, copy.position) == (3, buffer.position)
    np.testing.assert_array_equal(copy.observations, buffer.observations)


def test_the_chapters_epsilon_is_a_linear_schedule_over_99_episodes():
    for episode in range(200):  # The chapter: max(1 * (100 - episode) / 100, 0.01).
        assert linear_schedule(1.0, 0.01, 99, episode) == pytest.approx(
            max((100 - episode) / 100, 0.01)
        )


def test_td_targets_bootstrap_unless_the_episode_terminated():
    rewards = tf.constant([1.0, 1.0, -10.0])
    ends = tf.constant([0.0, 0.0, 1.0])
    next_q_target = tf.constant([[2.0, 5.0], [3.0, 1.0], [7.0, 7.0]])
    plain = td_targets(rewards, ends, next_q_target, gamma=0.5)
    np.testing.assert_allclose(plain, [1 + 0.5 * 5, 1 + 0.5 * 3, -10.0])
    # Double DQN: the online network picks the action, the target network values it.
    next_q_online = tf.constant([[9.0, 0.0], [0.0, 9.0], [0.0, 9.0]])
    double = td_targets(rewards, ends, next_q_target, 0.5, next_q_online)
    np.testing.assert_allclose(double, [1 + 0.5 * 2, 1 + 0.5 * 1, -10.0])


@pytest.mark.parametrize("bootstrap_truncated, stored", [(True, [1.0, 0.0]), (False, [1.0, 1.0])])
def test_learn_stores_terminated_but_not_truncated_as_an_end(bootstrap_truncated, stored):
    task = Chain()
    agent = tfzoo.make_agent("dqn", task, bootstrap_truncated=bootstrap_truncated)
    observation, _ = task.reset()
    for terminated, truncated in ((True, False), (False, True)):
        agent.learn(tfzoo.Transition(observation, 1, 0.0, observation, terminated, truncated, {}))
    np.testing.assert_array_equal(agent.replay_buffer.ends[:2], stored)


def test_dqn_learns_the_optimal_q_values_and_policy_of_a_chain():
    task = Chain()
    agent = tfzoo.make_agent("dqn", task, **CHAIN_SETTINGS)
    tfzoo.train(agent, task, steps=1500, seed=0, progress=False)
    # Q*(s, right) = 0.9 ** (3 - s); Q*(1, left) = 0.1; Q*(s, left) = 0.9 * V*(s - 1).
    optimal = np.array([[0.1, 0.81], [0.729, 0.9], [0.81, 1.0]])
    q_values = agent.q_network(np.eye(5, dtype=np.float32)[1:4]).numpy()  # (3 states, 2)
    np.testing.assert_allclose(q_values, optimal, atol=0.08)
    assert tfzoo.evaluate(agent, task, episodes=1) == 1.0  # Right, right, right.


def test_a_restored_agent_continues_exactly(tmp_path):
    def agent_and_task():
        task = Chain()
        return tfzoo.make_agent("dqn", task, save_replay=True, **CHAIN_SETTINGS), task

    first, task = agent_and_task()
    tfzoo.train(first, task, steps=300, seed=0, progress=False)
    path = first.save(tmp_path / "dqn")
    tfzoo.train(first, task, steps=200, progress=False)

    second, task = agent_and_task()
    second.restore(path)
    assert second.progress.steps == 300 and second.replay_buffer.size == 300
    tfzoo.train(second, task, steps=200, progress=False)
    for mine, theirs in zip(first.q_network.weights, second.q_network.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert second.epsilon == first.epsilon and second.progress.episodes == first.progress.episodes


def test_the_agent_refuses_spaces_it_cannot_learn_with_the_fix():
    import gymnasium

    with pytest.raises(tfzoo.ConfigError, match="Discrete.*FlattenObservation"):
        tfzoo.make_agent("dqn", gymnasium.make("FrozenLake-v1"))
    with pytest.raises(tfzoo.ConfigError, match="not Discrete.*continuous"):
        tfzoo.make_agent("dqn", gymnasium.make("Pendulum-v1"))
    with pytest.raises(tfzoo.ConfigError, match="buffer_size=10 must be at least batch_size"):
        tfzoo.make_agent("dqn", Chain(), buffer_size=10, batch_size=32)
    with pytest.raises(tfzoo.ConfigError, match="tau=0.0 must be a number > 0"):
        tfzoo.make_agent("dqn", Chain(), tau=0)


def test_cartpole_handbook_gives_the_chapters_reward_on_every_end_but_evaluates_plainly():
    task = tfzoo.make("cartpole-dqn", preset="handbook")
    task.reset(seed=0)
    rewards, done = [], False
    while not done:
        _, reward, terminated, truncated, _ = task.step(0)  # Always left: falls quickly.
        rewards.append(reward)
        done = terminated or truncated
    assert rewards[-1] == -10.0 and set(rewards[:-1]) == {1.0}
    evaluation = rebuild_evaluation_task(
        {"task": "cartpole-dqn", "preset": "handbook",
         "task_kwargs": task.unwrapped.spec.kwargs}
    )
    evaluation.reset(seed=0)
    assert evaluation.step(0)[1] == 1.0 and evaluation.unwrapped.spec.kwargs["end_reward"] is None


def test_a_gymnasium_id_tfzoo_does_not_register_trains_with_dqn():
    task = tfzoo.make("MountainCar-v0")
    assert task.spec.id == "MountainCar-v0"
    agent = tfzoo.make_agent("dqn", task, learning_starts=50, hidden_sizes=(16,))
    history = tfzoo.train(agent, task, steps=250, seed=0, progress=False)
    assert history.episodes[0]["length"] == 200 and history.episodes[0]["truncated"]
    assert "loss" in history.episodes[0]
    with pytest.raises(tfzoo.UnknownNameError,
                       match="Gymnasium's ids work too; did you mean 'MountainCar-v0'"):
        tfzoo.make("MountainCar-v9")


def register_chain(**evaluation):
    tfzoo.register("chain", entry_point=Chain, agent="dqn",
                   evaluation=tfzoo.Evaluation(episodes=5, **evaluation),
                   presets={"default": tfzoo.Preset("Chain", agent=CHAIN_SETTINGS, steps=600)})


def test_a_run_evaluates_periodically_keeps_the_best_policy_and_plays_it(tmp_path, capsys):
    from PIL import Image

    from tfzoo.tools.cli import main

    register_chain(interval=100, interval_episodes=2)
    run_dir = tmp_path / "run"
    assert main(["train", "chain", "--seed", "0", "--logdir", str(run_dir), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    with open(run_dir / "progress.csv") as file:
        evaluations = [row for row in csv.DictReader(file) if row["eval_return"]]
    assert [int(row["steps"]) // 100 for row in evaluations] == [1, 2, 3, 4, 5, 6]
    best = json.loads((run_dir / "best" / "best.json").read_text())
    assert best["eval_return"] == max(float(row["eval_return"]) for row in evaluations) == 1.0
    assert best["steps"] == summary["best_steps"]
    assert summary["best_eval_return"] == 1.0 and summary["best_eval_return_std"] == 0.0
    assert len(list((run_dir / "best").glob("ckpt-*.index"))) == 1  # Older bests are removed.

    gif = tmp_path / "chain.gif"
    assert main(["play", str(run_dir), "--episodes", "3", "--record", str(gif),
                 "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "best policy" in printed and "episode 3: return 1" in printed
    assert "mean return 1 over 3 episodes" in printed
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 4  # The reset, then three steps.
    umask = os.umask(0o022)
    os.umask(umask)
    assert gif.stat().st_mode & 0o777 == 0o666 & ~umask  # As `open` makes them, not 0600.
    assert main(["eval", str(run_dir), "--best"]) == 0
    assert json.loads(capsys.readouterr().out)["eval_return"] == 1.0


def test_play_explains_what_it_cannot_record(tmp_path, capsys):
    from tfzoo.tools.cli import main

    register_chain()
    run_dir = tmp_path / "run"
    assert main(["train", "chain", "--steps", "100", "--logdir", str(run_dir),
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["play", str(run_dir), "--record", str(tmp_path / "chain.mp4")]) == 2
    assert "name the file *.gif" in capsys.readouterr().err
    assert main(["play", str(run_dir)]) == 0  # No best policy: the last checkpoint.
    assert "last checkpoint" in capsys.readouterr().out
    assert main(["play", str(run_dir), "--seed", "-1"]) == 2
    assert "seed=-1 is not a seed" in capsys.readouterr().err
    assert not (tmp_path / "chain.mp4").exists()


def test_tfzoo_train_takes_a_gymnasium_id_with_the_dqn_agent(tmp_path, capsys):
    from tfzoo.tools.cli import main

    run_dir = tmp_path / "run"
    assert main(["train", "MountainCar-v0", "--agent", "dqn", "--steps", "300",
                 "--set", "learning_starts=50", "--set", "hidden_sizes=(16,)",
                 "--logdir", str(run_dir), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["task"] == "MountainCar-v0" and summary["agent"] == "dqn"
    assert summary["eval_episodes"] == 10 and -200.0 <= summary["eval_return"] < 0
    _, agent, config = tfzoo.load_run(run_dir)  # Rebuilt from config.json.
    assert config["agent_config"]["hidden_sizes"] == [16] and agent.progress.steps == 300
    assert main(["train", "MountainCar-v0", "--logdir", str(tmp_path / "other")]) == 2
    assert "sets no training budget; pass --steps N" in capsys.readouterr().err


class AlwaysRight(tfzoo.Agent):
    """A fake agent that acts on one observation at a time and counts its calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def act(self, observation, *, explore=True):
        self.calls += 1
        return 1

    def learn(self, transition):
        return {}


@pytest.mark.parametrize("batched", [False, True])
def test_periodic_evaluation_records_scores_and_calls_on_best_on_improvement(batched):
    from tfzoo.runs.evaluation import PeriodicEvaluation

    task = Chain()
    agent = AlwaysRight()
    if batched:  # The DQN agent acts on batches: one call per step for all episodes.
        agent = tfzoo.make_agent("dqn", task, **CHAIN_SETTINGS)
    bests = []
    evaluation = PeriodicEvaluation(Chain, every_steps=10, episodes=4, seed=0,
                                    on_best=lambda agent, score, state: bests.append(score))
    history = tfzoo.train(agent, task, steps=40, seed=0, progress=False, callbacks=[evaluation])
    scored = [record for record in history.episodes if "eval_return" in record]
    steps = [record["steps"] for record in scored]
    if batched:  # At the first episode end past each multiple of 10 (episodes vary).
        assert steps == sorted(set(steps)) and steps[0] >= 10 and len(steps) >= 2
    else:  # Episodes of 3 steps, and the last one cut by the budget at 40.
        assert steps == [12, 21, 30, 40]
        assert [record["eval_return"] for record in scored] == [1.0] * 4 and bests == [1.0]
        assert agent.calls == 40 + 4 * 4 * 3  # Training steps, then 4 episodes of 3 steps each.
    assert bests == sorted(set(bests)) and bests[0] == scored[0]["eval_return"]
    assert evaluation.best_return == max(record["eval_return"] for record in scored)


def test_a_batch_of_observations_gets_one_greedy_action_each():
    task = Chain()
    agent = tfzoo.make_agent("dqn", task, **CHAIN_SETTINGS)
    tfzoo.train(agent, task, steps=400, seed=0, progress=False)
    states = np.eye(5, dtype=np.float32)
    actions = agent.act(states, explore=False)
    assert actions.shape == (5,)
    assert list(actions) == [agent.act(state, explore=False) for state in states]


def test_a_resumed_agent_without_its_replay_refills_it_before_learning(tmp_path):
    task = Chain()
    # learning_starts=50, and checkpoints without the replay buffer.
    first = tfzoo.make_agent("dqn", task, save_replay=False, **CHAIN_SETTINGS)
    tfzoo.train(first, task, steps=200, seed=0, progress=False)
    second = tfzoo.make_agent("dqn", task, save_replay=False, **CHAIN_SETTINGS)
    second.restore(first.save(tmp_path / "dqn"))
    assert second.progress.steps == 200 and second.replay_buffer.size == 0
    history = tfzoo.train(second, task, steps=60, progress=False)
    losses = [record for record in history.episodes if "loss" in record]
    assert losses and losses[0]["steps"] > 50  # Nothing learned from the first 49.


def test_bad_evaluation_settings_are_refused_at_registration():
    with pytest.raises(tfzoo.RegistrationError, match="interval=0 must be a whole number"):
        register_chain(interval=0)
    with pytest.raises(tfzoo.RegistrationError, match="interval_episodes=0"):
        register_chain(interval=10, interval_episodes=0)


def test_set_reaches_a_gymnasium_environments_constructor(tmp_path, capsys):
    from tfzoo.tools.cli import main

    run_dir = tmp_path / "run"
    assert main(["train", "MountainCar-v0", "--agent", "dqn", "--steps", "10",
                 "--set", "goal_velocity=0.5", "--set", "learning_starts=5",
                 "--logdir", str(run_dir), "--no-progress"]) == 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_kwargs"]["goal_velocity"] == 0.5
    assert config["agent_config"]["learning_starts"] == 5
    capsys.readouterr()
    assert main(["train", "MountainCar-v0", "--agent", "dqn", "--steps", "10",
                 "--set", "gravity=2", "--logdir", str(tmp_path / "other")]) == 2
    assert "cannot be made with {'gravity': 2}" in capsys.readouterr().err


def test_the_replay_buffer_goes_into_checkpoints_through_its_state(tmp_path):
    buffer = ReplayBuffer(capacity=4, observation_shape=(2,))
    buffer.add(np.ones((6, 2)), np.arange(6), np.arange(6.0), np.zeros((6, 2)), np.eye(6)[5])
    path = tf.train.Checkpoint(replay=buffer.state).write(str(tmp_path / "replay"))
    copy = ReplayBuffer(capacity=4, observation_shape=(2,))
    tf.train.Checkpoint(replay=copy.state).read(path).assert_consumed()
    assert (copy.size, copy.position) == (4, 2)
    for name in ReplayBuffer.FIELDS:
        np.testing.assert_array_equal(getattr(copy, name), getattr(buffer, name))
    with pytest.raises(ValueError, match="capacity 4, this one 5; set buffer_size to match"):
        other = ReplayBuffer(capacity=5, observation_shape=(2,))
        tf.train.Checkpoint(replay=other.state).read(path)


def test_the_config_checks_its_settings_when_made():
    assert DQNConfig(max_grad_norm=None, target_update_interval=0).max_grad_norm is None
    for settings, message in [
        ({"buffer_size": 10, "batch_size": 32}, "buffer_size=10 must be at least batch_size=32"),
        ({"train_freq": 0}, "train_freq=0 must be a whole number >= 1"),
        ({"learning_starts": -1}, "learning_starts=-1 must be a whole number >= 0"),
        ({"gamma": 1.5}, "gamma=1.5 must be a number >= 0 and <= 1"),
        ({"learning_rate": 0.0}, "learning_rate=0.0 must be a number > 0"),
        ({"hidden_sizes": ()}, r"hidden_sizes=\(\) must be one or more whole numbers >= 1"),
        ({"hidden_sizes": (64, 0)}, r"hidden_sizes\[1\]=0 must be a whole number >= 1"),
    ]:
        with pytest.raises(tfzoo.ConfigError, match=message):
            DQNConfig(**settings)


def test_one_observation_is_acted_on_as_a_batch_of_one():
    task = Chain()
    agent = tfzoo.make_agent("dqn", task, **CHAIN_SETTINGS)
    tfzoo.train(agent, task, steps=150, seed=0, progress=False)  # Epsilon is about 0.5.
    state = agent.progress.generator.bit_generator.state
    singles = [agent.act(np.eye(5, dtype=np.float32)[1]) for _ in range(50)]
    agent.progress.generator.bit_generator.state = state
    batches = [agent.act(np.eye(5, dtype=np.float32)[[1]]) for _ in range(50)]
    assert all(type(action) is int for action in singles) and {0, 1} <= set(singles)
    assert singles == [int(actions[0]) for actions in batches]
    assert agent.progress.generator.bit_generator.state != state  # Both drew the same numbers.


def test_the_target_network_is_synced_every_target_update_interval_gradient_steps():
    observations = np.eye(5, dtype=np.float32)[[1, 2, 3, 1]]  # (4 steps, 5)
    batch = tfzoo.Transition(observations, np.ones(4, np.int64), np.ones(4), observations,
                             np.zeros(4, bool), np.zeros(4, bool), {})
    for interval, synced in [(3, True), (2, False)]:  # Three gradient steps a learn.
        agent = tfzoo.make_agent("dqn", Chain(), batch_size=4, learning_starts=0, train_freq=4,
                                 gradient_steps=3, target_update_interval=interval)
        agent.learn(batch)
        assert int(agent.optimizer.iterations) == 3
        same = [np.array_equal(mine, theirs) for mine, theirs in
                zip(agent.q_network.get_weights(), agent.target_network.get_weights())]
        assert all(same) if synced else not any(same)


@pytest.mark.parametrize("settings, replay", [
    ({"save_replay": False}, False), ({"target_update_interval": 0}, True),
])
def test_checkpoints_keep_the_layout_of_runs_written_before(tmp_path, settings, replay):
    agent = tfzoo.make_agent("dqn", Chain(), hidden_sizes=(8, 8), **settings)
    agent.act(np.eye(5, dtype=np.float32)[1])  # Builds it.
    names = {name for name, _ in tf.train.list_variables(agent.save(tmp_path / "dqn"))}
    networks = 2 if settings.get("target_update_interval", 1) else 1
    assert {f"agent/_network_variables/{i}/.ATTRIBUTES/VARIABLE_VALUE"
            for i in range(6 * networks)} <= names  # Three layers' kernels and biases each.
    assert not any(name.startswith(("agent/q_network", "agent/target_network")) for name in names)
    assert "agent/progress/.ATTRIBUTES/py_state" in names
    assert ("agent/saved_replay/.ATTRIBUTES/py_state" in names) == replay


def test_a_config_built_directly_checks_the_kinds_of_its_settings():
    with pytest.raises(tfzoo.ConfigError, match="loss='mae' does not fit; loss takes one of"):
        DQNConfig(loss="mae")
    with pytest.raises(tfzoo.ConfigError, match="double_dqn='yes' does not fit; double_dqn takes"):
        DQNConfig(double_dqn="yes")
    assert DQNConfig(hidden_sizes=[16, 8]).hidden_sizes == [16, 8]  # As config.json gives it.
