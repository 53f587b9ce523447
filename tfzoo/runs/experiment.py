"""Runs you can resume: start a run in a directory, resume it, load it, re-evaluate it.

This is what `tfzoo train`, `tfzoo train --resume` and `tfzoo eval` call. A run is asked
for with a `RunConfig`; this module builds its task and agent and creates its directory,
and `tfzoo.runs.summary` trains it to the end. The files themselves are the business of the
other modules of `tfzoo.runs`, and the loop is `tfzoo.loop`'s.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium
import tensorflow as tf

from tfzoo import validate
from tfzoo.cards import Evaluation
from tfzoo.config import config_fields, full_kwargs, load
from tfzoo.core import Agent
from tfzoo.distribute import check_workers_agree, is_multi_worker, resume_path, worker_path
from tfzoo.errors import ConfigError, RunDirectoryError, RunDirectoryWarning, TfzooError
from tfzoo.loop import Callback, LoopState, evaluate
from tfzoo.registration import AgentSpec, agent_config, make, spec
from tfzoo.runs.best import BestCheckpoint
from tfzoo.runs.checkpoints import remove_leftovers
from tfzoo.runs.directory import RunDirectory
from tfzoo.runs.evaluation import recorded_evaluation
from tfzoo.runs.logger import RunLogger
from tfzoo.runs.run_config import RunConfig, evaluation_of
from tfzoo.runs.sources import check_sources, sources_record
from tfzoo.runs.summary import (
    final_evaluation_tasks,
    rebuild_evaluation_task,
    train_and_summarize,
)
from tfzoo.seeding import seed_everything
from tfzoo.vector import make_vec


def start_run(
    config: RunConfig | str, /, *, progress: bool = True, callbacks: Sequence[Callback] = (),
    **settings: Any,
) -> dict[str, Any]:
    """Trains an agent in a new run directory, evaluates it, and returns the summary.

    The run is a `RunConfig`, or a task id with the config's other fields as keywords:

        tfzoo.start_run(tfzoo.RunConfig("mnist-mlp", preset="handbook", seed=0))
        tfzoo.start_run("mnist-mlp", preset="handbook", seed=0)  # The same run.

    Args:
        config: A `RunConfig`, or a task id.
        progress: Show a progress bar.
        callbacks: More `Callback`s for the loop, after the one that logs the run.
        **settings: With a task id: the other fields of its `RunConfig`.

    Returns:
        The contents of the summary.json it wrote.

    Raises:
        TfzooError: A bad id, preset, override or budget, or a directory already in use.
    """
    config = _run_config(config, settings).decided()
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    seed_everything(config.seed)
    task = make(config.task, preset=config.preset, **config.task_overrides)
    _check_rendering(task)
    agent_spec, agent_settings = _agent_config(config)
    agent = load(agent_spec.entry_point)(task, agent_settings)
    _check_stops_together(config, agent)
    record = _as_json(_record(config, task, agent_spec, agent_settings, agent))
    # Both built before anything is written, so that a bad setting fails first.
    training_task = _training_task(record, agent) or task
    eval_task = rebuild_evaluation_task(record)
    # Workers of a multi-worker run other than the chief write beside the run directory.
    run_directory = RunDirectory.create(worker_path(config.path, agent.strategy), record)
    state = LoopState()
    logger = RunLogger(run_directory, agent, state, config.checkpoint_seconds,
                       synchronized=is_multi_worker(agent.strategy))
    with run_directory.training_lock():
        return train_and_summarize(
            run_directory, training_task, eval_task, agent, state, logger, progress, callbacks
        )


def _run_config(config: RunConfig | str, settings: Mapping[str, Any]) -> RunConfig:
    """`config` itself, or the `RunConfig` of task id `config` and `settings`."""
    if isinstance(config, RunConfig):
        if settings:
            raise ConfigError(
                f"start_run got a RunConfig and also {', '.join(map(repr, settings))}: put "
                f"those in the config instead, e.g. dataclasses.replace(config, ...)."
            )
        return config
    return RunConfig(config, **settings)


def _agent_config(config: RunConfig) -> tuple[AgentSpec, Any]:
    """The agent's spec and checked settings: the task's own agent takes the preset's
    settings and the overrides, another agent its defaults and the overrides."""
    if config.agent is None or config.agent == spec(config.task).agent:
        return agent_config(config.task, config.preset, **config.agent_overrides)
    return agent_config(config.agent, **config.agent_overrides)


def _check_stops_together(config: RunConfig, agent: Agent) -> None:
    """Refuses a wall-clock budget for a multi-worker run, whose workers must stop together."""
    if is_multi_worker(agent.strategy) and config.max_seconds is not None:
        raise ConfigError(
            "A multi-worker run cannot stop after max_seconds: its workers would stop at "
            "different steps and wait for each other forever. Give it --steps or --episodes."
        )


def _record(config: RunConfig, task: gymnasium.Env, agent_spec: AgentSpec,
            agent_settings: Any, agent: Agent) -> dict[str, Any]:
    """What config.json records (beside versions and machine): everything to rebuild the run,
    and the agent's schedules, as they start (what they follow is the budget beside them)."""
    return {
        "task": config.task, "preset": config.preset, "agent": agent_spec.name,
        "seed": config.seed,
        "budget": {"steps": config.steps, "episodes": config.episodes,
                   "max_seconds": config.max_seconds},
        "task_kwargs": full_kwargs(load(spec(config.task).entry_point),
                                   task.unwrapped.spec.kwargs),
        "agent_config": config_fields(agent_settings), "schedules": agent.schedules(),
        "sources": sources_record(config.task, agent_spec.name),
        "overrides": {"task": dict(config.task_overrides), "agent": dict(config.agent_overrides)},
        "checkpoint_seconds": config.checkpoint_seconds, "deterministic": config.deterministic,
        "execution": config.execution, "num_envs": config.num_envs,
        "evaluation": _evaluation_record(evaluation_of(config.task, config.evaluation)),
        "origin": dict(config.origin),
    }


