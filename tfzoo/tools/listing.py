"""`tfzoo list`: every task with its default agent, presets and the figures its card expects,
then every agent; each marked with the plugin it comes from, if not from tfzoo.

The figures come from each task's reference card (`tfzoo.cards`), the one place they live.
`tfzoo list` must answer at once: keep this module's imports light (no TensorFlow).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from tfzoo.plugins import Source, load_plugins, with_distribution
from tfzoo.registration import agent_registry, registry
from tfzoo.tools.startup import chatter_held_back


def list_command(arguments: argparse.Namespace) -> int:
    """The handler of `tfzoo list` (see `tfzoo.tools.cli`): prints the registry."""
    with chatter_held_back():  # Plugins that define their agents inline import TensorFlow.
        load_plugins()
    pprint_registry()
    return 0


def pprint_registry(print_fn: Callable[[str], Any] = print) -> None:
    """Prints every task with its default agent, presets and description, then what each
    preset is expected to reach (from the task's reference card), then every agent. Installed
    plugins are loaded first, so their tasks and agents are listed too."""
    load_plugins()
    width = max((len(task_id) for task_id in registry), default=0)
    for task_id, task_spec in sorted(registry.items()):
        presets = ", ".join(f"{name}{'*' if name == task_spec.default_preset else ''}"
                            for name in task_spec.presets)
        print_fn(f"{task_id:<{width}}  agent: {task_spec.agent:<10}  presets: {presets:<20}  "
                 f"{task_spec.description}{_from(task_spec.source)}")
        for name, expected in (task_spec.card.expected.items() if task_spec.card else ()):
            print_fn(f"{'':<{width}}    {name}: {expected.describe()}")
    print_fn("(* marks the default preset)" if registry else "No tasks are registered.")
    width = max((len(name) for name in agent_registry), default=0)
    print_fn("\nAgents (tfzoo train ID --agent NAME):")
    for name, agent_spec in sorted(agent_registry.items()):
        print_fn(f"  {name:<{width}}  {agent_spec.description}{_from(agent_spec.source)}")


def _from(source: Source | None) -> str:
    """'  [from plugin 'x' (package 1.0)]' for a task or agent tfzoo does not ship, else ''."""
    if source is None:
        return ""
    source = with_distribution(source)
    return "" if source.distribution == "tfzoo" else f"  [from {source.describe()}]"
