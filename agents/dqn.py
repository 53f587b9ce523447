"""Deep Q-learning (DQN) for any Gymnasium environment with `Box` observations, `Discrete` actions.

Read top to bottom: the Q-network, the replay buffer, the exploration schedule, the TD
target, the config, then the agent. The agent learns off-policy from a NumPy ring buffer;
acting and the update run compiled with `tf.function`. It does not handle image
observations specially (no frame stacking) or continuous actions.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium
import keras
import numpy as np
import tensorflow as tf

from tfzoo.compiled import Compiled
from tfzoo.core import Agent, Transition
from tfzoo.errors import ConfigError, TrainingDivergedError
from tfzoo.models.dqn import QNetwork

# The replay buffer -------------------------------------------------------------------------


class ReplayBuffer:
    """A ring buffer of transitions in preallocated NumPy arrays; the oldest is overwritten.

    Each entry is (observation, action, reward, next observation, `ends`), where `ends` is
    1.0 when no value may be bootstrapped past the transition (the episode terminated).

    Args:
        capacity: How many transitions it holds.
        observation_shape: The shape of one observation.
    """

    FIELDS = ("observations", "actions", "rewards", "next_observations", "ends")

    def __init__(self, capacity: int, observation_shape: tuple[int, ...]) -> None:
        self.capacity, self.size, self.position = capacity, 0, 0
        self.observations = np.zeros((capacity, *observation_shape), np.float32)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.next_observations = np.zeros((capacity, *observation_shape), np.float32)
        self.ends = np.zeros(capacity, np.float32)

    def __len__(self) -> int:
        return self.size

    def add(self, observation: Any, action: int, reward: float, next_observation: Any,
            ends: bool) -> None:
        """Stores one transition, overwriting the oldest once the buffer is full."""
        self.add_batch(np.asarray(observation)[None], [action], [reward],
                       np.asarray(next_observation)[None], [ends])

    def add_batch(self, observations: Any, actions: Any, rewards: Any, next_observations: Any,
                  ends: Any) -> None:
        """Stores transitions given as arrays with a leading (transitions,) dimension."""
        count = len(actions)
        rows = (self.position + np.arange(count)) % self.capacity  # (count,)
        self.observations[rows], self.actions[rows], self.rewards[rows] = (
            observations, actions, rewards
        )
        self.next_observations[rows], self.ends[rows] = next_observations, ends
        self.position = (self.position + count) % self.capacity
        self.size = min(self.size + count, self.capacity)

    def sample(self, generator: np.random.Generator, batch_size: int,
               batches: int = 1) -> tuple[np.ndarray, ...]:
        """Draws `batches` batches uniformly, with replacement, from what is stored.

        Returns:
            One array per field of `FIELDS`, each shaped (batches, batch_size, ...).
        """
        if self.size == 0:
            raise ValueError("The replay buffer is empty; add transitions before sampling.")
        indices = generator.integers(0, self.size, size=(batches, batch_size))
        return tuple(getattr(self, name)[indices] for name in self.FIELDS)

    def to_bytes(self) -> bytes:
        """The stored transitions and the write position, as an `.npz` file's bytes."""
        buffer = io.BytesIO()
        stored = {name: getattr(self, name)[: self.size] for name in self.FIELDS}
        np.savez(buffer, position=self.position, capacity=self.capacity, **stored)
        return buffer.getvalue()

    def load_bytes(self, data: bytes) -> None:
        """Puts back what `to_bytes` wrote, into a buffer of the same capacity."""
        with np.load(io.BytesIO(data)) as saved:
            if int(saved["capacity"]) != self.capacity:
                raise ValueError(f"The saved replay buffer has capacity {int(saved['capacity'])}, "
                                 f"this one {self.capacity}; set buffer_size to match.")
            self.size = len(saved["actions"])
            for name in self.FIELDS:
                getattr(self, name)[: self.size] = saved[name]
            self.position = int(saved["position"]) % self.capacity


# The exploration schedule ------------------------------------------------------------------


