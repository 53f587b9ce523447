"""Keras optimizers (with their learning-rate schedules) and losses, made from an agent's
settings: the part of a supervised agent's config that names Keras objects.
"""

from __future__ import annotations

from typing import Any

import keras

from tfzoo.errors import ConfigError, unknown
from tfzoo.validate import number

# The optimizers a config may name; a name is only ever looked up here.
OPTIMIZERS = {kind.__name__.lower(): kind for kind in (
    keras.optimizers.SGD, keras.optimizers.Adam, keras.optimizers.AdamW, keras.optimizers.RMSprop,
    keras.optimizers.Adagrad, keras.optimizers.Adadelta, keras.optimizers.Adamax,
    keras.optimizers.Nadam, keras.optimizers.Ftrl, keras.optimizers.Lion,
    keras.optimizers.Adafactor)}


def budget_schedule(config: Any) -> keras.optimizers.schedules.LearningRateSchedule | None:
    """The learning rate as a Keras schedule of the fraction of the run's budget spent (0 to
    1) that a `SupervisedConfig` describes, or None: a constant rate, or a cosine over a fixed
    `decay_steps`, which the optimizer follows itself (see `make_optimizer`)."""
    number("decay_start", config.decay_start, minimum=0, below=1)
    if config.schedule != "cosine" or config.decay_steps is not None:
        if config.decay_start:
            raise ConfigError(
                f"decay_start={config.decay_start} holds the rate before a cosine over the "
                f"budget, which needs schedule='cosine' and decay_steps=None (now "
                f"{config.schedule!r} and {config.decay_steps}); set those, or decay_start=0.")
        return None
    if config.decay_start > 0:
        return CosineAfter(config.learning_rate, config.decay_start)
    # Keras's cosine over one unit: called with the fraction spent, it follows the formula
    # of CosineDecay(learning_rate, N) at step fraction * N (equal up to float rounding).
    return keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=1)


class CosineAfter(keras.optimizers.schedules.LearningRateSchedule):
    """A rate that stays at `learning_rate` until the fraction `start` of the budget is spent,
    then follows Keras's cosine down to 0 over the rest: warmup-stable-decay (Hägele et al.,
    2024) without the warmup, for budgets too short to spend decaying."""

    def __init__(self, learning_rate: float, start: float) -> None:
        self.learning_rate, self.start = learning_rate, start
        self.cosine = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=1)

    def __call__(self, fraction: Any) -> Any:
        fraction = keras.ops.cast(fraction, "float32")
        return self.cosine(keras.ops.maximum(fraction - self.start, 0.0) / (1.0 - self.start))

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "start": self.start}


def make_optimizer(config: Any) -> keras.optimizers.Optimizer:
    """The Keras optimizer a `SupervisedConfig` describes. A cosine over fixed `decay_steps`
    is its learning-rate schedule; one over the budget (`decay_steps=None`) is set by the
    agent at each step from `budget_schedule`, so here the rate starts as a plain number."""
    if config.learning_rate <= 0 and config.schedule != "constant":
        raise ConfigError(f"learning_rate={config.learning_rate} must be > 0 for a schedule.")
    learning_rate: Any = config.learning_rate
    if config.schedule == "cosine" and config.decay_steps is not None:
        if config.decay_steps <= 0:
            raise ConfigError(
                f"schedule='cosine' needs decay_steps > 0 (got {config.decay_steps}); set it "
                "to the number of training steps, or to None to decay over the run's budget."
            )
        learning_rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, config.decay_steps
        )
    optimizer_class = OPTIMIZERS.get(str(config.optimizer).lower())
    if optimizer_class is None:
        raise unknown("optimizer", config.optimizer, OPTIMIZERS, "Pass one of those names.")
    if optimizer_class is keras.optimizers.SGD:
        return optimizer_class(
            learning_rate=learning_rate, momentum=config.momentum, nesterov=config.nesterov
        )
    if config.momentum or config.nesterov:
        raise ConfigError(
            f"momentum={config.momentum}, nesterov={config.nesterov} apply to optimizer='sgd' "
            f"only, not {config.optimizer!r}; set momentum=0 (and nesterov=False) with it."
        )
    return optimizer_class(learning_rate=learning_rate)


def make_loss(name: str, classify: bool) -> Any:
    """The Keras loss called `name`; "auto" picks one from the kind of task."""
    if name == "auto":
        name = "sparse_categorical_crossentropy" if classify else "mean_squared_error"
    if name == "sparse_categorical_crossentropy":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    try:
        loss = keras.losses.get(name)
    except (ValueError, KeyError, TypeError):
        loss = None
    if not callable(loss) or isinstance(loss, type):
        raise ConfigError(
            f"loss={name!r} is not a Keras loss. Use 'auto', 'mean_squared_error', "
            "'mean_absolute_error', 'huber' or 'sparse_categorical_crossentropy'."
        )
    return loss
