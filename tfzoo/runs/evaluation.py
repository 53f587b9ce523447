"""`PeriodicEvaluation`: greedy evaluations during training, and the best policy they saw;
`recorded_evaluation`: how a run is evaluated, as its config.json says.

Reinforcement learners such as DQN on CartPole often get worse late in training, so a run
evaluates its agent every so many steps and keeps the best policy, as rl-baselines3-zoo
keeps `best_model`. This module is the callback only; where the best policy is stored is
up to its `on_best` function (run directories write a checkpoint).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import gymnasium

from tfzoo.cards import Evaluation
from tfzoo.core import Agent
from tfzoo.episodes import SideBySide
from tfzoo.errors import RunDirectoryError, TfzooError
from tfzoo.loop import Callback, LoopState, evaluate
from tfzoo.registration import spec
from tfzoo.validate import whole_number


def recorded_evaluation(config: Mapping[str, Any]) -> Evaluation:
    """How the run of `config` (its config.json) is evaluated: as it records, or, for runs
    made before config.json recorded it, as its task spec says.

    Raises:
        RunDirectoryError: The recorded evaluation is not one (a damaged config.json).
    """
    recorded = config.get("evaluation")
    if recorded is None:
        return spec(config["task"]).evaluation
    try:
        return Evaluation(**recorded)
    except (TypeError, TfzooError) as error:
        raise RunDirectoryError(
            f"config.json's evaluation {recorded!r} is not an evaluation ({error}): the file "
            f"is damaged. Restore it from a copy, or delete its 'evaluation' entry to use the "
            f"task's own.") from None


class PeriodicEvaluation(Callback):
    """Evaluates the agent greedily at the first episode end after every `every_steps` steps.

    Each evaluation runs `episodes` episodes with `explore=False` and no learning: side by
    side on copies of the task when the agent acts on batches (`batched_act`), else one
    after another. Its mean return goes into that episode's record as `eval_return` (so
    into progress.csv and TensorBoard); a new best calls `on_best(agent, eval_return, state)`.

    Args:
        make_task: Makes the task to evaluate on (not the one being trained on: evaluating
            resets it); called once, or once per episode for side-by-side evaluation.
        every_steps: Environment steps between evaluations.
        episodes: Episodes per evaluation.
        seed: Evaluation number k starts from `seed + k * episodes` (side by side: episode i
            is reset with that plus i; one after another: the first reset takes it, and the
            others continue its random stream), so every evaluation sees other starting
            states, and a resumed run the same ones; None leaves them unseeded.
        on_best: Called after each evaluation that beats every earlier one.
        best_return: The best mean return already seen, when a run is resumed.
    """

    def __init__(
        self,
        make_task: Callable[[], gymnasium.Env],
        *,
        every_steps: int,
        episodes: int = 10,
        seed: int | None = None,
        on_best: Callable[[Agent, float, LoopState], Any] | None = None,
        best_return: float = -math.inf,
    ) -> None:
        whole_number("every_steps", every_steps)
        whole_number("episodes", episodes)
        self.make_task, self.every_steps, self.episodes = make_task, every_steps, episodes
        self.seed, self.on_best, self.best_return = seed, on_best, best_return
        self.agent: Agent | None = None
        self.tasks: gymnasium.Env | SideBySide | None = None
        self.next_evaluation = every_steps

    def on_run_start(self, agent: Agent, task: gymnasium.Env, state: LoopState) -> None:
        """Makes the evaluation tasks and schedules the first evaluation after this step."""
        self.agent = agent
        self.tasks = evaluation_tasks(self.make_task, agent, self.episodes)
        self.next_evaluation = (state.steps // self.every_steps + 1) * self.every_steps

    def on_episode_end(self, record: dict[str, Any], state: LoopState) -> None:
        """Evaluates if an evaluation is due, and records it in `record`."""
        if state.steps < self.next_evaluation:
            return
        number = state.steps // self.every_steps
        self.next_evaluation = (number + 1) * self.every_steps
        seed = None if self.seed is None else self.seed + number * self.episodes
        score = evaluate(self.agent, self.tasks, episodes=self.episodes, seed=seed)
        record["eval_return"] = score
        if score > self.best_return:
            self.best_return = score
            if self.on_best is not None:
                self.on_best(self.agent, score, state)


def evaluation_tasks(make_task: Callable[[], gymnasium.Env], agent: Agent,
                     episodes: int) -> gymnasium.Env | SideBySide:
    """What an evaluation of `episodes` greedy episodes plays on: `SideBySide` copies made by
    `make_task` when the agent acts on batches (`batched_act`), else one task, whose episodes
    follow one another."""
    if agent.batched_act:
        return SideBySide([make_task() for _ in range(episodes)], agent)
    return make_task()
