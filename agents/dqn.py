"""Deep Q-learning (DQN) for any Gymnasium environment with `Box` observations, `Discrete` actions.

Read top to bottom: the replay buffer (and how checkpoints keep it), the exploration schedule,
the TD target, the config, then the agent: `act`, `learn`, and `_update_eagerly`, the one
compiled function that learns. The Q-network is tfzoo/models/dqn.py's. No frame stacking.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium
import keras
import numpy as np
import tensorflow as tf

from tfzoo.compiled import Compiled
from tfzoo.core import Agent, Transition
from tfzoo.errors import ConfigError, TrainingDivergedError
from tfzoo.models import make_model
from tfzoo.models.dqn import GreedyPolicy
from tfzoo.saved_state import SavedArrays, SavedAttributes
from tfzoo.validate import check_types, number, whole_number, whole_numbers


# The replay buffer -------------------------------------------------------------------------
class ReplayBuffer:
    """A ring buffer of transitions in NumPy arrays, the oldest overwritten; `ends` is 1.0 where
    no value may be bootstrapped past one (it terminated). `state` puts it in checkpoints."""

    FIELDS = ("observations", "actions", "rewards", "next_observations", "ends")

    def __init__(self, capacity: int, observation_shape: tuple[int, ...]) -> None:
        self.capacity, self.size, self.position = capacity, 0, 0
        self.observations = np.zeros((capacity, *observation_shape), np.float32)
        self.actions = np.zeros(capacity, np.int64)
        self.next_observations = np.zeros((capacity, *observation_shape), np.float32)
        self.rewards, self.ends = np.zeros(capacity, np.float32), np.zeros(capacity, np.float32)
        self.state = SavedArrays(self.to_arrays, self.from_arrays)  # For checkpoints.

    def add(self, *transitions: np.ndarray) -> None:
        """Stores transitions: one array per field of `FIELDS`, each with a leading (count,)."""
        count = len(transitions[0])
        rows = (self.position + np.arange(count)) % self.capacity  # (count,)
        for name, values in zip(self.FIELDS, transitions, strict=True):
            getattr(self, name)[rows] = values
        self.position = (self.position + count) % self.capacity
        self.size = min(self.size + count, self.capacity)

    def sample(self, generator: np.random.Generator, batch_size: int,
               batches: int = 1) -> tuple[np.ndarray, ...]:
        """Draws uniformly, with replacement: one array per field, (batches, batch_size, ...)."""
        indices = generator.integers(0, self.size, size=(batches, batch_size))
        return tuple(getattr(self, name)[indices] for name in self.FIELDS)

    def to_arrays(self) -> dict[str, Any]:
        """The transitions and write position, as checkpoints keep them (see `state`)."""
        return {"position": self.position, "capacity": self.capacity,
                **{name: getattr(self, name)[: self.size] for name in self.FIELDS}}

    def from_arrays(self, saved: dict[str, np.ndarray]) -> None:
        """Puts back what `to_arrays` returned, as a checkpoint is read."""
        if saved["capacity"] != self.capacity:
            raise ValueError(f"The saved replay buffer has capacity {saved['capacity']}, "
                             f"this one {self.capacity}; set buffer_size to match.")
        self.size, self.position = len(saved["actions"]), int(saved["position"])
        for name in self.FIELDS:
            getattr(self, name)[: self.size] = saved[name]


# The two formulas: the exploration schedule and the TD target ------------------------------
def linear_schedule(start: float, end: float, duration: int, t: int) -> float:
    """A value moving linearly from `start` to `end` over `duration` units, then staying.
    The chapter's epsilon, `max(1 - episode / 100, 0.01)`, is `(1, 0.01, 99, episode)`."""
    return end if t >= duration else start + (end - start) * t / duration


