"""`tune`: a hyperparameter search on Optuna whose trials are ordinary run directories, scored
on a validation split or on evaluation episodes of their own, never on the test split.

A study lives in a directory: study.json (what is searched, and how trials are scored), the
Optuna storage (SQLite by default, any database URL, or a journal file, that several tuners
can share), and
one run directory per trial and seed under trials/. Re-checking the winner on fresh seeds,
and its report, are `tfzoo.runs.recheck`'s job.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfzoo.config import load, parameter_hints
from tfzoo.errors import ConfigError
from tfzoo.files import atomic_path
from tfzoo.loop import Callback, LoopState
from tfzoo.registration import make, spec
from tfzoo.runs.experiment import start_run
from tfzoo.runs.run_config import RunConfig
from tfzoo.runs.search_space import parse_space, suggested_settings
from tfzoo.runs.study_storage import fail_dead_trials, open_study, storage_url, tuner
from tfzoo.validate import whole_number

EXTRA = "pip install 'tfzoo[tune]'"
TRIAL_SEEDS = 1_000  # Trial seeds start here; re-checks use seeds below, never used in trials.
EVALUATION_SEED_OFFSET = 1_000_000  # Trials' evaluation episodes: none a final one plays.
EVALUATIONS = 4  # A supervised trial is scored at least this often, for the pruner.


def optuna_module() -> Any:
    """Optuna, or a ConfigError naming the extra that brings it."""
    try:
        import optuna
    except ImportError:
        raise ConfigError(f"`tfzoo tune` searches with Optuna, which is not installed: "
                          f"{EXTRA} (or pip install optuna).") from None
    return optuna


def tune(task: str | None = None, *, trials: int | None = None, preset: str | None = None,
         study_dir: str | os.PathLike | None = None, study: str | None = None,
         storage: str | None = None, seeds_per_trial: int = 1,
         max_seconds_per_trial: float | None = None, space: Mapping[str, Any] | None = None,
         replace_space: bool = False, resume: bool = False, sampler_seed: int = 0,
         progress: bool = True, start_only: bool = False, join: bool = False,
         pruner: Any = None) -> dict[str, Any]:
    """Runs `trials` trials of a search over `task`'s settings, in a study directory.

    Args:
        task: A registered task id (None with `resume`: the study's).
        trials: Trials this call runs (several calls on one storage share one study); with
            `resume` and None, those the study still lacks to reach its number of trials.
        preset: The preset whose settings the search starts from (None: the default).
        study_dir: The study's directory (None: studies/<task>-<preset>).
        study: The Optuna study's name (None: the directory's name).
        storage: An Optuna storage URL, e.g. sqlite:///path.db or postgresql://..., or
            journal:PATH for Optuna's journal file; None: a SQLite file in the study
            directory.
        seeds_per_trial: Runs per trial, each with its own seed; the score is their mean.
        max_seconds_per_trial: A wall-clock budget per trial, shared by its runs.
        space: A search space (`tfzoo.runs.search_space`) that extends the task's own, or
            replaces it with `replace_space`.
        resume: Continue the study in `study_dir` as study.json describes it, after its
            tuner stopped: trials whose tuner died are failed and run again (in a database,
            this waits GRACE_SECONDS for their heartbeats to stop; in a journal file, which
            has no heartbeats, it fails the trials of tuners on this machine that are gone).
        join: With `resume`: work on the study beside tuners that are still running (a
            worker): no wait; trials of tuners that die are retried as trials start.
        sampler_seed: Seeds Optuna's TPE sampler.
        progress: Show a progress bar of trials, the best score and the time.
        start_only: Create the study and run no trial (workers will run them).
        pruner: An Optuna pruner for this call's trials (None: a median pruner that waits
            for 5 trials, and for each trial's first evaluation).

    Returns:
        What `study_report` gives: the trials, the best one, and how they were scored.
    """
    optuna = optuna_module()
    if task is None and (not resume or study_dir is None):
        raise ConfigError("tune needs a task id to start a study, or resume=True with the "
                          "study_dir of one to continue.")
    directory = Path(study_dir or Path("studies") / f"{task}-{preset or 'default'}")
    if resume:
        record = read_study(directory)
    else:
        whole_number("trials", trials)
        record = _new_record(task, preset, study or directory.name, storage, directory,
                             seeds_per_trial, max_seconds_per_trial, space, replace_space,
                             sampler_seed, trials)
    dimensions = parse_space(record["task"], record["agent"], record["space"])
    directory.mkdir(parents=True, exist_ok=True)  # Before the SQLite file is made in it.
    optuna_study = open_study(record, optuna, pruner, worker=join)
    if resume and not join:
        fail_dead_trials(optuna_study, optuna, record)
    if resume and trials is None:
        trials = record["trials"] - len(ended_trials(optuna_study))
    if not resume:
        with atomic_path(directory / "study.json") as temporary:
            Path(temporary).write_text(json.dumps(record, indent=2), encoding="utf-8")
    if trials > 0 and not start_only:
        optuna_study.optimize(_Objective(record, dimensions, directory, optuna),
                              n_trials=trials, catch=(Exception,), show_progress_bar=progress,
                              gc_after_trial=True)
    return study_report(directory)


def ended_trials(optuna_study: Any) -> list[Any]:
    """The trials that ended by themselves: completed, pruned, or failed with an error of
    their own (not those whose tuner died, which are retried)."""
    return [trial for trial in optuna_study.get_trials(deepcopy=False)
            if trial.state.name in ("COMPLETE", "PRUNED")
            or (trial.state.name == "FAIL" and "error" in trial.user_attrs)]


def _new_record(task, preset, name, storage, directory, seeds_per_trial, max_seconds,
                space, replace_space, sampler_seed, trials) -> dict[str, Any]:
    """study.json's contents for a new study; a ConfigError for a bad argument or a study
    directory already in use."""
    task_spec = spec(task)
    preset = preset or task_spec.default_preset
    task_spec.preset(preset)
    if (directory / "study.json").exists():
        raise ConfigError(f"{str(directory)!r} already holds a study; continue it with "
                          f"--resume, or choose another --study-dir.")
    whole_number("seeds_per_trial", seeds_per_trial)
    if max_seconds is not None and not (isinstance(max_seconds, (int, float))
                                        and max_seconds > 0):
        raise ConfigError(f"max_seconds_per_trial={max_seconds!r} must be a number of "
                          f"seconds above 0, or None for the preset's budget.")
    merged = dict(space or {}) if replace_space else {**task_spec.search_space, **(space or {})}
    validation = has_validation_split(task)
    return {
        "task": task, "preset": preset, "agent": task_spec.agent, "space": merged,
        "study": name, "storage": storage_url(storage, directory),
        "seeds_per_trial": seeds_per_trial, "max_seconds_per_trial": max_seconds,
        "sampler_seed": sampler_seed, "direction": "maximize", "trials": trials,
        "trial_seeds": f"from {TRIAL_SEEDS}: trial n, run k has seed "
                       f"{TRIAL_SEEDS} + n * seeds_per_trial + k",
        "scored_on": ("the validation split (held out of the train split); the test split "
                      "is never read by a trial" if validation else
                      f"evaluation episodes seeded from run seed + {EVALUATION_SEED_OFFSET}, "
                      f"which no final evaluation plays" if task_spec.evaluation.interval else
                      "the task's own evaluation: it has no test split to keep apart"),
    }


def has_validation_split(task: str) -> bool:
    """Whether the task can hold a validation split out of its train split (MNIST, char-rnn)."""
    return "hold_out_validation" in parameter_hints(load(spec(task).entry_point))


def read_study(directory: Path) -> dict[str, Any]:
    """study.json of the study in `directory`, or a ConfigError saying there is none."""
    try:
        return json.loads((directory / "study.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{str(directory)!r} holds no study to continue ({error}); start "
                          f"one without --resume.") from None


class _Objective:
    """One trial: its settings suggested, its runs trained in the study directory, its score
    the mean of their final scores on the trial's own evaluation."""

    def __init__(self, record, dimensions, directory: Path, optuna: Any) -> None:
        self.record, self.dimensions, self.directory = record, dimensions, directory
        self.optuna = optuna
        self.validation = has_validation_split(record["task"])

    def __call__(self, trial: Any) -> float:
        trial.set_user_attr("tuner", tuner())  # Who runs it, to tell if it died (journal).
        task_settings, agent_settings = suggested_settings(trial, self.dimensions)
        trial.set_user_attr("task_settings", task_settings)  # As the runs take them.
        trial.set_user_attr("agent_settings", agent_settings)
        runs, scores = self.record["seeds_per_trial"], []
        seconds = self.record["max_seconds_per_trial"]
        for index in range(runs):
            seed = TRIAL_SEEDS + trial.number * runs + index
            config = RunConfig(
                self.record["task"], preset=self.record["preset"], seed=seed,
                max_seconds=None if seconds is None else seconds / runs,
                task_overrides={**task_settings, **self._holdout()},
                agent_overrides=agent_settings, evaluation=self._evaluation(task_settings),
                path=self.directory / "trials" / f"trial-{trial.number:04d}-seed{seed}")
            try:
                summary = start_run(config, progress=False, callbacks=[
                    _Pruning(trial, self.optuna)] if index == 0 else [])
            except self.optuna.TrialPruned:
                raise
            except Exception as error:  # Recorded with the failed trial; the study goes on.
                trial.set_user_attr("error", f"{type(error).__name__}: {error}")
                raise
            scores.append(float(summary["eval_return"]))
            trial.set_user_attr("run_dirs", [*trial.user_attrs.get("run_dirs", []),
                                             str(config.path)])
        trial.set_user_attr("scores", scores)
        return statistics.mean(scores)

    def _holdout(self) -> dict[str, Any]:
        """Trials train without the validation split's samples, where the task has one."""
        return {"hold_out_validation": True} if self.validation else {}

    def _evaluation(self, task_settings: Mapping[str, Any]) -> dict[str, Any]:
        """How a trial's runs are scored: on the validation split after every pass over the
        training data, and at least EVALUATIONS times in a budget of steps (a pass over
        char-rnn's windows is longer than its budget), where the task has one; else on
        evaluation episodes of their own seeds (which a task that evaluates on its training
        data ignores). The pruner sees each evaluation."""
        if not self.validation:
            return {"seed_offset": EVALUATION_SEED_OFFSET}
        preset = spec(self.record["task"]).preset(self.record["preset"])
        training = make(self.record["task"], preset=self.record["preset"],
                        **{**preset.task, **task_settings, **self._holdout()}).unwrapped
        interval = training.batches_per_pass
        if preset.steps is not None:
            interval = min(interval, max(1, preset.steps // EVALUATIONS))
        return {"task": {"split": "validation"}, "interval": interval, "interval_episodes": 1}


class _Pruning(Callback):
    """Reports each periodic evaluation of a trial's first run to Optuna, and stops the
    trial when Optuna's pruner says it is behind the others at that point."""

    def __init__(self, trial: Any, optuna: Any) -> None:
        self.trial, self.optuna = trial, optuna

    def on_episode_end(self, record: dict[str, Any], state: LoopState) -> None:
        """Reports the episode's evaluation, if it had one; prunes if told to."""
        value = record.get("eval_return")
        if value is None or not math.isfinite(value):
            return
        self.trial.report(float(value), state.steps)
        if self.trial.should_prune():
            raise self.optuna.TrialPruned(f"evaluation {value:g} at step {state.steps}")


def study_report(directory: Path) -> dict[str, Any]:
    """The study's trials (number, state, score, settings, error) and its best trial."""
    optuna = optuna_module()
    record = read_study(directory)
    loaded = open_study(record, optuna)
    trials = [{"number": trial.number, "state": trial.state.name, "score": trial.value,
               "task_settings": trial.user_attrs.get("task_settings", {}),
               "agent_settings": trial.user_attrs.get("agent_settings", {}),
               "scores": trial.user_attrs.get("scores"), "error": trial.user_attrs.get("error"),
               "run_dirs": trial.user_attrs.get("run_dirs", [])}
              for trial in loaded.get_trials(deepcopy=False)]
    complete = [trial for trial in trials if trial["state"] == "COMPLETE"]
    best = max(complete, key=lambda trial: trial["score"]) if complete else None
    return {"study": record["study"], "directory": str(directory), "task": record["task"],
            "preset": record["preset"],
            "scored_on": record["scored_on"], "trials": trials, "best": best,
            "ended": len(ended_trials(loaded)),
            "states": {state: sum(trial["state"] == state for trial in trials)
                       for state in sorted({trial["state"] for trial in trials})},
            "at": time.strftime("%Y-%m-%d %H:%M:%S")}
