"""The `tfzoo` commands that inspect rather than train: verify, plot, check and doctor.

Each has its parser and its handler here; `tfzoo.tools.cli` adds them to the `tfzoo` command and
turns their errors into one-paragraph messages.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_inspection_parsers(commands: Any) -> None:
    """Adds the verify, plot, check and doctor subcommands to `commands`."""
    verify = commands.add_parser(
        "verify", help="train a finished run again from its config.json and compare",
        description="Re-run a finished run in a temporary directory and compare progress.csv "
        "(all but wall-clock columns) and the evaluation figures: exactly for --deterministic "
        "runs, within --tolerance otherwise. Exits 1 when the run does not reproduce.",
    )
    verify.add_argument("run_dir", metavar="DIR", help="a finished run directory")
    verify.add_argument("--tolerance", type=float, default=1e-4,
                        help="relative tolerance for runs that were not deterministic (1e-4)")
    verify.set_defaults(command=_verify)
    plot = commands.add_parser(
        "plot", help="draw the learning curves of runs (seeds of a task: mean and range)",
        description="Draw return per episode, the agent's loss and the evaluations of one or "
        "more run directories on shared axes; runs of the same task and preset (seeds) are "
        "drawn as their mean with a band from their minimum to their maximum.",
    )
    plot.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories")
    plot.add_argument("-o", "--output", default="curves.png",
                      help="the picture to write: .png, .svg or .pdf (default curves.png)")
    plot.set_defaults(command=_plot)
    check = commands.add_parser(
        "check", help="run each task's short learning check against its reference card",
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
    check.set_defaults(command=_check)
    doctor = commands.add_parser(
        "doctor", help="versions, devices, where datasets come from, and known traps",
        description="Print versions, devices and where each dataset would be read or downloaded "
        "from, then every known trap found here with its fix. Exits 1 if one would make tfzoo "
        "fail.",
    )
    doctor.add_argument("--data-dir", metavar="DIR", help="also look for datasets in DIR")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(command=_doctor)


def _plot(arguments: argparse.Namespace) -> int:
    from tfzoo.tools.plot import plot_runs

    plot_runs(arguments.run_dirs, arguments.output)
    print(f"Wrote {arguments.output}")
    return 0


def _check(arguments: argparse.Namespace) -> int:
    import tfzoo
    from tfzoo.config import parse_assignment
    from tfzoo.runs.experiment import checked_seed
    from tfzoo.tools.checks import format_results, run_checks

    overrides = dict(parse_assignment(text) for text in arguments.set)
    task_ids = arguments.tasks or [task_id for task_id, task_spec in tfzoo.registry.items()
                                   if task_spec.card is not None]
    for task_id in task_ids:
        tfzoo.spec(task_id)  # An unknown id fails now, with suggestions, not after the others.
    results = run_checks(task_ids, quick=arguments.quick, data_dir=arguments.data_dir,
                         agent_overrides=overrides, seed=checked_seed(arguments.seed))
    print(format_results(results))
    failed = [result.task for result in results if not result.passed]
    if failed:
        print(f"tfzoo check: {len(failed)} of {len(results)} failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    print(f"All {len(results)} checks passed.")
    return 0


def _doctor(arguments: argparse.Namespace) -> int:
    import dataclasses

    from tfzoo.tools import doctor

    examined = doctor.examine(arguments.data_dir)
    findings = examined["findings"]
    if arguments.json:
        print(json.dumps({**examined, "findings": [dataclasses.asdict(finding)
                                                   for finding in findings]}, indent=2))
    else:
        print(doctor.format_report(examined))
    return 1 if any(finding.severity == "error" for finding in findings) else 0


def _verify(arguments: argparse.Namespace) -> int:
    from tfzoo.runs.verify import verify_run

    report = verify_run(arguments.run_dir, tolerance=arguments.tolerance)
    print(json.dumps(report, indent=2))
    how = "exactly" if report["exact"] else f"within a relative {report['tolerance']:g}"
    if report["reproduced"]:
        print(f"Reproduced: {report['rows']} episodes and the evaluation match {how}.")
        return 0
    first = report["mismatches"][0]
    print(f"Does not reproduce ({how} was required): {first['where']} was "
          f"{first['original']}, the re-run gave {first['replayed']}.", file=sys.stderr)
    return 1
