"""The bridge to Gymnasium's registry: each tfzoo task is also Gymnasium's "tfzoo/<id>", and a
Gymnasium id that tfzoo does not register is made by `gymnasium.make`.

It knows nothing of tfzoo's specs; the registry (`tfzoo.registration`) calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium
from gymnasium.envs.registration import EnvSpec

from tfzoo.errors import ConfigError, did_you_mean

NAMESPACE = "tfzoo"  # Each tfzoo task is also Gymnasium's "tfzoo/<id>".


def register_in_gymnasium(
    id: str, make_task: Callable[..., gymnasium.Env], reward_threshold: float | None
) -> None:
    """Registers "tfzoo/<id>" in Gymnasium's registry, made by `make_task`.

    `gymnasium.make("tfzoo/mnist-cnn", preset="handbook")` then calls `make_task` and adds
    Gymnasium's usual wrappers (its environment checker and order enforcing).
    """
    gymnasium.register(f"{NAMESPACE}/{id}", entry_point=make_task,
                       reward_threshold=reward_threshold)


def unregister_from_gymnasium(id: str) -> None:
    """Takes "tfzoo/<id>" out of Gymnasium's registry again."""
    gymnasium.registry.pop(f"{NAMESPACE}/{id}", None)


def tfzoo_id(id: str) -> str | None:
    """The tfzoo id in a Gymnasium name "tfzoo/<id>", or None for any other name."""
    namespace, _, name = id.partition("/")
    return name if namespace == NAMESPACE else None


def is_gymnasium_id(id: str) -> bool:
    """Whether Gymnasium's registry has `id` (e.g. "MountainCar-v0")."""
    return id in gymnasium.registry


def reward_threshold(id: str) -> float | None:
    """The return at which Gymnasium counts its environment `id` as solved."""
    return gymnasium.spec(id).reward_threshold


def close_ids(id: str) -> str:
    """'; did you mean ...?' for the Gymnasium ids closest to `id`, or '.' if none is close."""
    close = did_you_mean(id, gymnasium.registry).replace(" Did you", "; did you")
    return close or "."


def environment_maker(id: str) -> Callable[..., gymnasium.Env]:
    """A function making Gymnasium's environment `id` with the keyword arguments it is given."""

    def make_environment(**kwargs: Any) -> gymnasium.Env:
        try:
            return gymnasium.make(id, **kwargs)
        except TypeError as error:  # A setting the environment does not take.
            raise ConfigError(f"Gymnasium's {id} cannot be made with {kwargs}: {error}. "
                              f"Pass only arguments its constructor takes.") from None

    return make_environment


def with_spec(
    task: gymnasium.Env, id: str, entry_point: Any, kwargs: Mapping[str, Any],
    max_episode_steps: int | None, reward_threshold: float | None,
) -> gymnasium.Env:
    """`task` with its Gymnasium `EnvSpec` and, given a limit, in `TimeLimit`, as
    `gymnasium.make` returns its environments."""
    task.unwrapped.spec = EnvSpec(
        id=id, entry_point=entry_point, kwargs=dict(kwargs),
        max_episode_steps=max_episode_steps, reward_threshold=reward_threshold,
    )
    if max_episode_steps is not None:
        task = gymnasium.wrappers.TimeLimit(task, max_episode_steps)
    return task
