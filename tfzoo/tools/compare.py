"""`tfzoo compare`: finished runs' final scores, grouped, as an IQM with a 95% bootstrap
confidence interval (and mean, range, share at the reward threshold); it trains nothing.

`compare_runs` reads each run's summary.json, groups the runs (`tfzoo.tools.run_groups`)
and summarises each group with `tfzoo.stats.aggregate`; `format_comparison` and
`comparison_json` are what the command prints. `tfzoo plot --profile` draws the same scores.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfzoo import stats
from tfzoo.errors import ConfigError, UnknownNameError
from tfzoo.registration import spec
from tfzoo.runs.directory import SUMMARY, RunDirectory
from tfzoo.tools.run_groups import check_grouping, group_runs

METRICS = {"eval_return": "the final policy's evaluation",
           "best_eval_return": "the best policy's evaluation"}
COLUMNS = ("group", "runs", "IQM (95% CI)", "mean", "min", "max", "at or above threshold")


@dataclass(frozen=True)
class GroupScores:
    """The finished runs of one group and their scores."""

    label: str
    task: str
    run_dirs: tuple[str, ...]
    scores: np.ndarray
    """One score per run: the metric in its summary.json."""
    summary: stats.Aggregate
    """Their IQM, its interval and the share at or above the task's reward threshold."""


@dataclass(frozen=True)
class Comparison:
    """What `tfzoo compare` prints: the groups, and the runs it left out and why."""

    metric: str
    by: str
    groups: list[GroupScores]
    skipped: list[tuple[str, str]]
    """(run directory, why it was left out): unfinished, or no such figure in summary.json."""


def compare_runs(run_dirs: Sequence[str | os.PathLike], *, by: str = "preset",
                 metric: str = "eval_return", seed: int = 0) -> Comparison:
    """The finished runs among `run_dirs`, grouped `by` preset, task, agent or setting:NAME.

    Raises:
        RunDirectoryError: A path is not a run directory.
        ConfigError: A bad `by` or `metric`, or no run has finished with that figure.
    """
    if metric not in METRICS:
        raise ConfigError(f"--metric {metric!r} is not a figure tfzoo compares: pass "
                          f"{' or '.join(METRICS)}.")
    check_grouping(by)  # Before opening any run.
    groups, skipped = [], []
    for group in group_runs(run_dirs, by):
        scores, paths = [], []
        for run in group.runs:
            score, why_not = _score(run, metric)
            if score is None:
                skipped.append((str(run.path), why_not))
            else:
                scores.append(score)
                paths.append(str(run.path))
        if scores:
            summary = stats.aggregate(scores, threshold=reward_threshold(group.task), seed=seed)
            groups.append(GroupScores(group.label, group.task, tuple(paths), np.array(scores),
                                      summary))
    if not groups:
        reasons = "; ".join(f"{path} ({why})" for path, why in skipped)
        which = "The run given has" if len(skipped) == 1 else \
            f"None of the {len(skipped)} runs given has"
        raise ConfigError(
            f"{which} a finished {metric} to compare: {reasons}. Compare runs once `tfzoo "
            f"train` has finished them (it writes {SUMMARY} at the end; `tfzoo train --resume "
            f"DIR` finishes an interrupted one).")
    return Comparison(metric, by, groups, skipped)


def reward_threshold(task: str) -> float | None:
    """The return at which `task` counts as solved (its spec's), or None: none, or a task
    that is not installed here."""
    try:
        return spec(task).reward_threshold
    except UnknownNameError:
        return None


def format_comparison(comparison: Comparison) -> str:
    """The table `tfzoo compare` prints, then one line naming the runs left out."""
    rows = [COLUMNS] + [_row(group) for group in comparison.groups]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    lines = [f"{comparison.metric} by {comparison.by}: the interquartile mean (IQM) of the runs "
             f"and its 95% bootstrap CI"]
    for row in rows:
        cells = [cell.rjust(width) if 0 < index < len(row) - 1 else cell.ljust(width)
                 for index, (cell, width) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    if comparison.skipped:
        lines.append(f"Skipped {skipped_text(comparison)}")
    return "\n".join(lines)


def skipped_text(comparison: Comparison) -> str:
    """"2 runs: runs/a (unfinished: no summary.json); runs/b (...)": the runs left out."""
    count = len(comparison.skipped)
    return f"{count} run{'s' if count != 1 else ''}: " + "; ".join(
        f"{path} ({why})" for path, why in comparison.skipped)


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data (no NaN: a single run's interval is null)."""
    groups = []
    for group in comparison.groups:
        summary = group.summary
        interval = None if math.isnan(summary.low) else [summary.low, summary.high]
        groups.append({
            "group": group.label, "task": group.task, "runs": summary.runs, "iqm": summary.iqm,
            "ci": interval, "confidence": summary.confidence, "mean": float(group.scores.mean()),
            "min": float(group.scores.min()), "max": float(group.scores.max()),
            "threshold": summary.threshold, "fraction_above": summary.fraction_above,
            "scores": group.scores.tolist(), "run_dirs": list(group.run_dirs),
        })
    return {"metric": comparison.metric, "by": comparison.by, "groups": groups,
            "skipped": [{"run_dir": path, "reason": why} for path, why in comparison.skipped]}


def _row(group: GroupScores) -> tuple[str, ...]:
    """One group's cells, its figures with the same decimals."""
    summary, scores = group.summary, group.scores
    if math.isnan(summary.low):
        value, mean, smallest, largest = stats.format_numbers(
            summary.iqm, scores.mean(), scores.min(), scores.max())
        estimate = f"{value} (1 run: no CI)"
    else:
        value, low, high, mean, smallest, largest = stats.format_numbers(
            summary.iqm, summary.low, summary.high, scores.mean(), scores.min(), scores.max())
        estimate = f"{value} ({stats.join_range(low, high)})"
    reached = "-" if summary.fraction_above is None else (
        f"{stats.describe_share(summary.fraction_above, summary.runs)} >= {summary.threshold:g}")
    return (group.label, str(summary.runs), estimate, mean, smallest, largest, reached)


def _score(run: RunDirectory, metric: str) -> tuple[float | None, str]:
    """`run`'s `metric` from summary.json, or None and why there is none."""
    summary = run.read_summary()
    if summary is None:
        return None, f"unfinished: no {SUMMARY}"
    value = summary.get(metric)
    if value is None:
        kept = ": the task keeps no best policy" if metric == "best_eval_return" else ""
        return None, f"no {metric} in {SUMMARY}{kept}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        return None, f"its {metric} is {value!r}, not a finite number"
    return float(value), ""
