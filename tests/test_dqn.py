"""The DQN agent: replay buffer, schedule, TD targets, learning a chain, checkpoints, CartPole."""

from __future__ import annotations

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


def test_a_batch_of_observations_gets_one_greedy_action_each():
    task = Chain()
    agent = tfzoo.make_agent("dqn", task, **CHAIN_SETTINGS)
    tfzoo.train(agent, task, steps=400, seed=0, progress=False)
    states = np.eye(5, dtype=np.float32)
    actions = agent.act(states, explore=False)
    assert actions.shape == (5,)
    assert list(actions) == [agent.act(state, explore=False) for state in states]


def test_acting_follows_the_q_network_through_updates_and_restores(tmp_path):
    task = tfzoo.make("cartpole-dqn")
    observations = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)

    def network_actions(agent):
        return np.argmax(agent.q_network(observations).numpy(), axis=-1)

    agent = tfzoo.make_agent("cartpole-dqn", task, learning_starts=256, batch_size=64)
    agent.act(observations[0], explore=False)  # Acting before any update, as training does.
    np.testing.assert_allclose(agent.q_network.numpy_copy()(observations),
                               agent.q_network(observations).numpy(), rtol=1e-5, atol=1e-5)
    tfzoo.train(agent, task, steps=600, seed=0, progress=False)
    assert int(agent.optimizer.iterations.value) > 0
    np.testing.assert_array_equal(agent.act(observations, explore=False),
                                  network_actions(agent))
    # Another agent's weights at the same step count: acting follows them after `restore`.
    other = tfzoo.make_agent("cartpole-dqn", task, learning_starts=256, batch_size=64)
    tfzoo.train(other, task, steps=600, seed=1, progress=False)
    assert int(other.optimizer.iterations.value) == int(agent.optimizer.iterations.value)
    agent.restore(other.save(tmp_path / "other"))
    assert list(agent.act(observations, explore=False)) == list(network_actions(other))
    assert [agent.act(one, explore=False) for one in observations[:8]] == \
        list(network_actions(other)[:8])


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
        ({"learning_rate_end": -1e-4}, "learning_rate_end=-0.0001 must be a number > 0"),
        ({"learning_rate_fraction": 1.5}, "learning_rate_fraction=1.5 must be a number > 0 "
                                          "and <= 1"),
        ({"solved_return": float("nan")}, "solved_return=nan must be"),
        ({"exploration_repeat": 1.0}, "exploration_repeat=1.0 must be a number > 1"),
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


def test_its_metrics_tell_a_collapses_story():
    """Besides the TD loss and mean Q: the largest Q, the gradient norm before clipping, and the
    share of replayed transitions that end an episode (what a policy that forgets failing
    would lose), as issue 18 asks."""
    task = Chain()
    agent = tfzoo.make_agent("dqn", task, **CHAIN_SETTINGS)
    history = tfzoo.train(agent, task, steps=200, seed=0, progress=False)
    learned = [record for record in history.episodes if "loss" in record]
    assert learned
    for record in learned:
        assert record["q_max"] >= record["q"] and record["gradient_norm"] > 0
        assert 0 < record["replay_terminal_share"] < 1  # Chain's episodes end, and run on.


def test_the_learning_rate_falls_linearly_over_the_budget_to_its_end():
    task = Chain()
    agent = tfzoo.make_agent("dqn", task, **{**CHAIN_SETTINGS, "learning_rate_end": 1e-3,
                                             "learning_rate_fraction": 0.5})
    tfzoo.train(agent, task, steps=100, seed=0, progress=False)  # Learning starts at 50.
    assert agent.schedules()["learning_rate"] == {
        "shape": "linear", "start": 1e-2, "end": 1e-3, "over": "budget", "fraction": 0.5,
        "now": 1e-3}
    assert float(agent.optimizer.learning_rate) == pytest.approx(1e-3)
    agent.set_budget_spent(0.25)  # Halfway through the fall.
    assert agent.schedules()["learning_rate"]["now"] == pytest.approx(5.5e-3)


def test_a_solved_episode_pauses_learning_until_one_falls_short():
    """`solved_return`: after a training episode that returned at least it, no gradient steps,
    until one returns less; the paused and the running returns go into checkpoints."""
    def step(reward, end):
        one = np.eye(5, dtype=np.float32)[[1]]
        return tfzoo.Transition(one, np.ones(1, np.int64), np.full(1, reward), one,
                                np.full(1, end), np.zeros(1, bool), {})

    agent = tfzoo.make_agent("dqn", Chain(), batch_size=1, learning_starts=0, train_freq=1,
                             gradient_steps=1, solved_return=2.0)
    assert agent.learn(step(1.0, False))  # Learning, until the episode ends with 2.0.
    steps = int(agent.optimizer.iterations)
    assert agent.learn(step(1.0, True)) == {} and agent.learn(step(1.0, False)) == {}
    assert int(agent.optimizer.iterations) == steps and agent.returns.running == [1.0]
    assert agent.learn(step(0.5, True))  # That episode returned 1.5: learning again.
    assert int(agent.optimizer.iterations) == steps + 1 and not agent.returns.solved


def test_held_random_actions_come_in_runs_that_an_episode_end_cuts():
    """`exploration_repeat` (ez-greedy): a random action is held for a zeta-distributed number
    of steps, so exploring actions change less often than one-step random ones; the end of
    an episode ends a hold, for each environment of a vector on its own."""
    def changes(actions):
        return int(np.count_nonzero(np.diff(actions)))

    always_random = dict(exploration_start=1.0, exploration_end=1.0)
    observation = np.eye(5, dtype=np.float32)[1]
    one_step = tfzoo.make_agent("dqn", Chain(), exploration_repeat=None, **always_random)
    held = tfzoo.make_agent("dqn", Chain(), exploration_repeat=2.0, **always_random)
    # One-step random actions between two choices change about every other step; held
    # ones (a mean hold of several steps) change far less often.
    assert changes([one_step.act(observation) for _ in range(2000)]) > 800
    actions = [held.act(observation) for _ in range(2000)]
    assert set(actions) == {0, 1} and changes(actions) < 600
    assert all(action in (0, 1) for action in held.act(observation[None].repeat(3, 0)))
    held.holds.steps_left = [50, 50, 50]  # Three environments, each holding an action.
    ends = np.array([False, True, False])
    observations = np.stack([observation] * 3)
    held.learn(tfzoo.Transition(observations, np.zeros(3, np.int64), np.zeros(3),
                                observations, ends, np.zeros(3, bool), {}))
    assert held.holds.steps_left == [50, 0, 50]
