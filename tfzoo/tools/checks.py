"""`tfzoo check`: runs each task's learning check from its reference card, and the table.

The cards themselves (what is expected, and the bars) are data in `tfzoo.cards`.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfzoo.cards import Card, Check
from tfzoo.config import load, parameter_hints
from tfzoo.errors import ConfigError
from tfzoo.registration import spec
from tfzoo.runs.experiment import start_run
from tfzoo.runs.run_config import RunConfig


@dataclass(frozen=True)
class CheckResult:
    """How one task's check went."""

    task: str
    preset: str
    steps: int
    metric: str
    bar: str
    """The threshold as a comparison, e.g. ">= 0.93"."""
    value: float | None
    seconds: float
    passed: bool
    error: str | None = None


def run_checks(
    task_ids: Sequence[str], *, quick: bool = False, data_dir: str | os.PathLike | None = None,
    agent_overrides: Mapping[str, Any] | None = None, seed: int = 0,
) -> list[CheckResult]:
    """Runs the card's check of each task in a temporary run directory.

    Args:
        task_ids: Registered task ids that have a card.
        quick: Use each check's `quick_steps` and `quick_threshold`.
        data_dir: Where datasets are (for tasks that take `data_dir`).
        agent_overrides: Agent settings on top of every check's (e.g. to break one on purpose).
        seed: The runs' seed.

    Raises:
        ConfigError: A task without a card (before any check runs).
    """
    cards = [(task_id, _card(task_id)) for task_id in task_ids]
    return [_run_check(task_id, card.check, quick, data_dir, agent_overrides or {}, seed)
            for task_id, card in cards]


def _run_check(
    task_id: str, check: Check, quick: bool, data_dir: str | os.PathLike | None,
    agent_overrides: Mapping[str, Any], seed: int,
) -> CheckResult:
    """Trains `task_id` as `check` says and compares; a run that fails fails its check."""
    steps = check.quick_steps if quick else check.steps
    bar = f"{'>=' if check.higher_is_better else '<='} " \
          f"{check.quick_threshold if quick else check.threshold:g}"
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix=f"tfzoo-check-{task_id}-") as directory:
            config = RunConfig(
                task_id, preset=check.preset, seed=seed, steps=steps,
                task_overrides=_task_settings(task_id, check, data_dir),
                agent_overrides={**check.agent, **agent_overrides}, path=Path(directory) / "run",
            )
            summary = start_run(config, progress=False)
        value = float(summary.get(check.metric, math.nan))
        passed, error = check.passes(value, quick), None
    except Exception as failure:  # A task that fails to train fails its check.
        value, passed, error = None, False, f"{type(failure).__name__}: {failure}"
    return CheckResult(task_id, check.preset, steps, check.metric, bar, value,
                       time.perf_counter() - started, passed, error)


def _task_settings(
    task_id: str, check: Check, data_dir: str | os.PathLike | None
) -> dict[str, Any]:
    """The check's task settings, and `data_dir` for a task that takes one."""
    settings = dict(check.task)
    if data_dir is not None and "data_dir" in parameter_hints(load(spec(task_id).entry_point)):
        settings["data_dir"] = str(data_dir)
    return settings


def format_results(results: Sequence[CheckResult]) -> str:
    """The results as a table, one row per task."""
    lines = [f"{'task':<18} {'preset':<9} {'steps':>6}  {'metric':<20} {'bar':>11} "
             f"{'got':>9} {'seconds':>8}  result"]
    for result in results:
        got = "-" if result.value is None else f"{result.value:.4g}"
        lines.append(f"{result.task:<18} {result.preset:<9} {result.steps:>6}  "
                     f"{result.metric:<20} {result.bar:>11} {got:>9} {result.seconds:>8.1f}  "
                     f"{'pass' if result.passed else 'FAIL'}")
        if result.error:
            lines.append(f"    {result.error}")
    return "\n".join(lines)


def _card(task_id: str) -> Card:
    card = spec(task_id).card
    if card is None:
        raise ConfigError(f"Task {task_id!r} has no reference card, so there is nothing to "
                          f"check; register it with card=tfzoo.cards.Card(...).")
    return card
