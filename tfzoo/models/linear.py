"""The chapter's linear regression model and its custom layer `LinearLayer`.

Plain Keras: it knows nothing of tasks, agents or the loop.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class LinearLayer(keras.layers.Layer):
    """The chapter's custom layer: `y = X w + b`, with `w` and `b` created in `build()`.

    `build` runs on the first call, so `w` takes its shape from the input:
    (input features, units). Both start at zero, as in the chapter.
    """

    def __init__(self, units: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Creates `w` (input features, units) and `b` (units,), both zero."""
        self.w = self.add_weight(
            name="w", shape=(input_shape[-1], self.units), initializer="zeros"
        )
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        """Returns `inputs @ w + b`: (batch, features) -> (batch, units)."""
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self) -> dict:
        """The layer's settings, for Keras serialization."""
        return {**super().get_config(), "units": self.units}


class Linear(keras.Model):
    """The chapter's linear model: one `Dense(1)` layer with zero initial weights and bias.

    Args:
        custom_layer: Use the chapter's `LinearLayer` instead of `Dense` (the same math).
    """

    def __init__(self, custom_layer: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.custom_layer = custom_layer
        if custom_layer:
            self.layer = LinearLayer(units=1)
        else:
            self.layer = keras.layers.Dense(
                units=1, kernel_initializer="zeros", bias_initializer="zeros"
            )

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        """Returns the prediction: (batch, features) -> (batch, 1)."""
        return self.layer(inputs)

    def plain(self) -> keras.Model:
        """This trained model as a functional model of one built-in `Dense`, which Keras saves
        and loads without tfzoo (the chapter's `LinearLayer` is copied into a `Dense`)."""
        weights, bias = (variable.numpy() for variable in self.layer.weights)  # w, b
        inputs = keras.Input((weights.shape[0],), name="inputs")
        dense = keras.layers.Dense(weights.shape[1], name="linear")
        outputs = dense(inputs)  # (batch, 1)
        dense.set_weights([weights, bias])
        return keras.Model(inputs, outputs, name="linear")
