"""Galleries of what a trained agent does: a grid of classified images, or the text it writes.

`tfzoo play RUN_DIR --record FILE` writes one for every kind of task: this module makes the
image grid (`classification_gallery`, mistakes first) and the text (`text_gallery`); RL
tasks are recorded as GIFs by `tfzoo.tools.recording`. Pictures are drawn with matplotlib
(the `plot` extra) and every file is written atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from tfzoo.core import Agent
from tfzoo.errors import ConfigError
from tfzoo.files import atomic_path
from tfzoo.text import CHAPTER_TEMPERATURES, check_temperature, generate
from tfzoo.tools.recording import RENDER_EXTRA
from tfzoo.validate import whole_number


def classify_split(agent: Agent, task: gymnasium.Env, *, seed: int | None = None):
    """One greedy pass over a supervised classification task's split.

    Returns:
        (inputs, predictions, targets) of every sample of the split, in the order seen.
    """
    inputs, predictions, targets = [], [], []
    observation, _ = task.reset(seed=seed)
    done = False
    while not done:
        action = agent.act(observation, explore=False)
        next_observation, _, terminated, truncated, info = task.step(action)
        valid = info["valid"]  # The last batch is padded with samples seen already.
        inputs.append(observation[:valid])
        predictions.append(np.asarray(action)[:valid])
        targets.append(info["target"][:valid])
        observation, done = next_observation, terminated or truncated
    return np.concatenate(inputs), np.concatenate(predictions), np.concatenate(targets)


def classification_gallery(
    agent: Agent, task: gymnasium.Env, path: str | os.PathLike, *, count: int = 64,
    seed: int | None = None,
) -> dict[str, Any]:
    """A PNG grid of `count` images of the task's split, each titled "predicted / true",
    mistakes first (in red), then correct ones.

    Returns:
        {"accuracy", "mistakes", "shown", "samples"} of the pass it drew from.
    """
    _check_suffix(path, ".png", "an image grid")
    whole_number("count", count)
    inputs, predictions, targets = classify_split(agent, task, seed=seed)
    wrong = np.flatnonzero(predictions != targets)
    shown = np.concatenate([wrong, np.flatnonzero(predictions == targets)])[:count]
    figure = _figure(len(shown))
    columns = min(len(shown), 8)
    for cell, index in enumerate(shown):
        axis = figure.add_subplot(math.ceil(len(shown) / columns), columns, cell + 1)
        axis.imshow(inputs[index].reshape(28, 28) if inputs[index].size == 784
                    else inputs[index], cmap="gray_r")
        mistake = predictions[index] != targets[index]
        axis.set_title(f"{predictions[index]} / {targets[index]}", fontsize=8,
                       color="red" if mistake else "black")
        axis.set_axis_off()
    accuracy = float(np.mean(predictions == targets))
    figure.suptitle(f"predicted / true — {len(wrong)} mistakes in {len(targets)} "
                    f"(accuracy {accuracy:.4f}); mistakes first", fontsize=10)
    with atomic_path(path, suffix=".png") as temporary:
        figure.savefig(temporary, dpi=100, format="png")
    return {"accuracy": accuracy, "mistakes": int(len(wrong)), "shown": int(len(shown)),
            "samples": int(len(targets))}


def text_gallery(
    agent: Any, path: str | os.PathLike, prompt: str, *, length: int = 400,
    temperatures: Sequence[float] = CHAPTER_TEMPERATURES, seed: int | None = None,
) -> dict[float, str]:
    """Writes `length` characters after `prompt` at each temperature into a text file, one
    block per temperature as the chapter prints them.

    Returns:
        {temperature: the text written}.
    """
    _check_suffix(path, ".txt", "the text written")
    for temperature in temperatures:
        check_temperature(temperature)
    texts = {temperature: generate(agent, prompt, length, temperature, seed)
             for temperature in temperatures}
    blocks = [f"prompt: {prompt!r}, seed {seed}"]
    blocks += [f"temperature {temperature}:\n{text}" for temperature, text in texts.items()]
    with atomic_path(path, suffix=".txt") as temporary:
        Path(temporary).write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return texts


def _check_suffix(path: str | os.PathLike, suffix: str, what: str) -> None:
    if Path(path).suffix.lower() != suffix:
        raise ConfigError(f"--record {str(path)!r}: this task's recording is {what}; name the "
                          f"file *{suffix}.")


def _figure(cells: int) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError(f"Drawing the gallery needs matplotlib: {RENDER_EXTRA}.") \
            from None
    columns = min(cells, 8)
    rows = max(1, math.ceil(cells / columns))
    return Figure(figsize=(1.3 * columns, 1.45 * rows + 0.5), layout="constrained")
