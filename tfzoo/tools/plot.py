"""`tfzoo plot`: learning curves of run directories, seeds of one task as their IQM and a
95% confidence band; and performance profiles of their final evaluations.

`learning_curves` reads the curves from each run's progress.csv and summary.json;
`plot_runs` draws exactly those on shared axes with matplotlib (the `plot` extra) and
writes the picture atomically. `plot_profiles` draws, per group of runs, the share whose
final evaluation is above each score (`tfzoo plot --profile`). The statistics are
`tfzoo.stats`'s (Agarwal et al. 2021); nothing here trains or evaluates.
"""

from __future__ import annotations

import csv
import json
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfzoo import stats
from tfzoo.errors import ConfigError, TfzooWarning
from tfzoo.files import atomic_path
from tfzoo.runs.directory import PROGRESS, SUMMARY
from tfzoo.tools.compare import GroupScores, compare_runs, skipped_text
from tfzoo.tools.run_groups import group_runs

PANELS = {"return": "Return per episode", "loss": "Loss (episode mean)",
          "eval_return": "Evaluation return"}
FORMATS = (".png", ".svg", ".pdf")
SEEDS_NOTE = ("Several runs (seeds): their interquartile mean (IQM) at each step, and its 95% "
              "stratified bootstrap confidence interval as a band")
BAND_RESAMPLES = 2_000
"""Bootstrap resamples per step of a band: enough for a picture, fast for long curves."""


@dataclass(frozen=True)
class Curve:
    """One plotted series: a metric of one task's runs against environment steps.

    With several runs (seeds), `values` is their interquartile mean (IQM) at each step and
    `low`/`high` the ends of its 95% stratified bootstrap confidence interval
    (`tfzoo.stats.iqm_curve`, with `BAND_RESAMPLES` resamples and seed 0); with one run, all
    three are its values.
    """

    label: str
    task: str
    panel: str
    """Which metric: "return", "loss" or "eval_return" (progress.csv's column)."""
    steps: np.ndarray
    values: np.ndarray
    low: np.ndarray
    high: np.ndarray
    runs: int
    final: float | None = None
    """For "eval_return": the final evaluation (summary.json; the IQM of the runs'), drawn at
    the last step."""


def learning_curves(run_dirs: Sequence[str | os.PathLike]) -> list[Curve]:
    """The curves of `run_dirs`, runs of the same task, preset and agent grouped together
    (`tfzoo.tools.run_groups`)."""
    curves = []
    for group in group_runs(run_dirs):
        paths = [run.path for run in group.runs]
        for path in paths:
            if not (path / PROGRESS).is_file():
                raise ConfigError(f"The run in {str(path)!r} has no {PROGRESS} yet: it recorded "
                                  f"no episode. Plot it once it has.")
        tables = [_read_progress(path) for path in paths]
        label = group.label + (f" ({len(paths)} seeds)" if len(paths) > 1 else "")
        task = group.task
        for panel in PANELS:
            series = [table[panel] for table in tables if panel in table]
            finals = [_final_eval(path) for path in paths] if panel == "eval_return" else []
            if series:
                curves.append(_combine(label, task, panel, series, finals))
            elif any(final is not None for final, _ in finals):  # Only the final evaluation.
                curves.append(_final_only(label, task, finals))
    return curves


