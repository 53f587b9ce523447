"""`RunLogger`: the loop callback that writes a run's progress.csv, TensorBoard events and
checkpoints (the agent with the loop's counters and random states), and restores them.

It writes into a `RunDirectory`; it does not decide what a run trains or for how long.
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import tensorflow as tf

from tfzoo import seeding
from tfzoo.core import Agent
from tfzoo.episodes import check_running_episode
from tfzoo.errors import RunDirectoryError, RunDirectoryWarning
from tfzoo.files import interrupts_deferred
from tfzoo.loop import Callback, LoopState
from tfzoo.runs import checkpoints
from tfzoo.runs.directory import CHECKPOINTS, TENSORBOARD, RunDirectory


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
        fields = {field.name for field in dataclasses.fields(self.state)}
        if not (isinstance(saved, dict) and isinstance(saved.get("state"), dict)
                and set(saved["state"]) <= fields and isinstance(saved.get("rows"), list)):
            raise ValueError("the loop state is not a dict of LoopState fields and rows")
        if saved["state"].get("random_states") is not None:
            seeding.check(saved["state"]["random_states"])  # Before anything is set.
        if saved["state"].get("episode") is not None:
            check_running_episode(saved["state"]["episode"])
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
            seconds since the last one (0: after every episode, never inside one), or at
            the first step after them inside an episode whose task can continue it later.
            The run's end and Ctrl-C save one too (unless `synchronized`).
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
        self.checkpoint = tf.train.Checkpoint(agent=agent, loop=_SavedLoop(state, self.rows))
        self.directory = run_directory.path / CHECKPOINTS
        checkpoints.check_list(self.directory)  # Before the manager reads that list.
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory),
                                                  max_to_keep=3)
        self._writer = None  # Opened on the first episode, so reading a run writes nothing.
        self._last_save = time.monotonic()
        self.task: gymnasium.Env | None = None  # What the loop runs, whose random states to keep.

    def restore(self, *, read_only: bool = False) -> bool:
        """Restores the newest checkpoint that restores cleanly, and rewrites progress.csv to
        match it. Each newer one that does not is named in a `RunDirectoryWarning` and, unless
        `read_only`, set aside as `damaged-ckpt-N.*` (never deleted).

        Returns:
            Whether there was a checkpoint to restore.

        Raises:
            RunDirectoryError: There are checkpoints, but none restores; nothing was written.
        """
        found, gone = checkpoints.on_disk(self.directory), checkpoints.missing(self.directory)
        if not found:
            return False
        self.agent.build()
        skipped = []
        for prefix, problem in found:
            problem = problem or self._restore_from(prefix)
            if problem is None:
                break
            skipped.append((prefix, problem))
        else:
            listed = "; ".join(f"{prefix.name}: {problem}" for prefix, problem in skipped)
            raise RunDirectoryError(
                f"No checkpoint in {self.directory} can be restored ({listed}). They are "
                f"damaged, or from another task or agent. Nothing was changed; start a new run, "
                f"or put back a good copy of the run directory.")
        restored = f"{self.directory.name}/{found[len(skipped)][0].name}"
        for name in gone:
            warnings.warn(RunDirectoryWarning(
                f"The checkpoint {name} is listed in {self.directory / 'checkpoint'} but its "
                f"files are gone; restored {restored} instead."), stacklevel=2)
        for prefix, problem in skipped:
            aside = "" if read_only else " It was renamed damaged-" + prefix.name + ".*."
            if not read_only:
                checkpoints.set_aside(prefix)
            warnings.warn(RunDirectoryWarning(
                f"Skipped the checkpoint {prefix} ({problem}); restored {restored} "
                f"instead.{aside}"), stacklevel=2)
        if not read_only:
            checkpoints.rewrite_list(self.directory)  # And the manager goes on from it.
            self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory),
                                                      max_to_keep=3)
            self.run_directory.write_progress(self.rows)
            self._rewrite_tensorboard()
        return True

    def _rewrite_tensorboard(self) -> None:
        """Rewrites the TensorBoard events from the restored rows, so that the episodes the
        resumed run plays again are not shown twice. New events first, then the old files
        go: a crash between leaves both, never neither. The resumed run goes on writing to
        the new file: a second file made in the same second could sort before it."""
        directory = self.run_directory.path / TENSORBOARD
        old = sorted(directory.glob("events.out.tfevents.*"))
        if not old:
            return
        writer = tf.summary.create_file_writer(str(directory))
        for row in self.rows:
            _log_scalars(writer, row, row["steps"])
        writer.flush()
        for path in old:
            path.unlink()
        self._writer = writer

    def _restore_from(self, prefix: Path) -> str | None:
        """Restores the checkpoint `prefix`; None, or what stopped it, as one line."""
        try:
            self.agent.verify_checkpoint(str(prefix))
            self.checkpoint.restore(str(prefix)).assert_existing_objects_matched()
        except (tf.errors.OpError, ValueError, AssertionError, IndexError, KeyError,
                TypeError, OSError) as error:
            return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:300]}"
        return None

    def on_run_start(self, agent: Agent, task: gymnasium.Env, state: LoopState) -> None:
        """Keeps the task: each checkpoint holds its random states (and the process's)."""
        self.task = task

    def on_episode_end(self, record: dict[str, Any], state: LoopState) -> None:
        """Logs the episode to TensorBoard and saves a checkpoint if one is due."""
        self.rows.append(record)
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.run_directory.path / TENSORBOARD))
        _log_scalars(self._writer, record, state.steps)
        if self.synchronized:
            if record["terminated"] or record["truncated"]:
                self.save()
        elif time.monotonic() - self._last_save >= self.checkpoint_seconds:
            self.save()

    def on_step(self, state: LoopState, running_episode: Callable[[], dict | None]) -> None:
        """Saves a checkpoint inside a long episode, if one is due and its task can continue
        the episode from it (`tfzoo.Task.episode_position`; supervised tasks can)."""
        if (self.synchronized or self.checkpoint_seconds == 0
                or time.monotonic() - self._last_save < self.checkpoint_seconds):
            return
        state.episode = running_episode()
        if state.episode is not None:
            self.save()
            state.episode = None

    def on_run_end(self, state: LoopState, interrupted: bool) -> None:
        """Saves the final checkpoint and closes the TensorBoard writer."""
        if not (interrupted and self.synchronized):
            self.save()
        if self._writer is not None:
            self._writer.close()

    def save(self) -> None:
        """Saves a checkpoint, then progress.csv, holding Ctrl-C until both are written."""
        if self.task is not None:  # Between steps: what the next step would draw from.
            self.state.random_states = seeding.capture(self.task)
        with interrupts_deferred():
            self.manager.save()
            self.run_directory.write_progress(self.rows)
            if self._writer is not None:
                self._writer.flush()
        self._last_save = time.monotonic()


def _log_scalars(writer: Any, record: dict[str, Any], step: int) -> None:
    """Logs an episode's figures to TensorBoard at environment step `step`."""
    with writer.as_default(step=step), np.errstate(over="ignore"):
        for name, value in record.items():
            if name not in ("episode", "steps") and isinstance(value, (int, float)):
                # float32 as TensorBoard keeps it: a diverged value shows as inf.
                tf.summary.scalar(f"episode/{name}", np.float32(value))
