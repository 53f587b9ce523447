"""Runs you can resume: start a run in a directory, resume it, load it, re-evaluate it.

This is what `tfzoo train`, `tfzoo train --resume` and `tfzoo eval` call; the files
themselves are `tfzoo.runs`' business and the loop is `tfzoo.loop`'s.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium
import tensorflow as tf

from tfzoo.compiled import EXECUTION_MODES, trace_counts
from tfzoo.compiled import execution as execution_mode  # `execution` names a setting here.
from tfzoo.config import config_fields, full_kwargs, load
from tfzoo.core import Agent
from tfzoo.distribute import check_workers_agree, is_multi_worker, resume_path, worker_path
from tfzoo.errors import ConfigError, RunDirectoryError, RunInterrupted, TfzooError
from tfzoo.runs.evaluation import PeriodicEvaluation
from tfzoo.loop import Callback, LoopState, check_budget, evaluate, evaluation_returns, run
from tfzoo.registration import agent_config, make, spec
from tfzoo.runs.best import BestCheckpoint
from tfzoo.runs.directory import RunDirectory
from tfzoo.runs.logger import RunLogger
from tfzoo.seeding import MAX_SEED, seed_everything
from tfzoo.vector import make_vec

PATH_SETTINGS = ("data_dir", "text_path")  # Task settings that are paths on this machine.


def start_run(
    task_id: str,
    *,
    path: str | os.PathLike | None = None,
    preset: str | None = None,
    seed: int | None = None,
    steps: int | None = None,
    episodes: int | None = None,
    max_seconds: float | None = None,
    task_overrides: dict[str, Any] | None = None,
    agent_overrides: dict[str, Any] | None = None,
    checkpoint_seconds: float = 60.0,
    progress: bool = True,
    callbacks: Sequence[Callback] = (),
    agent: str | None = None,
    deterministic: bool = False,
    execution: str = "compiled",
    num_envs: int = 1,
) -> dict[str, Any]:
    """Trains an agent in a new run directory, evaluates it, returns the summary.

    Args:
        task_id: A registered task id, or a Gymnasium id tfzoo does not register.
        path: The run directory to create; default `runs/<task>-<preset>-seed<N>-<time>`.
        preset: The task's preset (its default when None).
        seed: The run's seed; None draws one, which config.json records.
        steps, episodes: The budget; when both are None, the preset's budget.
        max_seconds: Stop training cleanly after this many wall-clock seconds, then evaluate.
        task_overrides, agent_overrides: Settings on top of the preset's.
        checkpoint_seconds: Seconds between checkpoints (saved at episode ends).
        progress: Show a progress bar.
        callbacks: More `Callback`s for the loop, after the one that logs the run.
        agent: An agent name from `tfzoo.agent_registry` to train instead of the task's
            default agent (which alone takes the preset's agent settings).
        deterministic: Turn on TensorFlow's op determinism
            (`tf.config.experimental.enable_op_determinism()`, for the rest of the
            process), so the same seed gives bit-identical metrics; `tfzoo verify` checks.
        execution: "compiled" (`tf.function`), "eager" (for print and pdb) or "jit" (XLA);
            see `tfzoo.compiled.execution`.
        num_envs: Collect experience from this many copies of the task at once
            (`tfzoo.make_vec`), for agents that act on batches (the DQN agent).

    Raises:
        TfzooError: A bad id, preset, override or budget, or a directory already in use.
    """
    preset = spec(task_id).default_preset if preset is None else preset
    if execution not in EXECUTION_MODES:
        raise ConfigError(f"execution={execution!r} is not one of {', '.join(EXECUTION_MODES)}.")
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    budget = _budget(task_id, preset, steps, episodes, max_seconds)
    seed = secrets.randbelow(2**31) if seed is None else checked_seed(seed)
    seed_everything(seed)
    task_overrides = {
        # Absolute, as config.json records them, so the run resumes from any directory.
        key: os.path.abspath(os.path.expanduser(value)) if key in PATH_SETTINGS
        and isinstance(value, str) else value
        for key, value in (task_overrides or {}).items()
    }
    task = make(task_id, preset=preset, **task_overrides)
    # The task's own agent takes the preset's settings; another agent, its defaults.
    own_agent = agent is None or agent == spec(task_id).agent
    agent_spec, config = agent_config(task_id if own_agent else agent,
                                      preset if own_agent else None, **(agent_overrides or {}))
    learner = load(agent_spec.entry_point)(task, config)
    training_task = _training_task(task_id, preset, task_overrides, num_envs, learner) or task
    strategy = getattr(learner, "strategy", None)
    if is_multi_worker(strategy) and max_seconds:
        raise ConfigError(
            "A multi-worker run cannot stop after max_seconds: its workers would stop at "
            "different steps and wait for each other forever. Give it --steps or --episodes."
        )
    task_kwargs = full_kwargs(load(spec(task_id).entry_point), task.unwrapped.spec.kwargs)
    # Built before anything is written, so a bad setting fails before the run starts.
    eval_task = rebuild_evaluation_task(
        {"task": task_id, "preset": preset, "task_kwargs": task_kwargs}
    )
    if path is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = Path("runs") / f"{task_id}-{preset}-seed{seed}-{stamp}"
    if strategy is not None:
        path = worker_path(path, strategy)  # Workers other than the chief write beside it.
    run_directory = RunDirectory.create(path, _as_json({
        "task": task_id, "preset": preset, "agent": agent_spec.name, "seed": seed,
        "budget": budget, "task_kwargs": task_kwargs, "agent_config": config_fields(config),
        "overrides": {"task": task_overrides or {}, "agent": agent_overrides or {}},
        "checkpoint_seconds": checkpoint_seconds, "deterministic": deterministic,
        "execution": execution, "num_envs": num_envs,
    }))
    state = LoopState()
    logger = RunLogger(run_directory, learner, state, checkpoint_seconds,
                       synchronized=is_multi_worker(strategy))
    return _train_and_evaluate(
        run_directory, training_task, eval_task, learner, state, logger, progress, callbacks
    )


def resume_run(path: str | os.PathLike, *, progress: bool = True) -> dict[str, Any]:
    """Continues an unfinished run from its last checkpoint to the same budget.

    A worker of a multi-worker run (`TF_CONFIG` set) resumes its own run directory
    (`<path>.worker-<i>`, see `tfzoo.distribute.resume_path`), so all run the same command.

    Raises:
        RunDirectoryError: `path` is not a run, is damaged, or has already finished.
    """
    path = resume_path(path)
    run_directory = RunDirectory.open(path)
    if run_directory.read_summary() is not None:
        raise RunDirectoryError(
            f"The run in {str(path)!r} has already finished (it has a summary.json), so there "
            f"is nothing to resume. Re-evaluate it with `tfzoo eval {path}`, or start a new run."
        )
    if run_directory.config.get("deterministic"):
        tf.config.experimental.enable_op_determinism()
    task, agent = _rebuild(run_directory, training=True)
    state = LoopState()
    strategy = getattr(agent, "strategy", None)
    logger = RunLogger(
        run_directory, agent, state, run_directory.config.get("checkpoint_seconds", 60.0),
        synchronized=is_multi_worker(strategy),
    )
    logger.restore()
    check_workers_agree(strategy, "steps", state.steps)  # Workers go on from the same step.
    eval_task = rebuild_evaluation_task(run_directory.config)
    return _train_and_evaluate(run_directory, task, eval_task, agent, state, logger, progress)


def load_run(
    path: str | os.PathLike, *, best: bool = False
) -> tuple[gymnasium.Env, Agent, dict[str, Any]]:
    """Rebuilds a run's task and agent and restores the agent from the latest checkpoint.

    Args:
        path: The run directory.
        best: Restore the best policy the run's periodic evaluations saw instead (for
            tasks that evaluate during training, such as cartpole-dqn).

    Returns:
        (task, agent, config) where config is the run's config.json.
    """
    run_directory = RunDirectory.open(path)
    task, agent = _rebuild(run_directory)
    if best:
        BestCheckpoint(run_directory).restore(agent)
        return task, agent, run_directory.config
    logger = RunLogger(run_directory, agent, LoopState())
    if not logger.restore():
        raise RunDirectoryError(
            f"The run in {str(path)!r} has no checkpoint yet (it stopped before saving one); "
            f"resume it with `tfzoo train --resume {path}`, or start it again."
        )
    return task, agent, run_directory.config


def evaluate_run(
    path: str | os.PathLike, *, episodes: int | None = None, seed: int | None = None,
    best: bool = False,
) -> float:
    """Re-evaluates a saved run as its training did at the end; returns the mean return.

    With `best`, evaluates the best policy its periodic evaluations saw instead.
    """
    _, agent, config = load_run(path, best=best)
    eval_task = rebuild_evaluation_task(config)
    return evaluate(
        agent, eval_task,
        episodes=spec(config["task"]).evaluation.episodes if episodes is None else episodes,
        seed=config["seed"] if seed is None else checked_seed(seed),
    )


def _rebuild(run_directory: RunDirectory, training: bool = False) -> tuple[gymnasium.Env, Agent]:
    """The run's task and agent, built as config.json says (not restored).

    Args:
        training: Build the agent to train on (resume). Otherwise it is for evaluating
            and playing, on this machine's default device whatever strategy it trained with.
    """
    config = run_directory.config
    seed_everything(config["seed"])
    settings = dict(config["agent_config"])
    if not training and "strategy" in settings:
        settings["strategy"] = "default"
    try:
        task = make(config["task"], preset=config["preset"], **config["task_kwargs"])
        # config.json records every field of the agent's config, and the agent's name.
        agent_spec, agent_settings = agent_config(config["agent"], **settings)
    except (TfzooError, TypeError, ValueError) as error:
        raise RunDirectoryError(
            f"The run in {str(run_directory.path)!r} cannot be rebuilt from its config.json: "
            f"{error}"
        ) from None
    learner = load(agent_spec.entry_point)(task, agent_settings)
    if training:
        task = _training_task(config["task"], config["preset"], config["task_kwargs"],
                              config.get("num_envs", 1), learner) or task
    return task, learner


def _training_task(task_id, preset, task_kwargs, num_envs, learner) -> gymnasium.Env | None:
    """The vector of `num_envs` copies of the task to train `learner` on, or None for one."""
    if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
        raise ConfigError(f"num_envs={num_envs!r} must be a whole number >= 1.")
    if num_envs == 1:
        return None
    if not learner.batched_act:
        raise ConfigError(
            f"num_envs={num_envs}: the {type(learner).__name__} acts on one observation at a "
            f"time; only agents that act on batches (the DQN agent) collect from several "
            f"environments. Drop --num-envs, or use --strategy to spread a supervised agent."
        )
    return make_vec(task_id, num_envs, preset=preset, **task_kwargs)


def _budget(task_id, preset, steps, episodes, max_seconds) -> dict[str, Any]:
    """The run's budget: the one given, else the preset's; checked before anything is written."""
    if steps is None and episodes is None:
        chosen = spec(task_id).preset(preset)
        steps, episodes = chosen.steps, chosen.episodes
    if steps is None and episodes is None and max_seconds is None:
        raise ConfigError(
            f"Preset {preset!r} of task {task_id!r} sets no training budget; pass --steps N or "
            f"--episodes N (steps= or episodes= from Python)."
        )
    check_budget(steps, episodes, max_seconds)
    return {"steps": steps, "episodes": episodes, "max_seconds": max_seconds}


def checked_seed(seed: Any) -> int:
    """`seed` if it is a whole number from 0 to MAX_SEED; else a ConfigError saying so."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed={seed!r} is not a seed; pass a whole number from 0 to {MAX_SEED}.")
    return seed


