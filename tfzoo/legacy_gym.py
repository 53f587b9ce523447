"""`from_gym`: an environment of the legacy `gym` package as a Gymnasium one that tfzoo trains on.

It adapts both of gym's APIs: the old one (`reset()` returns the observation, `step` a
4-tuple with one `done` flag) and gym 0.26's (`reset` returns `(observation, info)`, `step`
a 5-tuple), and it runs under NumPy 2. It does not make gym itself installable: that is
the `gym` extra (`pip install 'tfzoo[gym]'`).
"""

from __future__ import annotations

import inspect
from typing import Any

import gymnasium
import numpy as np
from gymnasium.utils.step_api_compatibility import convert_to_terminated_truncated_step_api


class GymEnvironment(gymnasium.Env):
    """A `gym.Env` (old or 0.26 API) behind Gymnasium's API.

    Old-API episodes that end at a time limit carry `info["TimeLimit.truncated"]` (set by
    gym's `TimeLimit`), which becomes `truncated`; any other `done` becomes `terminated`.

    Args:
        env: An environment from the `gym` package, or any object with its API.
    """

    def __init__(self, env: Any) -> None:
        self.env = env
        self.observation_space = convert_space(env.observation_space)
        self.action_space = convert_space(env.action_space)
        self.metadata = dict(getattr(env, "metadata", None) or {"render_modes": []})
        self.render_mode = getattr(env, "render_mode", None)
        self._reset_takes_seed = _takes_keyword(env.reset, "seed")
        _skip_numpy1_step_check(env)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Resets the gym environment; old-API ones are seeded with `env.seed(seed)`."""
        super().reset(seed=seed)
        if self._reset_takes_seed:
            result = self.env.reset(seed=seed, options=options)
        else:
            if seed is not None and hasattr(self.env, "seed"):
                self.env.seed(seed)
            result = self.env.reset()
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
            return result[0], dict(result[1])  # gym 0.26: (observation, info).
        return result, {}

    def step(self, action: Any):
        """Steps the gym environment and returns Gymnasium's 5-tuple."""
        result = convert_to_terminated_truncated_step_api(self.env.step(action))
        observation, reward, terminated, truncated, info = result
        return observation, float(reward), bool(terminated), bool(truncated), dict(info)

    def render(self) -> Any:
        """The gym environment's `render()` (its render mode is set when it is made)."""
        return self.env.render()

    def close(self) -> None:
        """Closes the gym environment."""
        self.env.close()


def from_gym(env: Any) -> GymEnvironment:
    """Wraps an environment of the `gym` package so tfzoo (and Gymnasium) can use it.

    Example:
        >>> import gym, tfzoo
        >>> task = tfzoo.from_gym(gym.make("CartPole-v1"))
        >>> agent = tfzoo.make_agent("dqn", task)
    """
    for name in ("reset", "step", "observation_space", "action_space"):
        if not hasattr(env, name):
            raise TypeError(
                f"from_gym takes an environment of the gym package; {type(env).__name__} "
                f"has no {name!r}. A Gymnasium environment needs no wrapping: use it as it is."
            )
    return GymEnvironment(env)


def convert_space(space: Any) -> gymnasium.Space:
    """The Gymnasium space equal to a `gym` space (Box, Discrete, MultiDiscrete,
    MultiBinary, Tuple, Dict)."""
    kind = type(space).__name__
    if kind == "Box":
        return gymnasium.spaces.Box(space.low, space.high, space.shape, space.dtype)
    if kind == "Discrete":
        return gymnasium.spaces.Discrete(int(space.n), start=int(getattr(space, "start", 0)))
    if kind == "MultiDiscrete":
        return gymnasium.spaces.MultiDiscrete(np.asarray(space.nvec), dtype=space.dtype)
    if kind == "MultiBinary":
        return gymnasium.spaces.MultiBinary(space.n)
    if kind == "Tuple":
        return gymnasium.spaces.Tuple([convert_space(item) for item in space.spaces])
    if kind == "Dict":
        return gymnasium.spaces.Dict({key: convert_space(item)
                                      for key, item in space.spaces.items()})
    raise TypeError(f"from_gym cannot convert the gym space {space!r} ({kind}); it converts "
                    "Box, Discrete, MultiDiscrete, MultiBinary, Tuple and Dict.")


def _skip_numpy1_step_check(env: Any) -> None:
    """Turns off gym's own check of the first `step`, which fails under NumPy 2.

    `gym.make` wraps every environment in gym's `PassiveEnvChecker`, whose check of the
    first step tests `isinstance(done, np.bool8)`: NumPy 2 removed `np.bool8`, so the
    first step raises AttributeError. Marking the check as done skips only that check;
    Gymnasium's `check_env` covers the same ground on the adapted environment.
    """
    layer, seen = env, set()
    while layer is not None and id(layer) not in seen:
        seen.add(id(layer))
        if type(layer).__name__ == "PassiveEnvChecker":
            layer.checked_step = True
        layer = getattr(layer, "env", None)


def _takes_keyword(function: Any, name: str) -> bool:
    """Whether `function` accepts the keyword `name` (directly or through **kwargs)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(parameter.name == name or parameter.kind is parameter.VAR_KEYWORD
               for parameter in parameters)
