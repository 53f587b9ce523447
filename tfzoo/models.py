"""The chapter's Keras models, ported to Keras 3, and `model_factory` to get one by name.

Models here are plain Keras: they know nothing of tasks, agents or the loop.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
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


class RNN(keras.Model):
    """The chapter's character model: one-hot input, an `LSTMCell` (the chapter's 256 units)
    unrolled in a Python loop over the window, and a `Dense` layer from its last output to
    the next character.

    The chapter calls the cell on each step's one-hot vector, which multiplies it by the
    cell's input kernel: that product is the kernel's row for the character's id. So `call`
    looks up the rows of the whole window at once and writes the cell's step out (the same
    weights, gates and activations as `LSTMCell`, the same sums in the same order): the
    same numbers as the chapter's loop, without 40 multiplications by mostly zeros.

    Args:
        num_chars: The vocabulary's size.
        units: The LSTM cell's units (the chapter's 256).
    """

    def __init__(self, num_chars: int, units: int = 256, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_chars, self.units = num_chars, units
        self.cell = keras.layers.LSTMCell(units)
        self.dense = keras.layers.Dense(num_chars)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Creates the cell's weights for one-hot inputs and the dense layer's."""
        self.cell.build((None, self.num_chars))
        self.dense.build((None, self.units))

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Next-character logits after each window: (batch, time) ids -> (batch, num_chars)."""
        cell = self.cell
        # one_hot(ids) @ kernel, for every step of the window at once.
        read = tf.gather(cell.kernel, inputs)  # (batch, time, 4 * units)
        output = state = tf.zeros((tf.shape(inputs)[0], self.units))  # h and c
        for read_at_t in tf.unstack(read, axis=1):  # (batch, 4 * units) each
            gates = read_at_t + tf.matmul(output, cell.recurrent_kernel) + cell.bias
            # LSTMCell's gates, in its order: input, forget, candidate, output.
            input_gate, forget_gate, candidate, output_gate = tf.split(gates, 4, axis=-1)
            state = (cell.recurrent_activation(forget_gate) * state
                     + cell.recurrent_activation(input_gate) * cell.activation(candidate))
            output = cell.recurrent_activation(output_gate) * cell.activation(state)
        return self.dense(output)

    def predict(self, inputs: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """Samples one next character per window from `softmax(logits / temperature)`, with
        NumPy's global random state as in the chapter (`tfzoo.generate` takes a seed)."""
        if not temperature > 0:
            raise ValueError(f"temperature={temperature!r} must be > 0 (e.g. 0.2, 0.5, 1.0).")
        logits = self(tf.convert_to_tensor(inputs))  # (batch, num_chars)
        probabilities = tf.nn.softmax(logits / temperature).numpy().astype(np.float64)
        probabilities /= probabilities.sum(axis=-1, keepdims=True)
        return np.array([np.random.choice(self.num_chars, p=row) for row in probabilities])


class CharLSTM(keras.Model):
    """A fast character model: embedding, `keras.layers.LSTM` layers and a `Dense` layer that
    predict the next character at every position of the window, not only the last.

    `run` also takes and returns the recurrent state, so text can be generated one character
    at a time with constant work per character.

    Args:
        num_chars: The vocabulary's size.
        units: Units of each LSTM layer.
        layers: How many LSTM layers are stacked.
        embedding_size: Size of each character's learned embedding.
        dropout: Dropout rate after each LSTM layer, in training.
    """

    def __init__(self, num_chars: int, units: int = 256, layers: int = 1,
                 embedding_size: int = 64, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_chars, self.units, self.layer_count = num_chars, units, layers
        self.embedding = keras.layers.Embedding(num_chars, embedding_size)
        self.lstms = [
            keras.layers.LSTM(units, return_sequences=True, return_state=True)
            for _ in range(layers)
        ]
        self.dropout = keras.layers.Dropout(dropout) if dropout else None
        self.dense = keras.layers.Dense(num_chars)

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Logits for every next character: (batch, time) ids -> (batch, time, num_chars)."""
        logits, _ = self.run(inputs, self.initial_state(tf.shape(inputs)[0]), training)
        return logits

    def initial_state(self, batch_size: int | tf.Tensor) -> tf.Tensor:
        """The zero state: (layers * 2, batch, units), each layer's h then c."""
        return tf.zeros((2 * self.layer_count, batch_size, self.units))

    def run(
        self, inputs: tf.Tensor, state: tf.Tensor, training: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Reads `inputs` (batch, time) from `state`; returns the logits and the final state."""
        x = self.embedding(inputs)  # (batch, time, embedding_size)
        final = []
        for index, lstm in enumerate(self.lstms):
            x, h, c = lstm(x, initial_state=[state[2 * index], state[2 * index + 1]],
                           training=training)  # x: (batch, time, units)
            if self.dropout is not None:
                x = self.dropout(x, training=training)
            final += [h, c]
        # (batch, time, num_chars) and (layers * 2, batch, units)
        return self.dense(x), tf.stack(final)

    def step(self, ids: tf.Tensor, state: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Reads one character per row: (batch,) ids -> logits (batch, num_chars) and the state.

        The same math as `run` over one position, through the LSTM cells directly: the
        cheapest call for generating text one character at a time.
        """
        x = self.embedding(ids)  # (batch, embedding_size)
        final = []
        for index, lstm in enumerate(self.lstms):
            x, (h, c) = lstm.cell(x, [state[2 * index], state[2 * index + 1]])  # (batch, units)
            final += [h, c]
        return self.dense(x), tf.stack(final)


def _random_shift(fraction: float) -> keras.layers.Layer | None:
    """A layer moving images by up to `fraction` of their size in training, or None for 0."""
    if not fraction:
        return None
    return keras.layers.RandomTranslation(fraction, fraction, fill_mode="constant")


MODELS: dict[str, Callable[[], keras.Model]] = {
    "linear": Linear,
    "linear-layer": lambda: Linear(custom_layer=True),
    "mlp": MLP,
    "mlp-tuned": lambda: MLP(hidden_units=(512, 512), dropout=0.2, shift=0.08),
    "cnn": CNN,
    "cnn-tuned": lambda: CNN(dropout=0.5, shift=0.08),
}
"""The models agents can be given by name (e.g. `--set model=linear-layer`)."""


def model_factory(name: str) -> Callable[[], keras.Model]:
    """The function building the model called `name` in `MODELS`; an unknown name is an error."""
    if name not in MODELS:
        raise unknown(
            "model", name, MODELS,
            "Pass one of those names, or your own Keras model as model=.",
        )
    return MODELS[name]