def plot_runs(run_dirs: Sequence[str | os.PathLike], output: str | os.PathLike) -> Any:
    """Draws the `learning_curves` of `run_dirs` into `output` (.png, .svg or .pdf).

    Returns:
        The matplotlib `Figure`: a row of panels per task (its runs share the axes), a panel
        per metric, environment steps on every x axis.
    """
    output, Figure = _checked_output(output), _figure_class()
    curves = learning_curves(run_dirs)
    if not curves:
        raise ConfigError("The runs recorded no return, loss or evaluation yet: nothing to plot.")
    tasks = list(dict.fromkeys(curve.task for curve in curves))  # A row of panels per task.
    panels = [panel for panel in PANELS if any(curve.panel == panel for curve in curves)]
    figure = Figure(figsize=(5.2 * len(panels), 3.8 * len(tasks)), layout="constrained")
    grid = figure.subplots(len(tasks), len(panels), squeeze=False)
    for row, task in zip(grid, tasks, strict=True):
        for axis, panel in zip(row, panels, strict=True):
            drawn = [curve for curve in curves if curve.task == task and curve.panel == panel]
            if not drawn:
                axis.set_visible(False)
                continue
            for index, curve in enumerate(drawn):
                _draw(axis, curve, f"C{index}")
            axis.set_title(f"{task}: {PANELS[panel]}" if len(tasks) > 1 else PANELS[panel])
            axis.set_xlabel("environment steps")
            axis.grid(alpha=0.3)
            axis.legend(fontsize="small")
    if any(curve.runs > 1 for curve in curves):
        figure.suptitle(SEEDS_NOTE, fontsize="small")
    _save(figure, output)
    return figure


def plot_profiles(run_dirs: Sequence[str | os.PathLike], output: str | os.PathLike) -> Any:
    """Draws into `output` the performance profile of each group of finished runs: the share
    of its runs whose final evaluation (summary.json's eval_return) is above each score.

    Runs of the same task, preset and agent are a group (as in `tfzoo compare`); unfinished
    runs are left out with a warning naming them.

    Returns:
        The matplotlib `Figure`: a panel per task, its reward threshold (if it has one) as a
        dashed vertical line.
    """
    output, Figure = _checked_output(output), _figure_class()
    comparison = compare_runs(run_dirs)
    if comparison.skipped:
        warnings.warn(f"Left out of the profiles: {skipped_text(comparison)}.", TfzooWarning,
                      stacklevel=2)
    tasks = list(dict.fromkeys(group.task for group in comparison.groups))
    figure = Figure(figsize=(5.2 * len(tasks), 3.8), layout="constrained")
    for axis, task in zip(figure.subplots(1, len(tasks), squeeze=False)[0], tasks, strict=True):
        _draw_profiles(axis, task, [group for group in comparison.groups if group.task == task])
    _save(figure, output)
    return figure


def _draw_profiles(axis: Any, task: str, groups: list[GroupScores]) -> None:
    """The profiles of `groups` (all of `task`) on `axis`, over the range of their scores
    and the task's reward threshold."""
    threshold = groups[0].summary.threshold
    ends = [value for group in groups for value in (group.scores.min(), group.scores.max())]
    ends += [] if threshold is None else [threshold]
    margin = 0.05 * (max(ends) - min(ends)) or 1.0
    scores = np.linspace(min(ends) - margin, max(ends) + margin, 400)
    for index, group in enumerate(groups):
        runs = len(group.scores)
        axis.plot(scores, stats.performance_profile(group.scores, scores), color=f"C{index}",
                  drawstyle="steps-post",
                  label=f"{group.label} ({runs} run{'s' if runs != 1 else ''})")
    if threshold is not None:
        axis.axvline(threshold, color="0.4", linestyle="--",
                     label=f"reward threshold {threshold:g}")
    axis.set_title(f"{task}: final evaluation")
    axis.set_xlabel("score (eval_return)")
    axis.set_ylabel("share of runs above the score")
    axis.set_ylim(-0.03, 1.03)
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")


def _checked_output(output: str | os.PathLike) -> Path:
    """`output` as a Path, if it names a picture format matplotlib writes."""
    output = Path(output)
    if output.suffix.lower() not in FORMATS:
        raise ConfigError(f"Cannot write a plot to {str(output)!r}: name a {', '.join(FORMATS)} "
                          f"file, e.g. -o curves.png.")
    return output


