"""The one act -> step -> learn loop that trains and evaluates every agent on every task.

It owns seeding, the progress bar, per-episode records and the callback hooks that run
directories use for logs and checkpoints. Nothing task- or agent-specific lives here.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np

from tfzoo import episodes as episodes_engine
from tfzoo import seeding
from tfzoo.core import Agent
from tfzoo.episodes import SideBySide
from tfzoo.errors import ConfigError
from tfzoo.files import interrupts_between_steps
from tfzoo.progress import ProgressBar
from tfzoo.validate import number, whole_number


@dataclass
class LoopState:
    """The counters a run carries across episodes, and across a resume from a checkpoint.

    Attributes:
        steps: Environment steps taken so far.
        episodes: Episodes recorded so far (including any cut short by the budget or Ctrl-C).
        seconds: Wall-clock seconds spent in the loop so far.
        random_states: `tfzoo.seeding.capture` where a run directory saved a checkpoint, so
            a resumed run draws what an uninterrupted one would have; None starts afresh.
        episode: The episode in progress where that checkpoint was taken, if the task could
            save its place in it (`tfzoo.Task.episode_position`): the next step continues it.
            None: the next step starts a new episode.
    """

    steps: int = 0
    episodes: int = 0
    seconds: float = 0.0
    random_states: dict[str, Any] | None = None
    episode: dict[str, Any] | None = None


@dataclass
class History:
    """What a run did: one record per episode and the final counters.

    Each record holds `episode`, `steps` (the total at the episode's end), `return`,
    `length`, `terminated`, `truncated`, `seconds`, and the episode's mean of each metric
    that `Agent.learn` returned. An episode cut short by the budget is recorded too, with
    neither `terminated` nor `truncated` set, and so is one cut short by Ctrl-C unless its
    task can continue it later (`LoopState.episode`).
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

    def on_step(self, state: LoopState, running_episode: Callable[[], dict | None]) -> None:
        """Called after every step. `running_episode()` brings `state.seconds` up to date and
        returns the episode in progress as `LoopState.episode` keeps it (None if its task
        cannot continue it later): a run directory checkpoints long episodes with it."""

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
    progress: bool | str = False,
) -> float:
    """Runs `episodes` greedy episodes (`explore=False`, no learning); returns the mean return.

    On a supervised task's test split this is the test score (accuracy, or minus the MSE).
    `seed` seeds the task and its spaces only: evaluating never disturbs the process-wide
    random generators a training run draws from. `progress` shows a bar (a string is its
    label, e.g. "evaluate final policy").
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
    progress: bool | str = False,
) -> list[float]:
    """The return of each of the greedy episodes `evaluate` runs, in order."""
    whole_number("episodes", episodes)
    history = run(
        agent, task, episodes=episodes, seed=seed, learn=False, explore=False,
        progress=progress, seed_globals=False,
    )
    return history.returns


def run(agent: Agent, task: gymnasium.Env | SideBySide, *, steps: int | None = None,
        episodes: int | None = None, seed: int | None = None, learn: bool = True,
        explore: bool = True, max_seconds: float | None = None, progress: bool | str = True,
        callbacks: Sequence[Callback] = (), state: LoopState | None = None,
        seed_globals: bool = True) -> History:
    """The loop behind `train` and `evaluate`: reset -> act -> step -> learn until the budget.

    `agent`, `steps`, `episodes` and `seed` are as for `train`; `task` is any `gymnasium.Env`,
    a Gymnasium vector environment (for agents with `batched_act`), or `SideBySide` copies.
    `learn` calls `agent.learn` after every step; `explore` is passed to `agent.act`; the run
    also stops, cleanly, after `max_seconds`; `progress` shows a bar (a string is its label,
    "train" or "evaluate" otherwise); `callbacks` hear of each episode's end and of
    the stop; `state` holds the counters and random states to continue from (None starts
    afresh); `seed_globals` with `seed` also seeds Python, NumPy, TensorFlow and Keras.

    Ctrl-C stops it after the step it is in (a second one at once): the episode it cut short
    is recorded (or, if its task can continue it later, kept in `state.episode`), the
    callbacks hear of it (a run directory saves a checkpoint), and KeyboardInterrupt is
    raised again.
    Returns the `History` of this call (episodes recorded before `state` are not repeated).
    """
    budget = check_budget(steps, episodes, max_seconds)
    history = History(state=state if state is not None else LoopState())
    state, environments = history.state, episodes_engine.environments_for(task, agent)
    environments.start(_start(task, environments, state, seed, seed_globals))
    for callback in callbacks:
        callback.on_run_start(agent, task, state)
    label = progress if isinstance(progress, str) else "train" if learn else "evaluate"
    bar = budget.progress_bar(state, label, bool(progress))
    loop = _Episodes(agent, environments, history, callbacks, bar, learn=learn, explore=explore)
    with interrupts_between_steps() as stop_requested:
        try:
            interrupted = loop.play(budget, stop_requested)
        finally:
            state.seconds = loop.seconds()
            bar.close()
        for callback in callbacks:
            callback.on_run_end(state, interrupted)
        interrupted = interrupted or stop_requested()  # Also a Ctrl-C after the last step.
    if interrupted:
        raise KeyboardInterrupt
    return history


class _Episodes:
    """The episodes of one call of `run`: it steps them, records each that ends, and tells
    the callbacks. A `state` that holds an episode in progress (`LoopState.episode`) goes on
    with it."""

    def __init__(self, agent: Agent, environments: Any, history: History,
                 callbacks: Sequence[Callback], bar: ProgressBar, *, learn: bool,
                 explore: bool) -> None:
        self.agent, self.environments, self.history = agent, environments, history
        self.callbacks, self.bar, self.learn, self.explore = callbacks, bar, learn, explore
        self.state = state = history.state
        self.tracker = episodes_engine.EpisodeTracker(environments.count)
        if state.episode is not None:  # A checkpoint was taken inside an episode: it goes on.
            episodes_engine.continue_episode(environments, self.tracker, state.episode)
            state.episode = None
        self.started = time.perf_counter() - state.seconds

    def seconds(self) -> float:
        """The loop's wall-clock seconds, those of the runs it continues included."""
        return time.perf_counter() - self.started

    def play(self, budget: Budget, stop_requested: Callable[[], bool]) -> bool:
        """Steps until the budget is spent or Ctrl-C; returns whether Ctrl-C stopped it.

        Stopped between two steps, an episode its task can continue later is kept in
        `state.episode`; any other that the stop cut short is recorded as it is.
        """
        state, whole, running_episode = self.state, True, self.running_episode
        step = functools.partial(episodes_engine.step, self.agent, self.environments,
                                 self.tracker, state, learn=self.learn, explore=self.explore,
                                 bar=self.bar)
        tell_agent = self.agent.set_budget_spent if self.learn else None
        try:
            while not (budget.spent(state, seconds := self.seconds()) or stop_requested()):
                if tell_agent is not None:  # Schedules that follow the budget read it.
                    tell_agent(budget.fraction_spent(state, seconds))
                whole = False  # Until the step and the records of the episodes it ended are done.
                for episode in step():
                    self.record(episode)
                whole = True
                for callback in self.callbacks:
                    callback.on_step(state, running_episode)
            interrupted = stop_requested()
        except KeyboardInterrupt:
            interrupted = True
        if interrupted and whole and self.learn:
            state.episode = self.running_episode()
        if tell_agent is not None:  # Where the schedules end (annealed, if the budget is spent).
            tell_agent(budget.fraction_spent(state, self.seconds()))
        try:
            self.record_cut_short()
        except KeyboardInterrupt:
            interrupted = True
        return interrupted

    def record(self, episode: dict[str, Any]) -> None:
        """Records an episode that ended and tells the callbacks."""
        self.state.seconds = episode["seconds"] = self.seconds()
        self.history.episodes.append(episode)
        for callback in self.callbacks:
            callback.on_episode_end(episode, self.state)

    def running_episode(self) -> dict[str, Any] | None:
        """The episode in progress, for callbacks that save one (see `Callback.on_step`)."""
        self.state.seconds = self.seconds()
        return episodes_engine.running_episode(self.environments, self.tracker)

    def record_cut_short(self) -> None:
        """Records the episodes the stop cut short (neither terminated nor truncated), but
        one kept in `state.episode` to continue."""
        if self.state.episode is not None or not self.environments.records_cut_short:
            return
        for index in self.tracker.running():
            self.record(episodes_engine.end_episode(self.tracker, index, False, False,
                                                    self.state, self.bar))


