"""`tfzoo list`: every task with its default agent, presets and the figures its card expects.

The figures come from each task's reference card (`tfzoo.cards`), the one place they live.
`tfzoo list` must answer at once: keep this module's imports light (no TensorFlow).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from tfzoo.registration import registry


def list_command(arguments: argparse.Namespace) -> int:
    """The handler of `tfzoo list` (see `tfzoo.tools.cli`): prints the registry."""
    pprint_registry()
    return 0


def pprint_registry(print_fn: Callable[[str], Any] = print) -> None:
    """Prints every task with its default agent, presets and description, then what each
    preset is expected to reach (from the task's reference card)."""
    width = max((len(task_id) for task_id in registry), default=0)
    for task_id, task_spec in sorted(registry.items()):
        presets = ", ".join(f"{name}{'*' if name == task_spec.default_preset else ''}"
                            for name in task_spec.presets)
        print_fn(f"{task_id:<{width}}  agent: {task_spec.agent:<10}  presets: {presets:<20}  "
                 f"{task_spec.description}")
        for name, expected in (task_spec.card.expected.items() if task_spec.card else ()):
            print_fn(f"{'':<{width}}    {name}: {expected.describe()}")
    print_fn("(* marks the default preset)" if registry else "No tasks are registered.")
