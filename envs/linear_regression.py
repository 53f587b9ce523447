"""The task `linear-regression`: the chapter's two-sample linear regression, full batch."""

from __future__ import annotations

import numpy as np

from tfzoo.supervised import SupervisedTask

# The chapter's data: two samples of three features, and their targets.
CHAPTER_INPUTS = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)  # (2, 3)
CHAPTER_TARGETS = np.array([[10.0], [20.0]], dtype=np.float32)  # (2, 1)


class LinearRegression(SupervisedTask):
    """Fit `y = Xw + b` to the chapter's `X = [[1,2,3],[4,5,6]]`, `y = [[10],[20]]`.

    One episode is one pass over the two samples; the reward is minus the mean squared
    error of the predictions, so the return is minus the training loss of the chapter.

    Presets (`tfzoo list`):
        handbook: the chapter's program, plain SGD at 0.01 for 100 full-batch steps.
        default: SGD with heavy-ball momentum 0.68 at 0.036, set from the data's curvature,
            to reach the minimum-norm least-squares fit in 100 steps.
        What each reaches is on the task's reference card.

    Args:
        batch_size: Samples per step; None (the chapter) uses both at once.
        shuffle: Draw a new sample order each episode (no effect on a full batch's loss).
        render_mode: Must be None.
    """

    def __init__(
        self, *, batch_size: int | None = None, shuffle: bool = False,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(
            {"train": (CHAPTER_INPUTS, CHAPTER_TARGETS)},
            split="train", batch_size=batch_size, shuffle=shuffle, render_mode=render_mode,
        )
