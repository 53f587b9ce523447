"""How a study's Optuna storage is opened, and how the trials of a tuner that died are found.

Two kinds of storage: a database (SQLite, PostgreSQL, MySQL: any SQLAlchemy URL), where each
running trial beats every HEARTBEAT_SECONDS and a silent one is failed and retried; and
Optuna's journal file (`journal:PATH`), which has no heartbeats, so each trial records its
tuner's machine and process instead. The search itself is `tfzoo.runs.tuning`'s.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tfzoo.errors import ConfigError

HEARTBEAT_SECONDS, GRACE_SECONDS = 10, 30  # A trial silent for 30 s died with its tuner.
JOURNAL = "journal:"  # --storage journal:PATH is Optuna's journal file (JournalFileBackend).


def storage_url(storage: str | None, directory: Path) -> str:
    """The storage URL study.json records: a journal file's path made absolute (tuners may
    start elsewhere), the default SQLite file's in the study directory."""
    if storage is None:
        return f"sqlite:///{(directory / 'study.db').resolve()}"
    if storage.startswith(JOURNAL):
        path = storage[len(JOURNAL):]
        if not path or Path(path).is_dir():
            raise ConfigError(f"--storage {storage!r} names no journal file: write "
                              f"journal:PATH, e.g. journal:studies/cartpole.log.")
        return f"{JOURNAL}{Path(path).resolve()}"
    return storage


def open_study(record: Mapping[str, Any], optuna: Any, pruner: Any = None,
               worker: bool = False) -> Any:
    """The Optuna study of `record`, created or loaded, with a seeded TPE sampler and a median
    pruner; in a database, with heartbeats that let a trial whose tuner died be failed and
    retried (a journal file has none: see `fail_dead_trials`).

    The sampler's seed is the study's for a new study's first tuner; otherwise it is mixed
    (NumPy's `SeedSequence`) from the study's seed, the number of trials already in it (a
    resumed tuner must not propose the first settings again) and, for a `worker` beside
    other tuners, its process id (tuners seeded alike propose the same settings)."""
    url = record["storage"]
    if url.startswith(JOURNAL):  # A file several processes append to, behind a lock.
        storage = optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(url[len(JOURNAL):]))
    else:
        with warnings.catch_warnings():  # Heartbeats are "experimental" in Optuna 5.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = optuna.storages.RDBStorage(
                url, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=1),
                engine_kwargs={"connect_args": {"timeout": 60}}
                if url.startswith("sqlite") else None)
    study = optuna.create_study(
        study_name=record["study"], storage=storage, load_if_exists=True,
        direction=record["direction"],
        pruner=pruner or optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
    seed, trials = record["sampler_seed"], len(study.get_trials(deepcopy=False))
    if trials or worker:  # Mixed, not added up: worker p with one trial drew as p + 1 with none.
        entropy = [seed, trials, os.getpid() if worker else 0]
        seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    study.sampler = optuna.samplers.TPESampler(seed=seed)
    return study


def fail_dead_trials(optuna_study: Any, optuna: Any, record: Mapping[str, Any]) -> None:
    """Marks failed, to be retried, the running trials of a tuner that died: in a database,
    those whose heartbeat stops for GRACE_SECONDS; in a journal file, those of a tuner on this
    machine whose process is gone (`tuner`). A tuner that is still running keeps its trials."""
    running = [trial for trial in optuna_study.get_trials(deepcopy=False)
               if trial.state.name == "RUNNING"]
    if not running:
        return
    if not record["storage"].startswith(JOURNAL):  # A database: trials beat.
        time.sleep(GRACE_SECONDS + HEARTBEAT_SECONDS)  # Live tuners beat in the meantime.
        optuna.storages.fail_stale_trials(optuna_study)
        return
    with warnings.catch_warnings():  # "Experimental" in Optuna 5.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)
    for trial in running:
        owner = trial.user_attrs.get("tuner", {})
        if owner.get("host") == socket.gethostname() and not _alive(owner.get("pid")):
            optuna_study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
            retry(optuna_study, optuna_study.get_trials(deepcopy=False)[trial.number])


def tuner() -> dict[str, Any]:
    """Which tuner runs a trial (its machine and process), for a storage without heartbeats."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(pid: Any) -> bool:
    """Whether process `pid` of this machine still runs."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # Another user's: alive.
        return True
    return True