def td_targets(rewards: tf.Tensor, ends: tf.Tensor, next_q_target: tf.Tensor, gamma: float,
               next_q_online: tf.Tensor | None = None) -> tf.Tensor:
    """The one-step targets `r + gamma * (1 - ends) * Q'(s', a*)`, shape (batch,).

    Args:
        rewards, ends: (batch,); `ends` is 1 where the episode terminated (no bootstrap).
        next_q_target: (batch, actions), the target network's values of the next observations.
        gamma: The discount.
        next_q_online: (batch, actions), the online network's values of the next observations:
            `a*` is their argmax (Double DQN), or without them the target network's own.
    """
    if next_q_online is None:
        next_values = tf.reduce_max(next_q_target, axis=1)  # (batch,)
    else:
        best_actions = tf.argmax(next_q_online, axis=1)  # (batch,)
        next_values = tf.gather(next_q_target, best_actions, axis=1, batch_dims=1)  # (batch,)
    return rewards + gamma * (1.0 - ends) * next_values


# The config --------------------------------------------------------------------------------
@dataclass
class DQNConfig:
    """Settings of `DQNAgent`, as `make_agent` and `--set` take them; checked when made.

    The defaults are for any of Gymnasium's classic-control tasks with discrete actions, not
    for one of them: rl-baselines3-zoo's MountainCar-v0 settings with held random actions and
    a falling learning rate, which also solve CartPole-v1 and Acrobot-v1 in 100,000 steps
    (the best policy kept; README, "DQN's own defaults"). The tasks' presets tune further.
    """

    hidden_sizes: tuple[int, ...] = (256, 256)
    """Widths of the Q-network's hidden layers (the chapter's: (24, 24))."""
    learning_rate: float = 2e-3
    """Adam's learning rate at the start (the chapter's: 1e-3)."""
    learning_rate_end: float | None = 1e-4
    """Adam's learning rate after `learning_rate_fraction` of the run's budget, reached
    linearly from `learning_rate`, so that late updates stop undoing a solved policy; None:
    constant."""
    learning_rate_fraction: float = 1.0
    """The share of the budget over which the learning rate falls to `learning_rate_end`."""
    gamma: float = 0.98
    """The discount of future rewards (the chapter's: 1.0)."""
    batch_size: int = 128
    """Transitions per gradient step (the chapter's: 32)."""
    buffer_size: int = 10_000
    """Transitions kept before the oldest are overwritten (the chapter's: 10,000)."""
    learning_starts: int = 1000
    """Transitions to collect, exploring, before learning; again if resumed without them."""
    train_freq: int = 16
    """Learn every `train_freq` environment steps (the chapter's: 1)..."""
    gradient_steps: int = 8
    """...taking this many gradient steps, each on a new batch (the chapter's: 1)."""
    target_update_interval: int = 100
    """Gradient steps between target network updates; 0: none, as in the chapter."""
    tau: float = 1.0
    """How far an update moves the target network: 1.0 copies, less is Polyak averaging."""
    double_dqn: bool = False
    """Value the trained network's best next action with the target network (Double DQN)."""
    loss: Literal["huber", "mse"] = "huber"
    """The TD loss: Huber (delta 1) or mean squared error (the chapter's)."""
    max_grad_norm: float | None = 10.0
    """Clip the gradients' global norm to this; None does not clip (the chapter's)."""
    exploration_start: float = 1.0
    """Epsilon, the probability of a random action, at the start (the chapter's: 1.0)."""
    exploration_end: float = 0.07
    """Epsilon once exploring is over (the chapter's: 0.01)."""
    exploration_duration: int = 10_000
    """Units of `exploration_unit` over which epsilon falls linearly, when
    `exploration_fraction` is None (the chapter's: 99)."""
    exploration_unit: Literal["steps", "episodes"] = "steps"
    """What `exploration_duration` counts: environment steps, or episodes (the chapter's)."""
    exploration_repeat: float | None = 2.0
    """Hold each random action for n steps, n drawn from a zeta distribution with this
    exponent (ez-greedy, Dabney et al. 2021; theirs: 2.0, so n is mostly 1 or 2, now and then
    dozens), so that exploring can build up momentum, as MountainCar needs; an episode's end
    ends a hold. None: each random action lasts one step."""
    exploration_fraction: float | None = 0.2
    """Epsilon falls linearly over this share of the run's budget (SB3's
    exploration_fraction), so that a shorter budget explores for less of it; None: over
    `exploration_duration` units instead."""
    solved_return: float | None = None
    """A training episode's return that counts as solved: after one, no gradient steps are
    taken until an episode returns less (fewer gradient steps once solved, so that a policy
    that works is not trained away from it); None: always learn."""
    bootstrap_truncated: bool = True
    """Bootstrap past a time limit; False ends there, as the chapter's old gym API had to."""
    save_replay: bool = True
    """Put the replay buffer in checkpoints (compressed), so a resumed run goes on exactly."""

    def __post_init__(self) -> None:  # A ConfigError names the first setting out of range.
        check_types(self)  # e.g. loss="mae" or double_dqn="yes"
        for name in ("batch_size", "buffer_size", "train_freq", "gradient_steps"):
            whole_number(name, getattr(self, name))
        for name in ("learning_starts", "target_update_interval", "exploration_duration"):
            whole_number(name, getattr(self, name), minimum=0)
        if self.buffer_size < self.batch_size:
            raise ConfigError(f"buffer_size={self.buffer_size} must be at least batch_size="
                              f"{self.batch_size}, or no batch can ever be drawn.")
        for name in ("gamma", "exploration_start", "exploration_end"):
            number(name, getattr(self, name), minimum=0, maximum=1)
        number("exploration_fraction", self.exploration_fraction, above=0, maximum=1,
               optional=True)
        number("learning_rate_fraction", self.learning_rate_fraction, above=0, maximum=1)
        number("solved_return", self.solved_return, optional=True)
        number("exploration_repeat", self.exploration_repeat, above=1, optional=True)
        number("tau", self.tau, above=0, maximum=1)  # At 0 the target network never moves.
        number("learning_rate", self.learning_rate, above=0)
        number("learning_rate_end", self.learning_rate_end, above=0, optional=True)
        number("max_grad_norm", self.max_grad_norm, above=0, optional=True)
        whole_numbers("hidden_sizes", self.hidden_sizes)


