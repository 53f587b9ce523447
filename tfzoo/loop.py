"""The one act -> step -> learn loop that trains and evaluates every agent on every task.

It owns seeding, the progress bar, per-episode records and the callback hooks that run
directories use for logs and checkpoints. Nothing task- or agent-specific lives here.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import keras
import numpy as np
from tqdm.auto import tqdm

from tfzoo.core import Agent, Transition
from tfzoo.errors import ConfigError


@dataclass
class LoopState:
    """The counters a run carries across episodes, and across a resume from a checkpoint.

    Attributes:
        steps: Environment steps taken so far.
        episodes: Episodes recorded so far (a last, unfinished episode counts too).
        seconds: Wall-clock seconds spent in the loop so far.
        task_rng: The task's `np_random` state at the end of the last episode, so a resumed
            run draws the same next episode as an uninterrupted one.
        python_rng: Python's `random` state at the same moment.
        numpy_rng: NumPy's global random state at the same moment.
    """

    steps: int = 0
    episodes: int = 0
    seconds: float = 0.0
    task_rng: dict[str, Any] | None = None
    python_rng: list[Any] | None = None
    numpy_rng: list[Any] | None = None


@dataclass
class History:
    """What a run did: one record per episode and the final counters.

    Each record holds `episode`, `steps` (the total at the episode's end), `return`,
    `length`, `terminated`, `truncated`, `seconds`, and the episode's mean of each metric
    that `Agent.learn` returned.
    """

    episodes: list[dict[str, Any]] = field(default_factory=list)
    state: LoopState = field(default_factory=LoopState)

    @property
    def returns(self) -> list[float]:
        """The return of each recorded episode, in order."""
        return [record["return"] for record in self.episodes]


class Callback:
    """Hooks into `run`; subclass and override what you need (all do nothing by default)."""

    def on_episode_end(self, record: dict[str, Any], state: LoopState) -> None:
        """Called after each episode is recorded, with the loop's state at that point."""

    def on_run_end(self, state: LoopState, interrupted: bool) -> None:
        """Called once when the loop stops: budget spent, or `interrupted` by Ctrl-C."""


def train(
    agent: Agent,
    task: gymnasium.Env,
    *,
    steps: int | None = None,
    episodes: int | None = None,
    seed: int | None = None,
    **options: Any,
) -> History:
    """Trains `agent` on `task` until `steps` or `episodes` is spent (whichever comes first).

    Args:
        agent: The learner; `act(explore=True)` and `learn` are called every step.
        task: Any `gymnasium.Env`.
        steps: Budget in environment steps.
        episodes: Budget in episodes.
        seed: Seeds Python, NumPy, TensorFlow/Keras, the task and its spaces.
        **options: Passed to `run` (`max_seconds`, `progress`, `callbacks`, `state`).

    Returns:
        The `History` of the run.
    """
    return run(agent, task, steps=steps, episodes=episodes, seed=seed, **options)


def evaluate(
    agent: Agent,
    task: gymnasium.Env,
    *,
    episodes: int = 1,
    seed: int | None = None,
    progress: bool = False,
) -> float:
    """Runs `episodes` greedy episodes (`explore=False`, no learning); returns the mean return.

    On a supervised task's test split this is the test score (accuracy, or minus the MSE).
    """
    history = run(
        agent, task, episodes=episodes, seed=seed, learn=False, explore=False, progress=progress
    )
    return float(np.mean(history.returns))


def run(
    agent: Agent,
    task: gymnasium.Env,
    *,
    steps: int | None = None,
    episodes: int | None = None,
    seed: int | None = None,
    learn: bool = True,
    explore: bool = True,
    max_seconds: float | None = None,
    progress: bool = True,
    callbacks: Sequence[Callback] = (),
    state: LoopState | None = None,
) -> History:
    """The loop behind `train` and `evaluate`: reset -> act -> step -> learn until the budget.

    Args:
        agent, task, steps, episodes, seed: As for `train`.
        learn: Call `agent.learn` after every step.
        explore: Passed to `agent.act`.
        max_seconds: Also stop, cleanly, once this many wall-clock seconds are spent.
        progress: Show a tqdm progress bar.
        callbacks: Hooks called at each episode's end and when the loop stops.
        state: Counters to continue from (a resumed run); None starts afresh.

    Returns:
        The `History` of this call (episodes recorded before `state` are not repeated).
    """
    _check_budget(steps, episodes, max_seconds)
    history = History(state=state if state is not None else LoopState())
    first_reset_seed = _start(task, history.state, seed)
    bar = _progress_bar(steps, episodes, history.state, progress, learn)
    started = time.perf_counter() - history.state.seconds
    interrupted = False
    try:
        while not _spent(history.state, steps, episodes, max_seconds):
            record = _episode(
                agent, task, history.state, first_reset_seed, learn, explore, bar,
                bar if steps is not None else None,
                lambda: _spent(history.state, steps, episodes, max_seconds, started),
            )
            first_reset_seed = None
            history.state.seconds = record["seconds"] = time.perf_counter() - started
            _remember_rngs(task, history.state)
            history.episodes.append(record)
            for callback in callbacks:
                callback.on_episode_end(record, history.state)
            if episodes is not None and steps is None:
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        history.state.seconds = time.perf_counter() - started
        bar.close()
        for callback in callbacks:
            callback.on_run_end(history.state, interrupted)
    return history


def seed_everything(seed: int, task: gymnasium.Env | None = None) -> None:
    """Seeds Python, NumPy, TensorFlow and Keras, and the spaces of `task` if given.

    The task itself is seeded by the loop's first `reset(seed=seed)`, as Gymnasium intends.
    """
    keras.utils.set_random_seed(seed)
    if task is not None:
        task.action_space.seed(seed)
        task.observation_space.seed(seed + 1)


def _episode(agent, task, state, reset_seed, learn, explore, bar, step_bar, out_of_budget):
    """Runs one episode (or its first part, if the budget ends inside it); returns its record.

    `step_bar` is the progress bar when it counts steps, None when it counts episodes.
    """
    observation, info = task.reset(seed=reset_seed)
    episode_return, length, totals = 0.0, 0, {}
    terminated = truncated = False
    while not (terminated or truncated):
        action = agent.act(observation, explore=explore)
        next_observation, reward, terminated, truncated, info = task.step(action)
        episode_return += float(reward)
        length += 1
        state.steps += 1
        if learn:
            metrics = agent.learn(Transition(
                observation, action, reward, next_observation, terminated, truncated, info
            ))
            for name, value in metrics.items():
                totals[name] = totals.get(name, (0.0, 0))
                totals[name] = (totals[name][0] + float(value), totals[name][1] + 1)
        observation = next_observation
        if step_bar is not None:
            step_bar.update(1)
            _show(step_bar, episode_return, totals)
        if out_of_budget():
            break
    state.episodes += 1
    record = {
        "episode": state.episodes, "steps": state.steps, "return": episode_return,
        "length": length, "terminated": bool(terminated), "truncated": bool(truncated),
        "seconds": 0.0,
    }
    record.update({name: total / count for name, (total, count) in totals.items()})
    _show(bar, episode_return, totals, force=True)
    return record


def _start(task: gymnasium.Env, state: LoopState, seed: int | None) -> int | None:
    """Seeds a fresh run, or puts back the random states of a resumed one.

    Returns:
        The seed for the first `reset`, or None when continuing.
    """
    if state.steps == 0 and state.episodes == 0:
        if seed is not None:
            seed_everything(seed, task)
        return seed
    if state.python_rng is not None:
        random.setstate(_as_tuple(state.python_rng))
    if state.numpy_rng is not None:
        kind, keys, position, has_gauss, gauss = state.numpy_rng
        np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, gauss))
    if state.task_rng is not None:
        generator = np.random.Generator(getattr(np.random, state.task_rng["bit_generator"])())
        generator.bit_generator.state = state.task_rng
        task.unwrapped.np_random = generator
    return None


