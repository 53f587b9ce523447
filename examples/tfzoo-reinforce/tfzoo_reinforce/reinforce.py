"""REINFORCE with a learned baseline: a softmax policy improved after each episode by the Monte
Carlo policy gradient, with the returns less a value network's estimates as advantages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import keras
import numpy as np
import tensorflow as tf

import tfzoo


@dataclass
class ReinforceConfig:
    """Settings of `ReinforceAgent`, as `make_agent` and `--set` take them; checked when made."""

    hidden_sizes: tuple[int, ...] = (64, 64)
    """Widths of the tanh hidden layers of the policy and of the value network."""
    learning_rate: float = 2e-3
    """Adam's learning rate (one Adam for both networks: each weight has its own step sizes)."""
    linear_decay: bool = True
    """The learning rate falls linearly to 0 over the run's budget; False: it stays constant."""
    gamma: float = 0.99
    """The discount of future rewards (the value network counts in units of 1 / (1 - gamma))."""
    baseline: bool = True
    """Subtract the value network's estimates from the returns; False: plain REINFORCE."""
    normalize_advantages: bool = True
    """Scale each episode's advantages to mean 0 and standard deviation 1."""

    def __post_init__(self) -> None:  # A ConfigError names the first setting out of range.
        self.hidden_sizes = tuple(self.hidden_sizes)  # config.json gives back a list.
        if not all(type(size) is int and size > 0 for size in self.hidden_sizes):
            raise tfzoo.ConfigError(f"hidden_sizes={self.hidden_sizes} must be whole numbers > 0.")
        if not self.learning_rate > 0:
            raise tfzoo.ConfigError(f"learning_rate={self.learning_rate!r} must be above 0.")
        if not 0 <= self.gamma <= 1:
            raise tfzoo.ConfigError(f"gamma={self.gamma!r} must be from 0 to 1.")


