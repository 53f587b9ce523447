"""Characters as ids (`Vocabulary`) and text generation (`generate`); no models or training here.

`generate` works with any agent that has a `vocabulary` and the two generation methods
`start_generation` and `sample` (see `CharRNNAgent` in `tfzoo.agents.char_rnn`): the agent
draws characters from its model, `generate` checks the arguments, seeds and streams. The
random numbers come from `uniforms`, which an exported text model calls inside its graph too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfzoo.errors import ConfigError
from tfzoo.validate import new_seed, number, whole_number
from tfzoo.validate import seed as checked_seed

MAX_SHOWN = 12  # Unknown characters named in an error, at most.
CHUNK = 16  # Characters drawn per call of `sample`.
CHAPTER_TEMPERATURES = (0.2, 0.5, 1.0, 1.2)  # The chapter's "diversities".


@dataclass(frozen=True)
class Vocabulary:
    """The characters a model knows, in code-point order: id `i` is `characters[i]`.

    Attributes:
        characters: Each known character once, sorted (as `sorted(set(text))` gives them).
    """

    characters: str

    def __post_init__(self) -> None:
        if not self.characters or "".join(sorted(set(self.characters))) != self.characters:
            raise ConfigError(
                f"A vocabulary is its distinct characters in sorted order, got "
                f"{self.characters[:40]!r}; build it with Vocabulary.from_text(text)."
            )

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """The vocabulary of every character that occurs in `text`."""
        if not text:
            raise ConfigError("A vocabulary needs at least one character; the text is empty.")
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.characters)

    def encode(self, text: str) -> np.ndarray:
        """The ids of `text`'s characters, shape (len(text),), int64.

        Raises:
            ConfigError: `text` holds characters the vocabulary lacks (naming them).
        """
        codes = _code_points(text)  # (characters,)
        table = _code_points(self.characters)  # (vocabulary,), sorted
        ids = np.searchsorted(table, codes)
        known = ids < len(table)
        known[known] = table[ids[known]] == codes[known]
        if not known.all():
            unknown = sorted(set(np.asarray(list(text))[~known].tolist()))
            shown = ", ".join(repr(character) for character in unknown[:MAX_SHOWN])
            more = f" and {len(unknown) - MAX_SHOWN} more" if len(unknown) > MAX_SHOWN else ""
            raise ConfigError(
                f"The text holds {len(unknown)} character(s) never seen in training: {shown}"
                f"{more}. The model knows only these {len(self)}: {self.characters[:100]!r}"
                f"{'...' if len(self) > 100 else ''}; remove or replace the others (e.g. "
                f"lower-case the text)."
            )
        return ids.astype(np.int64)

    def decode(self, ids: Any) -> str:
        """The characters of `ids` (any shape of integers in [0, len(self)))."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ConfigError(
                f"Ids span [{ids.min()}, {ids.max()}], but this vocabulary has ids "
                f"0 to {len(self) - 1} only."
            )
        return "".join(self.characters[i] for i in ids.tolist())


def generate(
    agent: Any,
    prompt: str,
    length: int = 400,
    temperature: float = 1.0,
    seed: int | None = None,
    *,
    stream: Callable[[str], Any] | None = None,
) -> str:
    """Writes `length` characters after `prompt`, sampling from `softmax(logits / temperature)`.

    As in the chapter, each character is drawn from the model's next-character distribution,
    sharpened (temperature < 1) or flattened (> 1) by `temperature`, and fed back in.

    Args:
        agent: An agent with a `vocabulary`, `start_generation(ids) -> carry` and
            `sample(carry, uniforms, temperature) -> (ids, carry)`, which draws one character
            per uniform number by the inverse of the distribution's cumulative sum (e.g. the
            `char-rnn` task's agent).
        prompt: The text to continue; every character must be in the agent's vocabulary.
        length: How many characters to write.
        temperature: > 0; small values pick the likeliest characters, large ones vary more.
        seed: Seeds the sampling (`uniforms(seed, length)`): the same seed, agent, prompt
            and temperature give the same text, here and in the run's exported artifact.
            None draws a seed.
        stream: Called with each character as soon as it is drawn (e.g. to print it).

    Returns:
        The `length` characters written (without the prompt).

    Raises:
        ConfigError: A bad `length`, `temperature` or `seed`, or an unknown prompt character.
    """
    _check_generation(prompt, length, seed)
    check_temperature(temperature)
    carry = agent.start_generation(agent.vocabulary.encode(prompt))
    numbers = uniforms(new_seed() if seed is None else seed, length)  # (length,)
    written: list[str] = []
    while len(written) < length:
        # A few characters per call into TensorFlow: cheap, and still a stream to the eye.
        chunk = numbers[len(written) : len(written) + CHUNK]
        ids, carry = agent.sample(carry, chunk, temperature)
        for character in agent.vocabulary.decode(ids):
            written.append(character)
            if stream is not None:
                stream(character)
    return "".join(written)


def uniforms(seed: Any, count: Any) -> Any:
    """`count` random numbers in [0, 1), float32, that depend on `seed` alone: counter-based
    (`tf.random.stateless_uniform`), so a graph and Python draw the same ones.

    Called with Python numbers it returns a NumPy array, inside a graph a tensor (count,).
    """
    # Imported here: the `tfzoo` command reads CHAPTER_TEMPERATURES from this module while
    # it parses, before (and often without) TensorFlow.
    import tensorflow as tf

    key = tf.stack([tf.convert_to_tensor(seed, tf.int64), tf.constant(0, tf.int64)])  # (2,)
    numbers = tf.random.stateless_uniform(tf.reshape(count, [1]), seed=key, dtype=tf.float32)
    return numbers.numpy() if tf.executing_eagerly() else numbers


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """`softmax(logits / temperature)` in float64."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    exponentials = np.exp(scaled - scaled.max())
    return exponentials / exponentials.sum()


def sample_index(logits: np.ndarray, temperature: float, uniform: float) -> int:
    """The id that `uniform` in [0, 1) picks from `softmax(logits / temperature)`."""
    cumulative = np.cumsum(softmax(logits, temperature))
    index = np.searchsorted(cumulative, uniform * cumulative[-1], side="right")
    return min(int(index), len(cumulative) - 1)


def check_temperature(temperature: Any) -> None:
    """Raises ConfigError unless `temperature` is a finite number > 0 (the chapter uses 0.2,
    0.5, 1.0 and 1.2: logits are divided by it, so 0 or less has no meaning)."""
    number("temperature", temperature, above=0)


def _check_generation(prompt: Any, length: Any, seed: Any) -> None:
    if not isinstance(prompt, str) or not prompt:
        raise ConfigError(f"prompt={prompt!r}: give at least one character of text to continue.")
    whole_number("length", length, minimum=0)
    if seed is not None:
        checked_seed(seed)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
