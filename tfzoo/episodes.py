"""The episode engine: one step of every environment, and a record of each episode it ends.

`tfzoo.run` drives it, and everything that plays episodes goes through its `step`: training
and greedy evaluation on one environment (a vector of one), on a Gymnasium vector environment
(which resets its sub-environments itself), and periodic evaluations played `SideBySide` (one
episode on each of several copies, the agent acting on all that still run with one call).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode

from tfzoo import seeding
from tfzoo.core import Agent, Task, Transition
from tfzoo.errors import ConfigError
from tfzoo.progress import ProgressBar
from tfzoo.validate import whole_number


@dataclass(frozen=True)
class Steps:
    """What one step of the environments gave.

    Attributes:
        transition: For `Agent.learn`: the environment's own values for one environment,
            or arrays with a row per environment that stepped.
        rows: The environments that took a step (a reset-only step is none).
        rewards: Their rewards, in the order of `rows`.
        ended: (environment, terminated, truncated) of each episode that ended.
    """

    transition: Transition
    rows: Sequence[int]
    rewards: Sequence[float]
    ended: Sequence[tuple[int, bool, bool]]


class SingleEnvironment:
    """One `gymnasium.Env` as a vector of one; it is reset when its next episode starts.

    The agent sees the environment's own observations and actions (not batches of one), so
    every agent can run on it. An episode cut short by the end of the run is recorded.
    """

    count, records_cut_short = 1, True

    def __init__(self, env: gymnasium.Env) -> None:
        self.env, self.observation, self.reset_seed, self.resume = env, None, None, None

    def seed_spaces(self, seed: int) -> None:
        seeding.seed_spaces(self.env, seed)

    def start(self, seed: int | None) -> None:
        """Resets at the first step with `seed` (None when continuing a run)."""
        self.observation, self.reset_seed = None, seed

    def continue_at(self, position: Any) -> None:
        """Makes the first step continue the episode at `position`, which `position()` gave
        when a checkpoint was taken inside that episode."""
        self.resume = position

    def position(self) -> dict[str, Any] | None:
        """The running episode's `Task.episode_position`; None between episodes, or if the
        task cannot give one. A wrapped task gives none: a wrapper may count the episode's
        steps itself (`TimeLimit`), and that count would not be saved."""
        if self.observation is None or not isinstance(self.env, Task):
            return None
        return self.env.episode_position()

    def observations(self) -> Any:
        if self.observation is None:  # An episode starts: only the first reset takes the seed.
            options = None if self.resume is None else {"resume": self.resume}
            self.observation, _ = self.env.reset(seed=self.reset_seed, options=options)
            self.reset_seed = self.resume = None
        return self.observation

    def step(self, action: Any) -> Steps:
        next_observation, reward, terminated, truncated, info = self.env.step(action)
        transition = Transition(self.observation, action, reward, next_observation, terminated,
                                truncated, info)
        ended = terminated or truncated
        self.observation = None if ended else next_observation
        return Steps(transition, (0,), (float(reward),),
                     ((0, bool(terminated), bool(truncated)),) if ended else ())


class VectorEnvironments:
    """A Gymnasium vector environment: sub-environments that reset themselves (autoreset).

    With `SAME_STEP` autoreset a transition ends on `info["final_obs"]`; with `NEXT_STEP` the
    step that only resets a sub-environment is no transition and is left out. Episodes still
    running when the run stops are not recorded: a resumed run starts new ones.
    """

    records_cut_short = False

    def __init__(self, env: gymnasium.vector.VectorEnv, agent: Agent) -> None:
        if not agent.batched_act:
            raise ConfigError(
                f"{type(agent).__name__} acts on one observation at a time, so it cannot drive "
                f"a vector of {env.num_envs} environments; train it on a single task (num_envs=1)."
            )
        self.mode = AutoresetMode(env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
        if self.mode == AutoresetMode.DISABLED:
            raise ConfigError("A vector environment with autoreset disabled cannot run in the "
                              "loop; make it with autoreset_mode=AutoresetMode.SAME_STEP "
                              "(tfzoo.make_vec).")
        self.env, self.count = env, env.num_envs
        self.resetting = np.zeros(self.count, bool)  # NEXT_STEP: their next step only resets.

    def seed_spaces(self, seed: int) -> None:
        seeding.seed_spaces(self.env, seed)

    def start(self, seed: int | None) -> None:
        self.observation, _ = self.env.reset(seed=seed)  # (envs, *observation shape)

    def observations(self) -> np.ndarray:
        return self.observation

    def position(self) -> None:
        """None: the episodes of a vector are not continued from a checkpoint."""
        return None

    def step(self, actions: np.ndarray) -> Steps:
        next_observations, rewards, terminated, truncated, info = self.env.step(actions)
        real = ~self.resetting  # The rows that are transitions.
        transition = Transition(
            self.observation[real], actions[real], rewards[real],
            _final_observations(next_observations, info)[real], terminated[real],
            truncated[real], info,
        )
        ended = (terminated | truncated) & real
        if self.mode == AutoresetMode.NEXT_STEP:
            self.resetting = ended
        self.observation = next_observations
        return Steps(transition, np.flatnonzero(real).tolist(), rewards[real].tolist(),
                     [(i, bool(terminated[i]), bool(truncated[i])) for i in np.flatnonzero(ended)])


class SideBySide:
    """One episode on each of `envs` at once: each step, one `act` call for the observations
    of every episode still running. Environment i is reset with `seed + i`."""

    records_cut_short = False

    def __init__(self, envs: Sequence[gymnasium.Env], agent: Agent) -> None:
        if not agent.batched_act:
            raise ConfigError(f"{type(agent).__name__} acts on one observation at a time; "
                              f"play its episodes one after another instead.")
        self.envs, self.count = list(envs), len(envs)

    def seed_spaces(self, seed: int) -> None:
        for index, env in enumerate(self.envs):
            seeding.seed_spaces(env, seed + index)

    def start(self, seed: int | None) -> None:
        self.observation = [env.reset(seed=None if seed is None else seed + index)[0]
                            for index, env in enumerate(self.envs)]
        self.running = list(range(self.count))

    def observations(self) -> np.ndarray:
        if not self.running:
            raise ConfigError(f"Each of the {self.count} environments played its one episode; "
                              f"ask for at most {self.count} episodes side by side.")
        return np.stack([self.observation[index] for index in self.running])  # (running, ...)

    def position(self) -> None:
        """None: evaluations played side by side are not checkpointed."""
        return None

    def step(self, actions: np.ndarray) -> Steps:
        rows = self.running
        observations = np.stack([self.observation[index] for index in rows])  # (running, ...)
        results = [self.envs[index].step(action)
                   for index, action in zip(rows, actions, strict=True)]
        next_observations, rewards, terminated, truncated, _ = zip(*results, strict=True)
        for index, next_observation in zip(rows, next_observations, strict=True):
            self.observation[index] = next_observation
        ended = [(index, bool(end), bool(cut))
                 for index, end, cut in zip(rows, terminated, truncated, strict=True) if end or cut]
        self.running = [index for index in rows if index not in {end[0] for end in ended}]
        transition = Transition(observations, actions, np.array(rewards, np.float64),
                                np.stack(next_observations), np.array(terminated),
                                np.array(truncated), {})
        return Steps(transition, rows, [float(reward) for reward in rewards], ended)


def environments_for(task: Any, agent: Agent) -> Any:
    """`task` as the engine steps it: a `SideBySide` as it is, a Gymnasium vector environment
    as `VectorEnvironments`, any other `gymnasium.Env` as a `SingleEnvironment`."""
    if isinstance(task, SideBySide):
        return task
    if isinstance(task, gymnasium.vector.VectorEnv):
        return VectorEnvironments(task, agent)
    return SingleEnvironment(task)


class EpisodeTracker:
    """The running episode of each environment: its return, length and the agent's metrics."""

    def __init__(self, count: int) -> None:
        self.returns, self.lengths = [0.0] * count, [0] * count
        self.totals: list[dict[str, tuple[float, int]]] = [{} for _ in range(count)]

    def step(self, rows: Sequence[int], rewards: Sequence[float]) -> None:
        """Adds a step with `rewards` to the episodes of `rows`."""
        for index, reward in zip(rows, rewards, strict=True):
            self.returns[index] += reward
            self.lengths[index] += 1

    def add_metrics(self, rows: Sequence[int], metrics: dict[str, float]) -> None:
        """Adds what `Agent.learn` returned for the last step to the episodes of `rows`."""
        for index in rows:
            totals = self.totals[index]
            for name, value in metrics.items():
                total, count = totals.get(name, (0.0, 0))
                totals[name] = (total + float(value), count + 1)

    def leader(self) -> tuple[float, dict[str, tuple[float, int]]]:
        """The return and metric sums of the highest-returning episode, for the progress bar."""
        index = max(range(len(self.returns)), key=self.returns.__getitem__)
        return self.returns[index], self.totals[index]

    def end(self, index: int, terminated: bool, truncated: bool) -> dict[str, Any]:
        """The record of environment `index`'s episode (without its counters); starts its next."""
        record = {"return": self.returns[index], "length": self.lengths[index],
                  "terminated": terminated, "truncated": truncated, "seconds": 0.0,
                  **{name: total / count for name, (total, count) in self.totals[index].items()}}
        self.returns[index], self.lengths[index], self.totals[index] = 0.0, 0, {}
        return record

    def running(self) -> list[int]:
        """The environments whose episode has taken a step and not ended."""
        return [index for index, length in enumerate(self.lengths) if length]

    def saved(self, index: int) -> dict[str, Any]:
        """Environment `index`'s episode so far, as JSON-ready data for `restore`."""
        return {"return": self.returns[index], "length": self.lengths[index],
                "metrics": {name: list(pair) for name, pair in self.totals[index].items()}}

    def restore(self, index: int, saved: dict[str, Any]) -> None:
        """Puts back environment `index`'s episode from `saved` (see `check_running_episode`)."""
        self.returns[index], self.lengths[index] = saved["return"], saved["length"]
        self.totals[index] = {name: tuple(pair) for name, pair in saved["metrics"].items()}


