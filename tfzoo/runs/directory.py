"""Run directories on disk: their layout, config.json (checked, and upgraded from older
formats), progress.csv and summary.json.

A run directory holds `config.json` (everything needed to rebuild the run), `progress.csv`
(one row per episode), TensorBoard events under `tensorboard/`, checkpoints under
`checkpoints/` (agent, optimizer, loop counters, random states), for tasks evaluated during
training the best policy under `best/`, and, once finished, `summary.json`. Every JSON and
CSV file is replaced atomically, so a crash or Ctrl-C never leaves one half-written. This
module does files; what writes checkpoints is `tfzoo.runs.logger`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium
import keras
import numpy as np
import tensorflow as tf

from tfzoo import seeding
from tfzoo.errors import ConfigError, RunDirectoryError
from tfzoo.files import atomic_path
from tfzoo.loop import check_budget
from tfzoo.version import __version__

try:
    import fcntl  # POSIX advisory locks; Windows has none, and trains unlocked.
except ImportError:
    fcntl = None

CONFIG, PROGRESS, SUMMARY = "config.json", "progress.csv", "summary.json"
CHECKPOINTS, TENSORBOARD, BEST = "checkpoints", "tensorboard", "best"
LOCK = ".lock"  # Held by the process training the run; it names that process.
FORMAT_VERSION = 2
"""config.json's format. 2 (tfzoo 0.2): the character agent is "char-model" and its models
"rnn-fast" and "char-lstm"; format 1 (tfzoo 0.1) named them "char-rnn", "chapter" and "lstm"."""
BASE_COLUMNS = ["episode", "steps", "return", "length", "terminated", "truncated", "seconds"]
REQUIRED_CONFIG = {
    "format": int, "task": str, "preset": str, "agent": str, "seed": int, "budget": dict,
    "task_kwargs": dict, "agent_config": dict,
}
FORMAT_1_NAMES = {"agent": {"char-rnn": "char-model"},
                  "model": {"chapter": "rnn-fast", "lstm": "char-lstm"}}


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes `text` to `path` through a temporary file and a rename: all or nothing."""
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8",
                                              newline="") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Writes `data` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, default=repr) + "\n")


def versions() -> dict[str, str]:
    """The versions a run depends on, recorded in its config.json."""
    return {
        "python": platform.python_version(), "tensorflow": tf.__version__,
        "keras": keras.__version__, "numpy": np.__version__,
        "gymnasium": gymnasium.__version__, "tfzoo": __version__,
    }


def machine() -> dict[str, Any]:
    """What a run ran on, recorded in its config.json: platform, CPU count, TF's devices."""
    return {
        "platform": platform.platform(), "cpu_count": os.cpu_count(),
        "devices": [device.name for device in tf.config.list_logical_devices()],
    }



