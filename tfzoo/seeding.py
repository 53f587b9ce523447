"""Seeding, and the random states a checkpoint keeps so a resumed run draws what it would have.

This covers the process-wide generators (Python, NumPy) and a task's own (its `np_random`
and its spaces'). Agents keep their own generators as variables, which their checkpoints
hold; TensorFlow's op-level seeds cannot be saved, so agents do not rely on them.
"""

from __future__ import annotations

import random
from typing import Any

import gymnasium
import keras
import numpy as np

MAX_SEED = 2**32 - 1


def seed_everything(seed: int, task: gymnasium.Env | None = None) -> None:
    """Seeds Python, NumPy, TensorFlow and Keras, and the spaces of `task` if given.

    The task itself is seeded by the loop's first `reset(seed=seed)`, as Gymnasium intends.
    """
    keras.utils.set_random_seed(seed)
    if task is not None:
        seed_spaces(task, seed)


def seed_spaces(task: gymnasium.Env, seed: int) -> None:
    """Seeds the action and observation spaces of `task` (their `sample()` draws)."""
    task.action_space.seed(seed)
    task.observation_space.seed(seed + 1)


def capture(task: gymnasium.Env) -> dict[str, Any]:
    """The current states of Python's, NumPy's and `task`'s random generators."""
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "task": _task_state(task),
        "action_space": _space_state(task.action_space),
        "observation_space": _space_state(task.observation_space),
    }


def restore(task: gymnasium.Env, states: dict[str, Any]) -> None:
    """Puts back states from `capture`, also after a round trip through JSON.

    Raises:
        ValueError: `states` is not of the form `capture` gives (see `check`).
    """
    check(states)
    random.setstate(_as_tuple(states["python"]))
    kind, keys, position, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, np.uint32), position, has_gauss, gauss))
    if isinstance(task, gymnasium.vector.VectorEnv):  # One generator per sub-environment.
        task.set_attr("np_random", [generator_from_state(state) for state in states["task"]])
    else:
        task.unwrapped.np_random = generator_from_state(states["task"])
    for name in ("action_space", "observation_space"):
        if states.get(name) is not None:
            getattr(task, name)._np_random = generator_from_state(states[name], name)


def to_json(value: Any) -> Any:
    """Random states as JSON-ready values: arrays and NumPy scalars become lists and numbers."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_json(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _task_state(task: gymnasium.Env) -> Any:
    """The state of the task's generator, or a list of them for a vector of environments."""
    if isinstance(task, gymnasium.vector.VectorEnv):
        return [generator.bit_generator.state for generator in task.np_random]
    return task.unwrapped.np_random.bit_generator.state


def _space_state(space: gymnasium.Space) -> dict[str, Any] | None:
    # A space creates its generator only when first sampled or seeded.
    generator = getattr(space, "_np_random", None)
    return None if generator is None else generator.bit_generator.state


def check(states: Any) -> None:
    """Raises ValueError, naming the field, unless `states` has the form `capture` gives:
    each generator one of `BIT_GENERATORS` (never a name looked up elsewhere) and Python's
    and NumPy's global states in their own formats. States come from files."""
    if not isinstance(states, dict) or not {"python", "numpy", "task"} <= set(states):
        raise ValueError("the random states are not a dict with 'python', 'numpy' and 'task'")
    python = states["python"]
    if not (isinstance(python, list) and len(python) == 3 and python[0] == 3
            and isinstance(python[1], list) and len(python[1]) == 625
            and all(isinstance(word, int) for word in python[1])
            and (python[2] is None or isinstance(python[2], float))):
        raise ValueError("the random state 'python' is not in the format of random.getstate()")
    kind = states["numpy"][0] if isinstance(states["numpy"], list) and states["numpy"] else None
    if kind != "MT19937":
        raise ValueError(f"the random state 'numpy' is of kind {kind!r}, not 'MT19937'")
    tasks = states["task"] if isinstance(states["task"], list) else [states["task"]]
    for field, state in [*(("task", state) for state in tasks),
                         ("action_space", states.get("action_space")),
                         ("observation_space", states.get("observation_space"))]:
        if state is not None or field == "task":
            _bit_generator(state, field)


# The bit generators a saved state may name; a name is only ever looked up in this dict.
BIT_GENERATORS = {kind.__name__: kind for kind in (
    np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64)}


def _bit_generator(state: Any, field: str) -> type[np.random.BitGenerator]:
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        raise ValueError(f"the random state {field!r} names the bit generator {name!r}, not "
                         f"one of {', '.join(BIT_GENERATORS)}")
    return BIT_GENERATORS[name]


def generator_from_state(state: Any, field: str = "task") -> np.random.Generator:
    """A NumPy generator in the saved `state`, whose bit generator is one of `BIT_GENERATORS`;
    a ValueError names `field` otherwise."""
    generator = np.random.Generator(_bit_generator(state, field)())
    generator.bit_generator.state = state
    return generator


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(item) for item in value) if isinstance(value, list) else value