def step(agent: Agent, environments: Any, tracker: EpisodeTracker, state: Any, *,
         learn: bool, explore: bool, bar: ProgressBar) -> list[dict[str, Any]]:
    """One step of every running environment: the agent acts on their observations, they
    step, the agent learns from the transition. Returns the records of the episodes it ended.

    `state` (the loop's `LoopState`) counts the steps and episodes.
    """
    actions = agent.act(environments.observations(), explore=explore)
    steps = environments.step(actions)
    tracker.step(steps.rows, steps.rewards)
    state.steps += len(steps.rows)
    if learn and steps.rows:
        tracker.add_metrics(steps.rows, agent.learn(steps.transition))
    bar.step(tracker.leader, len(steps.rows))
    return [end_episode(tracker, index, terminated, truncated, state, bar)
            for index, terminated, truncated in steps.ended]


def end_episode(tracker: EpisodeTracker, index: int, terminated: bool, truncated: bool,
                state: Any, bar: ProgressBar) -> dict[str, Any]:
    """Counts the episode of environment `index` as ended and returns its record."""
    state.episodes += 1
    bar.episode_end(tracker.returns[index], tracker.totals[index])
    return {"episode": state.episodes, "steps": state.steps,
            **tracker.end(index, terminated, truncated)}


def running_episode(environments: Any, tracker: EpisodeTracker) -> dict[str, Any] | None:
    """The episode in progress as a checkpoint keeps it: its return, length and metric sums
    so far, and the task's position in it; None when no episode can be continued later."""
    position = environments.position()
    return None if position is None else {**tracker.saved(0), "task": position}