# The agent ---------------------------------------------------------------------------------
class DQNAgent(Agent):
    """Learns Q-values off-policy from replayed transitions; acts epsilon-greedily."""

    batched_act = True  # `act` also takes a batch of observations.

    def __init__(self, config: DQNConfig, observation_space: gymnasium.Space,
                 action_space: gymnasium.Space) -> None:
        super().__init__()
        if not isinstance(observation_space, gymnasium.spaces.Box):
            raise ConfigError(f"DQN learns from Box observations, not {observation_space}: wrap "
                              f"the environment in gymnasium.wrappers.FlattenObservation.")
        if not isinstance(action_space, gymnasium.spaces.Discrete):
            raise ConfigError(f"DQN cannot drive actions of {action_space}, not Discrete: it picks "
                              f"the best of a finite set of actions, not continuous (Box) ones.")
        self.config = config
        self.num_actions, self.first_action = int(action_space.n), int(action_space.start)
        self.observation_shape = tuple(observation_space.shape)  # Stored as float32.
        self.replay_buffer = ReplayBuffer(config.buffer_size, self.observation_shape)
        self.optimizer = keras.optimizers.Adam(config.learning_rate,
                                               global_clipnorm=config.max_grad_norm)
        self.loss = (keras.losses.Huber() if config.loss == "huber"
                     else keras.losses.MeanSquaredError())
        self.q_network = self.target_network = None  # Keras models, made by `build`.
        # The counters and random generator, kept in checkpoints; `build` seeds the generator.
        self.progress = SavedAttributes(steps=0, episodes=0, generator=np.random.default_rng(0))
        if config.solved_return is not None:  # Each environment's return so far, in checkpoints.
            self.returns = SavedAttributes(running=[], solved=False)
        if config.exploration_repeat is not None:  # Each environment's held random action.
            self.holds = SavedAttributes(actions=[], steps_left=[])
        self.budget_spent = 0.0  # Told by the loop before each step (`set_budget_spent`).
        if config.save_replay:  # Checkpoints keep the agent's attributes: now the buffer too.
            self.saved_replay = self.replay_buffer.state
        else:  # A resumed run says what differs.
            self.resume_caveat = "with save_replay=False the replay buffer is refilled first"
        observations = tf.TensorSpec((None, *self.observation_shape), tf.float32)
        batches = tf.TensorSpec((None, *observations.shape), tf.float32)  # (steps, batch, ...)
        vectors = tf.TensorSpec((None, None), tf.float32)
        # Acting, every step, goes through a NumPy copy of the Q-network (`_greedy_actions`).
        self._acting_copy, self._acting_copy_step = None, -1
        self._update = Compiled(self._update_eagerly, jit_compile=True, input_signature=[
            batches, tf.TensorSpec((None, None), tf.int64), vectors, batches, vectors,
            tf.TensorSpec((), tf.float32)])

    @property
    def epsilon(self) -> float:
        """The current probability of a random action while exploring."""
        config, progress = self.config, self.progress
        duration, t = config.exploration_fraction, self.budget_spent
        if duration is None:
            duration = config.exploration_duration
            t = progress.steps if config.exploration_unit == "steps" else progress.episodes
        return linear_schedule(config.exploration_start, config.exploration_end, duration, t)

    @property
    def learning_rate(self) -> float:
        """Adam's current learning rate: constant, or falling linearly over the budget."""
        config = self.config
        if config.learning_rate_end is None:
            return config.learning_rate
        return linear_schedule(config.learning_rate, config.learning_rate_end,
                               config.learning_rate_fraction, self.budget_spent)

    def set_budget_spent(self, fraction: float) -> None:
        """Keeps the fraction of the run's budget spent, for `exploration_fraction` and
        `learning_rate_end`."""
        self.budget_spent = fraction

    def schedules(self) -> dict[str, dict[str, Any]]:
        """The schedules (see `Agent.schedules`): epsilon's, linear over a share of the budget
        or over `exploration_duration` of its unit, and the learning rate's."""
        config = self.config
        over = ({"over": "budget", "fraction": config.exploration_fraction}
                if config.exploration_fraction is not None else
                {"over": config.exploration_unit, "duration": config.exploration_duration})
        learning_rate = ({"shape": "constant"} if config.learning_rate_end is None else
                         {"shape": "linear", "start": config.learning_rate,
                          "end": config.learning_rate_end, "over": "budget",
                          "fraction": config.learning_rate_fraction})
        return {"epsilon": {"shape": "linear", "start": config.exploration_start,
                            "end": config.exploration_end, **over, "now": self.epsilon},
                "learning_rate": {**learning_rate, "now": self.learning_rate}}

    def act(self, observation: Any, *, explore: bool = True) -> int | np.ndarray:
        """The action of highest Q-value, or, exploring, a random one with probability epsilon:
        an int for one observation, an array (one action each) for a batch of them."""
        self.build()
        observations, generator = np.asarray(observation, np.float32), self.progress.generator
        one = observations.shape == self.observation_shape
        if one and self.config.exploration_repeat is None:  # Plain numbers, the same draws.
            if explore and generator.random() < self.epsilon:
                return self.first_action + int(generator.integers(self.num_actions))
            return self.first_action + int(self._greedy_actions(observations[None])[0])
        observations = observations[None] if one else observations  # (batch, ...)
        count = len(observations)
        if not explore:
            random, random_actions = np.zeros(count, bool), None
        elif self.config.exploration_repeat is not None:
            random, random_actions = self._held_random_actions(count)
        else:
            random, random_actions = generator.random(count) < self.epsilon, None
        random_count = np.count_nonzero(random)
        # The network is asked only for greedy actions: early on, most actions are random.
        actions = (self._greedy_actions(observations) if random_count < count
                   else np.zeros(count, np.int64))  # (batch,)
        if random_count:
            actions[random] = (random_actions[random] if random_actions is not None
                               else generator.integers(self.num_actions, size=random_count))
        return self.first_action + (int(actions[0]) if one else actions)

    def _held_random_actions(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """ez-greedy for `count` environments: which act randomly, and the random actions,
        (count,) each. One holding a random action goes on with it; any other starts a hold
        with probability epsilon: a random action, for a zeta-distributed number of steps."""
        holds, generator = self.holds, self.progress.generator
        if len(holds.actions) != count:  # The first step, or a new vector.
            holds.actions, holds.steps_left = [0] * count, [0] * count
        actions, steps_left = np.array(holds.actions), np.array(holds.steps_left)  # (count,)
        starting = (steps_left == 0) & (generator.random(count) < self.epsilon)
        actions[starting] = generator.integers(self.num_actions, size=np.count_nonzero(starting))
        steps_left[starting] = generator.zipf(self.config.exploration_repeat,
                                              size=np.count_nonzero(starting))
        random = steps_left > 0
        steps_left[random] -= 1
        holds.actions, holds.steps_left = actions.tolist(), steps_left.tolist()
        return random, actions

    def learn(self, transition: Transition) -> dict[str, float]:
        """Stores the transition, one step (a batch of one) or a batch of them from a vector of
        environments; every `train_freq` steps takes `gradient_steps` gradient steps."""
        self.build()
        config, progress = self.config, self.progress
        observations, actions, rewards, next_observations, terminated, truncated = (
            transition.as_batch())  # (steps, ...) each
        ends = terminated | (truncated & (not config.bootstrap_truncated))  # (steps,)
        self.replay_buffer.add(observations, actions - self.first_action, rewards,
                               next_observations, ends)
        steps_before, progress.steps = progress.steps, progress.steps + len(rewards)
        progress.episodes += int(np.sum(terminated | truncated))
        if config.solved_return is not None:
            self._follow_returns(rewards, terminated | truncated)
        if config.exploration_repeat is not None and len(self.holds.steps_left) == len(rewards):
            steps_left = np.array(self.holds.steps_left)  # An episode's end ends its hold.
            steps_left[terminated | truncated] = 0
            self.holds.steps_left = steps_left.tolist()
        # Every `train_freq` steps passed: with n environments, n / train_freq phases a step.
        phases = progress.steps // config.train_freq - steps_before // config.train_freq
        # The buffer, not the step count: a run resumed without its replay refills it first.
        enough = max(config.batch_size, min(config.learning_starts, config.buffer_size))
        solved = config.solved_return is not None and self.returns.solved
        if self.replay_buffer.size < enough or phases == 0 or solved:
            return {}
        batches = self.replay_buffer.sample(progress.generator, config.batch_size,
                                            config.gradient_steps * phases)
        loss, mean_q, max_q, gradient_norm = (
            float(value) for value in self._update(*batches, self.learning_rate))
        if not math.isfinite(loss):
            raise TrainingDivergedError(f"Training diverged: the TD loss became {loss} after "
                f"{progress.steps} steps. Lower learning_rate (now {self.learning_rate:g}), use "
                f"loss='huber', set max_grad_norm, or a gamma below 1 (now {config.gamma:g}).")
        # What tells a collapse's story: Q above 1 / (1 - gamma), large gradients, few failures.
        terminal_share = float(np.mean(self.replay_buffer.ends[: self.replay_buffer.size]))
        return {"loss": loss, "q": mean_q, "q_max": max_q, "gradient_norm": gradient_norm,
                "replay_terminal_share": terminal_share, "epsilon": self.epsilon}

    def _follow_returns(self, rewards: np.ndarray, ends: np.ndarray) -> None:
        """Adds `rewards` (one per environment) to each environment's running return; an
        episode that ends sets whether the policy counts as solved (`solved_return`)."""
        kept = self.returns
        if len(kept.running) != len(rewards):  # The first step, or a new vector.
            kept.running = [0.0] * len(rewards)
        returns = np.asarray(kept.running, np.float64) + rewards  # (environments,)
        for index in np.flatnonzero(ends):
            kept.solved = bool(returns[index] >= self.config.solved_return)
        returns[ends] = 0.0
        kept.running = returns.tolist()

    def build(self) -> None:
        """Creates the networks, the optimizer's variables and the random generator, once: at the
        first `act` or `learn`, after `train(seed=...)` seeded them, or before a restore."""
        if self.q_network is not None:
            return
        networks = [make_model("q-network", num_actions=self.num_actions,
                               hidden_sizes=tuple(self.config.hidden_sizes))
                    for _ in range(2 if self.config.target_update_interval > 0 else 1)]
        for network in networks:
            network(tf.zeros((1, *self.observation_shape)))  # Creates its weights.
        self.q_network, self.target_network = networks[0], (networks[1:] or [None])[0]
        if self.target_network is not None:  # It starts as a copy of the trained network.
            self.target_network.set_weights(self.q_network.get_weights())
        self.optimizer.build(self.q_network.trainable_variables)
        # Checkpoints miss the layers a Keras model keeps in a list: this list keeps them all.
        self._network_variables = [variable for net in networks for variable in net.variables]
        self.progress.generator = np.random.default_rng(np.random.randint(2**31 - 1))

    def export_module(self, task: gymnasium.Env) -> tf.Module:
        """The greedy policy as `tfzoo export` writes it (see `Agent.export_module`):
        `serving_default` (observations -> actions) and `q_values`."""
        self.build()
        return GreedyPolicy(self.q_network, self.observation_shape, self.first_action)

    def _greedy_actions(self, observations: np.ndarray) -> np.ndarray:
        """The action of highest Q-value for each of the (batch, ...) observations, (batch,).

        They come from a NumPy copy of the Q-network (`QNetwork.numpy_copy`): a call into
        TensorFlow costs about 60 microseconds before any work, the copy a few for one
        observation, and DQN acts once a step. A new copy is made when the optimizer's step
        count moves (an update, or a restore of other weights), and after `restore`.
        """
        step = int(self.optimizer.iterations.value)
        if self._acting_copy is None or step != self._acting_copy_step:
            self._acting_copy, self._acting_copy_step = self.q_network.numpy_copy(), step
        return np.argmax(self._acting_copy(observations), axis=-1)  # (batch,)

    def restore(self, path: str | os.PathLike) -> None:
        """`Agent.restore`, and acting on the restored weights from then on."""
        super().restore(path)
        self._acting_copy = None  # The restored weights may have the same step count.

    def _update_eagerly(self, observations, actions, rewards, next_observations, ends,
                        learning_rate):
        """A gradient step on each (batch,) of the (steps, batch, ...) arguments in turn, at
        `learning_rate`, and a target network update every `target_update_interval`; returns
        the mean loss, the mean and the largest Q of the actions taken, and the mean gradient
        norm (before clipping)."""
        config, q_network, target_network = self.config, self.q_network, self.target_network
        self.optimizer.learning_rate.assign(learning_rate)
        steps = tf.shape(actions)[0]
        total_loss, total_q, max_q, total_norm = (tf.constant(0.0), tf.constant(0.0),
                                                  tf.constant(-np.inf), tf.constant(0.0))
        for i in tf.range(steps):
            # The TD targets. Without a target network (the chapter's way) they come from the
            # network being trained, where Double DQN would pick the same action: plain DQN.
            next_q_target = (target_network or q_network)(next_observations[i])  # (batch, actions)
            double = target_network is not None and config.double_dqn
            next_q_online = q_network(next_observations[i]) if double else None  # (batch, actions)
            targets = td_targets(rewards[i], ends[i], next_q_target, config.gamma, next_q_online)
            # The gradient step, on the loss of the Q-values of the actions taken.
            with tf.GradientTape() as tape:
                q_values = q_network(observations[i])  # (batch, actions)
                chosen = tf.gather(q_values, actions[i], axis=1, batch_dims=1)  # (batch,)
                loss = self.loss(tf.stop_gradient(targets), chosen)
            variables = q_network.trainable_variables
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables))
            # The target network moves toward the trained one (copies it, with tau=1).
            if (target_network is not None
                    and self.optimizer.iterations % config.target_update_interval == 0):
                for target, online in zip(target_network.variables, q_network.variables):
                    target.assign(config.tau * online + (1.0 - config.tau) * target)
            total_loss, total_q = total_loss + loss, total_q + tf.reduce_mean(chosen)
            max_q = tf.maximum(max_q, tf.reduce_max(chosen))
            total_norm = total_norm + tf.linalg.global_norm(gradients)
        count = tf.cast(steps, tf.float32)
        return total_loss / count, total_q / count, max_q, total_norm / count


def build(task: gymnasium.Env, config: DQNConfig) -> DQNAgent:
    """Builds a `DQNAgent` for `task` from `config` (the registry's entry point)."""
    return DQNAgent(config, task.observation_space, task.action_space)
