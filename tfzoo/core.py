"""The three contracts everything else is built on: `Task`, `Agent` and `Transition`.

This module holds interfaces only; the loop that connects them lives in `tfzoo.loop`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
import tensorflow as tf

from tfzoo.errors import ExportError


class Task(gymnasium.Env):
    """A learning task: a `gymnasium.Env` whose episodes an agent learns from.

    Subclasses implement `reset(*, seed=None, options=None) -> (observation, info)` and
    `step(action) -> (observation, reward, terminated, truncated, info)` and set
    `observation_space` and `action_space`, exactly as for any Gymnasium environment.
    Supervised tasks put the correct answers for the last observation in `info["target"]`.

    The loop accepts any `gymnasium.Env`; subclass `Task` for tasks of your own so that
    they read as tfzoo tasks and get the render-mode check below.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, render_mode: str | None = None) -> None:
        modes = self.metadata.get("render_modes", [])
        if render_mode is not None and render_mode not in modes:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported by {type(self).__name__}; "
                f"choose one of {modes} or leave it as None."
            )
        self.render_mode = render_mode

    def episode_position(self) -> dict[str, Any] | None:
        """Where the running episode stands, as JSON-ready data; None (the default) when this
        task cannot continue an episode from such data.

        A run directory keeps the position in a checkpoint taken mid-episode (a long one,
        such as a pass over MNIST). Resuming calls `reset(options={"resume": position})`,
        which must return the observation the episode stood at, drawing nothing from the
        task's random generator: the run restores the generator's state itself.
        """
        return None


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of experience, handed by the loop to `Agent.learn`.

    Attributes:
        observation: What the agent saw before acting.
        action: What `Agent.act` returned for it.
        reward: The reward `Task.step` gave for that action.
        next_observation: The observation after the step.
        terminated: The episode ended inside the task (do not bootstrap past it).
        truncated: The episode was cut short from outside, e.g. by a time limit
            (bootstrap past it).
        info: The `info` dict of the step; supervised tasks put the answers in `info["target"]`.
    """

    observation: Any
    action: Any
    reward: float
    next_observation: Any
    terminated: bool
    truncated: bool
    info: dict[str, Any]

    def as_batch(self) -> tuple[np.ndarray, ...]:
        """Observation, action, reward, next observation, terminated and truncated as arrays
        with a leading (count,) axis: one step (a scalar reward) becomes a batch of one, and
        a vector of environments' step stays the batch it is."""
        single = np.ndim(self.reward) == 0
        return tuple(np.asarray(value)[None] if single else np.asarray(value) for value in (
            self.observation, self.action, self.reward, self.next_observation,
            self.terminated, self.truncated))


