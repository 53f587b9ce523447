"""The handler of `tfzoo tune`: a study run by this process or by worker processes, its
winner re-checked on fresh seeds, and a report of both.

The study itself is `tfzoo.runs.tuning`'s, the re-check `tfzoo.runs.recheck`'s; this module
parses, starts workers and prints.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from tfzoo.errors import ConfigError, TfzooError
from tfzoo.runs import tuning
from tfzoo.runs.recheck import recheck
from tfzoo.runs.search_space import read_space_file
from tfzoo.validate import whole_number


def tune(arguments: argparse.Namespace) -> int:
    """`tfzoo tune`: runs the study (or only re-checks one), then prints the report."""
    if arguments.recheck is not None:
        print_recheck(recheck(arguments.recheck, seeds=arguments.recheck_seeds))
        return 0
    whole_number("--jobs", arguments.jobs)
    if arguments.join and arguments.trials is None:
        raise ConfigError("--join works on a study beside other tuners: say how many trials "
                          "this one runs with --trials N.")
    if not (arguments.resume or arguments.join) and (arguments.task is None
                                                      or arguments.trials is None):
        raise ConfigError("tfzoo tune needs a task id and --trials N, e.g. `tfzoo tune "
                          "mnist-mlp --trials 30`; or --resume (or --join) --study-dir DIR.")
    space = read_space_file(arguments.space) if arguments.space else None
    settings = dict(
        preset=arguments.preset, study_dir=arguments.study_dir, study=arguments.study,
        storage=arguments.storage, seeds_per_trial=arguments.seeds_per_trial,
        max_seconds_per_trial=arguments.max_seconds_per_trial, space=space,
        replace_space=arguments.replace_space, progress=not arguments.no_progress)
    if arguments.jobs == 1:
        report = tuning.tune(arguments.task, trials=arguments.trials,
                             resume=arguments.resume or arguments.join, join=arguments.join,
                             **settings)
    else:
        report = _with_workers(arguments, settings)
    print_study(report)
    if not arguments.no_recheck:
        print_recheck(recheck(report["directory"], seeds=arguments.recheck_seeds,
                              progress=not arguments.no_progress))
    return 0


def _with_workers(arguments: argparse.Namespace, settings: dict[str, Any]) -> dict[str, Any]:
    """Starts the study with no trials, then `--jobs` worker processes that share its trials
    through its storage, each `tfzoo tune --join` with its share; returns the report."""
    report = tuning.tune(arguments.task, trials=arguments.trials, resume=arguments.resume,
                         **{**settings, "progress": False}, start_only=True)
    directory, trials = Path(report["directory"]), arguments.trials
    if trials is None:  # Resumed: what the study still lacks.
        trials = tuning.read_study(directory)["trials"] - report["ended"]
    shares = [trials // arguments.jobs + (index < trials % arguments.jobs)
              for index in range(arguments.jobs)]
    workers = [subprocess.Popen([
        sys.executable, "-m", "tfzoo.tools.cli", "tune", "--study-dir", str(directory),
        "--join", "--trials", str(share), "--no-recheck", "--no-progress",
        *(f"--import={module}" for module in arguments.imports)])
        for share in shares if share > 0]
    failed = [status for status in (worker.wait() for worker in workers) if status != 0]
    if failed:  # A trial's own error fails the trial, not its worker: this is worse.
        raise TfzooError(f"{len(failed)} of {len(workers)} tune workers ended with exit status "
                         f"{', '.join(map(str, failed))} (their errors are above). The study "
                         f"keeps every trial that ended; continue it with `tfzoo tune --resume "
                         f"--study-dir {directory}`.")
    return tuning.study_report(directory)


def print_study(report: dict[str, Any]) -> None:
    """The study's trials by state, and its best trial's score and settings."""
    states = ", ".join(f"{count} {state.lower()}" for state, count in report["states"].items())
    print(f"Study {report['study']!r} of {report['task']} ({report['preset']} preset): "
          f"{len(report['trials'])} trials ({states}). Scored on {report['scored_on']}.")
    for trial in report["trials"]:
        if trial["state"] == "FAIL" and trial["error"]:
            print(f"  trial {trial['number']} failed: {trial['error'].splitlines()[0]}")
    best = report["best"]
    if best is not None:
        print(f"Best: trial {best['number']}, score {best['score']:.6g}, task settings "
              f"{best['task_settings']}, agent settings {best['agent_settings']}")


def print_recheck(result: dict[str, Any]) -> None:
    """The winner's tuning score beside its re-checked scores on fresh seeds."""
    low, high = result["ci"]
    print(f"Re-checked on seeds {result['seeds']} ({result['evaluated_on']}):")
    print(f"  tuning score {result['tuning_score']:.6g}  |  re-checked mean "
          f"{result['mean']:.6g}, IQM {result['iqm']:.6g} (95% CI {low:.6g} to {high:.6g})  "
          f"|  gap {result['mean'] - result['tuning_score']:+.6g}")
    if result["fraction_solved"] is not None:
        print(f"  runs at or above the task's reward threshold: {result['fraction_solved']:.0%}")
    print(f"  scores: {', '.join(f'{score:.6g}' for score in result['scores'])}")
    print(f"Settings written to {result['preset_file']}: train them with "
          f"`tfzoo train {result['task']} --preset-file {result['preset_file']}`.")
