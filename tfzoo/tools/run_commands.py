"""The handlers of `tfzoo train`, `tfzoo eval` and `tfzoo export`: runs started from a
`RunConfig` filled from the command line, resumed, re-evaluated, and exported.

`tfzoo.tools.cli` parses the arguments and loads these handlers; the runs themselves are
`tfzoo.runs.experiment`'s.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tfzoo import distribute
from tfzoo.config import load, parameter_hints, parse_assignment, takes_any_keyword
from tfzoo.errors import ConfigError, TfzooError
from tfzoo.registration import agent_spec, spec
from tfzoo.runs.directory import RunDirectory
from tfzoo.runs.experiment import evaluate_run, resume_run, start_run
from tfzoo.runs.exports import export_run
from tfzoo.runs.recheck import read_preset_file
from tfzoo.runs.run_config import RunConfig
from tfzoo.tools.preflight import agent_of, unknown_setting
from tfzoo.tools.serve_check import signature_line


def train(arguments: argparse.Namespace) -> int:
    """`tfzoo train`: starts the run the arguments describe, or resumes one; prints its summary."""
    if arguments.cpu_devices is not None:
        distribute.split_cpu(arguments.cpu_devices)  # Before TensorFlow starts its devices.
    if arguments.strategy == "multiworker" or _resumes_multiworker(arguments.resume):
        distribute.make_strategy("multiworker")  # Before anything else runs, as TF requires.
    if arguments.resume is not None:
        _refuse_run_flags(arguments)
        summary = resume_run(arguments.resume, progress=not arguments.no_progress)
    else:
        summary = start_run(run_config(arguments), progress=not arguments.no_progress)
    print(json.dumps(summary, indent=2))
    return 0


def evaluate(arguments: argparse.Namespace) -> int:
    """`tfzoo eval`: re-evaluates a saved run (or its best policy) and prints the mean return."""
    score = evaluate_run(arguments.run_dir, episodes=arguments.episodes, seed=arguments.seed,
                         best=arguments.best, progress=True)
    print(json.dumps({"run_dir": arguments.run_dir, "eval_return": score}, indent=2))
    return 0


def export(arguments: argparse.Namespace) -> int:
    """`tfzoo export`: writes a finished run's policy as a TensorFlow artifact, then prints
    what it wrote and the lines of plain TensorFlow that load it."""
    best = True if arguments.best else False if arguments.last else None
    written = export_run(arguments.run_dir, arguments.output, format=arguments.format,
                         best=best)
    score = "" if written["score"] is None else f", which scored {written['score']:g}"
    print(f"Wrote the run's {written['policy']} policy{score}, as a {written['format']}, "
          f"to {written['path']}.")
    for name, signature in written["signatures"].items():
        print(signature_line(name, signature))
    print("Load it without tfzoo:\n\n" + "\n".join(
        f"    {line}" for line in written["load"].splitlines()))
    return 0


def run_config(arguments: argparse.Namespace) -> RunConfig:
    """The `RunConfig` of `tfzoo train ID ...`: its flags, with each `--set` given to the
    task or to the agent, whichever takes it."""
    if arguments.task is None:
        raise ConfigError(
            "tfzoo train needs a task id (see `tfzoo list`), e.g. `tfzoo train "
            "linear-regression`, or --resume DIR to continue a run."
        )
    task_overrides, agent_overrides = _split_overrides(arguments.task, arguments.set,
                                                       arguments.agent)
    preset, origin = arguments.preset, {}
    if arguments.preset_file is not None:
        if preset is not None:
            raise ConfigError("--preset-file names its own preset; drop --preset, or the file.")
        chosen = read_preset_file(arguments.preset_file, arguments.task)
        preset, origin = chosen["preset"], chosen["origin"]
        task_overrides = {**chosen["task_settings"], **task_overrides}  # --set comes last.
        agent_overrides = {**chosen["agent_settings"], **agent_overrides}
    if arguments.data_dir is not None:
        task_overrides["data_dir"] = arguments.data_dir
    if arguments.strategy is not None:
        _check_takes_strategy(arguments.task, arguments.agent)
        agent_overrides["strategy"] = arguments.strategy
    return RunConfig(
        arguments.task, preset=preset, agent=arguments.agent, seed=arguments.seed,
        steps=arguments.steps, episodes=arguments.episodes, max_seconds=arguments.max_seconds,
        task_overrides=task_overrides, agent_overrides=agent_overrides, path=arguments.logdir,
        checkpoint_seconds=arguments.checkpoint_seconds, deterministic=arguments.deterministic,
        execution=arguments.execution or "compiled", num_envs=arguments.num_envs,
        origin=origin,
    )


def _refuse_run_flags(arguments: argparse.Namespace) -> None:
    """Refuses the flags of a new run with --resume, which goes on with the run's own."""
    flags = {
        "ID": arguments.task, "--preset": arguments.preset, "--seed": arguments.seed is not None,
        "--preset-file": arguments.preset_file,
        "--agent": arguments.agent, "--deterministic": arguments.deterministic,
        "--eager/--jit": arguments.execution, "--strategy": arguments.strategy,
        "--num-envs": arguments.num_envs != 1,
        "--steps": arguments.steps, "--episodes": arguments.episodes,
        "--max-seconds": arguments.max_seconds, "--set": arguments.set,
        "--logdir": arguments.logdir, "--data-dir": arguments.data_dir,
    }
    if given := [flag for flag, value in flags.items() if value]:
        raise ConfigError(
            f"--resume continues a run with the settings it started with, so it cannot be "
            f"combined with {', '.join(given)}. Drop those, or start a new run instead."
        )