@dataclass(frozen=True)
class LinearSchedule:
    """A value that moves linearly from `start` to `end` over `duration` units, then stays.

    The chapter's epsilon, `max(1 - episode / 100, 0.01)`, is
    `LinearSchedule(1.0, 0.01, duration=99)` counted in episodes.
    """

    start: float
    end: float
    duration: int

    def __call__(self, t: int) -> float:
        if t >= self.duration:
            return self.end
        return self.start + (self.end - self.start) * t / self.duration


# The TD target -----------------------------------------------------------------------------


def td_targets(rewards: tf.Tensor, ends: tf.Tensor, next_q_target: tf.Tensor, gamma: float,
               next_q_online: tf.Tensor | None = None) -> tf.Tensor:
    """The one-step targets `r + gamma * (1 - ends) * Q'(s', a*)`, shape (batch,).

    Args:
        rewards, ends: (batch,); `ends` is 1 where the episode terminated (no bootstrap).
        next_q_target: (batch, actions), the target network's values of the next observations.
        gamma: The discount.
        next_q_online: (batch, actions), the online network's values of the next
            observations: with them `a*` is their argmax (Double DQN); without, `a*` is the
            target network's own argmax.
    """
    if next_q_online is None:
        next_values = tf.reduce_max(next_q_target, axis=1)
    else:
        best_actions = tf.argmax(next_q_online, axis=1)
        next_values = tf.gather(next_q_target, best_actions, axis=1, batch_dims=1)
    return rewards + gamma * (1.0 - ends) * next_values


# The config --------------------------------------------------------------------------------


@dataclass
class DQNConfig:
    """Settings of `DQNAgent`, as `make_agent` and `--set` take them."""

    hidden_sizes: tuple[int, ...] = (256, 256)
    """Widths of the Q-network's hidden layers (the chapter's: (24, 24))."""

    learning_rate: float = 1e-3
    """Adam's learning rate."""

    gamma: float = 0.99
    """The discount of future rewards (the chapter's: 1.0)."""

    batch_size: int = 64
    """Transitions per gradient step."""

    buffer_size: int = 100_000
    """Transitions the replay buffer holds before the oldest are overwritten."""

    learning_starts: int = 1000
    """Transitions to collect (exploring) before the first gradient step; a run resumed
    without its replay buffer collects them again."""

    train_freq: int = 1
    """Learn every `train_freq` environment steps..."""

    gradient_steps: int = 1
    """...taking this many gradient steps, each on a new batch."""

    target_update_interval: int = 500
    """Gradient steps between updates of the target network; 0 means no target network:
    the targets come from the network being trained, as in the chapter."""

    tau: float = 1.0
    """How far each update moves the target network toward the trained one: 1.0 copies it,
    smaller values are Polyak averaging (e.g. 0.005 with an interval of 1)."""

    double_dqn: bool = True
    """Pick the next action with the trained network and value it with the target network
    (Double DQN), instead of taking the target network's maximum."""

    loss: Literal["huber", "mse"] = "huber"
    """The TD loss: Huber (delta 1) or mean squared error (the chapter's)."""

    max_grad_norm: float | None = 10.0
    """Clip the gradients' global norm to this; None does not clip."""

    exploration_start: float = 1.0
    """Epsilon, the probability of a random action, at the start."""

    exploration_end: float = 0.05
    """Epsilon after `exploration_duration`."""

    exploration_duration: int = 10_000
    """Steps (or episodes, see `exploration_unit`) over which epsilon falls linearly."""

    exploration_unit: Literal["steps", "episodes"] = "steps"
    """What `exploration_duration` counts: environment steps, or finished episodes."""

    bootstrap_truncated: bool = True
    """Bootstrap past a time limit (`truncated`), as is correct. False treats it like a
    termination, as the chapter had to: the old gym API could not tell them apart."""

    save_replay: bool = False
    """Also put the replay buffer in checkpoints, so a resumed run continues exactly."""


# The agent ---------------------------------------------------------------------------------


