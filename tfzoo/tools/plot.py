"""`tfzoo plot`: learning curves of run directories, seeds of one task as a mean and a band.

`learning_curves` reads the curves from each run's progress.csv and summary.json;
`plot_runs` draws exactly those on shared axes with matplotlib (the `plot` extra) and
writes the picture atomically. Nothing here trains or evaluates.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfzoo.errors import ConfigError
from tfzoo.files import atomic_path
from tfzoo.plugins import load_plugins
from tfzoo.registration import registry
from tfzoo.runs.directory import PROGRESS, SUMMARY, RunDirectory

PANELS = {"return": "Return per episode", "loss": "Loss (episode mean)",
          "eval_return": "Evaluation return"}
FORMATS = (".png", ".svg", ".pdf")


@dataclass(frozen=True)
class Curve:
    """One plotted series: a metric of one task's runs against environment steps.

    With several runs (seeds), `values` is their mean at each step and `low`/`high` their
    minimum and maximum; with one run, all three are its values.
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
    """For "eval_return": the final evaluation's mean (summary.json), drawn at the last step."""


def learning_curves(run_dirs: Sequence[str | os.PathLike]) -> list[Curve]:
    """The curves of `run_dirs`, runs of the same task, preset and agent grouped together."""
    groups: dict[tuple[str, str, str], list[Path]] = {}
    for path in run_dirs:
        config = RunDirectory.open(path).config  # Refuses what is not a run, clearly.
        if not (Path(path) / PROGRESS).is_file():
            raise ConfigError(f"The run in {str(path)!r} has no {PROGRESS} yet: it recorded no "
                              f"episode. Plot it once it has.")
        groups.setdefault((config["task"], config["preset"], config["agent"]), []).append(
            Path(path))
    curves = []
    for (task, preset, agent), paths in groups.items():
        tables = [_read_progress(path) for path in paths]
        label = f"{task} {preset}" + (f" ({len(paths)} seeds)" if len(paths) > 1 else "")
        if agent != _default_agent(task):
            label += f" [{agent}]"
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
    output = Path(output)
    if output.suffix.lower() not in FORMATS:
        raise ConfigError(f"Cannot write a plot to {str(output)!r}: name a {', '.join(FORMATS)} "
                          f"file, e.g. -o curves.png.")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError("tfzoo plot draws with matplotlib, which is not installed: "
                          "pip install 'tfzoo[plot]'.") from None
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
    with atomic_path(output, suffix=output.suffix) as temporary:
        figure.savefig(temporary, dpi=110, format=output.suffix[1:])
    return figure


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
        axis.plot([curve.steps[-1]], [curve.final], color=color, marker="*", markersize=12,
                  linestyle="none", label=f"{curve.label}: final evaluation {curve.final:.4g}")


def _final_only(label: str, task: str, finals: list[tuple[float | None, int]]) -> Curve:
    """The final evaluations of runs that evaluated only at the end, as one point (their
    mean at their mean step) with their range."""
    values = np.array([value for value, _ in finals if value is not None])
    step = np.array([round(np.mean([steps for value, steps in finals if value is not None]))])
    return Curve(label, task, "eval_return", step, values.mean(keepdims=True),
                 values.min(keepdims=True), values.max(keepdims=True), len(values))


def _combine(label: str, task: str, panel: str, series: list[tuple[np.ndarray, np.ndarray]],
             finals: list[tuple[float | None, int]]) -> Curve:
    """One curve from each run's (steps, values): itself, or their mean and range."""
    finals = [final for final, _ in finals if final is not None]
    final = float(np.mean(finals)) if finals else None
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
    return Curve(label, task, panel, grid, stacked.mean(axis=0), stacked.min(axis=0),
                 stacked.max(axis=0), len(series), final)


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


def _default_agent(task: str) -> str | None:
    """The agent `task` trains with by default (a plugin's task: once plugins are loaded)."""
    if task not in registry:
        load_plugins()
    return registry[task].agent if task in registry else None

