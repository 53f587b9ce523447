"""Run directories: what `tfzoo train` writes, and how a run is resumed and re-evaluated.

A run directory holds `config.json` (everything needed to rebuild the run), `progress.csv`
(one row per episode), TensorBoard events under `tensorboard/`, checkpoints under
`checkpoints/` (agent, optimizer, loop counters, random states), for tasks evaluated during
training the best policy under `best/`, and, once finished, `summary.json`. Every JSON and
CSV file is replaced atomically, so a crash or Ctrl-C never leaves one half-written. This
module does files; the loop itself is `tfzoo.loop`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import os
import platform
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium
import keras
import numpy as np
import tensorflow as tf

from tfzoo import seeding
from tfzoo.core import Agent
from tfzoo.errors import ConfigError, RunDirectoryError
from tfzoo.files import atomic_path
from tfzoo.loop import Callback, LoopState, check_budget

CONFIG, PROGRESS, SUMMARY = "config.json", "progress.csv", "summary.json"
CHECKPOINTS, TENSORBOARD, BEST = "checkpoints", "tensorboard", "best"
FORMAT_VERSION = 1
BASE_COLUMNS = ["episode", "steps", "return", "length", "terminated", "truncated", "seconds"]
REQUIRED_CONFIG = {
    "format": int, "task": str, "preset": str, "agent": str, "seed": int, "budget": dict,
    "task_kwargs": dict, "agent_config": dict,
}


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
    from tfzoo import __version__

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


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Holds Ctrl-C and SIGTERM back while files are written, then raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = {
        number: signal.signal(number, lambda number, frame: received.append(number))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            raise KeyboardInterrupt


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
        config = _read_json(path / CONFIG)
        problem = _config_problem(config)
        if problem:
            raise RunDirectoryError(
                f"{path / CONFIG} is damaged: {problem}. Restore the file from a copy, or "
                f"start a new run."
            )
        return cls(path, config)

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
        return _read_json(self.path / SUMMARY) if (self.path / SUMMARY).exists() else None


class _SavedLoop(tf.train.experimental.PythonState):
    """Puts the loop's `LoopState` and the progress rows into the agent's checkpoint, as JSON.

    Keeping the rows in the checkpoint means progress.csv can always be rewritten to match
    it, whatever happened to the file.
    """

    def __init__(self, state: LoopState, rows: list[dict[str, Any]]) -> None:
        self.state, self.rows = state, rows

    def serialize(self) -> str:
        """The state and rows as JSON (called by `tf.train.Checkpoint` when saving)."""
        return json.dumps(seeding.to_json(
            {"state": dataclasses.asdict(self.state), "rows": self.rows}
        ))

    def deserialize(self, string: bytes | str) -> None:
        """Fills the state and rows in place (called by `tf.train.Checkpoint` on restore)."""
        saved = json.loads(string)
        for name, value in saved["state"].items():
            setattr(self.state, name, value)
        self.rows[:] = saved["rows"]


class RunLogger(Callback):
    """Writes a run's progress.csv, TensorBoard events and checkpoints while the loop runs.

    Args:
        run_directory: Where to write.
        agent: The agent to checkpoint (a `tfzoo.Agent`, so a `tf.Module`).
        state: The `LoopState` the loop mutates; it is checkpointed with the agent.
        checkpoint_seconds: Save a checkpoint at the first episode end after this many
            seconds since the last one (0: after every episode). The run's end and Ctrl-C
            save one too (unless `synchronized`).
        synchronized: Save only where every worker of a multi-worker run is at the same
            step: at each episode's natural end (terminated or truncated) and at the end of
            the budget, never on a clock or at Ctrl-C. Their latest checkpoints then match.
    """

    def __init__(
        self, run_directory: RunDirectory, agent: Agent, state: LoopState,
        checkpoint_seconds: float = 60.0, synchronized: bool = False,
    ) -> None:
        self.run_directory, self.agent, self.state = run_directory, agent, state
        self.checkpoint_seconds, self.synchronized = checkpoint_seconds, synchronized
        self.rows: list[dict[str, Any]] = []
        checkpoint = tf.train.Checkpoint(agent=agent, loop=_SavedLoop(state, self.rows))
        self.manager = tf.train.CheckpointManager(
            checkpoint, str(run_directory.path / CHECKPOINTS), max_to_keep=3
        )
        self._writer = None  # Opened on the first episode, so reading a run writes nothing.
        self._last_save = time.monotonic()

    def restore(self) -> bool:
        """Restores the latest checkpoint, if any, and rewrites progress.csv to match it.

        Returns:
            Whether there was a checkpoint to restore.
        """
        latest = self.manager.latest_checkpoint
        if latest is None:
            return False
        self.agent.verify_checkpoint(latest)
        self.agent.build()
        try:
            self.manager.checkpoint.restore(latest).assert_existing_objects_matched()
        except (tf.errors.OpError, ValueError, AssertionError) as error:
            raise RunDirectoryError(
                f"The checkpoint {latest} cannot be restored ({type(error).__name__}: "
                f"{str(error).splitlines()[0]}). It is damaged, or from another task or agent; "
                f"remove it to fall back on an older one in {self.manager.directory}."
            ) from None
        self.run_directory.write_progress(self.rows)
        return True

    def on_episode_end(self, record: dict[str, Any], state: LoopState) -> None:
        """Logs the episode to TensorBoard and saves a checkpoint if one is due."""
        self.rows.append(record)
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.run_directory.path / TENSORBOARD))
        with self._writer.as_default(step=state.steps), np.errstate(over="ignore"):
            for name, value in record.items():
                if name not in ("episode", "steps") and isinstance(value, (int, float)):
                    # float32 as TensorBoard keeps it: a diverged value shows as inf.
                    tf.summary.scalar(f"episode/{name}", np.float32(value))
        if self.synchronized:
            if record["terminated"] or record["truncated"]:
                self.save()
        elif time.monotonic() - self._last_save >= self.checkpoint_seconds:
            self.save()

    def on_run_end(self, state: LoopState, interrupted: bool) -> None:
        """Saves the final checkpoint and closes the TensorBoard writer."""
        if not (interrupted and self.synchronized):
            self.save()
        if self._writer is not None:
            self._writer.close()

    def save(self) -> None:
        """Saves a checkpoint, then progress.csv, holding Ctrl-C until both are written."""
        with interrupts_deferred():
            self.manager.save()
            self.run_directory.write_progress(self.rows)
            if self._writer is not None:
                self._writer.flush()
        self._last_save = time.monotonic()


class BestCheckpoint:
    """The best policy a run's periodic evaluations saw: `best/ckpt-*` and `best/best.json`.

    Each new best is written beside the old one, then best.json is replaced (atomically) to
    point at it, then the old one is removed: a crash at any moment leaves best.json naming
    a complete checkpoint.
    """

    def __init__(self, run_directory: RunDirectory) -> None:
        self.directory = run_directory.path / BEST
        self.pointer = self.directory / "best.json"

    def read(self) -> dict[str, Any] | None:
        """best.json ({"eval_return", "steps", "checkpoint"}), or None before the first best."""
        return _read_json(self.pointer) if self.pointer.exists() else None

    def save(self, agent: Agent, eval_return: float, state: LoopState) -> None:
        """Saves `agent` as the new best, holding Ctrl-C until it is written."""
        with interrupts_deferred():
            self.directory.mkdir(exist_ok=True)
            # A new name every time, so the checkpoint best.json names is never written over.
            name = f"ckpt-{state.steps}-{time.time_ns()}"
            agent.save(self.directory / name)
            write_json(self.pointer, {"eval_return": eval_return, "steps": state.steps,
                                      "checkpoint": name})
            for path in self.directory.glob("ckpt-*"):
                if not path.name.startswith(f"{name}."):
                    shutil.rmtree(path) if path.is_dir() else path.unlink()

    def restore(self, agent: Agent) -> dict[str, Any]:
        """Restores the best policy into `agent`; returns best.json's contents."""
        best = self.read()
        if best is None:
            raise RunDirectoryError(
                f"The run in {str(self.directory.parent)!r} has no best policy: its task does "
                f"not evaluate during training, or no evaluation has run yet. Use its last "
                f"checkpoint instead."
            )
        agent.restore(self.directory / best["checkpoint"])
        return best


def _config_problem(config: dict[str, Any]) -> str | None:
    """What is wrong with a config.json's contents, or None."""
    for key, kind in REQUIRED_CONFIG.items():
        if isinstance(config.get(key), bool) or not isinstance(config.get(key), kind):
            return f"{key!r} is missing or not a {kind.__name__}"
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


def _read_json(path: Path) -> dict[str, Any]:
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
