"""`BestCheckpoint`: the best policy a run's periodic evaluations saw, kept beside its run.

Written by `tfzoo.runs.experiment` when `PeriodicEvaluation` finds a new best; read by
`tfzoo eval --best` and `tfzoo play`.
"""

from __future__ import annotations

import re
import shutil
import time
from typing import Any

from tfzoo.core import Agent
from tfzoo.errors import RunDirectoryError
from tfzoo.files import interrupts_deferred
from tfzoo.loop import LoopState
from tfzoo.runs.directory import BEST, RunDirectory, read_json, write_json

BEST_NAME = re.compile(r"ckpt-\d+-\d+")  # Only ever a file name in best/, never a path.


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
        return read_json(self.pointer) if self.pointer.exists() else None

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
        name = best.get("checkpoint") if isinstance(best, dict) else None
        if not isinstance(name, str) or not BEST_NAME.fullmatch(name):
            raise RunDirectoryError(
                f"{self.pointer} names the checkpoint {name!r}, not a ckpt-STEPS-TIME file in "
                f"{self.directory}. It is damaged or was edited; evaluate the run's last "
                f"checkpoint instead (without --best).")
        agent.restore(self.directory / name)
        return best
