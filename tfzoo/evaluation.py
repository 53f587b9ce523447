"""`PeriodicEvaluation`: greedy evaluations during training, and the best policy they saw.

Reinforcement learners such as DQN on CartPole often get worse late in training, so a run
evaluates its agent every so many steps and keeps the best policy, as rl-baselines3-zoo
keeps `best_model`. This module is the callback only; where the best policy is stored is
up to its `on_best` function (run directories write a checkpoint).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import gymnasium

from tfzoo.core import Agent
from tfzoo.errors import ConfigError
from tfzoo.loop import Callback, LoopState, evaluate


class PeriodicEvaluation(Callback):
    """Evaluates the agent greedily at the first episode end after every `every_steps` steps.

    Each evaluation runs `episodes` episodes of `task` with `explore=False` and no learning.
    Its mean return goes into that episode's record as `eval_return` (so into progress.csv
    and TensorBoard); a new best calls `on_best(agent, eval_return, state)`.

    Args:
        task: The task to evaluate on (not the one being trained on: evaluating resets it).
        every_steps: Environment steps between evaluations.
        episodes: Episodes per evaluation.
        seed: Seeds evaluation number k with `seed + k`, so every evaluation sees other
            starting states, and a resumed run sees the same ones; None leaves them unseeded.
        on_best: Called after each evaluation that beats every earlier one.
        best_return: The best mean return already seen, when a run is resumed.
    """

    def __init__(
        self,
        task: gymnasium.Env,
        *,
        every_steps: int,
        episodes: int = 10,
        seed: int | None = None,
        on_best: Callable[[Agent, float, LoopState], Any] | None = None,
        best_return: float = -math.inf,
    ) -> None:
        if isinstance(every_steps, bool) or not isinstance(every_steps, int) or every_steps < 1:
            raise ConfigError(f"every_steps={every_steps!r}: evaluate every N >= 1 steps.")
        self.task, self.every_steps, self.episodes = task, every_steps, episodes
        self.seed, self.on_best, self.best_return = seed, on_best, best_return
        self.agent: Agent | None = None
        self.next_evaluation = every_steps

    def on_run_start(self, agent: Agent, task: gymnasium.Env, state: LoopState) -> None:
        """Remembers the agent and schedules the first evaluation after the current step."""
        self.agent = agent
        self.next_evaluation = (state.steps // self.every_steps + 1) * self.every_steps

    def on_episode_end(self, record: dict[str, Any], state: LoopState) -> None:
        """Evaluates if an evaluation is due, and records it in `record`."""
        if state.steps < self.next_evaluation:
            return
        number = state.steps // self.every_steps
        self.next_evaluation = (number + 1) * self.every_steps
        seed = None if self.seed is None else self.seed + number
        score = evaluate(self.agent, self.task, episodes=self.episodes, seed=seed)
        record["eval_return"] = score
        if score > self.best_return:
            self.best_return = score
            if self.on_best is not None:
                self.on_best(self.agent, score, state)
