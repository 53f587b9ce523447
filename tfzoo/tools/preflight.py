"""The checks of `tfzoo train`'s names that need no TensorFlow, made before it is imported,
so that a mistyped task, preset, agent or `--set` name is answered at once.

They are the same checks `tfzoo.tools.run_commands` makes again once TensorFlow is there;
where a name cannot be told from the source alone (`tfzoo.config.declared_names` gives
None), they leave it to those.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

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