class DQNAgent(Agent):
    """Learns Q-values off-policy from replayed transitions; acts epsilon-greedily.

    Args:
        config: The settings.
        observation_space: A `Box`; observations are stored as float32.
        action_space: A `Discrete`.
    """

    batched_act = True  # `act` also takes a batch of observations.

    def __init__(self, config: DQNConfig, observation_space: gymnasium.Space,
                 action_space: gymnasium.Space) -> None:
        super().__init__()
        check_spaces(observation_space, action_space)
        check_config(config)
        self.config = config
        self.num_actions, self.first_action = int(action_space.n), int(action_space.start)
        self.observation_shape = tuple(observation_space.shape)
        self.exploration = LinearSchedule(
            config.exploration_start, config.exploration_end, config.exploration_duration
        )
        self.replay_buffer = ReplayBuffer(config.buffer_size, self.observation_shape)
        self.optimizer = keras.optimizers.Adam(
            config.learning_rate, global_clipnorm=config.max_grad_norm
        )
        self.loss = (keras.losses.Huber() if config.loss == "huber"
                     else keras.losses.MeanSquaredError())
        self.q_network: QNetwork | None = None  # Built by `build`, after seeding.
        self.target_network: QNetwork | None = None
        self.progress = _Progress()
        if config.save_replay:
            self.saved_replay = _SavedReplay(self.replay_buffer)
        observations = tf.TensorSpec((None, *self.observation_shape), tf.float32)
        batches = tf.TensorSpec((None, None, *self.observation_shape), tf.float32)
        vectors = tf.TensorSpec((None, None), tf.float32)
        self._greedy = Compiled(self._greedy_eagerly, [observations])
        self._update = Compiled(self._update_eagerly, jit_compile=True, input_signature=[
            batches, tf.TensorSpec((None, None), tf.int64), vectors, batches, vectors
        ])

    @property
    def epsilon(self) -> float:
        """The current probability of a random action while exploring."""
        unit = self.config.exploration_unit
        return self.exploration(self.progress.steps if unit == "steps" else self.progress.episodes)

    def act(self, observation: Any, *, explore: bool = True) -> int | np.ndarray:
        """The action of highest Q-value, or, exploring, a random one with probability epsilon.

        `observation` is one observation, or a batch of them (one action each, as an array).
        """
        self.build()
        generator, observation = self.progress.generator, np.asarray(observation, np.float32)
        if observation.shape == self.observation_shape:  # One observation.
            if explore and generator.random() < self.epsilon:
                return self.first_action + int(generator.integers(self.num_actions))
            return self.first_action + int(self._greedy(observation[None]).numpy()[0])
        actions = self.first_action + self._greedy(observation).numpy()  # (batch,)
        if explore:
            random = generator.random(len(actions)) < self.epsilon
            actions[random] = self.first_action + generator.integers(self.num_actions,
                                                                     size=random.sum())
        return actions

    def learn(self, transition: Transition) -> dict[str, float]:
        """Stores the transition; every `train_freq` steps takes `gradient_steps` steps.

        `transition` is one step, or a batch of them from a vector of environments (arrays
        with a leading dimension), which count as that many steps.
        """
        self.build()
        config, progress = self.config, self.progress
        batch = np.ndim(transition.reward) == 1
        observations, actions, rewards, next_observations, terminated, truncated = (
            np.asarray(value) if batch else np.asarray(value)[None] for value in (
                transition.observation, transition.action, transition.reward,
                transition.next_observation, transition.terminated, transition.truncated,
            )
        )
        ends = terminated | (truncated & (not config.bootstrap_truncated))  # (steps,)
        self.replay_buffer.add_batch(observations, actions - self.first_action, rewards,
                                     next_observations, ends)
        steps_before, progress.steps = progress.steps, progress.steps + len(rewards)
        progress.episodes += int(np.sum(terminated | truncated))
        # Every `train_freq` steps passed: with n environments, n / train_freq phases a step.
        phases = progress.steps // config.train_freq - steps_before // config.train_freq
        # The buffer, not the step count: a run resumed without its replay refills it first.
        enough = max(config.batch_size, min(config.learning_starts, config.buffer_size))
        if len(self.replay_buffer) < enough or phases == 0:
            return {}
        batches = self.replay_buffer.sample(
            progress.generator, config.batch_size, config.gradient_steps * phases
        )
        loss, mean_q = (float(value) for value in self._update(*batches))
        if not math.isfinite(loss):
            raise TrainingDivergedError(
                f"Training diverged: the TD loss became {loss} after {progress.steps} steps. "
                f"Lower learning_rate (now {config.learning_rate:g}), use loss='huber', set "
                f"max_grad_norm, or a gamma below 1 (now {config.gamma:g})."
            )
        return {"loss": loss, "q": mean_q, "epsilon": self.epsilon}

    def build(self) -> None:
        """Creates the networks, the optimizer's variables and the random generator, once.

        Called by the first `act` or `learn` (after `train(seed=...)` has seeded Keras and
        NumPy, so the initial weights and the exploration follow the seed) and before a restore.
        """
        if self.q_network is not None:
            return
        hidden_sizes = tuple(self.config.hidden_sizes)
        self.q_network = QNetwork(self.num_actions, hidden_sizes)
        self.q_network(tf.zeros((1, *self.observation_shape)))
        if self.config.target_update_interval > 0:
            self.target_network = QNetwork(self.num_actions, hidden_sizes)
            self.target_network(tf.zeros((1, *self.observation_shape)))
            self.target_network.set_weights(self.q_network.get_weights())
        self.optimizer.build(self.q_network.trainable_variables)
        # A checkpoint does not see layers that a Keras model keeps in a list (the hidden
        # ones here): listing every variable makes checkpoints hold the target network too.
        self._network_variables = [*self.q_network.variables,
                                   *(self.target_network.variables if self.target_network else [])]
        self.progress.generator = np.random.default_rng(np.random.randint(2**31 - 1))

    def _greedy_eagerly(self, observations: tf.Tensor) -> tf.Tensor:
        return tf.argmax(self.q_network(observations), axis=-1)  # (batch,)

    def _update_eagerly(self, observations, actions, rewards, next_observations, ends):
        """Gradient steps on each of the given batches in turn; returns the mean loss and Q.

        Every argument has a leading (gradient steps, batch) shape.
        """
        steps = tf.shape(actions)[0]
        total_loss, total_q = tf.constant(0.0), tf.constant(0.0)
        for i in tf.range(steps):
            loss, mean_q = self._gradient_step(
                observations[i], actions[i], rewards[i], next_observations[i], ends[i]
            )
            total_loss, total_q = total_loss + loss, total_q + mean_q
        count = tf.cast(steps, tf.float32)
        return total_loss / count, total_q / count

    def _gradient_step(self, observations, actions, rewards, next_observations, ends):
        config = self.config
        if self.target_network is None:  # The chapter: targets from the network trained.
            # Double DQN's argmax would come from this same network: plain DQN, one pass.
            next_q_target, next_q_online = self.q_network(next_observations), None
        else:
            next_q_target = self.target_network(next_observations)  # (batch, actions)
            next_q_online = self.q_network(next_observations) if config.double_dqn else None
        targets = td_targets(rewards, ends, next_q_target, config.gamma, next_q_online)
        variables = self.q_network.trainable_variables
        with tf.GradientTape() as tape:
            q_values = self.q_network(observations)  # (batch, actions)
            chosen = tf.gather(q_values, actions, axis=1, batch_dims=1)  # (batch,)
            loss = self.loss(tf.stop_gradient(targets), chosen)
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        if self.target_network is not None:
            if self.optimizer.iterations % config.target_update_interval == 0:
                self._update_target()
        return loss, tf.reduce_mean(chosen)

    def _update_target(self) -> None:
        tau = self.config.tau
        for target, online in zip(self.target_network.variables, self.q_network.variables,
                                  strict=True):
            target.assign(tau * online + (1.0 - tau) * target)


