"""`verify_run`: trains a finished run again from its config.json and compares what both measured.

This is what `tfzoo verify` calls. It compares progress.csv (every column but wall-clock
ones: those with "seconds" or "time" in their name) and the evaluation figures of
summary.json; it does not compare weights.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfzoo.errors import RunDirectoryError
from tfzoo.runs.directory import PROGRESS, RunDirectory
from tfzoo.runs.experiment import start_run
from tfzoo.runs.run_config import RunConfig
from tfzoo.runs.sources import check_sources

DEFAULT_TOLERANCE = 1e-4  # Relative, for runs that were not deterministic.


def verify_run(
    path: str | os.PathLike, *, tolerance: float = DEFAULT_TOLERANCE, progress: bool = False
) -> dict[str, Any]:
    """Re-runs the finished run in `path` in a temporary directory and compares the two.

    A run started with `deterministic=True` must match exactly; any other within
    `tolerance` (relative, and absolute near zero).

    Returns:
        {"reproduced", "exact", "tolerance", "rows", "columns", "mismatches"}: mismatches
        lists up to 10 differences as {"where", "original", "replayed"}.

    Raises:
        RunDirectoryError: `path` is not a finished run, or its budget was wall-clock time.
    """
    original = RunDirectory.open(path)
    summary, config = original.read_summary(), original.config
    if summary is None:
        raise RunDirectoryError(f"The run in {str(path)!r} has not finished (no summary.json); "
                                f"finish it with `tfzoo train --resume {path}`, then verify.")
    if config["budget"]["max_seconds"] is not None:
        raise RunDirectoryError(f"The run in {str(path)!r} was stopped by --max-seconds, which "
                                f"no re-run can repeat; verify runs with a steps or episodes "
                                f"budget.")
    check_sources(config, path)
    exact = bool(config.get("deterministic"))
    with tempfile.TemporaryDirectory() as directory:
        replay = start_run(_replay_config(config, Path(directory) / "replay"),
                           progress=progress)
        replayed_rows = _read_rows(Path(directory) / "replay" / PROGRESS)
    rows = _read_rows(original.path / PROGRESS)
    columns = [name for name in (rows[0] if rows else {}) if not _wall_clock(name)]
    mismatches = _compare_rows(rows, replayed_rows, columns, exact, tolerance)
    for name in sorted(key for key in summary if "eval" in key and not _wall_clock(key)):
        if not _same(summary[name], replay.get(name), exact, tolerance):
            mismatches.append({"where": f"summary.json {name}", "original": summary[name],
                               "replayed": replay.get(name)})
    return {"reproduced": not mismatches, "exact": exact,
            "tolerance": 0.0 if exact else tolerance, "rows": len(rows), "columns": columns,
            "mismatches": mismatches[:10]}


def _replay_config(config: Mapping[str, Any], path: Path) -> RunConfig:
    """The `RunConfig` that trains the run that `config` (its config.json) records again, in
    `path`: the same agent, seed and budget, with every task and agent setting as recorded."""
    return RunConfig(
        config["task"], preset=config["preset"], agent=config["agent"], seed=config["seed"],
        steps=config["budget"]["steps"], episodes=config["budget"]["episodes"],
        task_overrides=config["task_kwargs"], agent_overrides=config["agent_config"],
        path=path, checkpoint_seconds=config.get("checkpoint_seconds", 60.0),
        deterministic=bool(config.get("deterministic")),
        execution=config.get("execution", "compiled"), num_envs=config.get("num_envs", 1),
        evaluation=config.get("evaluation") or {},
    )


def _compare_rows(rows, replayed_rows, columns, exact, tolerance) -> list[dict[str, Any]]:
    if len(rows) != len(replayed_rows):
        return [{"where": "progress.csv rows", "original": len(rows),
                 "replayed": len(replayed_rows)}]
    return [
        {"where": f"progress.csv episode {row.get('episode', number + 1)} {name}",
         "original": row.get(name), "replayed": replayed.get(name)}
        for number, (row, replayed) in enumerate(zip(rows, replayed_rows, strict=True))
        for name in columns
        if not _same(row.get(name), replayed.get(name), exact, tolerance)
    ]


def _same(original: Any, replayed: Any, exact: bool, tolerance: float) -> bool:
    """Equal as written (exact), or as numbers within `tolerance`."""
    if str(original) == str(replayed):
        return True
    if exact:
        return False
    try:
        a, b = float(original), float(replayed)
    except (TypeError, ValueError):
        return False
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def _wall_clock(name: str) -> bool:
    return "seconds" in name or "time" in name


def _read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))
