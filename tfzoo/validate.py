"""The shared checks of settings: whole numbers, numbers in a range, seeds, and field types.

Each returns the value it checked, or raises an error that names the setting, the value and
what it must be. Validation only: what a setting means is its owner's business.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import secrets
import typing
from typing import Any

from tfzoo.config import describe, matches
from tfzoo.errors import ConfigError

MAX_SEED = 2**32 - 1


def whole_number(
    name: str, value: Any, *, minimum: int = 1, maximum: int | None = None,
    optional: bool = False, error: type[Exception] = ConfigError,
) -> int | None:
    """`value` if it is a whole number from `minimum` to `maximum` (or None, if `optional`).

    Raises:
        `error`: Naming `name`, e.g. "num_envs=0 must be a whole number >= 1.".
    """
    if value is None and optional:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum
            or (maximum is not None and value > maximum)):
        bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise error(f"{name}={value!r} must be a whole number {bounds}"
                    f"{' or None' if optional else ''}.")
    return int(value)


def whole_numbers(name: str, values: Any, *, minimum: int = 1) -> tuple[int, ...]:
    """`values` as a tuple if it is a non-empty sequence of whole numbers >= `minimum`.

    Raises:
        ConfigError: Naming `name`, e.g. "hidden_sizes=() must be one or more whole numbers".
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values:
        raise ConfigError(f"{name}={values!r} must be one or more whole numbers >= {minimum}, "
                          f"e.g. (64, 64).")
    return tuple(whole_number(f"{name}[{index}]", value, minimum=minimum)
                 for index, value in enumerate(values))


def number(
    name: str, value: Any, *, above: float | None = None, minimum: float | None = None,
    maximum: float | None = None, below: float | None = None, optional: bool = False,
    error: type[Exception] = ConfigError,
) -> float | None:
    """`value` if it is a finite real number within the bounds given (or None, if `optional`).

    `above` and `below` are open bounds, `minimum` and `maximum` closed ones.

    Raises:
        `error`: Naming `name`, e.g. "tau=0.0 must be a number > 0 and <= 1.".
    """
    if value is None and optional:
        return None
    bounds = [(above, ">", lambda v, b: v > b), (minimum, ">=", lambda v, b: v >= b),
              (maximum, "<=", lambda v, b: v <= b), (below, "<", lambda v, b: v < b)]
    real = (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))
    if not real or not all(test(value, bound) for bound, _, test in bounds if bound is not None):
        wanted = " and ".join(f"{sign} {bound:g}" for bound, sign, _ in bounds if bound is not None)
        raise error(f"{name}={value!r} must be a {'finite ' if not wanted else ''}number"
                    f"{' ' + wanted if wanted else ''}{' or None' if optional else ''}.")
    return float(value)


def check_types(config: Any) -> None:
    """Raises ConfigError if a field of the dataclass `config` does not fit its type hint,
    e.g. `DQNConfig(loss="mae")` where `loss` takes one of 'huber', 'mse'."""
    hints = typing.get_type_hints(type(config))
    for item in dataclasses.fields(config):
        value = getattr(config, item.name)
        if not matches(value, hints[item.name]):
            raise ConfigError(f"{type(config).__name__}: {item.name}={value!r} does not fit; "
                              f"{item.name} takes {describe(hints[item.name])}.")


def seed(value: Any, name: str = "seed") -> int:
    """`value` if it is a seed: a whole number from 0 to `MAX_SEED`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or \
            not 0 <= value <= MAX_SEED:
        raise ConfigError(f"{name}={value!r} is not a seed; pass a whole number from 0 to "
                          f"{MAX_SEED}.")
    return int(value)


def new_seed() -> int:
    """A seed from the operating system's randomness, for a run given none (it records it)."""
    return secrets.randbelow(2**31)
