"""The task `mountaincar-dqn`: Gymnasium's MountainCar-v0, as it is (this module only makes it).

An underpowered car in a valley must rock back and forth to reach the flag on the right hill;
every step costs -1, so the return is minus the steps taken (at most 200). Random one-step
actions rarely build enough momentum to get there, which is what makes it a test of
exploration: the `mountaincar-dqn` preset holds its random actions for several steps.
"""

from __future__ import annotations

import gymnasium


def make_mountain_car(*, render_mode: str | None = None) -> gymnasium.Env:
    """Gymnasium's MountainCar-v0 (episodes of at most 200 steps, solved at a return of -110).

    Args:
        render_mode: "rgb_array" to record frames, "human" to watch in a window (needs
            pygame: pip install 'tfzoo[render]'), or None.
    """
    return gymnasium.make("MountainCar-v0", render_mode=render_mode)
