"""Python state that a `tf.train.Checkpoint` keeps beside an agent's variables: counters, NumPy
random generators and arrays. It does not write checkpoints; `tf.train.Checkpoint` does.

Checkpoints may come from someone else, so a restore only puts back values of the kinds it
saved (a whole number stays a whole number, a generator a generator of the same kind) and
otherwise raises a `ValueError` naming what was wrong.
"""

from __future__ import annotations

import io
import json
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from tfzoo.seeding import generator_from_state


class SavedAttributes(tf.train.experimental.PythonState):
    """A small record whose attributes a checkpoint keeps, as JSON.

    Numbers, strings and lists are saved as they are; a NumPy `Generator` by the state of its
    bit generator. A restore sets back only the attributes the record was made with.

    Example:
        >>> progress = SavedAttributes(steps=0, generator=np.random.default_rng(0))
        >>> progress.steps += 1  # An agent keeps it as an attribute; its checkpoints hold it.
    """

    def __init__(self, **attributes: Any) -> None:
        vars(self).update(attributes)
        self._saved_names = tuple(attributes)  # Not the tracking attributes TensorFlow adds.

    def serialize(self) -> str:
        """The attributes as JSON (called by `tf.train.Checkpoint` when saving)."""
        return json.dumps({name: _to_json(getattr(self, name)) for name in self._saved_names})

    def deserialize(self, string: bytes | str) -> None:
        """Sets the attributes from JSON (called by `tf.train.Checkpoint` on restore)."""
        saved, names = json.loads(string), self._saved_names
        if not isinstance(saved, dict) or set(saved) != set(names):
            keys = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
            raise ValueError(f"The checkpoint holds {keys}, not the expected {sorted(names)}: "
                             f"it was written by another agent or damaged.")
        restored = {name: _from_json(name, getattr(self, name), saved[name]) for name in names}
        vars(self).update(restored)  # All at once, after every value passed its check.


class SavedArrays(tf.train.experimental.PythonState):
    """NumPy arrays a checkpoint keeps, as compressed `.npz` bytes, from and to their owner.

    Args:
        save: Returns the arrays (and numbers) to save, by name.
        restore: Takes them back, by name, when a checkpoint is read; raises `ValueError` if
            they do not fit.
    """

    def __init__(self, save: Callable[[], dict[str, Any]],
                 restore: Callable[[dict[str, np.ndarray]], None]) -> None:
        self.save, self.restore = save, restore

    def serialize(self) -> bytes:
        """The arrays as `.npz` bytes (called by `tf.train.Checkpoint` when saving)."""
        file = io.BytesIO()
        np.savez_compressed(file, **self.save())
        return file.getvalue()

    def deserialize(self, string: bytes) -> None:
        """Hands the arrays to `restore` (called by `tf.train.Checkpoint` on restore)."""
        with np.load(io.BytesIO(string), allow_pickle=False) as saved:
            self.restore({name: saved[name] for name in saved.files})


def _to_json(value: Any) -> Any:
    return value.bit_generator.state if isinstance(value, np.random.Generator) else value


def _from_json(name: str, current: Any, saved: Any) -> Any:
    """`saved` as the kind of value `current` is, or a ValueError naming `name`."""
    if isinstance(current, np.random.Generator):
        kind = type(current.bit_generator).__name__
        if not isinstance(saved, dict) or saved.get("bit_generator") != kind:
            raise ValueError(f"The checkpoint's {name} is not a {kind} generator state.")
        return generator_from_state(saved, name)
    kinds = (numbers.Integral if isinstance(current, numbers.Integral) else type(current),)
    if isinstance(saved, bool) != isinstance(current, bool) or not isinstance(saved, kinds):
        raise ValueError(f"The checkpoint's {name}={saved!r} is not of type "
                         f"{type(current).__name__}.")
    return saved