def _as_json(config: dict[str, Any]) -> dict[str, Any]:
    """`config` if every value in it is JSON; else a ConfigError naming the first that is not."""
    for section in ("task_kwargs", "agent_config"):
        for name, value in config[section].items():
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                if name == "strategy":
                    raise ConfigError(
                        f"A run directory records every setting in config.json, but strategy="
                        f"{type(value).__name__} is not JSON. Pass its name instead ("
                        f"'mirrored' or 'multiworker'), or train with tfzoo.train()."
                    ) from None
                raise ConfigError(
                    f"A run directory records every setting in config.json, but {name}="
                    f"{type(value).__name__} is not JSON. Give it a name instead, e.g. "
                    f"`tfzoo.register_model('my-model', MyModel)`, then "
                    f"pass model='my-model' (docs/custom-layers.md); or train it with "
                    f"tfzoo.train() without a run directory."
                ) from None
    return config


def rebuild_evaluation_task(config: Mapping[str, Any], **overrides: Any) -> gymnasium.Env:
    """The task a run is evaluated on: its task as config.json describes it, with the task
    spec's evaluation overrides (e.g. the test split), and then `overrides`."""
    evaluation = spec(config["task"]).evaluation.task
    settings = {**config["task_kwargs"], **evaluation, **overrides}
    return make(config["task"], preset=config["preset"], **settings)