def _figure_class() -> Any:
    """matplotlib's `Figure` (drawn without a display), or the extra to install."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError("tfzoo plot draws with matplotlib, which is not installed: "
                          "pip install 'tfzoo[plot]'.") from None
    return Figure


def _save(figure: Any, output: Path) -> None:
    """Writes `figure` to `output` atomically, in the format its suffix names."""
    with atomic_path(output, suffix=output.suffix) as temporary:
        figure.savefig(temporary, dpi=110, format=output.suffix[1:])


def _draw(axis: Any, curve: Curve, color: str) -> None:
    marker = "o" if len(curve.steps) <= 30 else None
    axis.plot(curve.steps, curve.values, color=color, marker=marker, markersize=3,
              label=curve.label)
    if curve.runs > 1 and len(curve.steps) > 1:
        axis.fill_between(curve.steps, curve.low, curve.high, color=color, alpha=0.2,
                          linewidth=0)
    elif curve.runs > 1:  # One point: its range as an error bar.
        axis.errorbar(curve.steps, curve.values, yerr=[curve.values - curve.low,
                                                       curve.high - curve.values], color=color)
    if curve.final is not None:
        which = "final evaluation, IQM" if curve.runs > 1 else "final evaluation"
        axis.plot([curve.steps[-1]], [curve.final], color=color, marker="*", markersize=12,
                  linestyle="none", label=f"{curve.label}: {which} {curve.final:.4g}")


def _final_only(label: str, task: str, finals: list[tuple[float | None, int]]) -> Curve:
    """The final evaluations of runs that evaluated only at the end, as one point (their
    IQM at their mean step) with its confidence interval."""
    values = np.array([value for value, _ in finals if value is not None])
    step = np.array([round(np.mean([steps for value, steps in finals if value is not None]))])
    return Curve(label, task, "eval_return", step, *_band(values[:, None]), len(values))


def _band(stacked: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The IQM of (runs, steps) at each step and its 95% confidence band (one run: itself)."""
    if len(stacked) == 1:
        return stacked[0], stacked[0], stacked[0]
    return stats.iqm_curve(stacked, resamples=BAND_RESAMPLES)


def _combine(label: str, task: str, panel: str, series: list[tuple[np.ndarray, np.ndarray]],
             finals: list[tuple[float | None, int]]) -> Curve:
    """One curve from each run's (steps, values): itself, or their IQM and its band."""
    finals = [final for final, _ in finals if final is not None]
    final = stats.iqm(finals) if finals else None
    if len(series) == 1:
        steps, values = series[0]
        return Curve(label, task, panel, steps, values, values, values, 1, final)
    if all(np.array_equal(steps, series[0][0]) for steps, _ in series):
        grid, stacked = series[0][0], np.stack([values for _, values in series])
    else:  # Episodes end at different steps: compare the runs where they all have data.
        start = max(steps[0] for steps, _ in series)
        end = min(steps[-1] for steps, _ in series)
        grid = np.unique(np.concatenate([s[(s >= start) & (s <= end)] for s, _ in series]))
        stacked = np.stack([np.interp(grid, steps, values) for steps, values in series])
    return Curve(label, task, panel, grid, *_band(stacked), len(series), final)


def _read_progress(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{panel: (steps, values)} from progress.csv, each from the rows that have that column
    (evaluations are not in every row)."""
    with open(path / PROGRESS, newline="") as file:
        rows = list(csv.DictReader(file))
    table = {}
    for panel in PANELS:
        kept = [row for row in rows if row.get(panel) not in (None, "")]
        if kept:
            table[panel] = (np.array([int(row["steps"]) for row in kept]),
                            np.array([float(row[panel]) for row in kept]))
    return table


def _final_eval(path: Path) -> tuple[float | None, int]:
    """summary.json's final evaluation and step count ((None, 0) before the run ends)."""
    summary = path / SUMMARY
    if not summary.is_file():
        return None, 0
    data = json.loads(summary.read_text())
    value = data.get("eval_return")
    if value is None or not math.isfinite(value):
        return None, 0
    return float(value), int(data.get("steps", 0))