class _Progress(tf.train.experimental.PythonState):
    """The agent's counters and random generator, kept in its checkpoints (as JSON)."""

    def __init__(self) -> None:
        self.steps, self.episodes = 0, 0
        self.generator = np.random.default_rng(0)  # Replaced, from the seed, by `build`.

    def serialize(self) -> str:
        return json.dumps({"steps": self.steps, "episodes": self.episodes,
                           "generator": self.generator.bit_generator.state})

    def deserialize(self, string: bytes | str) -> None:
        saved = json.loads(string)
        self.steps, self.episodes = saved["steps"], saved["episodes"]
        self.generator = np.random.Generator(np.random.PCG64())
        self.generator.bit_generator.state = saved["generator"]


class _SavedReplay(tf.train.experimental.PythonState):
    """The replay buffer in a checkpoint, as `.npz` bytes (with `save_replay=True`)."""

    def __init__(self, buffer: ReplayBuffer) -> None:
        self.buffer = buffer

    def serialize(self) -> bytes:
        return self.buffer.to_bytes()

    def deserialize(self, string: bytes) -> None:
        self.buffer.load_bytes(string)


# Checks and the registry's entry point -----------------------------------------------------


def check_spaces(observation_space: gymnasium.Space, action_space: gymnasium.Space) -> None:
    """Raises ConfigError unless the observations are a `Box` and the actions `Discrete`."""
    problems = []
    if not isinstance(observation_space, gymnasium.spaces.Box):
        problems.append(
            f"its observation space is {observation_space}, not a Box: wrap the environment "
            f"in gymnasium.wrappers.FlattenObservation (Discrete becomes one-hot, Dict and "
            f"Tuple a flat vector)"
        )
    if not isinstance(action_space, gymnasium.spaces.Discrete):
        problems.append(
            f"its action space is {action_space}, not Discrete: DQN picks the best of a "
            f"finite set of actions, so it cannot drive continuous (Box) or composite actions"
        )
    if problems:
        raise ConfigError("The DQN agent cannot learn this environment: "
                          + "; and ".join(problems) + ".")


