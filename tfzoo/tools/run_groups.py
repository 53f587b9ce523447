"""Run directories grouped for comparison (seeds of one task, preset and agent, or of one
setting), from their config.json; reading their figures is the caller's business.

`tfzoo plot` and `tfzoo compare` group runs here, so both agree on which runs are the
seeds of one experiment. Runs of different tasks are never grouped together: their scores
are not on one scale.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tfzoo.errors import ConfigError, did_you_mean
from tfzoo.plugins import load_plugins
from tfzoo.registration import registry
from tfzoo.runs.directory import RunDirectory

GROUPINGS = ("preset", "task", "agent", "setting:NAME")
SETTINGS = {"agent": "agent_config", "task": "task_kwargs"}
"""Where config.json records each side's settings: every value the run used."""


@dataclass(frozen=True)
class RunGroup:
    """Runs that differ only by their seed (as far as the grouping asked for looks)."""

    label: str
    """E.g. "cartpole-dqn default", "MountainCar-v0 default [dqn]", "cartpole-dqn
    learning_rate=0.001"; an agent other than the task's own is named in brackets."""
    task: str
    runs: tuple[RunDirectory, ...]


def check_grouping(by: str) -> str:
    """`by` if it names a grouping: preset, task, agent or setting:NAME.

    Raises:
        ConfigError: Naming the groupings, e.g. for "seed" or "setting:".
    """
    if by in GROUPINGS[:3] or (by.startswith("setting:") and by[len("setting:"):].strip()):
        return by
    raise ConfigError(
        f"--by {by!r} is not a way to group runs.{did_you_mean(by, GROUPINGS)} Pass preset "
        f"(runs of one task, preset and agent: the default), task, agent (runs of one task "
        f"and agent), or setting:NAME (runs of one task and agent with the same value of the "
        f"setting NAME in their config.json, e.g. setting:learning_rate).")


def group_runs(run_dirs: Sequence[str | os.PathLike], by: str = "preset") -> list[RunGroup]:
    """`run_dirs` opened and grouped `by` preset, task, agent or setting:NAME, in the order
    each group's first run was given.

    Raises:
        RunDirectoryError: A path is not a run directory.
        ConfigError: `by` is not a grouping, or a run has no setting NAME.
    """
    by = check_grouping(by)
    groups: dict[tuple[Any, ...], list[RunDirectory]] = {}
    labels: dict[tuple[Any, ...], str] = {}
    for path in run_dirs:
        run = RunDirectory.open(path)  # Refuses what is not a run, clearly.
        key, label = _key(run, by)
        groups.setdefault(key, []).append(run)
        labels.setdefault(key, label)
    return [RunGroup(labels[key], key[0], tuple(runs)) for key, runs in groups.items()]


def _key(run: RunDirectory, by: str) -> tuple[tuple[Any, ...], str]:
    """The group `run` belongs to, and that group's label."""
    config = run.config
    task, preset, agent = config["task"], config["preset"], config["agent"]
    other_agent = f" [{agent}]" if agent != default_agent(task) else ""
    if by == "preset":
        return (task, preset, agent), f"{task} {preset}{other_agent}"
    if by == "task":
        return (task,), task
    if by == "agent":
        return (task, agent), f"{task} [{agent}]"
    name, value = setting(run, by[len("setting:"):].strip())
    return (task, agent, name, repr(value)), f"{task} {name}={value}{other_agent}"


def setting(run: RunDirectory, name: str) -> tuple[str, Any]:
    """The value of the setting `name` ("learning_rate", or "agent.x" / "task.x" where both
    sides have an x) that `run` used, as its config.json records it."""
    side, _, bare = name.rpartition(".")
    sides = [side] if side in SETTINGS else list(SETTINGS)
    found = [(key, run.config[SETTINGS[key]]) for key in sides
             if bare in run.config[SETTINGS[key]]]
    if len(found) == 1:
        return bare, found[0][1][bare]
    known = sorted({key for section in SETTINGS.values() for key in run.config[section]})
    if found:
        raise ConfigError(f"--by setting:{name}: both the task and the agent of the run in "
                          f"{str(run.path)!r} have a setting {bare!r}; pass setting:agent.{bare}"
                          f" or setting:task.{bare}.")
    raise ConfigError(f"--by setting:{name}: the run in {str(run.path)!r} has no setting "
                      f"{bare!r} in its config.json.{did_you_mean(bare, known)} Its settings: "
                      f"{', '.join(known)}.")


def default_agent(task: str) -> str | None:
    """The agent `task` trains with by default (a plugin's task: once plugins are loaded)."""
    if task not in registry:
        load_plugins()
    return registry[task].agent if task in registry else None