class Agent(tf.Module):
    """A learner: `act` chooses actions, `learn` improves from one transition.

    Agents are `tf.Module`s, so every Keras model, optimizer and variable they hold as an
    attribute is saved by `save` and by the checkpoints of a run, with nothing to list by hand.
    Subclasses implement `act` and `learn`; heavy math belongs in `tf.function`s.
    """

    batched_act: bool = False
    """True when `act` also takes a batch of observations (one more, leading axis) and
    returns one action per row; periodic evaluations then play their episodes side by side."""

    writes_text: bool = False
    """True when the agent continues text (`start_generation` and `sample`, which
    `tfzoo.generate` calls): `tfzoo generate` takes its runs, and `play --record` writes text."""

    strategy: tf.distribute.Strategy | None = None
    """The `tf.distribute.Strategy` the agent trains under, if any (a run of several workers
    keeps their checkpoints in step); None for agents that do not distribute."""

    resume_caveat: str | None = None
    """Why a run resumed from this agent's checkpoints cannot go on exactly as an
    uninterrupted one would, in a few words the resume prints (e.g. a DQN agent whose replay
    buffer is not saved); None when it goes on exactly."""

    def act(self, observation: Any, *, explore: bool = True) -> Any:
        """Returns the action for `observation`.

        Args:
            observation: An observation from the task.
            explore: False asks for the greedy / inference action, as used by `evaluate`.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement act().")

    def learn(self, transition: Transition) -> dict[str, float]:
        """Learns from one transition; returns metrics (may be empty, e.g. while a buffer fills)."""
        raise NotImplementedError(f"{type(self).__name__} must implement learn().")

    def set_budget_spent(self, fraction: float) -> None:
        """Hears how much of the run's budget is spent, from 0 to 1, before each training step.

        `tfzoo.train` calls it with the furthest along of the budget's limits (steps,
        episodes, seconds), so a schedule that follows it (a learning rate annealed over
        the whole run, say) ends annealed however short the budget; after the last step it
        is called once more with the final fraction. The default ignores it. Agents used
        outside the loop hear nothing, so their budget schedules stay at their start.
        """

    def schedules(self) -> dict[str, dict[str, Any]]:
        """The agent's schedules as JSON-ready data, each with its value `now`, e.g. the DQN's
        `{"epsilon": {"shape": "linear", "start": 1.0, "end": 0.02, "over": "budget",
        "fraction": 0.33, "now": 1.0}}`; a run records them in config.json as they start
        and in summary.json as they ended. The default has none."""
        return {}

    def build(self) -> None:
        """Creates the agent's variables now if it creates them lazily; called before restoring.

        Keras variables created after a restore do not always take the checkpoint's values,
        so agents that build on first use override this; the default does nothing.
        """

    def verify_checkpoint(self, path: str) -> None:
        """Raises if the checkpoint at `path` does not fit this agent; called before restoring.

        The default accepts any: restoring reports mismatched variables itself. Agents whose
        checkpoints carry more than weights (e.g. a vocabulary) check it here.
        """

    def evaluation_metrics(self, task: Any) -> dict[str, float]:
        """Figures beyond the return that the agent measures on `task` (greedily, not learning).

        Run directories record them in summary.json as `eval_<name>`; the default has none.
        """
        return {}

    def export_module(self, task: Any) -> tf.Module:
        """What `tfzoo export` writes: the trained policy or model, runnable without tfzoo.

        Returns a `tf.Module` that holds the trained variables and whose `tf.function`
        attributes, each made with an `input_signature`, become the artifact's named
        signatures; the one named `serving_default` is what TF Serving calls. Each takes the
        task's raw inputs (preprocessing included) and returns a dict of named outputs. For
        `--format keras`, the module's `keras_model()` method, if it has one, returns the
        same as a plain Keras model of built-in layers.

        Args:
            task: The task the agent was trained on, for its inputs' shapes and preprocessing.

        Raises:
            ExportError: The default: this agent does not export.
        """
        raise ExportError(
            f"{type(self).__name__} cannot be exported: it does not implement "
            f"`export_module(self, task) -> tf.Module`. Implement it to return a tf.Module "
            f"holding the trained model, with a tf.function named `serving_default` made with "
            f"an input_signature (raw inputs in, a dict of named outputs out); `tfzoo export` "
            f"then writes it as a SavedModel. See `Agent.export_module` and docs/export.md."
        )

    def save(self, path: str | os.PathLike) -> str:
        """Writes the agent's variables (models, optimizer state, counters) to `path`.

        Returns:
            The checkpoint prefix written, to pass to `restore`.
        """
        return tf.train.Checkpoint(agent=self).write(os.fspath(path))

    def restore(self, path: str | os.PathLike) -> None:
        """Restores what `save` wrote (after `build`, so every variable exists to take a value)."""
        path = os.fspath(path)
        if not tf.io.gfile.exists(f"{path}.index"):
            raise FileNotFoundError(
                f"No checkpoint at {path!r} (no {path}.index); pass the path `save` returned."
            )
        self.verify_checkpoint(path)
        self.build()
        tf.train.Checkpoint(agent=self).read(path).assert_existing_objects_matched()
