"""The tasks `mnist-mlp` and `mnist-cnn`: classifying MNIST digits, a batch per step."""

from __future__ import annotations

from typing import Literal

import keras
import numpy as np
import tensorflow as tf

from tfzoo.data import load_mnist
from tfzoo.errors import unknown
from tfzoo.supervised import SupervisedTask

SPLITS = ("train", "validation", "test")
VALIDATION_SHARE = 12  # The last twelfth of the training images (MNIST's last 5,000).


class MNIST(SupervisedTask):
    """Classify 28x28 handwritten digits; the return of a pass over a split is its accuracy.

    The observation is a batch of images scaled to [0, 1], shape (batch_size, 28, 28); the
    action is a digit per image. `mnist-mlp` and `mnist-cnn` are this task with the
    chapter's MLP and CNN as default models; their presets are in `envs/__init__.py`, and
    the test accuracy each reaches is on the task's reference card (`tfzoo list`).

    Args:
        split: "train" (60,000 images), "validation" (the last twelfth of the training
            images, 5,000, for choosing settings without looking at the test split) or
            "test" (10,000).
        batch_size: Images per step (the chapter's 50 by default).
        shuffle: Draw a new order of the images at each reset, from the task's seed.
        data_dir: Where MNIST is (see `tfzoo.data.load_mnist` for where else it is looked for).
        hold_out_validation: The train split leaves out the validation split's images (it
            serves the first 55,000), as `tfzoo tune`'s trials train.
        render_mode: Must be None.
    """

    def __init__(
        self,
        *,
        split: Literal["train", "validation", "test"] = "train",
        batch_size: int | None = 50,
        shuffle: bool = True,
        data_dir: str | None = None,
        hold_out_validation: bool = False,
        render_mode: str | None = None,
    ) -> None:
        if split not in SPLITS:
            raise unknown("split", split, SPLITS, "Pass one of them as split=.")
        train, test = load_mnist(data_dir)
        (images, labels), cut = train, len(train[0]) - len(train[0]) // VALIDATION_SHARE
        if split == "validation":
            images, labels = images[cut:], labels[cut:]
        elif split == "train" and hold_out_validation:
            images, labels = images[:cut], labels[:cut]
        elif split == "test":
            images, labels = test
        scaled = images.astype(np.float32) / 255.0  # (count, 28, 28) in [0, 1]
        super().__init__(
            {split: (scaled, labels.astype(np.int64))}, split=split, batch_size=batch_size,
            shuffle=shuffle, num_classes=10, render_mode=render_mode,
        )

    def serving_inputs(self) -> tuple[tf.TensorSpec, keras.layers.Layer]:
        """An exported model takes MNIST's own uint8 images, (batch, 28, 28), and scales
        them to [0, 1] as the task does: (x - 0) / 255, exactly the task's float32 division."""
        scale = keras.layers.Normalization(mean=0.0, variance=255.0**2, name="scale")
        return tf.TensorSpec((None, 28, 28), tf.uint8, name="images"), scale
