"""The end of a run: training it to its budget, its final evaluation, and summary.json.

`tfzoo.runs.experiment` starts and resumes runs and hands them here. This module runs the
loop with the run's logger, evaluates the agent greedily as its task spec says (and the best
policy the run kept, if it kept one), and writes summary.json. It does not build tasks or
agents from settings (that is `tfzoo.runs.experiment`), and the loop is `tfzoo.loop`'s.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium

from tfzoo.cards import Evaluation
from tfzoo.compiled import execution, trace_counts
from tfzoo.core import Agent
from tfzoo.episodes import SideBySide
from tfzoo.errors import RunInterrupted
from tfzoo.loop import Callback, LoopState, evaluation_returns, run
from tfzoo.registration import make
from tfzoo.runs.best import BestCheckpoint
from tfzoo.runs.directory import RunDirectory
from tfzoo.runs.evaluation import PeriodicEvaluation, evaluation_tasks, recorded_evaluation
from tfzoo.runs.logger import RunLogger


def rebuild_evaluation_task(config: Mapping[str, Any], **overrides: Any) -> gymnasium.Env:
    """The task a run is evaluated on: its task as config.json describes it, with the task
    spec's evaluation settings (e.g. the test split), and then `overrides`."""
    evaluation = recorded_evaluation(config).task
    settings = {**config["task_kwargs"], **evaluation, **overrides}
    return make(config["task"], preset=config["preset"], **settings)


def final_evaluation_tasks(
    config: Mapping[str, Any], agent: Agent, episodes: int,
    eval_task: gymnasium.Env | None = None,
) -> gymnasium.Env | SideBySide:
    """What a run's final evaluations (and `tfzoo eval`) play `episodes` greedy episodes on:
    side-by-side copies of its evaluation task when the agent acts on batches, as the periodic
    evaluations play them (episode i starts from `seed + i`), else that one task (`eval_task`,
    or one rebuilt from config.json), whose episodes follow one another."""
    if eval_task is not None and not agent.batched_act:
        return eval_task
    return evaluation_tasks(lambda: rebuild_evaluation_task(config), agent, episodes)


def train_and_summarize(
    run_directory: RunDirectory, task: gymnasium.Env, eval_task: gymnasium.Env, agent: Agent,
    state: LoopState, logger: RunLogger, progress: bool, callbacks: Sequence[Callback] = (),
) -> dict[str, Any]:
    """Trains `agent` on `task` to the run's budget, evaluates it on `eval_task`, and writes
    and returns summary.json's contents.

    Raises:
        RunInterrupted: Ctrl-C (or SIGTERM) stopped the run; the logger saved a checkpoint.
    """
    config = run_directory.config
    budget, evaluation = config["budget"], recorded_evaluation(config)
    best = BestCheckpoint(run_directory)
    try:
        with execution(config.get("execution", "compiled")):
            run(
                agent, task, steps=budget["steps"], episodes=budget["episodes"],
                seed=config["seed"], max_seconds=budget["max_seconds"], state=state,
                callbacks=[*_periodic_evaluation(evaluation, config, best), logger, *callbacks],
                progress=progress,
            )
            # Before the best policy is restored into the agent.
            traces, schedules = trace_counts(agent), agent.schedules()
            figures = _final_evaluation(agent, eval_task, config, best, progress)
    except KeyboardInterrupt:
        raise RunInterrupted(run_directory.path) from None
    rows = logger.rows
    summary = {
        "task": config["task"], "preset": config["preset"], "agent": config["agent"],
        "seed": config["seed"], "steps": state.steps, "episodes": state.episodes,
        "wall_seconds": round(state.seconds, 3),
        "train_return": float(rows[-1]["return"]) if rows else None,
        **figures, "execution": config.get("execution", "compiled"), "traces": traces,
        "stopped_by": _stop_reason(state, budget), "schedules": schedules,
        "run_dir": str(run_directory.path),
    }
    run_directory.write_summary(summary)
    return summary


def _periodic_evaluation(
    evaluation: Evaluation, config: Mapping[str, Any], best: BestCheckpoint
) -> list[Callback]:
    """The callback that evaluates during training and saves each new best, if the task asks."""
    if evaluation.interval is None:
        return []
    saved = best.read()  # When resuming: the best so far, to beat.
    return [PeriodicEvaluation(
        lambda: rebuild_evaluation_task(config), every_steps=evaluation.interval,
        episodes=evaluation.interval_episodes, seed=config["seed"] + evaluation.seed_offset,
        on_best=best.save,
        best_return=-math.inf if saved is None else saved["eval_return"],
    )]


def _final_evaluation(
    agent: Agent, eval_task: gymnasium.Env, config: Mapping[str, Any], best: BestCheckpoint,
    progress: bool,
) -> dict[str, Any]:
    """summary.json's figures of the final evaluation: the agent's, then those of the best
    policy the run kept, if it kept one (restoring it into `agent`); `progress` shows bars."""
    evaluation = recorded_evaluation(config)
    episodes, seed = evaluation.episodes, config["seed"] + evaluation.seed_offset
    tasks = final_evaluation_tasks(config, agent, episodes, eval_task)  # Made once, for both.
    returns = evaluation_returns(agent, tasks, episodes=episodes, seed=seed,
                                 progress=progress and "evaluate final policy")
    figures = {"eval_return": statistics.mean(returns), "eval_episodes": len(returns)}
    if len(returns) > 1:
        figures["eval_return_std"] = statistics.pstdev(returns)
    for name, value in agent.evaluation_metrics(eval_task).items():
        figures[f"eval_{name}"] = value
    if best.read() is not None:
        saved = best.restore(agent)
        returns = evaluation_returns(agent, tasks, episodes=episodes, seed=seed,
                                     progress=progress and "evaluate best policy")
        figures.update({
            "best_eval_return": statistics.mean(returns),
            "best_eval_return_std": statistics.pstdev(returns),
            "best_steps": saved["steps"], "best_periodic_return": saved["eval_return"],
        })
    return figures


def _stop_reason(state: LoopState, budget: Mapping[str, Any]) -> str:
    """Which limit of the budget ended training: "steps", "episodes" or "max_seconds"."""
    if budget["steps"] is not None and state.steps >= budget["steps"]:
        return "steps"
    if budget["episodes"] is not None and state.episodes >= budget["episodes"]:
        return "episodes"
    return "max_seconds"
