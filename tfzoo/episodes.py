"""Episodes of Gymnasium vector environments, stepped together for batch-acting agents.

`vector_episodes` is what the loop runs on them instead of one episode at a time; `tfzoo.run`
drives both, with the same budget, callbacks and records. `tfzoo.make_vec` builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode

from tfzoo.core import Agent, Transition
from tfzoo.errors import ConfigError
from tfzoo.progress import ProgressBar


def vector_episodes(
    agent: Agent, task: gymnasium.vector.VectorEnv, state: Any, reset_seed: int | None,
    learn: bool, explore: bool, bar: ProgressBar, out_of_budget: Callable[[], bool],
) -> Iterator[tuple[dict[str, Any] | None, bool]]:
    """Steps every sub-environment at once; yields (record, interrupted) per episode that ends.

    Each step is one `act` on the batch of observations and one `learn` on the batch of
    transitions it made (`state.steps` counts them all). Both of Gymnasium 1.x's autoreset
    modes are handled: with `SAME_STEP` a transition ends on `info["final_obs"]`; with
    `NEXT_STEP` the step that only resets a sub-environment is no transition and is left out.
    Ctrl-C yields (None, True); episodes unfinished when the run stops are not recorded.
    """
    mode = _autoreset_mode(agent, task)
    observations, _ = task.reset(seed=reset_seed)
    episodes = _Episodes(task.num_envs)
    resetting = np.zeros(task.num_envs, bool)  # NEXT_STEP: this step only resets them.
    while not out_of_budget():
        try:
            actions = agent.act(observations, explore=explore)  # (envs,)
            next_observations, rewards, terminated, truncated, info = task.step(actions)
        except KeyboardInterrupt:
            yield None, True
            return
        real = ~resetting  # The rows that are transitions.
        episodes.step(rewards, real)
        state.steps += int(real.sum())
        if learn and real.any():
            episodes.add_metrics(agent.learn(Transition(
                observations[real], actions[real], rewards[real],
                _final_observations(next_observations, info)[real], terminated[real],
                truncated[real], info,
            )), real)
        observations = next_observations
        ended = (terminated | truncated) & real
        resetting = ended if mode == AutoresetMode.NEXT_STEP else resetting
        leader = int(np.argmax(episodes.returns))  # The bar shows the longest-running one.
        bar.step(float(episodes.returns[leader]), episodes.sums(leader), int(real.sum()))
        for index in np.flatnonzero(ended):
            state.episodes += 1
            bar.episode_end(float(episodes.returns[index]), episodes.sums(index))
            record = {"episode": state.episodes, "steps": state.steps,
                      **episodes.end(index, terminated[index], truncated[index])}
            yield record, False


def _autoreset_mode(agent: Agent, task: gymnasium.vector.VectorEnv) -> AutoresetMode:
    """The vector environment's autoreset mode, once the agent and mode are known to work."""
    if not agent.batched_act:
        raise ConfigError(
            f"{type(agent).__name__} acts on one observation at a time, so it cannot drive a "
            f"vector of {task.num_envs} environments; train it on a single task (num_envs=1)."
        )
    mode = AutoresetMode(task.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
    if mode == AutoresetMode.DISABLED:
        raise ConfigError("A vector environment with autoreset disabled cannot run in the loop; "
                          "make it with autoreset_mode=AutoresetMode.SAME_STEP (tfzoo.make_vec).")
    return mode


def _final_observations(observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """`observations`, with the last observation of each episode that just ended (SAME_STEP)."""
    if "_final_obs" not in info:
        return observations
    finals = observations.copy()
    for index in np.flatnonzero(info["_final_obs"]):
        finals[index] = info["final_obs"][index]
    return finals


class _Episodes:
    """The running episode of each sub-environment: its return, length and metric sums."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.returns, self.lengths = np.zeros(count), np.zeros(count, np.int64)
        self.totals: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def step(self, rewards: np.ndarray, rows: np.ndarray) -> None:
        self.returns[rows] += rewards[rows]
        self.lengths[rows] += 1

    def add_metrics(self, metrics: dict[str, float], rows: np.ndarray) -> None:
        for name, value in metrics.items():
            total, counted = self.totals.setdefault(
                name, (np.zeros(self.count), np.zeros(self.count, np.int64))
            )
            total[rows] += float(value)
            counted[rows] += 1

    def sums(self, index: int) -> dict[str, tuple[float, int]]:
        return {name: (float(total[index]), int(counted[index]))
                for name, (total, counted) in self.totals.items() if counted[index]}

    def end(self, index: int, terminated: bool, truncated: bool) -> dict[str, Any]:
        """The record of sub-environment `index`'s episode (without its counters); starts its
        next one."""
        record = {"return": float(self.returns[index]), "length": int(self.lengths[index]),
                  "terminated": bool(terminated), "truncated": bool(truncated), "seconds": 0.0,
                  **{name: total / count for name, (total, count) in self.sums(index).items()}}
        self.returns[index], self.lengths[index] = 0.0, 0
        for total, counted in self.totals.values():
            total[index], counted[index] = 0.0, 0
        return record
