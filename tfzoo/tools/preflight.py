"""What the `tfzoo` command does before TensorFlow is imported: the modules of `--import`, and
the checks of `tfzoo train`'s names, so that a mistyped task, preset, agent or `--set` name is
answered at once.

They are the same checks `tfzoo.tools.run_commands` makes again once TensorFlow is there;
where a name cannot be told from the source alone (`tfzoo.config.declared_names` gives
None), they leave it to those.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable

from tfzoo import plugins
from tfzoo.config import declared_names, parse_assignment
from tfzoo.errors import UnknownNameError, unknown
from tfzoo.registration import agent_spec, spec


def train(arguments: argparse.Namespace) -> None:
    """Refuses an unknown task id, preset, agent or `--set` name of `tfzoo train`."""
    if arguments.resume is not None or arguments.task is None:
        return  # Answered by the handler: it names what is wrong with the run or the flags.
    task_spec = spec(arguments.task)
    task_spec.preset(arguments.preset)
    task_names = declared_names(task_spec.entry_point)
    agent_names = declared_names(agent_spec(agent_of(arguments.task, arguments.agent)).config)
    if task_names is None or agent_names is None:
        return
    for assignment in arguments.set:
        name = parse_assignment(assignment)[0].rpartition(".")[2]
        if name not in task_names and name not in agent_names:
            raise unknown_setting(arguments.task, name, [*task_names, *agent_names], assignment)


def agent_of(task_id: str, agent: str | None) -> str:
    """The name of the agent that trains `task_id`: `agent`, or the task's own; refused,
    naming the agents there are, if it is not registered (a plugin's: once plugins load)."""
    return agent_spec(agent or spec(task_id).agent).name


def unknown_setting(task_id: str, name: str, names: Iterable[str],
                    assignment: str) -> UnknownNameError:
    """The error for a `--set` name that neither the task nor its agent takes."""
    return unknown("setting", name, sorted(names),
                   "Those are all the settings of the task and its agent.",
                   f" for task {task_id!r} (--set {assignment})")


def import_modules(arguments: argparse.Namespace) -> None:
    """Imports the modules of `--import`, so that their tasks and agents are registered. With
    those, or with a "module:id" among the task and agent names typed, modules are looked for
    in the current directory too (as `python -m` does)."""
    names, typed = arguments.imports, _names_typed(arguments)
    if (names or any(":" in name for name in typed)) and not {"", os.getcwd()} & set(sys.path):
        sys.path.insert(0, os.getcwd())
    for name in names:
        plugins.import_module(name)


def _names_typed(arguments: argparse.Namespace) -> list[str]:
    """The task ids and agent names given on the command line (not read from a run)."""
    names = [getattr(arguments, "task", None), getattr(arguments, "agent", None),
             *(getattr(arguments, "tasks", None) or [])]
    return [name for name in names if isinstance(name, str)]
