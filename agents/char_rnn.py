"""`CharRNNAgent`: a `SupervisedAgent` for character models that also writes text.

It learns like any supervised agent; in addition it keeps the task's `Vocabulary` in its
checkpoints, measures cross-entropy on a split, and draws characters for `tfzoo.generate`
through `TextGenerator`, the module its export writes. The generation loop, seeding and
streaming are not here: they live in `tfzoo.text.generate`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium
import keras
import numpy as np
import tensorflow as tf

from tfzoo.agents.optimizers import budget_schedule, make_loss, make_optimizer
from tfzoo.agents.supervised import SupervisedAgent, SupervisedConfig
from tfzoo.compiled import Compiled
from tfzoo.config import load, parameter_hints
from tfzoo.errors import ConfigError, ExportError, RunDirectoryError
from tfzoo.models import make_model, model_spec
from tfzoo.models.char_rnn import RNN, TextGenerator
from tfzoo.text import Vocabulary, sample_index
from tfzoo.validate import number, whole_number

MODEL_SETTINGS = ("units", "layers", "embedding_size", "dropout")
VOCABULARY_KEY = "agent/vocabulary_characters/.ATTRIBUTES/VARIABLE_VALUE"


@dataclass
class CharRNNConfig(SupervisedConfig):
    """Settings of `CharRNNAgent`: those of `SupervisedConfig` and the model's size."""

    model: str = "char-lstm"
    """A character model from `tfzoo.model_registry`: "rnn" (the chapter's `RNN` as
    written), "rnn-fast" (the same numbers faster; both predict the last character only)
    or "char-lstm" (`CharLSTM`, every position)."""

    units: int = 256
    """Units of each LSTM layer."""

    layers: int = 1
    """LSTM layers, for "char-lstm"."""

    embedding_size: int = 64
    """Size of the character embedding, for "char-lstm"."""

    dropout: float = 0.0
    """Dropout after each LSTM layer in training, for "char-lstm"."""


class CharRNNAgent(SupervisedAgent):
    """Learns a character model from a `char-rnn` task and writes text with it.

    The vocabulary is a string variable of the agent, so every checkpoint holds it; a
    checkpoint made with another vocabulary (another text) is refused when restored, since
    its ids would name other characters.

    Args:
        model: A character model (`RNN`, `FastRNN` or `CharLSTM`), or a function
            returning one.
        optimizer, loss, observation_space, action_space, jit_predictions, strategy,
            divergence_factor, learning_rate_schedule: As for `SupervisedAgent`.
        vocabulary: The task's vocabulary.
    """

    writes_text = True  # `start_generation` and `sample` below: tfzoo.generate writes with them.

    def __init__(
        self,
        model: keras.Model | Callable[[], keras.Model],
        optimizer: keras.optimizers.Optimizer,
        loss: Any,
        *,
        observation_space: gymnasium.Space,
        action_space: gymnasium.Space,
        vocabulary: Vocabulary,
        jit_predictions: bool = False,
        strategy: str | tf.distribute.Strategy | None = None,
        divergence_factor: float | None = 1e4,
        learning_rate_schedule: keras.optimizers.schedules.LearningRateSchedule | None = None,
    ) -> None:
        super().__init__(model, optimizer, loss, observation_space=observation_space,
                         action_space=action_space, jit_predictions=jit_predictions,
                         strategy=strategy, divergence_factor=divergence_factor,
                         learning_rate_schedule=learning_rate_schedule)
        self.vocabulary = vocabulary
        self.vocabulary_characters = tf.Variable(vocabulary.characters, trainable=False)
        targets = tf.TensorSpec((None, *action_space.shape[1:]), tf.int64)
        self._nats = Compiled(self._nats_eagerly, [self._inputs, targets])
        # Generation: the fast model carries its state; the chapter's re-reads its window.
        self._start = self._sample = None  # A `TextGenerator`'s, compiled when first needed.
        self._full_window_logits = Compiled(lambda window: self.model(window)[0], [self._inputs])

    def verify_checkpoint(self, path: str) -> None:
        """Refuses a checkpoint trained on another text, before any weight is restored."""
        try:
            saved = tf.train.load_checkpoint(path).get_tensor(VOCABULARY_KEY).decode("utf-8")
        except (tf.errors.OpError, ValueError) as error:
            raise RunDirectoryError(
                f"The checkpoint {path} holds no char-rnn vocabulary ({type(error).__name__}: "
                f"{str(error).splitlines()[0]}): it is damaged or from another agent. Restore "
                f"a checkpoint written by a char-rnn agent."
            ) from None
        if saved != self.vocabulary.characters:
            raise RunDirectoryError(
                f"The checkpoint {path} was trained on a text with {len(saved)} distinct "
                f"characters ({saved[:60]!r}), but this task's text has "
                f"{len(self.vocabulary)} ({self.vocabulary.characters[:60]!r}): its ids would "
                f"name other characters. Point the task at the text it was trained on "
                f"(text_path=, data_dir=)."
            )

    def evaluation_metrics(self, task: gymnasium.Env) -> dict[str, float]:
        """Cross-entropy of the model on `task`'s whole split, in nats and bits per character."""
        self.build()
        task = task.unwrapped
        total, count = 0.0, 0
        for start in range(0, len(task.inputs), task.batch_size):
            inputs = task.inputs[start : start + task.batch_size]
            targets = task.targets[start : start + task.batch_size]
            total += float(self._nats(inputs, targets))
            count += targets.size
        nats = total / count
        return {"nats_per_char": nats, "bits_per_char": nats / math.log(2)}

    def export_module(self, task: gymnasium.Env) -> TextGenerator:
        """The model and its vocabulary as a `TextGenerator`, which writes text inside its
        graph (`generate`, `next_logits`), as `tfzoo export` writes it; see
        `Agent.export_module`. It draws exactly what `tfzoo.generate` draws with this agent.

        Raises:
            ExportError: The model is the chapter's `RNN` (or `FastRNN`), which re-reads a
                fixed window for every character instead of carrying its state.
        """
        self.build()
        if isinstance(self.model, RNN):
            raise ExportError(
                f"This run's model, the chapter's {type(self.model).__name__}, cannot be "
                f"exported: it reads a fixed window of {self._inputs.shape[1]} characters "
                f"again for each one it writes, which a generating graph cannot carry. Export a "
                f"run of model='char-lstm' (the default preset), which carries its state; "
                f"`tfzoo generate RUN_DIR` still writes text with this one.")
        return TextGenerator(self.model, self.vocabulary.characters,
                             lowercase=getattr(task.unwrapped, "lowercase", False))

    def start_generation(self, ids: np.ndarray) -> Any:
        """Reads a prompt's ids; returns the carry that `sample` continues from."""
        self.build()
        ids = np.asarray(ids, np.int64)[None]  # (1, prompt)
        if isinstance(self.model, RNN):
            return ids[:, -self._inputs.shape[1]:]  # The chapter's model re-reads its window.
        if self._start is None:
            # The exported artifact's own functions: the same graph writes the same text.
            generator = TextGenerator(self.model, self.vocabulary.characters)
            state = tf.TensorSpec((2 * self.model.layer_count, 1, self.model.units), tf.float32)
            self._start = Compiled(generator.start, [tf.TensorSpec((1, None), tf.int64)])
            self._sample = Compiled(generator.sample, [
                tf.TensorSpec((len(self.vocabulary),), tf.float32), state,
                tf.TensorSpec((None,), tf.float32), tf.TensorSpec((), tf.float32)])
        return self._start(ids)  # logits (num_chars,), state (layers * 2, 1, units)

    def sample(
        self, carry: Any, uniforms: np.ndarray, temperature: float
    ) -> tuple[np.ndarray, Any]:
        """Draws `len(uniforms)` characters, each from `softmax(logits / temperature)` at one
        uniform number in [0, 1); returns their ids and the carry to continue from."""
        if isinstance(self.model, RNN):
            # The chapter's way: slide the window and read all of it again, per character.
            window, ids = carry, []
            for uniform in uniforms:
                ids.append(sample_index(self._window_logits(window).numpy(), temperature, uniform))
                window = np.concatenate([window, [[ids[-1]]]], axis=1)[:, -self._inputs.shape[1]:]
            return np.array(ids, np.int64), window
        ids, logits, state = self._sample(*carry, uniforms, temperature)
        return ids.numpy(), (logits, state)

    def _window_logits(self, window: np.ndarray) -> tf.Tensor:
        if window.shape[1] < self._inputs.shape[1]:
            return self.model(window)[0]  # A short prompt's first windows: run eagerly.
        return self._full_window_logits(window)  # (num_chars,)

    def _nats_eagerly(self, inputs: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        outputs = self.model(inputs, training=False)
        return tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(
            targets, outputs, from_logits=True
        ))


