"""The chapter's Q-network for DQN: observations in, one Q-value per action out; and the
greedy policy it gives, as `tfzoo export` writes it.

Plain Keras: the agent that learns with it is `tfzoo.agents.dqn`.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf


class QNetwork(keras.Model):
    """Maps observations to one Q-value per action: Dense layers with ReLU, then a linear one.

    The chapter's network is `QNetwork(num_actions=2, hidden_sizes=(24, 24))`.

    Args:
        num_actions: Outputs, one Q-value per action.
        hidden_sizes: Widths of the hidden layers.
    """

    def __init__(self, num_actions: int, hidden_sizes: tuple[int, ...] = (24, 24),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten()
        self.hidden = [keras.layers.Dense(size, activation="relu") for size in hidden_sizes]
        self.q_values = keras.layers.Dense(num_actions)

    def call(self, observations: tf.Tensor) -> tf.Tensor:
        """(batch, *observation shape) -> (batch, num_actions)."""
        x = self.flatten(observations)  # (batch, features)
        for layer in self.hidden:
            x = layer(x)  # (batch, size)
        return self.q_values(x)

    def numpy_copy(self) -> Callable[[np.ndarray], np.ndarray]:
        """This network as a NumPy function, on a copy of its weights as they are now:
        float32 observations (batch, *observation shape) -> Q-values (batch, num_actions).

        For acting: a call into TensorFlow costs tens of microseconds before any work, and
        one observation through CartPole's (128, 128) network takes a few in NumPy. The copy
        does not follow later changes of the weights; make a new one after them.
        """
        layers = [(layer.kernel.numpy(), layer.bias.numpy())
                  for layer in (*self.hidden, self.q_values)]  # (inputs, outputs), (outputs,)
        *hidden, (last_kernel, last_bias) = layers

        def q_values(observations: np.ndarray) -> np.ndarray:
            x = observations.reshape(len(observations), -1)  # (batch, features)
            for kernel, bias in hidden:
                x = np.maximum(x @ kernel + bias, 0.0)  # (batch, size): Dense with ReLU
            return x @ last_kernel + last_bias  # (batch, num_actions)

        return q_values


class GreedyPolicy(tf.Module):
    """A Q-network as the policy a SavedModel serves: what `tfzoo export` writes for DQN.

    Signatures (each takes `observations`, float32 (batch, *observation shape)):
    `serving_default` gives `actions`, int64 (batch,): the action of highest Q-value, as
    `DQNAgent.act(explore=False)` picks it; `q_values` gives `q_values`, float32
    (batch, num_actions).

    Args:
        q_network: The trained Q-network.
        observation_shape: The shape of one observation.
        first_action: The first action's number (a Gymnasium `Discrete` space's `start`).
    """

    def __init__(self, q_network: keras.Model, observation_shape: tuple[int, ...],
                 first_action: int = 0) -> None:
        super().__init__(name="greedy_policy")
        self.q_network, self.first_action = q_network, first_action
        observations = tf.TensorSpec((None, *observation_shape), tf.float32, name="observations")
        self.serving_default = tf.function(self._actions, input_signature=[observations])
        self.q_values = tf.function(self._q_values, input_signature=[observations])

    def _actions(self, observations: tf.Tensor) -> dict[str, tf.Tensor]:
        q_values = self.q_network(observations)  # (batch, num_actions)
        return {"actions": tf.argmax(q_values, axis=-1) + self.first_action}  # (batch,)

    def _q_values(self, observations: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"q_values": self.q_network(observations)}  # (batch, num_actions)