def check_config(config: DQNConfig) -> None:
    """Raises ConfigError naming the first setting out of range."""
    whole = ("batch_size", "buffer_size", "train_freq", "gradient_steps")
    for name in whole:
        if getattr(config, name) < 1:
            raise ConfigError(f"{name}={getattr(config, name)} must be at least 1.")
    for name in ("learning_starts", "target_update_interval", "exploration_duration"):
        if getattr(config, name) < 0:
            raise ConfigError(f"{name}={getattr(config, name)} must be 0 or more.")
    if config.buffer_size < config.batch_size:
        raise ConfigError(f"buffer_size={config.buffer_size} must be at least batch_size="
                          f"{config.batch_size}, or no batch can ever be drawn.")
    for name in ("gamma", "exploration_start", "exploration_end"):
        if not 0.0 <= getattr(config, name) <= 1.0:
            raise ConfigError(f"{name}={getattr(config, name)} must be between 0 and 1.")
    if not 0.0 < config.tau <= 1.0:
        raise ConfigError(f"tau={config.tau} must be above 0 (the target network would never "
                          f"move) and at most 1 (a copy).")
    if config.learning_rate <= 0 or (config.max_grad_norm is not None
                                     and config.max_grad_norm <= 0):
        raise ConfigError(f"learning_rate={config.learning_rate} and max_grad_norm="
                          f"{config.max_grad_norm} must be > 0 (max_grad_norm may be None).")
    if not config.hidden_sizes or min(config.hidden_sizes) < 1:
        raise ConfigError(f"hidden_sizes={config.hidden_sizes!r} needs at least one width >= 1.")


def build(task: gymnasium.Env, config: DQNConfig) -> DQNAgent:
    """Builds a `DQNAgent` for `task` from `config` (the registry's entry point)."""
    return DQNAgent(config, task.observation_space, task.action_space)
