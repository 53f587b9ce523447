"""`make_vec`: copies of a registered task stepped together, as one Gymnasium vector environment.

It is a factory on top of the registry (`tfzoo.make`); stepping them is the loop's job.
"""

from __future__ import annotations

import functools
from typing import Any

import gymnasium
from gymnasium.vector import AutoresetMode

from tfzoo.errors import ConfigError
from tfzoo.registration import make
from tfzoo.validate import whole_number


def make_vec(
    task_id: str, num_envs: int, *, vectorization_mode: str = "sync", **overrides: Any
) -> gymnasium.vector.VectorEnv:
    """`num_envs` copies of the task `task_id` (made by `tfzoo.make` with `overrides`) as one.

    Like `gymnasium.make_vec`, but for tfzoo ids too. A sub-environment that ends an
    episode is reset in the same step (Gymnasium's `SAME_STEP` autoreset): `step` returns
    the first observation of its next episode and `info["final_obs"]` the last of the one
    that ended, which is the observation a transition must end on.

    Args:
        task_id: A registered tfzoo id, or a Gymnasium id.
        num_envs: How many copies, >= 1.
        vectorization_mode: "sync" (one process, stepped in turn; best for cheap
            environments such as CartPole) or "async" (one process per copy).
    """
    whole_number("num_envs", num_envs)
    classes = {"sync": gymnasium.vector.SyncVectorEnv, "async": gymnasium.vector.AsyncVectorEnv}
    if vectorization_mode not in classes:
        raise ConfigError(f"vectorization_mode={vectorization_mode!r} must be 'sync' or 'async'.")
    make_one = functools.partial(make, task_id, **overrides)
    return classes[vectorization_mode]([make_one] * num_envs,
                                       autoreset_mode=AutoresetMode.SAME_STEP)