def _evaluation_record(evaluation: Evaluation) -> dict[str, Any]:
    """An `Evaluation` as config.json records it (its task settings as a plain dict)."""
    return {**{item.name: getattr(evaluation, item.name)
               for item in dataclasses.fields(evaluation)}, "task": dict(evaluation.task)}


def _as_json(record: dict[str, Any]) -> dict[str, Any]:
    """`record` if every setting in it is JSON; else a ConfigError naming the first that is not."""
    for section in ("task_kwargs", "agent_config"):
        for name, value in record[section].items():
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                fix = ("Pass its name instead ('mirrored' or 'multiworker'), or train with "
                       "tfzoo.train()." if name == "strategy" else
                       "Give it a name instead, e.g. `tfzoo.register_model('my-model', "
                       "MyModel)`, then pass model='my-model' (docs/custom-layers.md); or "
                       "train it with tfzoo.train() without a run directory.")
                raise ConfigError(f"A run directory records every setting in config.json, but "
                                  f"{name}={type(value).__name__} is not JSON. {fix}") from None
    return record


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
    logger = RunLogger(
        run_directory, agent, state, run_directory.config.get("checkpoint_seconds", 60.0),
        synchronized=is_multi_worker(agent.strategy),
    )
    with run_directory.training_lock():  # Before anything is restored or rewritten.
        remove_leftovers(run_directory.path)  # Of writes a kill interrupted.
        logger.restore()
        _warn_of_differences(path, agent, logger.rows)
        check_workers_agree(agent.strategy, "steps", state.steps)  # They go on from one step.
        eval_task = rebuild_evaluation_task(run_directory.config)
        return train_and_summarize(run_directory, task, eval_task, agent, state, logger,
                                   progress)


def _warn_of_differences(path: str | os.PathLike, agent: Agent, rows: list[dict[str, Any]]) -> None:
    """Warns, in a line each, of what makes a resumed run differ from an uninterrupted one:
    the agent's `resume_caveat`, and an episode the stop cut short (it is not played again)."""
    differences = [agent.resume_caveat] if agent.resume_caveat else []
    if rows and not (rows[-1]["terminated"] or rows[-1]["truncated"]):
        differences.append(f"episode {rows[-1]['episode']} was cut short where the run stopped, "
                           f"and a new episode starts")
    for difference in differences:
        warnings.warn(RunDirectoryWarning(
            f"{path} resumes, but not exactly as an uninterrupted run: {difference}."),
            stacklevel=3)


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
    if not logger.restore(read_only=True):  # Reading a run writes nothing into it.
        raise RunDirectoryError(
            f"The run in {str(path)!r} has no checkpoint yet (it stopped before saving one); "
            f"resume it with `tfzoo train --resume {path}`, or start it again."
        )
    return task, agent, run_directory.config


def evaluate_run(
    path: str | os.PathLike, *, episodes: int | None = None, seed: int | None = None,
    best: bool = False, progress: bool = False,
) -> float:
    """Re-evaluates a saved run as its training did at the end; returns the mean return.

    With `best`, evaluates the best policy its periodic evaluations saw instead; `progress`
    shows a bar.
    """
    _, agent, config = load_run(path, best=best)
    evaluation = recorded_evaluation(config)
    episodes = evaluation.episodes if episodes is None else episodes
    seed = config["seed"] + evaluation.seed_offset if seed is None else validate.seed(seed)
    return evaluate(
        agent, final_evaluation_tasks(config, agent, validate.whole_number("episodes", episodes)),
        episodes=episodes, seed=seed,
        progress=progress and f"evaluate {'best policy' if best else 'last checkpoint'}",
    )


def _check_rendering(task: gymnasium.Env) -> None:
    """Draws a frame if `task` has a render mode, so that one it cannot draw in (a missing
    extra such as pygame) fails before anything is written."""
    if task.render_mode is None:
        return
    try:
        task.reset()
        task.render()
    except (gymnasium.error.DependencyNotInstalled, ImportError) as error:
        raise ConfigError(f"render_mode={task.render_mode!r} cannot be drawn here: {error}. "
                          f"Install what it names, or leave render_mode unset.") from None


def _rebuild(run_directory: RunDirectory, training: bool = False) -> tuple[gymnasium.Env, Agent]:
    """The run's task and agent, built as config.json says (not restored).

    Args:
        training: Build the agent to train on (resume). Otherwise it is for evaluating
            and playing, on this machine's default device whatever strategy it trained with.
    """
    config = run_directory.config
    check_sources(config, run_directory.path)
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
    agent = load(agent_spec.entry_point)(task, agent_settings)
    if training:
        _check_rendering(task)
        task = _training_task(config, agent) or task
    return task, agent


def _training_task(record: Mapping[str, Any], agent: Agent) -> gymnasium.Env | None:
    """The vector of `num_envs` copies of the task to train `agent` on, or None for one.

    Args:
        record: The run's config.json (its num_envs is checked: it may be hand-edited).
    """
    num_envs = validate.whole_number("num_envs", record.get("num_envs", 1))
    if num_envs == 1:
        return None
    if not agent.batched_act:
        raise ConfigError(
            f"num_envs={num_envs}: the {type(agent).__name__} acts on one observation at a "
            f"time; only agents that act on batches (the DQN agent) collect from several "
            f"environments. Drop --num-envs, or use --strategy to spread a supervised agent."
        )
    return make_vec(record["task"], num_envs, preset=record["preset"], **record["task_kwargs"])
