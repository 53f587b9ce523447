"""The handlers of the `tfzoo` commands that inspect runs and tasks: verify, plot, compare
and check.

`tfzoo.tools.cli` parses the arguments (`tfzoo.tools.inspect_parsers` declares them) and loads
these handlers; the work is done by `tfzoo.runs.verify`, `tfzoo.tools.plot`,
`tfzoo.tools.compare` and `tfzoo.tools.checks`.
"""

from __future__ import annotations

import argparse
import json
import sys

from tfzoo import validate
from tfzoo.config import parse_assignment
from tfzoo.plugins import load_plugins
from tfzoo.registration import registry, spec
from tfzoo.runs.verify import verify_run
from tfzoo.tools.checks import format_results, run_checks
from tfzoo.tools.compare import compare_runs, comparison_json, format_comparison
from tfzoo.tools.plot import plot_profiles, plot_runs


def verify(arguments: argparse.Namespace) -> int:
    """`tfzoo verify`: trains a finished run again and compares; 1 if it does not reproduce."""
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


def plot(arguments: argparse.Namespace) -> int:
    """`tfzoo plot`: draws the learning curves of run directories into one picture, or with
    --profile the performance profiles of their final evaluations."""
    if arguments.profile:
        output = arguments.output or "profile.png"
        plot_profiles(arguments.run_dirs, output)
    else:
        output = arguments.output or "curves.png"
        plot_runs(arguments.run_dirs, output)
    print(f"Wrote {output}")
    return 0


def compare(arguments: argparse.Namespace) -> int:
    """`tfzoo compare`: prints the IQM and 95% CI of each group of finished runs."""
    comparison = compare_runs(arguments.run_dirs, by=arguments.by, metric=arguments.metric)
    if arguments.json:
        print(json.dumps(comparison_json(comparison), indent=2))
    else:
        print(format_comparison(comparison))
    return 0


def check(arguments: argparse.Namespace) -> int:
    """`tfzoo check`: runs the learning checks of the tasks' cards; 1 if any fails."""
    overrides = dict(parse_assignment(text) for text in arguments.set)
    if not arguments.tasks:
        load_plugins()  # Their tasks have cards too.
    task_ids = arguments.tasks or [task_id for task_id, task_spec in registry.items()
                                   if task_spec.card is not None]
    # An unknown id fails now, with suggestions, not after the others; "module:id" -> "id".
    task_ids = [spec(task_id).id for task_id in task_ids]
    results = run_checks(task_ids, quick=arguments.quick, data_dir=arguments.data_dir,
                         agent_overrides=overrides, seed=validate.seed(arguments.seed))
    print(format_results(results))
    failed = [result.task for result in results if not result.passed]
    if failed:
        print(f"tfzoo check: {len(failed)} of {len(results)} failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    print(f"All {len(results)} checks passed.")
    return 0