def build(task: gymnasium.Env, config: CharRNNConfig) -> CharRNNAgent:
    """Builds a `CharRNNAgent` for a `char-rnn` task from `config` (the registry's entry point)."""
    vocabulary = getattr(task.unwrapped, "vocabulary", None)
    if not isinstance(vocabulary, Vocabulary):
        raise ConfigError(
            f"The char-model agent needs a task with a `vocabulary` (such as 'char-rnn'); "
            f"{type(task.unwrapped).__name__} has none."
        )
    return CharRNNAgent(
        model_builder(config, len(vocabulary), every_position=bool(task.action_space.shape[1:])),
        make_optimizer(config), make_loss(config.loss, classify=True),
        observation_space=task.observation_space, action_space=task.action_space,
        vocabulary=vocabulary, jit_predictions=config.jit_predictions,
        strategy=config.strategy, divergence_factor=config.divergence_factor,
        learning_rate_schedule=budget_schedule(config),
    )


def model_builder(config: CharRNNConfig, num_chars: int, every_position: bool):
    """The function building the model `config` names, checked against the task's target.

    The model gets those of `units`, `layers`, `embedding_size` and `dropout` that its
    constructor takes: the chapter's `RNN` has only `units`.
    """
    _check_sizes(config)
    model_class = load(model_spec(config.model).entry_point)
    if getattr(model_class, "every_position", None) is None:
        raise ConfigError(f"model={config.model!r} is not a character model; use 'rnn', "
                          f"'rnn-fast' or 'char-lstm'.")
    if model_class.every_position != every_position:
        target = "all" if model_class.every_position else "last"
        raise ConfigError(
            f"model={config.model!r} goes with target={target!r}: pass that target, or a "
            f"model for this one ('char-lstm' for target='all', 'rnn-fast' for 'last')."
        )
    accepted = parameter_hints(model_class)
    settings = {name: getattr(config, name) for name in MODEL_SETTINGS if name in accepted}
    return functools.partial(make_model, config.model, num_chars=num_chars, **settings)


def _check_sizes(config: CharRNNConfig) -> None:
    for name in ("units", "layers", "embedding_size"):
        whole_number(name, getattr(config, name))
    number("dropout", config.dropout, minimum=0, below=1)
