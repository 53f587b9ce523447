"""The chapter's MNIST models: the multilayer perceptron `MLP` and the convolutional `CNN`.

Plain Keras: they know nothing of tasks, agents or the loop.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class MLP(keras.Model):
    """The chapter's multilayer perceptron: Dense(100, ReLU) then Dense(10) logits.

    Args:
        hidden_units: Width of each hidden layer; the chapter has one of 100.
        dropout: Dropout rate after each hidden layer (0 in the chapter).
        shift: In training, shift each image by up to this fraction of its size, at random
            (0 in the chapter).
    """

    def __init__(self, hidden_units: tuple[int, ...] = (100,), dropout: float = 0.0,
                 shift: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shift = _random_shift(shift)
        self.flatten = keras.layers.Flatten()
        self.hidden = [keras.layers.Dense(units, activation="relu") for units in hidden_units]
        self.dropouts = [keras.layers.Dropout(dropout) for _ in hidden_units] if dropout else []
        self.logits = keras.layers.Dense(10)

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Returns logits: (batch, 28, 28) -> (batch, 10)."""
        x = inputs  # (batch, 28, 28)
        if self.shift is not None:
            x = self.shift(tf.reshape(x, [-1, 28, 28, 1]), training=training)
        x = self.flatten(x)  # (batch, 784)
        for index, dense in enumerate(self.hidden):
            x = dense(x)  # (batch, units)
            if self.dropouts:
                x = self.dropouts[index](x, training=training)
        return self.logits(x)  # (batch, 10)

    def predict(self, inputs: tf.Tensor) -> tf.Tensor:
        """The most likely digit for each image, as the chapter's `predict`."""
        return tf.argmax(self(inputs), axis=-1)

    def plain(self) -> keras.Model:
        """This network for inference as a functional model of its own built-in layers
        (no shift, no dropout), which Keras saves and loads without tfzoo: (batch, 28, 28)
        images in [0, 1] -> (batch, 10) logits."""
        images = keras.Input((28, 28), name="images")
        x = self.flatten(images)  # (batch, 784)
        for dense in self.hidden:
            x = dense(x)  # (batch, units)
        return keras.Model(images, self.logits(x), name="mlp")


class CNN(keras.Model):
    """The chapter's convolutional network for 28x28 digits.

    Conv 32 5x5 ReLU, max-pool 2, Conv 64 5x5 ReLU, max-pool 2, flatten 7*7*64,
    Dense 1024 ReLU, Dense 10 logits.

    Args:
        dropout: Dropout rate before the last layer, as the chapter suggests (0 in it).
        shift: In training, shift each image by up to this fraction of its size, at random
            (0 in the chapter).
    """

    def __init__(self, dropout: float = 0.0, shift: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shift = _random_shift(shift)
        self.conv1 = keras.layers.Conv2D(32, kernel_size=5, padding="same", activation="relu")
        self.pool1 = keras.layers.MaxPool2D(pool_size=2, strides=2)
        self.conv2 = keras.layers.Conv2D(64, kernel_size=5, padding="same", activation="relu")
        self.pool2 = keras.layers.MaxPool2D(pool_size=2, strides=2)
        self.flatten = keras.layers.Reshape(target_shape=(7 * 7 * 64,))
        self.dense1 = keras.layers.Dense(1024, activation="relu")
        self.dropout = keras.layers.Dropout(dropout) if dropout else None
        self.dense2 = keras.layers.Dense(10)

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Returns logits: (batch, 28, 28) or (batch, 784) -> (batch, 10)."""
        x = tf.reshape(inputs, [-1, 28, 28, 1])  # (batch, 28, 28, 1)
        if self.shift is not None:
            x = self.shift(x, training=training)
        x = self.pool1(self.conv1(x))  # (batch, 14, 14, 32)
        x = self.pool2(self.conv2(x))  # (batch, 7, 7, 64)
        x = self.dense1(self.flatten(x))  # (batch, 1024)
        if self.dropout is not None:
            x = self.dropout(x, training=training)
        return self.dense2(x)  # (batch, 10)

    def predict(self, inputs: tf.Tensor) -> tf.Tensor:
        """The most likely digit for each image, as the chapter's `predict`."""
        return tf.argmax(self(inputs), axis=-1)

    def plain(self) -> keras.Model:
        """This network for inference as a functional model of its own built-in layers
        (no shift, no dropout), which Keras saves and loads without tfzoo: (batch, 28, 28)
        images in [0, 1] -> (batch, 10) logits."""
        images = keras.Input((28, 28), name="images")
        x = keras.layers.Reshape((28, 28, 1))(images)  # (batch, 28, 28, 1)
        x = self.pool1(self.conv1(x))  # (batch, 14, 14, 32)
        x = self.pool2(self.conv2(x))  # (batch, 7, 7, 64)
        x = self.dense1(self.flatten(x))  # (batch, 1024)
        return keras.Model(images, self.dense2(x), name="cnn")


def _random_shift(fraction: float) -> keras.layers.Layer | None:
    """A layer moving images by up to `fraction` of their size in training, or None for 0."""
    if not fraction:
        return None
    return keras.layers.RandomTranslation(fraction, fraction, fill_mode="constant")
