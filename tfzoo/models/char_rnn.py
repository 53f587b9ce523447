"""The chapter's character model `RNN`, its faster twin `FastRNN`, the tuned `CharLSTM`, and
`TextGenerator`, which writes text with a `CharLSTM` inside one graph.

Plain Keras and TensorFlow: they know nothing of tasks, agents or the loop.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfzoo.text import uniforms


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


class TextGenerator(tf.Module):
    """A trained `CharLSTM` and its vocabulary as one module that writes text inside the graph.

    It is both what `tfzoo export` writes for a char-rnn run and what `tfzoo.generate` draws
    with (`start` and `sample`), so the two write the same text for the same prompt,
    temperature and seed: the random numbers are `tfzoo.text.uniforms(seed, length)`,
    counter-based, the same in a graph and in Python.

    Signatures:
        `generate` (also `serving_default`): `prompt` (a UTF-8 string), `length` int32,
            `temperature` float32 and `seed` int64 -> `text`, the `length` characters written
            after the prompt. The whole sampling loop is a `tf.while_loop`. A prompt
            character the model never saw is an `InvalidArgumentError` naming it.
        `next_logits`: `ids` int64 (batch, time) and `state` float32 (layers * 2, batch,
            units) -> `logits` (batch, time, num_chars) and the `state` after the ids.
        `initial_state`: `batch_size` int32 -> the zero `state` to start from.
        `vocabulary`: -> `characters`, every character the model knows (id i is the i-th).

    Args:
        model: The trained `CharLSTM`, built.
        characters: Its vocabulary: the distinct characters, sorted (id i is the i-th).
        lowercase: `generate` lower-cases the prompt first (for a model of lower-cased text,
            as `tfzoo generate` does).
    """

    def __init__(self, model: CharLSTM, characters: str, *, lowercase: bool = False) -> None:
        super().__init__(name="text_generator")
        self.model, self.lowercase = model, lowercase
        code_points = np.array([ord(character) for character in characters], np.int32)
        self.characters = tf.constant(characters)
        self.code_points = tf.constant(code_points)  # (num_chars,): id -> code point
        self.table = tf.lookup.StaticHashTable(  # Code point -> id, -1 for unknown ones.
            tf.lookup.KeyValueTensorInitializer(code_points.astype(np.int64),
                                                np.arange(len(code_points))),
            default_value=-1)
        state = tf.TensorSpec((2 * model.layer_count, None, model.units), tf.float32, "state")
        self.generate = tf.function(self._generate, input_signature=[
            tf.TensorSpec((), tf.string, "prompt"), tf.TensorSpec((), tf.int32, "length"),
            tf.TensorSpec((), tf.float32, "temperature"), tf.TensorSpec((), tf.int64, "seed")])
        self.serving_default = self.generate
        self.next_logits = tf.function(self._next_logits, input_signature=[
            tf.TensorSpec((None, None), tf.int64, "ids"), state])
        self.initial_state = tf.function(self._initial_state, input_signature=[
            tf.TensorSpec((), tf.int32, "batch_size")])
        self.vocabulary = tf.function(lambda: {"characters": self.characters},
                                      input_signature=[])

    def start(self, ids: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Reads a prompt's ids (1, prompt); returns the next character's logits (num_chars,)
        and the state after the prompt (layers * 2, 1, units)."""
        logits, state = self.model.run(ids, self.model.initial_state(1))
        return logits[0, -1], state

    def sample(self, logits: tf.Tensor, state: tf.Tensor, uniforms: tf.Tensor,
               temperature: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """Draws one character per uniform number in [0, 1), from `softmax(logits /
        temperature)` by the inverse of its cumulative sum, and feeds it back; returns the ids
        drawn (count,) int64 and the logits and state to continue from."""
        count = tf.shape(uniforms)[0]

        def draw_and_read(index, logits, state, ids):
            cumulative = tf.cumsum(tf.nn.softmax(logits / temperature))  # (num_chars,)
            point = uniforms[index] * cumulative[-1]
            next_id = tf.minimum(
                tf.searchsorted(cumulative[None], point[None, None], side="right")[0, 0],
                tf.size(cumulative, out_type=tf.int32) - 1)
            logits, state = self.model.step(next_id[None], state)  # (1, num_chars), state
            return index + 1, logits[0], state, ids.write(index, tf.cast(next_id, tf.int64))

        _, logits, state, ids = tf.while_loop(
            lambda index, *_: index < count, draw_and_read,
            (tf.constant(0), logits, state, tf.TensorArray(tf.int64, size=count)))
        return ids.stack(), logits, state

    def _generate(self, prompt, length, temperature, seed) -> dict[str, tf.Tensor]:
        checks = [
            tf.debugging.assert_positive(tf.strings.length(prompt), message=(
                "prompt is empty: give at least one character of text to continue")),
            tf.debugging.assert_non_negative(length, message="length must be 0 or more"),
            tf.debugging.assert_positive(temperature, message=(
                "temperature must be > 0, such as 0.2, 0.5, 1.0 or 1.2")),
        ]
        if self.lowercase:
            prompt = tf.strings.lower(prompt, encoding="utf-8")
        with tf.control_dependencies(checks):
            ids = self._encode(prompt)  # (prompt,)
        logits, state = self.start(ids[None])
        drawn, _, _ = self.sample(logits, state, uniforms(seed, length), temperature)
        return {"text": tf.strings.unicode_encode(  # The characters of the ids drawn.
            tf.gather(self.code_points, drawn), "UTF-8")}

    def _encode(self, prompt: tf.Tensor) -> tf.Tensor:
        """The ids of a prompt's characters, or an error naming those the model never saw."""
        code_points = tf.strings.unicode_decode(prompt, "UTF-8")  # (characters,) int32
        ids = self.table.lookup(tf.cast(code_points, tf.int64))  # (characters,)
        unknown = tf.unique(tf.boolean_mask(code_points, ids < 0)).y
        known = tf.debugging.Assert(tf.size(unknown) == 0, [
            "The prompt holds characters never seen in training:",
            tf.strings.unicode_encode(unknown, "UTF-8"),
            "Remove or replace them; the model knows only these:", self.characters])
        with tf.control_dependencies([known]):
            return tf.identity(ids)

    def _next_logits(self, ids, state) -> dict[str, tf.Tensor]:
        logits, state = self.model.run(ids, state)  # (batch, time, num_chars), state
        return {"logits": logits, "state": state}

    def _initial_state(self, batch_size) -> dict[str, tf.Tensor]:
        return {"state": self.model.initial_state(batch_size)}
