"""The chapter's character model `RNN`, its faster twin `FastRNN`, and the tuned `CharLSTM`.

Plain Keras: they know nothing of tasks, agents or the loop.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


class RNN(keras.Model):
    """The chapter's character model, as the chapter writes it: each window's characters as
    one-hot vectors, an `LSTMCell` (the chapter's 256 units) called on them one step at a
    time, and a `Dense` layer from its last output to the next character.

    `FastRNN` computes the same numbers faster; the `char-rnn` presets train that one.

    Args:
        num_chars: The vocabulary's size.
        units: The LSTM cell's units (the chapter's 256).
    """

    every_position = False  # It predicts the character after each window only.

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
        # The chapter reads the batch size from the static shape; tf.shape also serves a
        # graph traced for any batch size.
        batch_size, seq_length = tf.shape(inputs)[0], inputs.shape[1]
        inputs = tf.one_hot(inputs, depth=self.num_chars)  # (batch, time, num_chars)
        state = [tf.zeros((batch_size, self.units)), tf.zeros((batch_size, self.units))]
        for t in range(seq_length):
            output, state = self.cell(inputs[:, t, :], state)  # (batch, units)
        return self.dense(output)  # (batch, num_chars)

    def predict(self, inputs: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """Samples one next character per window from `softmax(logits / temperature)`, with
        NumPy's global random state as in the chapter (`tfzoo.generate` takes a seed)."""
        if not temperature > 0:
            raise ValueError(f"temperature={temperature!r} must be > 0 (e.g. 0.2, 0.5, 1.0).")
        logits = self(tf.convert_to_tensor(inputs))  # (batch, num_chars)
        probabilities = tf.nn.softmax(logits / temperature).numpy().astype(np.float64)
        probabilities /= probabilities.sum(axis=-1, keepdims=True)
        return np.array([np.random.choice(self.num_chars, p=row) for row in probabilities])


class FastRNN(RNN):
    """The chapter's `RNN` with the same weights and numbers, three to six times faster.

    A one-hot vector times the cell's input kernel is the kernel's row for the character's
    id. So `call` looks up the rows of the whole window at once and writes the cell's step
    out (the same weights, gates and activations as `LSTMCell`, the same sums in the same
    order), without a Keras layer call and 40 multiplications by mostly zeros per window.
    Its checkpoints and the chapter model's are interchangeable.
    """

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

    every_position = True  # It predicts the character after every position of a window.

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