def _train_and_evaluate(
    run_directory, task, eval_task, agent, state, logger, progress, callbacks=()
):
    """Runs the loop to the budget, evaluates, writes and returns summary.json's contents."""
    config = run_directory.config
    budget, task_spec = config["budget"], spec(config["task"])
    best = BestCheckpoint(run_directory)
    evaluations = _periodic_evaluation(task_spec, config, best)
    try:
        with execution_mode(config.get("execution", "compiled")):
            run(
                agent, task, steps=budget["steps"], episodes=budget["episodes"],
                seed=config["seed"], max_seconds=budget["max_seconds"],
                callbacks=[*evaluations, logger, *callbacks], state=state, progress=progress,
            )
            traces = trace_counts(agent)  # Before the best policy is restored into the agent.
            eval_returns = _evaluation_returns(agent, eval_task, task_spec, config["seed"])
            eval_metrics = agent.evaluation_metrics(eval_task)
            best_metrics = _evaluate_best(best, agent, eval_task, task_spec, config["seed"])
    except KeyboardInterrupt:
        raise RunInterrupted(run_directory.path) from None
    rows = logger.rows
    summary = {
        "task": config["task"], "preset": config["preset"], "agent": config["agent"],
        "seed": config["seed"], "steps": state.steps, "episodes": state.episodes,
        "wall_seconds": round(state.seconds, 3),
        "train_return": float(rows[-1]["return"]) if rows else None,
        "eval_return": statistics.mean(eval_returns), "eval_episodes": len(eval_returns),
        **({"eval_return_std": statistics.pstdev(eval_returns)} if len(eval_returns) > 1 else {}),
        **{f"eval_{name}": value for name, value in eval_metrics.items()},
        **best_metrics, "execution": config.get("execution", "compiled"), "traces": traces,
        "stopped_by": _stop_reason(state, budget), "run_dir": str(run_directory.path),
    }
    run_directory.write_summary(summary)
    return summary


