"""The one act -> step -> learn loop that trains and evaluates every agent on every task.

It owns seeding, the progress bar, per-episode records and the callback hooks that run
directories use for logs and checkpoints. Nothing task- or agent-specific lives here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np

from tfzoo import seeding
from tfzoo.core import Agent, Transition
from tfzoo.episodes import vector_episodes
from tfzoo.errors import ConfigError
from tfzoo.progress import ProgressBar


@dataclass
class LoopState:
    """The counters a run carries across episodes, and across a resume from a checkpoint.

    Attributes:
        steps: Environment steps taken so far.
        episodes: Episodes recorded so far (including any cut short by the budget or Ctrl-C).
        seconds: Wall-clock seconds spent in the loop so far.
        random_states: `tfzoo.seeding.capture` at the end of the last episode, so a resumed
            run draws the same next episode as an uninterrupted one.
    """

    steps: int = 0
    episodes: int = 0
    seconds: float = 0.0
    random_states: dict[str, Any] | None = None


@dataclass
class History:
    """What a run did: one record per episode and the final counters.

    Each record holds `episode`, `steps` (the total at the episode's end), `return`,
    `length`, `terminated`, `truncated`, `seconds`, and the episode's mean of each metric
    that `Agent.learn` returned. An episode cut short by the budget or by Ctrl-C is
    recorded too, with neither `terminated` nor `truncated` set.
    """

    episodes: list[dict[str, Any]] = field(default_factory=list)
    state: LoopState = field(default_factory=LoopState)

    @property
    def returns(self) -> list[float]:
        """The return of each recorded episode, in order."""
        return [record["return"] for record in self.episodes]


class Callback:
    """Hooks into `run`; subclass and override what you need (all do nothing by default)."""

    def on_run_start(self, agent: Agent, task: gymnasium.Env, state: LoopState) -> None:
        """Called once seeding is done, before the first episode, with what the loop runs."""

    def on_episode_end(self, record: dict[str, Any], state: LoopState) -> None:
        """Called after each episode is recorded, with the loop's state at that point."""

    def on_run_end(self, state: LoopState, interrupted: bool) -> None:
        """Called when the loop stops: its budget spent, or `interrupted` by Ctrl-C.

        Not called when an exception other than KeyboardInterrupt ends the loop, so a
        callback never saves the state of a run that failed.
        """


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
    `seed` seeds the task and its spaces only: evaluating never disturbs the process-wide
    random generators a training run draws from.
    """
    return float(np.mean(evaluation_returns(
        agent, task, episodes=episodes, seed=seed, progress=progress
    )))


def evaluation_returns(
    agent: Agent,
    task: gymnasium.Env,
    *,
    episodes: int = 1,
    seed: int | None = None,
    progress: bool = False,
) -> list[float]:
    """The return of each of the greedy episodes `evaluate` runs, in order."""
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ConfigError(f"episodes={episodes!r}: evaluate needs a whole number >= 1.")
    history = run(
        agent, task, episodes=episodes, seed=seed, learn=False, explore=False,
        progress=progress, seed_globals=False,
    )
    return history.returns


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
    seed_globals: bool = True,
) -> History:
    """The loop behind `train` and `evaluate`: reset -> act -> step -> learn until the budget.

    Ctrl-C ends the current episode where it is: the episode is recorded, the callbacks
    hear of it (a run directory saves a checkpoint), and KeyboardInterrupt is raised again.

    Args:
        agent, task, steps, episodes, seed: As for `train`.
        learn: Call `agent.learn` after every step.
        explore: Passed to `agent.act`.
        max_seconds: Also stop, cleanly, once this many wall-clock seconds are spent.
        progress: Show a tqdm progress bar.
        callbacks: Hooks called at each episode's end and when the loop stops.
        state: Counters and random states to continue from; None starts afresh.
        seed_globals: With `seed`, also seed Python, NumPy, TensorFlow and Keras.

    Returns:
        The `History` of this call (episodes recorded before `state` are not repeated).
    """
    budget = check_budget(steps, episodes, max_seconds)
    state = state if state is not None else LoopState()
    history = History(state=state)
    reset_seed = _start(task, state, seed, seed_globals)
    bar = ProgressBar(budget.steps if budget.steps is not None else budget.episodes,
                      state.steps if budget.steps is not None else state.episodes,
                      budget.steps is not None, "train" if learn else "evaluate", progress)
    for callback in callbacks:
        callback.on_run_start(agent, task, state)
    started = time.perf_counter() - state.seconds

    def out_of_budget() -> bool:
        return budget.spent(state, time.perf_counter() - started)

    interrupted = False
    episodes = vector_episodes if isinstance(task, gymnasium.vector.VectorEnv) else _episodes
    try:
        for record, interrupted in episodes(
            agent, task, state, reset_seed, learn, explore, bar, out_of_budget
        ):
            if record is None:  # Ctrl-C between episodes of a vector environment.
                break
            state.seconds = record["seconds"] = time.perf_counter() - started
            state.random_states = seeding.capture(task)
            history.episodes.append(record)
            for callback in callbacks:
                callback.on_episode_end(record, state)
            if interrupted:
                break
    except KeyboardInterrupt:  # Outside an episode's steps: in a reset or a callback.
        interrupted = True
    finally:
        state.seconds = time.perf_counter() - started
        bar.close()
    for callback in callbacks:
        callback.on_run_end(state, interrupted)
    if interrupted:
        raise KeyboardInterrupt
    return history


def check_budget(
    steps: int | None, episodes: int | None, max_seconds: float | None
) -> Budget:
    """Returns the `Budget`; raises ConfigError naming a missing or bad one."""
    if steps is None and episodes is None and max_seconds is None:
        raise ConfigError(
            "The loop needs a budget: pass steps=N or episodes=N (or max_seconds=S), e.g. "
            "tfzoo.train(agent, task, steps=100)."
        )
    for name, value in (("steps", steps), ("episodes", episodes), ("max_seconds", max_seconds)):
        if value is None:
            continue
        whole = name != "max_seconds"
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or (whole and not float(value).is_integer())
                or not value >= 0 or math.isinf(value)):
            kind = "whole number" if whole else "number"
            raise ConfigError(f"{name}={value!r} is not a budget; pass a finite {kind} >= 0.")
    return Budget(steps, episodes, max_seconds)


@dataclass(frozen=True)
class Budget:
    """When the loop stops: after `steps`, `episodes` or `max_seconds`, whichever comes first."""

    steps: int | None
    episodes: int | None
    max_seconds: float | None

    def spent(self, state: LoopState, seconds: float) -> bool:
        """True once `state` (after `seconds` of running) has reached any of the limits."""
        return (
            (self.steps is not None and state.steps >= self.steps)
            or (self.episodes is not None and state.episodes >= self.episodes)
            or (self.max_seconds is not None and seconds >= self.max_seconds)
        )


def _episodes(
    agent: Agent, task: gymnasium.Env, state: LoopState, reset_seed: int | None, learn: bool,
    explore: bool, bar: ProgressBar, out_of_budget: Callable[[], bool],
) -> Iterator[tuple[dict[str, Any], bool]]:
    """Runs episodes one after another until the budget; yields (record, interrupted) each."""
    while not out_of_budget():
        yield _episode(agent, task, state, reset_seed, learn, explore, bar, out_of_budget)
        reset_seed = None  # Only the first episode is reset with the seed.


def _episode(
    agent: Agent, task: gymnasium.Env, state: LoopState, reset_seed: int | None, learn: bool,
    explore: bool, bar: ProgressBar, out_of_budget: Callable[[], bool],
) -> tuple[dict[str, Any], bool]:
    """Runs one episode, or its first part if the budget or Ctrl-C ends it early.

    Returns:
        The episode's record, and whether Ctrl-C cut it short.
    """
    observation, info = task.reset(seed=reset_seed)
    episode_return, length, totals = 0.0, 0, {}
    terminated = truncated = interrupted = False
    try:
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
            bar.step(episode_return, totals)
            if out_of_budget():
                break
    except KeyboardInterrupt:
        interrupted = True
    state.episodes += 1
    record = {
        "episode": state.episodes, "steps": state.steps, "return": episode_return,
        "length": length, "terminated": bool(terminated), "truncated": bool(truncated),
        "seconds": 0.0,
    }
    record.update({name: total / count for name, (total, count) in totals.items()})
    bar.episode_end(episode_return, totals)
    return record, interrupted


def _start(task: gymnasium.Env, state: LoopState, seed: int | None, seed_globals: bool):
    """Seeds a fresh run, or puts back the random states of a continued one.

    Returns:
        The seed for the first `reset`, or None when continuing.
    """
    if state.random_states is not None:
        seeding.restore(task, state.random_states)
        return None
    if seed is not None:
        if seed_globals:
            seeding.seed_everything(seed, task)
        else:
            seeding.seed_spaces(task, seed)
    return seed
