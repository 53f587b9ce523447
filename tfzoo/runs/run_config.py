"""`RunConfig`: what a run is asked to do, every field checked when the config is made.

`RunConfig.decided` fills in what a config leaves open (the default preset, the preset's
budget, a seed, the run directory); `tfzoo.start_run` builds the task and the agent from
that and records it all in the run's config.json. Nothing here builds or writes anything.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tfzoo import validate
from tfzoo.cards import Evaluation
from tfzoo.compiled import EXECUTION_MODES
from tfzoo.errors import ConfigError, TfzooError
from tfzoo.loop import check_budget
from tfzoo.registration import HOW_TO_LIST, agent_spec, resolve, spec

PATH_SETTINGS = ("data_dir", "text_path")  # Task settings that are paths on this machine.


@dataclass(frozen=True)
class RunConfig:
    """A run to start: its task, preset, agent, seed, budget, settings and directory.

    Only `task` is required, and every field is checked when the config is made, so a
    mistake is reported, naming the field, before anything is built or written:

        config = tfzoo.RunConfig("mnist-mlp", preset="handbook", seed=0, steps=500)
        summary = tfzoo.start_run(config)

    Raises:
        TfzooError: The first bad field, its value and what it must be.
    """

    task: str
    """A registered task id (`tfzoo list`), or a Gymnasium id tfzoo does not register."""

    _: KW_ONLY  # The fields below are given by name.

    preset: str | None = None
    """The task's preset; None: its default preset."""

    agent: str | None = None
    """An agent from `tfzoo.agent_registry` to train instead of the task's own; None: the
    task's own agent, which alone takes the preset's agent settings."""

    seed: int | None = None
    """The seed of everything, from 0 to 2**32 - 1; None: one is drawn, and config.json
    records it."""

    steps: int | None = None
    """The training budget in environment steps. With `episodes` also None: the preset's."""

    episodes: int | None = None
    """The training budget in episodes. With `steps` also None: the preset's."""

    max_seconds: float | None = None
    """Stop training cleanly after this many wall-clock seconds, then evaluate."""

    task_overrides: Mapping[str, Any] = field(default_factory=dict)
    """Task settings on top of the preset's: arguments of the task's constructor."""

    agent_overrides: Mapping[str, Any] = field(default_factory=dict)
    """Agent settings on top of the preset's: fields of the agent's config dataclass."""

    path: str | os.PathLike | None = None
    """The run directory to create; None: `runs/<task>-<preset>-seed<N>-<time>`."""

    checkpoint_seconds: float = 60.0
    """Seconds between checkpoints, which are saved at episode ends."""

    deterministic: bool = False
    """Turn on TensorFlow's op determinism (for the rest of the process), so that the same
    seed gives bit-identical metrics; `tfzoo verify` checks that it does."""

    execution: str = "compiled"
    """How agents' functions run: "compiled" (`tf.function`), "eager" (for print and pdb)
    or "jit" (XLA); see `tfzoo.execution`."""

    num_envs: int = 1
    """Collect experience from this many copies of the task at once (`tfzoo.make_vec`); only
    agents that act on batches (the DQN agent) take more than 1."""

    origin: Mapping[str, Any] = field(default_factory=dict)
    """Where the settings came from, recorded in config.json: e.g. the study and trial of a
    `tfzoo tune` best_preset.json that `tfzoo train --preset-file` read."""

    evaluation: Mapping[str, Any] = field(default_factory=dict)
    """Changes to how the run is evaluated, as fields of the task's `tfzoo.cards.Evaluation`:
    "task" (evaluation task settings on top of the spec's, e.g. {"split": "validation"}),
    "episodes", "interval", "interval_episodes" and "seed_offset". `tfzoo tune` scores its
    trials this way, never on the test split."""

    def __post_init__(self) -> None:
        # The config is frozen, so the checked values (a NumPy seed made an int, read-only
        # copies of the overrides) are kept with object.__setattr__.
        self._check_names()
        if self.seed is not None:
            object.__setattr__(self, "seed", validate.seed(self.seed))
        if (self.steps, self.episodes, self.max_seconds) != (None, None, None):
            check_budget(self.steps, self.episodes, self.max_seconds)  # Else: the preset's.
        for name in ("task_overrides", "agent_overrides", "evaluation", "origin"):
            object.__setattr__(self, name, _read_only(name, getattr(self, name)))
        evaluation_of(self.task, self.evaluation)  # Checks the changes.
        if self.path is not None and not isinstance(self.path, (str, os.PathLike)):
            raise ConfigError(f"path={self.path!r} must be a directory's path (a str or a "
                              f"pathlib.Path), or None for one under runs/.")
        validate.number("checkpoint_seconds", self.checkpoint_seconds, minimum=0)
        if not isinstance(self.deterministic, bool):
            raise ConfigError(f"deterministic={self.deterministic!r} must be True or False.")
        if self.execution not in EXECUTION_MODES:
            raise ConfigError(f"execution={self.execution!r} is not one of "
                              f"{', '.join(EXECUTION_MODES)}.")
        object.__setattr__(self, "num_envs", validate.whole_number("num_envs", self.num_envs))

    def decided(self) -> RunConfig:
        """This config with nothing left open: the task's default preset, the preset's
        budget, a seed drawn (`tfzoo.validate.new_seed`), the default run directory, and data
        paths made absolute (so that config.json records a run that resumes from anywhere)."""
        preset = spec(self.task).default_preset if self.preset is None else self.preset
        steps, episodes = self.steps, self.episodes
        if steps is None and episodes is None:
            steps, episodes = _preset_budget(self.task, preset, self.max_seconds)
        seed = validate.new_seed() if self.seed is None else self.seed
        path = self.path
        if path is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = Path("runs") / f"{self.task}-{preset}-seed{seed}-{stamp}"
        task_overrides = {
            name: os.path.abspath(os.path.expanduser(value))
            if name in PATH_SETTINGS and isinstance(value, str) else value
            for name, value in self.task_overrides.items()
        }
        return dataclasses.replace(self, preset=preset, steps=steps, episodes=episodes,
                                   seed=seed, path=path, task_overrides=task_overrides)

    def _check_names(self) -> None:
        """Refuses a task, preset or agent that is not registered, naming the closest ones."""
        if not isinstance(self.task, str) or not self.task:
            raise ConfigError(f"task={self.task!r} must be a task id, e.g. "
                              f"'linear-regression'. {HOW_TO_LIST}")
        object.__setattr__(self, "task", resolve(self.task))  # "module:id" -> "id".
        task_spec = spec(self.task)
        if self.preset is not None:
            task_spec.preset(self.preset)
        if self.agent is not None:
            object.__setattr__(self, "agent", agent_spec(self.agent).name)


