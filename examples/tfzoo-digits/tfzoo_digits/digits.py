"""The task `digits`: classifying scikit-learn's 8x8 handwritten digits, a batch per step,
and the small Keras model its presets train; what is registered is in `plugin.py`.

scikit-learn ships the 1,797 images inside its package (`sklearn.datasets.load_digits`),
so nothing is downloaded. The task is a `tfzoo.SupervisedTask`, so everything tfzoo does
with MNIST (the supervised agent, run directories, `tfzoo check`, `tfzoo play --record`)
works here too.
"""

from __future__ import annotations

from typing import Literal

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tfzoo


class Digits(tfzoo.SupervisedTask):
    """Classify 8x8 digits; the return of a pass over a split is its accuracy.

    The observation is a batch of images scaled to [0, 1], shape (batch_size, 8, 8); the
    action is a digit per image.

    Args:
        split: "train" (three quarters of the images) or "test" (the rest).
        split_seed: The seed of the stratified train/test split. The train and the test
            task of a run must be made with the same one, so it is a setting of its own
            rather than the run's seed.
        test_fraction: The share of the images held out for "test".
        batch_size: Images per step.
        shuffle: Draw a new order of the images at each reset, from the task's seed.
        render_mode: Must be None.
    """

    def __init__(
        self,
        *,
        split: Literal["train", "test"] = "train",
        split_seed: int = 0,
        test_fraction: float = 0.25,
        batch_size: int | None = 32,
        shuffle: bool = True,
        render_mode: str | None = None,
    ) -> None:
        if not 0.0 < test_fraction < 1.0:
            raise tfzoo.ConfigError(f"test_fraction={test_fraction!r} must be between 0 and 1, "
                                    f"e.g. 0.25 for a quarter of the images.")
        digits = load_digits()
        images = (digits.images / 16.0).astype(np.float32)  # (1797, 8, 8) in [0, 1]
        labels = digits.target.astype(np.int64)  # (1797,)
        train_images, test_images, train_labels, test_labels = train_test_split(
            images, labels, test_size=test_fraction, random_state=split_seed, stratify=labels)
        splits = {"train": (train_images, train_labels), "test": (test_images, test_labels)}
        super().__init__({split: splits[split]}, split=split, batch_size=batch_size,
                         shuffle=shuffle, num_classes=10, render_mode=render_mode)


def small_mlp(hidden_units: int = 256, dropout: float = 0.2) -> keras.Model:
    """Flatten, one hidden ReLU layer with dropout, and 10 logits: (batch, 8, 8) -> (batch, 10)."""
    return keras.Sequential([
        keras.layers.Flatten(),  # (batch, 64)
        keras.layers.Dense(hidden_units, activation="relu"),  # (batch, hidden_units)
        keras.layers.Dropout(dropout),
        keras.layers.Dense(10),  # (batch, 10) logits
    ])
