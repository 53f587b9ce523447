"""The handlers of `tfzoo play` and `tfzoo generate`: what the agent of a saved run does.

`play` prints the returns of greedy episodes and, with --record, writes the run's gallery:
the text an agent writes if it writes text (`Agent.writes_text`), else what the task spec
declares (`Evaluation.gallery`): a grid of classified images, or the first episode as a GIF.
`generate` continues a prompt with an agent that writes text. `tfzoo.tools.cli` parses
the arguments and loads these handlers; the galleries are drawn by `tfzoo.tools.gallery`
and `tfzoo.tools.recording`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from tfzoo import text, validate
from tfzoo.core import Agent
from tfzoo.errors import ConfigError
from tfzoo.loop import evaluation_returns
from tfzoo.registration import spec
from tfzoo.runs.best import BestCheckpoint
from tfzoo.runs.directory import RunDirectory
from tfzoo.runs.experiment import load_run
from tfzoo.runs.summary import rebuild_evaluation_task
from tfzoo.tools.gallery import classification_gallery, text_gallery
from tfzoo.tools.recording import RENDER_EXTRA, record


def play(arguments: argparse.Namespace) -> int:
    """`tfzoo play`: greedy episodes of a saved run's best policy (or its last checkpoint),
    after its gallery with --record."""
    validate.whole_number("--episodes", arguments.episodes)
    seed = validate.new_seed() if arguments.seed is None else validate.seed(arguments.seed)
    if arguments.record is not None:
        _check_drawing_extras(arguments.record)
    best = not arguments.last and (
        BestCheckpoint(RunDirectory.open(arguments.run_dir)).read() is not None)
    task, agent, config = load_run(arguments.run_dir, best=best)
    print(f"{config['task']}, {'best policy' if best else 'last checkpoint'}, seed {seed}")
    returns = []
    if arguments.record is not None:
        returns += _record(arguments.record, task, agent, config, seed)
    if remaining := arguments.episodes - len(returns):
        played = evaluation_returns(agent, rebuild_evaluation_task(config), episodes=remaining,
                                    seed=seed + len(returns))
        for number, value in enumerate(played, len(returns) + 1):
            print(f"episode {number}: return {value:g}")
        returns += played
    if len(returns) > 1:
        print(f"mean return {sum(returns) / len(returns):g} over {len(returns)} episodes")
    return 0


def generate(arguments: argparse.Namespace) -> int:
    """`tfzoo generate`: continues a prompt at each temperature, printing characters as they
    are drawn, with a saved run's agent (one that writes text)."""
    for temperature in arguments.temperature:  # Before the slow part, so a typo fails fast.
        text.check_temperature(temperature)
    seed = validate.new_seed() if arguments.seed is None else validate.seed(arguments.seed)
    task, agent, config = load_run(arguments.run_dir)
    if not agent.writes_text:
        raise ConfigError(
            f"The run in {arguments.run_dir} trained {config['task']!r} with the "
            f"{config['agent']!r} agent, which does not write text; `tfzoo generate` takes "
            f"char-rnn runs."
        )
    prompt = arguments.prompt
    if prompt is None:
        prompt = _window_prompt(task, agent, seed)
    elif config["task_kwargs"].get("lowercase"):
        prompt = prompt.lower()  # The run learned lower-cased text.
    print(f"seed {seed}, prompt: {prompt!r}")
    start, written = time.perf_counter(), 0
    for temperature in arguments.temperature:
        print(f"\ntemperature {temperature}:")
        written += len(text.generate(agent, prompt, arguments.length, temperature, seed,
                                     stream=_print_at_once))
        print()
    seconds = time.perf_counter() - start
    print(f"\n{written} characters in {seconds:.2f} s ({written / seconds:.0f} per second)",
          file=sys.stderr)
    return 0


def _print_at_once(character: str) -> None:
    print(character, end="", flush=True)


# The packages that draw each kind of gallery file: the `render` extra brings them all.
DRAWING_PACKAGES = {".gif": ("PIL", "Pillow"), ".png": ("matplotlib", "matplotlib")}


def _check_drawing_extras(path: str) -> None:
    """Refuses at once, before a run is loaded, a gallery file whose drawing package is not
    installed (found without importing it)."""
    module, package = DRAWING_PACKAGES.get(Path(path).suffix.lower(), (None, None))
    if module is not None and importlib.util.find_spec(module) is None:
        raise ConfigError(f"--record {path!r} is drawn with {package}, which is not installed: "
                          f"{RENDER_EXTRA}.")


def _record(
    path: str, task: gymnasium.Env, agent: Agent, config: dict[str, Any], seed: int
) -> list[float]:
    """Writes the run's gallery to `path`; returns the return of the episode it showed, if any.

    The text of an agent that writes text; otherwise what the task's `Evaluation.gallery` says.
    """
    if agent.writes_text:
        return _record_text(path, task, agent, seed)
    if spec(config["task"]).evaluation.gallery == "images":
        return _record_images(path, agent, config, seed)
    return _record_episode(path, agent, config, seed)


def _record_text(path: str, task: gymnasium.Env, agent: Agent, seed: int) -> list[float]:
    """The text written after a window of the task's text (as `tfzoo generate` does without
    a prompt) at the chapter's temperatures; no episode is played."""
    texts = text_gallery(agent, path, _window_prompt(task, agent, seed), seed=seed)
    print(f"{len(texts)} temperatures, {sum(map(len, texts.values()))} characters in {path}")
    return []


def _record_images(path: str, agent: Agent, config: dict[str, Any], seed: int) -> list[float]:
    """A grid of the evaluation split's images, mistakes first; the pass's accuracy."""
    shown = classification_gallery(agent, rebuild_evaluation_task(config), path, seed=seed)
    print(f"episode 1: return {shown['accuracy']:g} ({shown['shown']} images, "
          f"{shown['mistakes']} mistakes in {shown['samples']}, in {path})")
    return [shown["accuracy"]]


def _record_episode(path: str, agent: Agent, config: dict[str, Any], seed: int) -> list[float]:
    """The first greedy episode as a GIF; its return."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # Off screen: SDL needs no display.
    try:
        task = rebuild_evaluation_task(config, render_mode="rgb_array")
    except (TypeError, ValueError) as error:
        raise ConfigError(f"Task {config['task']!r} cannot draw frames to record ({error}).") \
            from None
    episode_return, frames = record(agent, task, path, seed=seed)
    print(f"episode 1: return {episode_return:g} ({frames} frames in {path})")
    return [episode_return]


def _window_prompt(task: gymnasium.Env, agent: Agent, seed: int) -> str:
    """As in the chapter: a window of the (training) text, drawn at random from `seed`."""
    windows = task.unwrapped.inputs  # (windows, window) ids
    return agent.vocabulary.decode(windows[np.random.default_rng(seed).integers(len(windows))])
