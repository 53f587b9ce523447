"""The chapter's Keras models, ported to Keras 3, and `build_model` to get one by name.

Models here are plain Keras: they know nothing of tasks, agents or the loop.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from tfzoo.errors import unknown


class LinearLayer(keras.layers.Layer):
    """The chapter's custom layer: `y = X w + b`, with `w` and `b` created in `build()`.

    `build` runs on the first call, so `w` takes its shape from the input:
    (input features, units). Both start at zero, as in the chapter.
    """

    def __init__(self, units: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape) -> None:
        self.w = self.add_weight(
            name="w", shape=(input_shape[-1], self.units), initializer="zeros"
        )
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        # (batch, features) @ (features, units) + (units,) -> (batch, units)
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self) -> dict:
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
        return self.layer(inputs)  # (batch, features) -> (batch, 1)


MODELS: dict[str, Callable[[], keras.Model]] = {
    "linear": Linear,
    "linear-layer": lambda: Linear(custom_layer=True),
}
"""The models agents can be given by name (e.g. `--set model=linear-layer`)."""


def build_model(name: str) -> keras.Model:
    """Returns a new, unbuilt instance of the model called `name` in `MODELS`."""
    if name not in MODELS:
        raise unknown(
            "model", name, MODELS,
            "Pass one of those names, or your own Keras model as model=.",
        )
    return MODELS[name]()
