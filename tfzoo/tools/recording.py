"""Recording an agent: one greedy episode drawn into a GIF.

This is what `tfzoo play` calls. It draws nothing itself: frames come from the task's
`render_mode="rgb_array"`, and the GIF is written with Pillow (`pip install 'tfzoo[render]'`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import gymnasium
import numpy as np

from tfzoo.core import Agent
from tfzoo.errors import ConfigError
from tfzoo.files import atomic_path
from tfzoo.loop import evaluation_returns

RENDER_EXTRA = "pip install 'tfzoo[render]'"


def record(agent: Agent, task: gymnasium.Env, path: str | os.PathLike, *,
           seed: int | None = None) -> tuple[float, int]:
    """Plays one greedy episode of `task` (made with `render_mode="rgb_array"`) into a GIF.

    Returns:
        The episode's return and the number of frames written.

    Raises:
        ConfigError: The task does not draw frames, the path is not a .gif, or pygame or
            Pillow is missing.
    """
    if Path(path).suffix.lower() != ".gif":
        raise ConfigError(f"--record {str(path)!r}: recordings are GIFs; name the file *.gif.")
    if task.render_mode != "rgb_array":
        raise ConfigError(f"The task's render_mode is {task.render_mode!r}; make it with "
                          "render_mode='rgb_array' to record it.")
    collector = gymnasium.wrappers.RenderCollection(task)
    try:
        (episode_return,) = evaluation_returns(agent, collector, episodes=1, seed=seed)
        frames = collector.render()
    except gymnasium.error.DependencyNotInstalled as error:
        raise ConfigError(f"Drawing the task's frames needs pygame ({error}); "
                          f"{RENDER_EXTRA}.") from None
    write_gif(frames, path, fps=task.metadata.get("render_fps") or 30)
    return episode_return, len(frames)


def write_gif(frames: Sequence[np.ndarray], path: str | os.PathLike, *, fps: float = 30) -> None:
    """Writes (height, width, 3) uint8 frames as a looping GIF, atomically."""
    try:
        from PIL import Image
    except ImportError:
        raise ConfigError(f"Writing a GIF needs Pillow; {RENDER_EXTRA}.") from None
    if not frames:
        raise ValueError("No frames to write.")
    images = [Image.fromarray(np.asarray(frame, np.uint8)) for frame in frames]
    with atomic_path(path) as temporary:
        images[0].save(temporary, format="GIF", save_all=True, append_images=images[1:],
                       duration=round(1000 / fps), loop=0)
