"""The chapter's Q-network for DQN: observations in, one Q-value per action out.

Plain Keras: the agent that learns with it is `tfzoo.agents.dqn`.
"""

from __future__ import annotations

import keras
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