class ReinforceAgent(tfzoo.Agent):
    """Samples its softmax policy; learns once per episode, from the whole episode."""

    batched_act = True  # `act` also takes a batch of observations (evaluations side by side).

    def __init__(self, config: ReinforceConfig, observation_space: gymnasium.spaces.Box,
                 action_space: gymnasium.spaces.Discrete) -> None:
        super().__init__()
        self.config, self.budget_spent = config, 0.0  # Told by the loop (`set_budget_spent`).
        self.observation_shape = tuple(observation_space.shape)  # Flattened for the networks.
        self.observation_size = int(np.prod(self.observation_shape))
        self.num_actions, self.first_action = int(action_space.n), int(action_space.start)
        self.optimizer = keras.optimizers.Adam(config.learning_rate)
        self.value_scale = 1 / max(1 - config.gamma, 0.01)  # The value network's outputs stay ~1.
        self.policy = self.value = self.seed = self.generator = None  # Made by build and act.
        self.episode: list[tuple[Any, ...]] = []  # (observation, action, reward, next one)
        self._weights = None  # `act`'s NumPy copy of the policy's weights; None: read again.

    def set_budget_spent(self, fraction: float) -> None:
        self.budget_spent = fraction  # The learning rate's linear decay follows it.

    def schedules(self) -> dict[str, dict[str, Any]]:
        """The learning rate's schedule (see `Agent.schedules`): linear over the budget, or flat."""
        rate, linear = self.config.learning_rate, self.config.linear_decay
        return {"learning_rate": {"shape": "linear" if linear else "constant", "start": rate,
                "end": 0.0 if linear else rate, "over": "budget",
                "now": rate * (1.0 - self.budget_spent) if linear else rate}}

    def act(self, observation: Any, *, explore: bool = True) -> int | np.ndarray:
        """A draw from the policy's softmax (its argmax if not `explore`): an int, or (batch,)."""
        if self._weights is None:  # At the start, after an update or restore: the weights, and
            self.build()  # a generator seeded by the seed and the updates made so far.
            self._weights = self.policy.get_weights()  # [kernel, bias] of each layer
            self.generator = np.random.default_rng([int(self.seed), int(self.optimizer.iterations)])
        x = np.asarray(observation, np.float32).reshape(-1, self.observation_size)  # (batch, size)
        for kernel, bias in zip(self._weights[:-2:2], self._weights[1:-2:2]):
            x = np.tanh(x @ kernel + bias)  # (batch, width)
        logits = x @ self._weights[-2] + self._weights[-1]  # (batch, actions)
        noise = self.generator.gumbel(size=logits.shape) if explore else 0.0  # Gumbel-max trick:
        actions = self.first_action + np.argmax(logits + noise, axis=1)  # a softmax draw, (batch,)
        return int(actions[0]) if np.shape(observation) == self.observation_shape else actions

    def learn(self, transition: tfzoo.Transition) -> dict[str, float]:
        """Keeps the step; at the episode's end, one update from all of it: its metrics, else {}."""
        if np.ndim(transition.reward) != 0:
            raise tfzoo.ConfigError("REINFORCE learns from one environment: use num_envs=1.")
        observation = np.asarray(transition.observation, np.float32).reshape(-1)  # (size,)
        if self.episode and not np.array_equal(observation, self.episode[-1][3]):
            self.episode = []  # A new episode began before the last ended (a stopped loop).
        self.episode.append((observation, transition.action - self.first_action, transition.reward,
                             np.asarray(transition.next_observation, np.float32).reshape(-1)))
        if not (transition.terminated or transition.truncated):
            return {}
        self.build()  # The networks exist; act's copy of the weights goes, as they will change.
        observations, actions, rewards, next_observations = map(np.array, zip(*self.episode))
        self.episode, tail = [], 0.0  # observations (T, size), actions (T,), rewards (T,)
        if transition.truncated and not transition.terminated:  # Bootstrap past a time limit.
            tail = float(self.value(next_observations[-1:])[0, 0]) * self.value_scale
        returns = np.empty(len(rewards), np.float32)  # G_t = r_t + gamma G_(t+1), (T,)
        for t in reversed(range(len(rewards))):
            tail = returns[t] = rewards[t] + self.config.gamma * tail
        self.optimizer.learning_rate = self.schedules()["learning_rate"]["now"]
        metrics = self._update(observations, actions.astype(np.int64), returns)
        return {name: float(value) for name, value in metrics.items()}

    def build(self) -> None:
        """Makes the networks, the optimizer's variables and the seed once (after `train(seed=)`
        seeded NumPy and Keras); drops `act`'s copy of the weights, which a restore makes stale."""
        self._weights = None
        if self.policy is not None:
            return
        self.policy, self.value = (keras.Sequential([
            keras.Input((self.observation_size,)),
            *(keras.layers.Dense(size, "tanh") for size in self.config.hidden_sizes),
            keras.layers.Dense(outputs)]) for outputs in (self.num_actions, 1))
        self._variables = [*self.policy.variables, *self.value.variables]  # What `_update` trains.
        self.optimizer.build(self._variables)
        self.seed = tf.Variable(np.random.randint(2**31 - 1), dtype=tf.int64, trainable=False)

    @tf.function(input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([None], tf.int64),
                                  tf.TensorSpec([None])])  # observations, actions, returns
    def _update(self, observations, actions, returns):
        """One gradient step of both networks on an episode; returns the losses and entropy."""
        with tf.GradientTape() as tape:
            values = self.value(observations)[:, 0] * self.value_scale  # (T,)
            advantages = returns - tf.stop_gradient(values) if self.config.baseline else returns
            if self.config.normalize_advantages:
                mean, variance = tf.nn.moments(advantages, axes=[0])
                advantages = (advantages - mean) / (tf.sqrt(variance) + 1e-8)  # (T,)
            log_probabilities = tf.nn.log_softmax(self.policy(observations))  # (T, actions)
            chosen = tf.gather(log_probabilities, actions, axis=1, batch_dims=1)  # (T,)
            policy_loss = -tf.reduce_mean(chosen * advantages)
            value_loss = 0.5 * tf.reduce_mean(tf.square(returns - values))
        gradients = tape.gradient([policy_loss, value_loss], self._variables)  # Of their sum.
        self.optimizer.apply_gradients(zip(gradients, self._variables))
        entropy = -tf.reduce_mean(tf.reduce_sum(tf.exp(log_probabilities) * log_probabilities, 1))
        return {"policy_loss": policy_loss, "value_loss": value_loss, "entropy": entropy}


def build(task: gymnasium.Env, config: ReinforceConfig) -> ReinforceAgent:
    """Builds a `ReinforceAgent` for `task` from `config` (the registry's entry point)."""
    if not isinstance(task.observation_space, gymnasium.spaces.Box):
        raise tfzoo.ConfigError(f"REINFORCE needs Box observations, not {task.observation_space}: "
                                f"wrap the task in gymnasium.wrappers.FlattenObservation.")
    if not isinstance(task.action_space, gymnasium.spaces.Discrete):
        raise tfzoo.ConfigError(f"REINFORCE needs Discrete actions, not {task.action_space}.")
    return ReinforceAgent(config, task.observation_space, task.action_space)
