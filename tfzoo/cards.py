"""How a task is judged: how runs evaluate it, what its presets are expected to reach
(its reference card), and the learning check that `tfzoo check` runs.

A `Card` travels with a task's registration, and is the one place each of its figures is
written: docstrings, `tfzoo list` and the README read them from here. Its `Expected`
figures say what each preset reaches with its full budget and where that figure comes
from; its `Check` is a short learning run (minutes on a CPU, or seconds with `quick`) whose
result must clear a smoke threshold. This module is data only: `tfzoo check` runs the
checks (`tfzoo.tools.checks`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tfzoo.errors import RegistrationError
from tfzoo.validate import whole_number


@dataclass(frozen=True)
class Evaluation:
    """How runs evaluate a task's agent: greedily, without learning."""

    task: Mapping[str, Any] = field(default_factory=dict)
    """Task settings to evaluate on, e.g. {"split": "test"}."""
    episodes: int = 1
    """Episodes of the evaluation at the end of a run (and of `tfzoo eval`)."""
    interval: int | None = None
    """Also evaluate every this many training steps and keep the best policy seen, or None."""
    interval_episodes: int = 10
    """Episodes of each of those evaluations."""
    gallery: str = "episode"
    """What `tfzoo play --record` shows when the agent does not write text: "episode" (the
    first episode as a GIF) or "images" (the evaluation split's images, mistakes first)."""
    seed_offset: int = 0
    """Added to the run's seed to seed the evaluation episodes: `tfzoo tune`'s trials set it,
    so that they are scored on other episodes than any final evaluation."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", MappingProxyType(dict(self.task)))
        whole_number("episodes", self.episodes, error=RegistrationError)
        whole_number("interval", self.interval, optional=True, error=RegistrationError)
        whole_number("interval_episodes", self.interval_episodes, error=RegistrationError)
        whole_number("seed_offset", self.seed_offset, minimum=0, error=RegistrationError)
        if self.gallery not in ("episode", "images"):
            raise RegistrationError(f"gallery={self.gallery!r} must be 'episode' or 'images'.")


@dataclass(frozen=True)
class Expected:
    """What one preset reaches with its own budget."""

    metric: str
    """What is measured: a summary.json key, e.g. "eval_return" (test accuracy for MNIST),
    or a figure in words when it comes from elsewhere (the benchmark)."""
    value: float
    budget: str
    """The budget in words, e.g. "1000 batches of 50, 2 s"."""
    source: str
    """Where the figure comes from, e.g. "chapter: 0.9479; scripts/benchmark.py mnist"."""

    def describe(self) -> str:
        """The figure in words, e.g. "eval_return 0.9478 in 1000 batches of 50, 2 s (...)"."""
        return f"{self.metric} {self.value:g} in {self.budget} ({self.source})"


@dataclass(frozen=True)
class Check:
    """A short learning run and the bar its result must clear."""

    preset: str
    steps: int
    metric: str
    """The summary.json key compared, e.g. "eval_return" or "eval_bits_per_char"."""
    threshold: float
    quick_steps: int
    """Steps of `tfzoo check --quick` (seconds, for CI), against `quick_threshold`."""
    quick_threshold: float
    higher_is_better: bool = True
    task: Mapping[str, Any] = field(default_factory=dict)
    """Task settings on top of the preset's (e.g. a smaller evaluation)."""
    agent: Mapping[str, Any] = field(default_factory=dict)

    def passes(self, value: float, quick: bool = False) -> bool:
        """Whether `value` clears the (quick) threshold; NaN never does."""
        threshold = self.quick_threshold if quick else self.threshold
        if not math.isfinite(value):
            return False
        return value >= threshold if self.higher_is_better else value <= threshold


@dataclass(frozen=True)
class Card:
    """A task's reference card: expected figures per preset, and its learning check."""

    expected: Mapping[str, Expected]
    check: Check

    def presets(self) -> set[str]:
        """The presets the card names."""
        return {self.check.preset, *self.expected}