def _split_overrides(
    task_id: str, assignments: list[str], agent: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sorts `--set key=value` into task and agent overrides by the names each accepts."""
    task_entry = load(spec(task_id).entry_point)
    task_keys = parameter_hints(task_entry)
    # A Gymnasium id's task takes whatever its environment's constructor takes.
    open_task = takes_any_keyword(task_entry)
    agent_keys = parameter_hints(load(agent_spec(agent_of(task_id, agent)).config))
    task_overrides, agent_overrides = {}, {}
    for assignment in assignments:
        key, value = parse_assignment(assignment)
        where, _, name = key.rpartition(".")
        if where not in ("", "task", "agent"):
            raise ConfigError(f"--set {assignment!r}: the prefix must be task. or agent.")
        in_task = name in task_keys and where != "agent"
        in_agent = name in agent_keys and where != "task"
        in_task = in_task or (open_task and not in_agent and where != "agent")
        if in_task and in_agent:
            raise ConfigError(
                f"--set {assignment!r}: both the task and the agent take {name!r}; write "
                f"task.{name}=... or agent.{name}=... to say which."
            )
        if not (in_task or in_agent):
            raise unknown_setting(task_id, name, [*task_keys, *agent_keys], assignment)
        (task_overrides if in_task else agent_overrides)[name] = value
    return task_overrides, agent_overrides


def _check_takes_strategy(task_id: str, agent: str | None) -> None:
    """Refuses --strategy for an agent without a `strategy` setting, saying what it has."""
    name = agent_of(task_id, agent)
    if "strategy" not in parameter_hints(load(agent_spec(name).config)):
        raise ConfigError(
            f"--strategy splits the batches of supervised agents across devices; the {name!r} "
            f"agent has no batches to split. For the DQN agent, collect experience in parallel "
            f"with --num-envs N instead (docs/scaling-out.md)."
        )


def _resumes_multiworker(path: str | None) -> bool:
    """Whether `path` is a run that trained with strategy='multiworker' (False if no run)."""
    if path is None:
        return False
    try:
        config = RunDirectory.open(distribute.resume_path(path)).config
    except TfzooError:  # Reported, in context, when the run is resumed.
        return False
    return config.get("agent_config", {}).get("strategy") == "multiworker"
