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
        python_rng: Python's `random` state at the same moment (a tuple, or lists from JSON).
        numpy_rng: NumPy's global random state at the same moment (likewise).
    """

    steps: int = 0
    episodes: int = 0
    seconds: float = 0.0
    task_rng: dict[str, Any] | None = None
    python_rng: Any = None
    numpy_rng: Any = None


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
    budget = _Budget.checked(steps, episodes, max_seconds)
    state = state if state is not None else LoopState()
    history = History(state=state)
    reset_seed = _start(task, state, seed)
    progress_bar = _Progress(budget, state, progress, learn)
    started = time.perf_counter() - state.seconds

    def out_of_budget() -> bool:
        return budget.spent(state, time.perf_counter() - started)

    interrupted = False
    try:
        while not out_of_budget():
            record = _episode(
                agent, task, state, reset_seed, learn, explore, progress_bar, out_of_budget
            )
            reset_seed = None
            state.seconds = record["seconds"] = time.perf_counter() - started
            _remember_rngs(task, state)
            history.episodes.append(record)
            for callback in callbacks:
                callback.on_episode_end(record, state)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        state.seconds = time.perf_counter() - started
        progress_bar.close()
        for callback in callbacks:
            callback.on_run_end(state, interrupted)
    return history


def seed_everything(seed: int, task: gymnasium.Env | None = None) -> None:
    """Seeds Python, NumPy, TensorFlow and Keras, and the spaces of `task` if given.

    The task itself is seeded by the loop's first `reset(seed=seed)`, as Gymnasium intends.
    """
    keras.utils.set_random_seed(seed)
    if task is not None:
        task.action_space.seed(seed)
        task.observation_space.seed(seed + 1)


def _episode(agent, task, state, reset_seed, learn, explore, progress, out_of_budget) -> dict:
    """Runs one episode (or its first part, if the budget ends inside it); returns its record."""
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
                total, count = totals.get(name, (0.0, 0))
                totals[name] = (total + float(value), count + 1)
        observation = next_observation
        progress.step(episode_return, totals)
        if out_of_budget():
            break
    state.episodes += 1
    record = {
        "episode": state.episodes, "steps": state.steps, "return": episode_return,
        "length": length, "terminated": bool(terminated), "truncated": bool(truncated),
        "seconds": 0.0,
    }
    record.update({name: total / count for name, (total, count) in totals.items()})
    progress.episode_end(episode_return, totals)
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
        np.random.set_state((kind, np.asarray(keys, np.uint32), position, has_gauss, gauss))
    if state.task_rng is not None:
        generator = np.random.Generator(getattr(np.random, state.task_rng["bit_generator"])())
        generator.bit_generator.state = state.task_rng
        task.unwrapped.np_random = generator
    return None


def _remember_rngs(task: gymnasium.Env, state: LoopState) -> None:
    state.task_rng = task.unwrapped.np_random.bit_generator.state
    state.python_rng = random.getstate()
    state.numpy_rng = np.random.get_state()


@dataclass(frozen=True)
class _Budget:
    """When the loop stops: after `steps`, `episodes` or `max_seconds`, whichever comes first."""

    steps: int | None
    episodes: int | None
    max_seconds: float | None

    @classmethod
    def checked(cls, steps, episodes, max_seconds) -> _Budget:
        if steps is None and episodes is None and max_seconds is None:
            raise ConfigError(
                "The loop needs a budget: pass steps=N or episodes=N (or max_seconds=S), "
                "e.g. tfzoo.train(agent, task, steps=100)."
            )
        for name, value in (("steps", steps), ("episodes", episodes),
                            ("max_seconds", max_seconds)):
            if value is not None and (
                isinstance(value, bool) or not value >= 0 or math.isinf(value)
            ):
                raise ConfigError(f"{name}={value!r} is not a budget; pass a finite number >= 0.")
        return cls(steps, episodes, max_seconds)

    def spent(self, state: LoopState, seconds: float) -> bool:
        return (
            (self.steps is not None and state.steps >= self.steps)
            or (self.episodes is not None and state.episodes >= self.episodes)
            or (self.max_seconds is not None and seconds >= self.max_seconds)
        )


class _Progress:
    """A tqdm bar counting steps (or episodes, for an episode budget) that shows the running
    return and the episode's mean metrics, updated only when the bar redraws."""

    def __init__(self, budget: _Budget, state: LoopState, enabled: bool, learn: bool) -> None:
        self.counts_steps = budget.steps is not None
        self.bar = tqdm(
            total=budget.steps if self.counts_steps else budget.episodes,
            initial=state.steps if self.counts_steps else state.episodes,
            unit="step" if self.counts_steps else "episode",
            desc="train" if learn else "evaluate",
            disable=not enabled, dynamic_ncols=True, mininterval=0.5,
        )

    def step(self, episode_return: float, totals: dict) -> None:
        if self.counts_steps and not self.bar.disable:
            self.bar.update(1)
            if self.bar.n == self.bar.last_print_n:  # It has just redrawn.
                self._show(episode_return, totals)

    def episode_end(self, episode_return: float, totals: dict) -> None:
        if self.bar.disable:
            return
        if not self.counts_steps:
            self.bar.update(1)
        self._show(episode_return, totals)

    def close(self) -> None:
        self.bar.close()

    def _show(self, episode_return: float, totals: dict) -> None:
        shown = {"return": f"{episode_return:.4g}"}
        shown.update({name: f"{total / count:.4g}" for name, (total, count) in totals.items()})
        self.bar.set_postfix(shown, refresh=False)


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(item) for item in value) if isinstance(value, list) else value

