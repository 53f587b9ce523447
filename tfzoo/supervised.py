"""`SupervisedTask`: supervised learning over in-memory arrays as a Gymnasium task.

The task is a contextual bandit with full feedback: the observation is a batch of inputs,
the action is the agent's predictions for it, the reward is the batch's share of the split's
score, and `info["target"]` reveals the answers after the step. The agent that learns from
it lives in `tfzoo.agents.supervised`; this module is only the task.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import gymnasium
import keras
import numpy as np
import tensorflow as tf

from tfzoo import seeding
from tfzoo.core import Task
from tfzoo.errors import ConfigError, TfzooWarning, unknown
from tfzoo.validate import whole_number


class SupervisedTask(Task):
    """A supervised task over arrays `inputs -> targets`, one or more named splits.

    An episode is one pass over the split in batches of `batch_size`, reshuffled from the
    task's seed at every `reset` (when `shuffle`). Every batch has the same shape: the last
    one is completed with samples from the start of the pass, which count toward the
    reward only once. So the return of a full pass is exactly the split's score:

    - classification (`num_classes` given): accuracy, the share of targets predicted exactly;
    - regression: minus the mean squared error over all target values.

    Args:
        splits: {split name: (inputs, targets)}, arrays with the same first dimension.
        split: Which split this task serves.
        batch_size: Samples per step; None, or more than the split holds, means the whole
            split in one batch.
        shuffle: Draw a new order of the samples at each reset.
        num_classes: Targets are class ids in [0, num_classes): the action is a class id per
            target. None means regression: the action is a real value per target.
        render_mode: Must be None; supervised tasks do not render.
    """

    def __init__(
        self,
        splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
        *,
        split: str = "train",
        batch_size: int | None = None,
        shuffle: bool = True,
        num_classes: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(render_mode)
        if split not in splits:
            raise unknown("split", split, splits, "Pass one of them as split=.")
        inputs, targets = (np.asarray(array) for array in splits[split])
        _check_arrays(inputs, targets, split, num_classes)
        size = len(inputs)
        whole_number("batch_size", batch_size, optional=True)  # None: the whole split at once.
        if batch_size is not None and batch_size > size:
            warnings.warn(TfzooWarning(
                f"batch_size={batch_size} is more than the {size} samples of the {split!r} "
                f"split, so each batch is the whole split ({size})."), stacklevel=2)
        batch_size = size if batch_size is None else min(batch_size, size)
        self.split, self.batch_size, self.shuffle, self.num_classes = (
            split, batch_size, shuffle, num_classes
        )
        self.inputs, self.targets = inputs, targets
        self.batches_per_pass = math.ceil(size / batch_size)
        # Rewards are shares of the whole split's score, so a full pass sums to the score.
        self._score_scale = 1.0 / (size * int(np.prod(targets.shape[1:], dtype=np.int64)))
        self.observation_space = _box_around(inputs, batch_size)
        self.action_space = _action_space(targets, batch_size, num_classes)
        self._order, self._order_from = np.arange(size), None
        self._batch = 0  # Index of the batch the agent is looking at.
        self._over = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts a new pass over the split; returns the first batch of inputs.

        With `options={"resume": position}`, continues instead the pass that
        `episode_position` described, at the batch it had reached.
        """
        super().reset(seed=seed)
        if options and options.get("resume") is not None:
            return self._resume(options["resume"]), {}
        # The generator's state before it draws the order: enough to draw that order again.
        self._order_from = self.np_random.bit_generator.state if self.shuffle else None
        self._order = self._draw_order(self.np_random)
        self._batch, self._over = 0, False
        return self.inputs[self._indices(0)], {}

    def episode_position(self) -> dict[str, Any] | None:
        """The pass in progress: the random state its order was drawn from (None unshuffled)
        and the batch it has reached; None between passes."""
        return None if self._over else {"order": self._order_from, "batch": self._batch}

    def serving_inputs(self) -> tuple[tf.TensorSpec, keras.layers.Layer]:
        """What a model exported from this task takes, and the Keras layer that turns it into
        the task's observations (see `Agent.export_module`): by default, the observations
        as they are, a batch of any size. Tasks that preprocess raw data override it, so
        that the artifact takes the raw data (MNIST: uint8 images, scaled inside)."""
        return observation_inputs(self.observation_space)

    def _resume(self, position: Any) -> np.ndarray:
        """Continues the pass `position` (from `episode_position`) describes; its batch."""
        order = position.get("order") if isinstance(position, dict) else None
        if not (isinstance(position, dict) and set(position) == {"order", "batch"}
                and (order is not None) == self.shuffle):
            raise ValueError(
                f"reset(options={{'resume': position}}) takes what episode_position() returned "
                f"for this task (shuffle={self.shuffle}, {self.batches_per_pass} batches a "
                f"pass), not {position!r:.200}.")
        batch = whole_number("the position's batch", position["batch"], minimum=0,
                             maximum=self.batches_per_pass - 1, error=ValueError)
        try:
            generator = None if order is None else seeding.generator_from_state(order, "order")
        except (TypeError, KeyError, ValueError) as error:
            raise ValueError(f"The position's 'order' is not a random state: {error}") from None
        self._order_from, self._order = order, self._draw_order(generator)
        self._batch, self._over = batch, False
        return self.inputs[self._indices(batch)]

    def _draw_order(self, generator: np.random.Generator | None) -> np.ndarray:
        """The order of a pass: a permutation drawn from `generator` when shuffling."""
        size = len(self.inputs)
        return generator.permutation(size) if self.shuffle else np.arange(size)

    def step(
        self, action: np.ndarray
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Scores the predictions for the current batch and moves to the next one.

        Returns:
            The next batch of inputs; the batch's share of the split's score; whether the
            pass is over; False; and info with `target` (the batch's answers) and `valid`
            (how many of its rows are new in this pass and counted in the reward).
        """
        if self._over:
            raise RuntimeError("This pass over the split is over; call reset() to start another.")
        action = np.asarray(action)
        if action.shape != self.action_space.shape:
            raise ValueError(
                f"The action has shape {action.shape}, but this task expects predictions of "
                f"shape {self.action_space.shape} (one per target of the batch)."
            )
        indices = self._indices(self._batch)
        targets = self.targets[indices]
        valid = min(self.batch_size, len(self.inputs) - self._batch * self.batch_size)
        reward = self._score(action[:valid], targets[:valid])
        self._batch += 1
        self._over = self._batch == self.batches_per_pass
        next_batch = self._batch if not self._over else self._batch - 1
        observation = self.inputs[self._indices(next_batch)]
        return observation, reward, self._over, False, {"target": targets, "valid": valid}

    def _indices(self, batch: int) -> np.ndarray:
        """Sample indices of `batch`; the last batch is completed from the start of the pass."""
        indices = self._order[batch * self.batch_size : (batch + 1) * self.batch_size]
        missing = self.batch_size - len(indices)
        return np.concatenate([indices, self._order[:missing]]) if missing else indices

    def _score(self, predictions: np.ndarray, targets: np.ndarray) -> float:
        if self.num_classes is not None:
            return float(np.sum(predictions == targets)) * self._score_scale
        errors = predictions.astype(np.float64) - targets.astype(np.float64)
        # 0.0 - x rather than -x, so a perfect fit scores 0.0 and not -0.0.
        return 0.0 - float(np.sum(np.square(errors))) * self._score_scale


def observation_inputs(
    observation_space: gymnasium.spaces.Box,
) -> tuple[tf.TensorSpec, keras.layers.Layer]:
    """A supervised task's observations (each a batch) as an exported model's inputs, taken
    as they are: a batch of any size, and an identity layer."""
    shape, dtype = observation_space.shape[1:], observation_space.dtype
    return tf.TensorSpec((None, *shape), dtype, name="inputs"), keras.layers.Identity()


def _check_arrays(inputs, targets, split: str, num_classes: int | None) -> None:
    if len(inputs) == 0 or len(inputs) != len(targets):
        raise ConfigError(
            f"Split {split!r} has {len(inputs)} inputs and {len(targets)} targets; it needs "
            f"at least one sample and as many targets as inputs."
        )
    if num_classes is not None:
        if not np.issubdtype(targets.dtype, np.integer):
            raise ConfigError(
                f"Split {split!r}: classification targets must be integer class ids, got "
                f"dtype {targets.dtype}. Convert them with .astype(np.int64)."
            )
        low, high = int(targets.min()), int(targets.max())
        if low < 0 or high >= num_classes:
            raise ConfigError(
                f"Split {split!r}: class ids span [{low}, {high}], outside [0, {num_classes}) "
                f"for num_classes={num_classes}. Pass the right num_classes."
            )


def _box_around(inputs: np.ndarray, batch_size: int) -> gymnasium.spaces.Box:
    """The tightest Box holding every batch of `inputs`."""
    return gymnasium.spaces.Box(
        low=inputs.min(), high=inputs.max(), shape=(batch_size, *inputs.shape[1:]),
        dtype=inputs.dtype,
    )


def _action_space(targets, batch_size: int, num_classes: int | None) -> gymnasium.Space:
    shape = (batch_size, *targets.shape[1:])
    if num_classes is not None:
        return gymnasium.spaces.MultiDiscrete(np.full(shape, num_classes, dtype=np.int64))
    return gymnasium.spaces.Box(low=-np.inf, high=np.inf, shape=shape, dtype=np.float32)