def check_budget(
    steps: int | None, episodes: int | None, max_seconds: float | None
) -> Budget:
    """Returns the `Budget`; raises ConfigError naming a missing or bad one."""
    if steps is None and episodes is None and max_seconds is None:
        raise ConfigError(
            "The loop needs a budget: pass steps=N or episodes=N (or max_seconds=S), e.g. "
            "tfzoo.train(agent, task, steps=100)."
        )
    return Budget(whole_number("steps", steps, minimum=0, optional=True),
                  whole_number("episodes", episodes, minimum=0, optional=True),
                  number("max_seconds", max_seconds, minimum=0, optional=True))


@dataclass(frozen=True)
class Budget:
    """When the loop stops: after `steps`, `episodes` or `max_seconds`, whichever comes first."""

    steps: int | None
    episodes: int | None
    max_seconds: float | None

    def progress_bar(self, state: LoopState, description: str, enabled: bool) -> ProgressBar:
        """A progress bar counting steps (or, with only an episode budget, episodes)."""
        if self.steps is not None:
            return ProgressBar(self.steps, state.steps, True, description, enabled)
        return ProgressBar(self.episodes, state.episodes, False, description, enabled)

    def fraction_spent(self, state: LoopState, seconds: float) -> float:
        """How much of the budget `state` has spent, from 0 to 1: the furthest along of its
        limits, so that a schedule following it ends annealed whichever limit stops the run.
        With steps alone it is exactly `state.steps / steps`, as deterministic as the steps."""
        limits = ((state.steps, self.steps), (state.episodes, self.episodes),
                  (seconds, self.max_seconds))
        return min(1.0, max(done / limit if limit else 1.0
                            for done, limit in limits if limit is not None))

    def spent(self, state: LoopState, seconds: float) -> bool:
        """True once `state` (after `seconds` of running) has reached any of the limits."""
        return (
            (self.steps is not None and state.steps >= self.steps)
            or (self.episodes is not None and state.episodes >= self.episodes)
            or (self.max_seconds is not None and seconds >= self.max_seconds)
        )


def _start(task: Any, environments: Any, state: LoopState, seed: int | None,
           seed_globals: bool) -> int | None:
    """Seeds a fresh run, or puts back the random states of a continued one.

    Returns:
        The seed for the first `reset`, or None when continuing.
    """
    if state.random_states is not None:
        seeding.restore(task, state.random_states)
        return None
    if seed is not None:
        if seed_globals:
            seeding.seed_everything(seed)
        environments.seed_spaces(seed)
    return seed