def evaluation_of(task_id: str, changes: Mapping[str, Any]) -> Evaluation:
    """The task's `Evaluation` with `changes` (see `RunConfig.evaluation`); "task" settings
    are added to the spec's, not put in their place.

    Raises:
        ConfigError: A change that is not a field of `Evaluation`, or a bad value.
    """
    base = spec(task_id).evaluation
    names = [item.name for item in dataclasses.fields(Evaluation)]
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise ConfigError(f"evaluation={dict(changes)!r} changes {', '.join(unknown)}, which "
                          f"an evaluation does not have; it has {', '.join(names)}.")
    task = {**base.task, **changes.get("task", {})}
    try:
        return dataclasses.replace(base, **{**changes, "task": task})
    except (TypeError, ValueError, TfzooError) as error:
        raise ConfigError(f"evaluation={dict(changes)!r}: {error}") from None


def _preset_budget(
    task_id: str, preset: str, max_seconds: float | None
) -> tuple[int | None, int | None]:
    """The (steps, episodes) of the preset's budget; a ConfigError if there is none."""
    chosen = spec(task_id).preset(preset)
    if chosen.steps is None and chosen.episodes is None and max_seconds is None:
        raise ConfigError(
            f"Preset {preset!r} of task {task_id!r} sets no training budget; pass --steps N "
            f"or --episodes N (steps= or episodes= from Python)."
        )
    return chosen.steps, chosen.episodes


def _read_only(name: str, settings: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of `settings` (None: no settings), or a ConfigError naming `name`."""
    if settings is None:
        return MappingProxyType({})
    if not isinstance(settings, Mapping) or not all(isinstance(key, str) for key in settings):
        raise ConfigError(f"{name}={settings!r} must be a dict of settings by name, e.g. "
                          f"{{'learning_rate': 0.1}}.")
    return MappingProxyType(dict(settings))