def continue_episode(environments: Any, tracker: EpisodeTracker, saved: Any) -> None:
    """Makes the next step continue the episode `running_episode` returned as `saved`."""
    check_running_episode(saved)
    if not isinstance(environments, SingleEnvironment):
        raise ConfigError("A checkpoint taken inside an episode continues on one environment, "
                          "not on a vector of them; resume the run with num_envs=1.")
    environments.continue_at(saved["task"])
    tracker.restore(0, saved)


def check_running_episode(saved: Any) -> None:
    """Raises ValueError unless `saved` has the form `running_episode` gives (it comes from a
    file); the task checks its own position when it continues."""
    if not (isinstance(saved, dict) and set(saved) == {"return", "length", "metrics", "task"}
            and _is_number(saved["return"]) and isinstance(saved["metrics"], dict)
            and all(isinstance(name, str) and isinstance(pair, list) and len(pair) == 2
                    and _is_number(pair[0]) for name, pair in saved["metrics"].items())):
        raise ValueError("the episode in progress is not a dict of return, length, metric "
                         "sums and the task's position")
    whole_number("the episode in progress: length", saved["length"], error=ValueError)
    for name, (_, count) in saved["metrics"].items():
        whole_number(f"the episode in progress: count of {name!r}", count, error=ValueError)


def _is_number(value: Any) -> bool:
    """A real number (NaN too: a metric's sum may be NaN in a run that is not damaged)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _final_observations(observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """`observations`, with the last observation of each episode that just ended (SAME_STEP)."""
    if "_final_obs" not in info:
        return observations
    finals = observations.copy()
    for index in np.flatnonzero(info["_final_obs"]):
        finals[index] = info["final_obs"][index]
    return finals
