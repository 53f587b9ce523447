"""Keras optimizers (with their learning-rate schedules) and losses, made from an agent's
settings: the part of a supervised agent's config that names Keras objects.
"""

from __future__ import annotations

from typing import Any

import keras

from tfzoo.errors import ConfigError


def make_optimizer(config: Any) -> keras.optimizers.Optimizer:
    """The Keras optimizer a `SupervisedConfig` describes, with its learning-rate schedule."""
    if config.learning_rate <= 0 and config.schedule != "constant":
        raise ConfigError(f"learning_rate={config.learning_rate} must be > 0 for a schedule.")
    learning_rate: Any = config.learning_rate
    if config.schedule == "cosine":
        if config.decay_steps <= 0:
            raise ConfigError(
                f"schedule='cosine' needs decay_steps > 0 (got {config.decay_steps}); set it "
                "to the number of training steps."
            )
        learning_rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, config.decay_steps
        )
    try:
        optimizer_class = type(keras.optimizers.get(config.optimizer))
    except ValueError:
        raise ConfigError(
            f"optimizer={config.optimizer!r} is not a Keras optimizer. Use a name such as "
            "'sgd', 'adam', 'adamw' or 'rmsprop'."
        ) from None
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
        return keras.losses.get(name)
    except ValueError:
        raise ConfigError(
            f"loss={name!r} is not a Keras loss. Use 'auto', 'mean_squared_error', "
            "'mean_absolute_error', 'huber' or 'sparse_categorical_crossentropy'."
        ) from None