class RunDirectory:
    """One run's directory on disk. Create it with `create`, open an existing one with `open`."""

    def __init__(self, path: str | os.PathLike, config: dict[str, Any]) -> None:
        self.path, self.config = Path(path), config

    @classmethod
    def create(cls, path: str | os.PathLike, config: dict[str, Any]) -> RunDirectory:
        """Makes a new run directory and writes its config.json; refuses to reuse a run."""
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise RunDirectoryError(
                f"{str(path)!r} already exists and is not an empty directory, and tfzoo never "
                f"writes over earlier work. Pass another --logdir, or continue that run with "
                f"--resume {path}."
            )
        config = {"format": FORMAT_VERSION, **config, "versions": versions(),
                  "machine": machine()}
        try:
            path.mkdir(parents=True, exist_ok=True)
            write_json(path / CONFIG, config)
        except OSError as error:
            raise RunDirectoryError(
                f"Cannot create the run directory {str(path)!r}: {error.strerror or error}. "
                f"Pass a --logdir in a directory you can write to."
            ) from None
        return cls(path, config)

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDirectory:
        """Opens an existing run directory; raises `RunDirectoryError` saying what is wrong."""
        path = Path(path)
        if not (path / CONFIG).is_file():
            raise RunDirectoryError(
                f"{str(path)!r} is not a tfzoo run directory: it has no {CONFIG}. Pass the "
                f"directory that `tfzoo train` printed when the run started (under runs/ "
                f"unless --logdir named another)."
            )
        config = upgrade(read_json(path / CONFIG), path / CONFIG)
        problem = _config_problem(config)
        if problem:
            raise RunDirectoryError(
                f"{path / CONFIG} is damaged: {problem}. Restore the file from a copy, or "
                f"start a new run."
            )
        return cls(path, config)

    @contextlib.contextmanager
    def training_lock(self) -> Iterator[None]:
        """Holds the run's lock while a process trains it; a second one is refused, naming
        the holder. The lock is the kernel's (`flock`): it goes with its process, even a
        killed one, so a stale lock never blocks a resume."""
        if fcntl is None:
            yield
            return
        with open(self.path / LOCK, "a+") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.seek(0)
                holder = file.read(200).strip() or "another process"
                raise RunDirectoryError(
                    f"The run in {str(self.path)!r} is being trained by {holder}. Two "
                    f"processes training one run would write over each other's checkpoints: "
                    f"wait for that one to finish, or stop it and resume again.") from None
            file.seek(0)
            file.truncate()
            file.write(f"process {os.getpid()} on {socket.gethostname()}\n")
            file.flush()
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)

    def write_progress(self, rows: list[dict[str, Any]]) -> None:
        """Replaces progress.csv with `rows`; columns are the base ones, then every metric."""
        metrics = sorted({key for row in rows for key in row} - set(BASE_COLUMNS))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=BASE_COLUMNS + metrics, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.path / PROGRESS, text.getvalue())

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Writes summary.json, which marks the run as finished."""
        write_json(self.path / SUMMARY, summary)

    def read_summary(self) -> dict[str, Any] | None:
        """summary.json, or None while the run is unfinished."""
        return read_json(self.path / SUMMARY) if (self.path / SUMMARY).exists() else None


def _config_problem(config: dict[str, Any]) -> str | None:
    """What is wrong with a config.json's contents, or None."""
    for key, kind in REQUIRED_CONFIG.items():
        if isinstance(config.get(key), bool) or not isinstance(config.get(key), kind):
            return f"{key!r} is missing or not a {kind.__name__}"
    for key in ("task", "agent"):
        if ":" in config[key]:  # "module:id" would import the module: a run never names one.
            return (f"{key!r} is {config[key]!r:.80}, a module and a name; runs record bare "
                    f"names (pass --import MODULE for a module of yours)")
    budget = config["budget"]
    if set(budget) != {"steps", "episodes", "max_seconds"}:
        return f"'budget' has the keys {sorted(budget)}, not steps, episodes and max_seconds"
    try:
        check_budget(budget["steps"], budget["episodes"], budget["max_seconds"])
    except ConfigError as error:
        return f"its budget is wrong ({error})"
    if not 0 <= config["seed"] <= seeding.MAX_SEED:
        return f"'seed' is {config['seed']}, outside 0 to {seeding.MAX_SEED}"
    return None


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in `path`; a RunDirectoryError if it is unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunDirectoryError(
            f"{path} cannot be read as JSON ({error}). The file is damaged; restore it from a "
            f"copy, or start a new run."
        ) from None
    if not isinstance(data, dict):
        raise RunDirectoryError(f"{path} holds {type(data).__name__}, not a JSON object; "
                                "restore it from a copy, or start a new run.")
    return data


def upgrade(config: dict[str, Any], path: Path) -> dict[str, Any]:
    """`config` in this version's format (older formats are renamed in memory, not on disk).

    Raises:
        RunDirectoryError: It was written by a newer tfzoo, whose format this one cannot read.
    """
    written = config.get("format")
    if isinstance(written, int) and written > FORMAT_VERSION:
        raise RunDirectoryError(
            f"{path} is in format {written}, written by tfzoo "
            f"{config.get('versions', {}).get('tfzoo', 'newer than this one')}; this tfzoo "
            f"({__version__}) reads formats up to {FORMAT_VERSION}. Open the run with the tfzoo "
            f"that wrote it, or upgrade tfzoo (pip install -U tfzoo)."
        )
    if written != 1:
        return config
    agent = FORMAT_1_NAMES["agent"].get(config.get("agent"), config.get("agent"))
    agent_config = dict(config.get("agent_config") or {})
    if agent == "char-model" and "model" in agent_config:
        model = agent_config["model"]
        agent_config["model"] = FORMAT_1_NAMES["model"].get(model, model)
    return {**config, "format": FORMAT_VERSION, "agent": agent, "agent_config": agent_config}