def _periodic_evaluation(task_spec, config, best) -> list[Callback]:
    """The callback that evaluates during training and saves each new best, if the task asks."""
    if task_spec.evaluation.interval is None:
        return []
    saved = best.read()  # When resuming: the best so far, to beat.
    return [PeriodicEvaluation(
        lambda: rebuild_evaluation_task(config), every_steps=task_spec.evaluation.interval,
        episodes=task_spec.evaluation.interval_episodes, seed=config["seed"], on_best=best.save,
        best_return=-math.inf if saved is None else saved["eval_return"],
    )]


def _evaluate_best(best, agent, eval_task, task_spec, seed) -> dict[str, Any]:
    """The best policy's figures for summary.json (restored into `agent`), or none."""
    if best.read() is None:
        return {}
    saved = best.restore(agent)
    returns = _evaluation_returns(agent, eval_task, task_spec, seed)
    return {
        "best_eval_return": statistics.mean(returns),
        "best_eval_return_std": statistics.pstdev(returns),
        "best_steps": saved["steps"], "best_periodic_return": saved["eval_return"],
    }


def _evaluation_returns(agent, eval_task, task_spec, seed) -> list[float]:
    """The returns of the final evaluation's episodes (greedy, no learning)."""
    return evaluation_returns(agent, eval_task, episodes=task_spec.evaluation.episodes,
                              seed=seed)


def _stop_reason(state: LoopState, budget: dict[str, Any]) -> str:
    if budget["steps"] is not None and state.steps >= budget["steps"]:
        return "steps"
    if budget["episodes"] is not None and state.episodes >= budget["episodes"]:
        return "episodes"
    return "max_seconds"
