"""The arguments of the `tfzoo` commands that inspect runs and tasks (verify, plot, compare,
check); parsing only, their handlers are in `tfzoo.tools.inspect_commands`.

Like `tfzoo.tools.cli`, this imports nothing heavy: `tfzoo --help` reads it. Each function
takes `command`, cli's maker of a command (`name, handler, help=..., description=...`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

MakeCommand = Callable[..., argparse.ArgumentParser]


def add_inspect_parsers(commands: Any, command: MakeCommand) -> None:
    """Adds verify, plot, compare and check to `commands` (argparse's subparsers)."""
    for add_parser in (_add_verify_parser, _add_plot_parser, _add_compare_parser,
                       _add_check_parser):
        add_parser(commands, command)


def _add_verify_parser(commands: Any, command: MakeCommand) -> None:
    verify = command(
        commands, "verify", "tfzoo.tools.inspect_commands:verify",
        help="train a finished run again from its config.json and compare",
        description="Re-run a finished run in a temporary directory and compare progress.csv "
        "(all but wall-clock columns) and the evaluation figures: exactly for --deterministic "
        "runs, within --tolerance otherwise. Exits 1 when the run does not reproduce.",
    )
    verify.add_argument("run_dir", metavar="DIR", help="a finished run directory")
    verify.add_argument("--tolerance", type=float, default=1e-4,
                        help="relative tolerance for runs that were not deterministic (1e-4)")


def _add_plot_parser(commands: Any, command: MakeCommand) -> None:
    plot = command(
        commands, "plot", "tfzoo.tools.inspect_commands:plot",
        help="draw the learning curves of runs (seeds of a task: IQM and 95%% CI)",
        description="Draw return per episode, the agent's loss and the evaluations of one or "
        "more run directories on shared axes; runs of the same task and preset (seeds) are "
        "drawn as their interquartile mean (IQM) at each step, with a band from a 95% "
        "stratified bootstrap confidence interval. With --profile, draw instead each group's "
        "performance profile: the share of its runs whose final evaluation is above each score.",
    )
    plot.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories")
    plot.add_argument("-o", "--output", help="the picture to write: .png, .svg or .pdf "
                      "(default curves.png, or profile.png with --profile)")
    plot.add_argument("--profile", action="store_true",
                      help="draw performance profiles of the final evaluations (summary.json), "
                      "the task's reward threshold marked")


def _add_compare_parser(commands: Any, command: MakeCommand) -> None:
    compare = command(
        commands, "compare", "tfzoo.tools.inspect_commands:compare",
        help="compare finished runs: IQM with a 95%% CI per group of seeds",
        description="Group finished runs and print, per group, the interquartile mean (IQM) of "
        "their final score with a 95% stratified bootstrap confidence interval, the mean, "
        "minimum and maximum, and how many reached the task's reward threshold (Agarwal et al. "
        "2021). Unfinished runs (no summary.json) are listed as skipped.",
    )
    compare.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories")
    compare.add_argument(
        "--by", default="preset", metavar="preset|task|agent|setting:NAME",
        help="group runs of one task, preset and agent (preset, the default), of one task "
        "(task), of one task and agent (agent), or of one task and agent with the same value "
        "of the setting NAME in config.json (setting:NAME, e.g. setting:learning_rate)",
    )
    compare.add_argument("--metric", default="eval_return",
                         choices=["eval_return", "best_eval_return"],
                         help="the final policy's evaluation (default), or the best policy's")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")


def _add_check_parser(commands: Any, command: MakeCommand) -> None:
    check = command(
        commands, "check", "tfzoo.tools.inspect_commands:check",
        help="run each task's short learning check against its reference card",
        description="Train each task briefly (its card's check: minutes on a CPU; seconds with "
        "--quick) and compare the result with the card's smoke threshold. Prints a table; "
        "exits 1 naming the tasks that fail.",
    )
    check.add_argument("tasks", nargs="*", metavar="ID", help="task ids (default: all with a card)")
    check.add_argument("--quick", action="store_true",
                       help="the CI-sized check: fewer steps, a coarser bar")
    check.add_argument("--data-dir", metavar="DIR", help="where the datasets are")
    check.add_argument("--seed", type=int, default=0, help="seed of every run (0)")
    check.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="an agent setting for every check, e.g. --set learning_rate=0")
