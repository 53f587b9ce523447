"""The end of a `tfzoo tune` study: its winner written as best_preset.json, and trained again
on fresh seeds with the task's own evaluation (the test split, for supervised tasks), so the
tuning score can be compared with what the settings give on runs that had no part in it.

`read_preset_file` reads best_preset.json back for `tfzoo train --preset-file`.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Any

from tfzoo.errors import ConfigError
from tfzoo.files import atomic_path
from tfzoo.registration import spec
from tfzoo.runs.experiment import start_run
from tfzoo.runs.run_config import RunConfig
from tfzoo.runs.tuning import TRIAL_SEEDS, read_study, study_report
from tfzoo.stats import aggregate
from tfzoo.validate import whole_number

PRESET_FILE = "best_preset.json"
PRESET_KEYS = {"task", "preset", "task_settings", "agent_settings", "origin"}


def recheck(study_dir: str | os.PathLike, *, seeds: int = 5,
            progress: bool = True) -> dict[str, Any]:
    """Writes the study's best settings as best_preset.json, trains them on `seeds` seeds
    that no trial used (0 to seeds - 1), and reports them beside the tuning score.

    Returns:
        {"tuning_score", "trial", "settings", "scores" (one per seed, the final policy's
        or model's evaluation return), "mean", "iqm", "ci" ([low, high], 95%),
        "fraction_solved" (RL tasks with a reward threshold), "evaluated_on", "preset_file"},
        also written to recheck.json in the study directory.

    Raises:
        ConfigError: The study has no completed trial, or `seeds` is bad.
    """
    whole_number("seeds", seeds, maximum=TRIAL_SEEDS)
    directory = Path(study_dir)
    report, record = study_report(directory), read_study(directory)
    best = report["best"]
    if best is None:
        raise ConfigError(f"The study in {str(directory)!r} has no completed trial to "
                          f"re-check ({report['states'] or 'no trials'}); run more trials.")
    preset_file = write_preset_file(directory, record, best)
    scores = []
    for seed in range(seeds):
        summary = start_run(RunConfig(
            record["task"], preset=record["preset"], seed=seed,
            task_overrides=best["task_settings"], agent_overrides=best["agent_settings"],
            path=directory / "recheck" / f"seed{seed}"), progress=progress)
        scores.append(float(summary["eval_return"]))
    threshold = spec(record["task"]).reward_threshold
    summary = aggregate(scores, threshold=threshold)
    result = {
        "task": record["task"], "tuning_score": best["score"], "trial": best["number"],
        "settings": {"task": best["task_settings"], "agent": best["agent_settings"]},
        "scores": scores, "seeds": list(range(seeds)), "mean": statistics.mean(scores),
        "iqm": summary.iqm, "ci": [summary.low, summary.high],
        "fraction_solved": summary.fraction_above,
        "evaluated_on": "the task's own evaluation: the test split for supervised tasks, "
                        "the final policy's episodes from each run's seed for RL",
        "preset_file": str(preset_file),
    }
    with atomic_path(directory / "recheck.json") as temporary:
        Path(temporary).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def write_preset_file(directory: Path, record: dict[str, Any], best: dict[str, Any]) -> Path:
    """best_preset.json: the winner's settings on top of the study's preset, and their origin."""
    path = directory / PRESET_FILE
    content = {
        "task": record["task"], "preset": record["preset"],
        "task_settings": best["task_settings"], "agent_settings": best["agent_settings"],
        "origin": {"study": record["study"], "storage": record["storage"],
                   "trial": best["number"], "tuning_score": best["score"],
                   "scored_on": record["scored_on"]},
    }
    with atomic_path(path) as temporary:
        Path(temporary).write_text(json.dumps(content, indent=2), encoding="utf-8")
    return path


def read_preset_file(path: str | os.PathLike, task: str) -> dict[str, Any]:
    """The settings of a best_preset.json for `task`: {"preset", "task_settings",
    "agent_settings", "origin" (its study and trial, and the file's path)}.

    Raises:
        ConfigError: The file cannot be read, is not a preset file, or is for another task.
    """
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"--preset-file {str(path)!r} cannot be read as JSON: {error}.") \
            from None
    if not isinstance(content, dict) or set(content) != PRESET_KEYS or not all(
            isinstance(content[key], dict) for key in ("task_settings", "agent_settings")):
        raise ConfigError(f"--preset-file {str(path)!r} is not a preset file: it must hold "
                          f"exactly {', '.join(sorted(PRESET_KEYS))}, as `tfzoo tune` writes "
                          f"{PRESET_FILE}.")
    if content["task"] != task:
        raise ConfigError(f"--preset-file {str(path)!r} holds settings for task "
                          f"{content['task']!r}, not {task!r}; train {content['task']!r} "
                          f"with it, or use a file for {task!r}.")
    origin = {**content["origin"], "file": str(Path(path).resolve())} if isinstance(
        content["origin"], dict) else {"file": str(Path(path).resolve())}
    return {"preset": content["preset"], "task_settings": content["task_settings"],
            "agent_settings": content["agent_settings"], "origin": origin}