def _remember_rngs(task: gymnasium.Env, state: LoopState) -> None:
    state.task_rng = task.unwrapped.np_random.bit_generator.state
    state.python_rng = _as_list(random.getstate())
    kind, keys, position, has_gauss, gauss = np.random.get_state()
    state.numpy_rng = [kind, keys.tolist(), int(position), int(has_gauss), float(gauss)]


def _spent(state, steps, episodes, max_seconds, started=None) -> bool:
    if steps is not None and state.steps >= steps:
        return True
    if episodes is not None and state.episodes >= episodes:
        return True
    if max_seconds is not None:
        seconds = state.seconds if started is None else time.perf_counter() - started
        return seconds >= max_seconds
    return False


def _check_budget(steps, episodes, max_seconds) -> None:
    if steps is None and episodes is None and max_seconds is None:
        raise ConfigError(
            "The loop needs a budget: pass steps=N or episodes=N (or max_seconds=S), e.g. "
            "tfzoo.train(agent, task, steps=100)."
        )
    for name, value in (("steps", steps), ("episodes", episodes), ("max_seconds", max_seconds)):
        if value is not None and (isinstance(value, bool) or not value >= 0 or math.isinf(value)):
            raise ConfigError(f"{name}={value!r} is not a budget; pass a finite number >= 0.")


def _progress_bar(steps, episodes, state: LoopState, enabled: bool, learn: bool) -> tqdm:
    by_steps = steps is not None
    return tqdm(
        total=steps if by_steps else episodes,
        initial=state.steps if by_steps else state.episodes,
        unit="step" if by_steps else "episode",
        desc="train" if learn else "evaluate",
        disable=not enabled,
        dynamic_ncols=True,
        mininterval=0.5,
    )


def _show(bar: tqdm, episode_return: float, totals: dict, force: bool = False) -> None:
    """Shows the running return and latest metrics, at most twice a second."""
    if bar.disable or not (force or bar.n == bar.last_print_n):
        return
    shown = {"return": f"{episode_return:.4g}"}
    shown.update({name: f"{total / count:.4g}" for name, (total, count) in totals.items()})
    bar.set_postfix(shown, refresh=False)


def _as_list(value: Any) -> Any:
    return [_as_list(item) for item in value] if isinstance(value, (tuple, list)) else value


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(item) for item in value) if isinstance(value, list) else value

