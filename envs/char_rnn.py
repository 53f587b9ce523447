"""The `char-rnn` task: predict the next character of a text (Nietzsche's, by default).

The text is lower-cased, as in the chapter, and its characters are numbered by a
`Vocabulary` built from the whole text. The first 90% is the train split, the last 10% the
test split. An observation is a batch of windows of character ids (batch, window); the
action is the predicted next character of each window (`target="last"`, the chapter's way),
or of every position of each window (`target="all"`, which gives a model `window` times as
many targets per step). The return of a full pass is next-character accuracy; the
`char-rnn` agent also reports cross-entropy in nats and bits per character.

The presets: `handbook`, the chapter's program (its `RNN`, an `LSTMCell(256)` unrolled over
windows of 40, last character only), and `default`, a `CharLSTM` predicting every position
of windows of 100. What each reaches is on the task's reference card (`tfzoo list`).
"""

from __future__ import annotations

import gymnasium
import numpy as np

from tfzoo.data import load_text
from tfzoo.errors import ConfigError
from tfzoo.supervised import SupervisedTask
from tfzoo.text import Vocabulary
from tfzoo.validate import whole_number

TRAIN_SHARE = 0.9  # The first 90% of the text is the train split.
VALIDATION_SHARE = 0.05  # Its last 5% (of the whole text) is also the validation split.


class CharText(SupervisedTask):
    """Next-character prediction over windows of a text.

    The train split offers a window ending at every position; the test split is cut into
    consecutive windows. With `target="all"` a test pass predicts every test character once,
    from the characters before it in its window.

    Args:
        split: "train" (the first 90% of the text), "validation" (its last 5%: the train
            split's end, for choosing settings without looking at the test split) or "test"
            (the rest).
        window: Characters per window.
        batch_size: Windows per step.
        target: "last" (predict the character after each window) or "all" (predict the
            character after every position of each window).
        stride: Characters between the starts of consecutive windows. None means 1 for the
            train split (a window ends at every position, as when the chapter draws random
            windows) and `window` for the test split (windows that do not overlap, so with
            "all" every test character is a target once, and with "last" each window
            scores its last character).
        text_path: A UTF-8 text file to learn instead of Nietzsche's text.
        data_dir: A directory holding `nietzsche.txt` (see `tfzoo.data.load_text`).
        lowercase: Lower-case the text first, as the chapter does.
        hold_out_validation: The train split leaves out the validation split's text (it is
            the first 85%), as `tfzoo tune`'s trials train.
        shuffle: Visit the split's windows in a new random order at each reset.
        render_mode: Must be None.
    """

    def __init__(
        self,
        *,
        split: str = "train",
        window: int = 40,
        batch_size: int = 50,
        target: str = "last",
        stride: int | None = None,
        text_path: str | None = None,
        data_dir: str | None = None,
        lowercase: bool = True,
        hold_out_validation: bool = False,
        shuffle: bool = True,
        render_mode: str | None = None,
    ) -> None:
        text = load_text(text_path if text_path is not None else "nietzsche", data_dir)
        text = text.lower() if lowercase else text
        self.vocabulary, self.lowercase = Vocabulary.from_text(text), lowercase
        if stride is None:
            stride = 1 if split == "train" else window
        self.window, self.target = _checked(window, target, stride)
        ids = self.vocabulary.encode(text)  # (characters,)
        cut, held_out = int(len(ids) * TRAIN_SHARE), int(len(ids) * VALIDATION_SHARE)
        splits = {"train": ids[:cut - held_out] if hold_out_validation else ids[:cut],
                  "validation": ids[cut - held_out:cut], "test": ids[cut:]}
        if split in splits:
            splits = {split: _examples(splits[split], window, stride, target, split, text_path)}
        super().__init__(
            splits, split=split, batch_size=batch_size, shuffle=shuffle,
            num_classes=len(self.vocabulary), render_mode=render_mode,
        )
        self.observation_space = gymnasium.spaces.MultiDiscrete(
            np.full((self.batch_size, window), len(self.vocabulary), dtype=np.int64)
        )


def _checked(window: int, target: str, stride: int) -> tuple[int, str]:
    whole_number("window", window)
    whole_number("stride", stride)
    if target not in ("last", "all"):
        raise ConfigError(
            f"target={target!r} is not a kind of target; pass 'last' (the character after "
            f"each window, as in the chapter) or 'all' (after every position)."
        )
    return window, target


def _examples(ids: np.ndarray, window: int, stride: int, target: str, split: str, text_path):
    """(windows, targets) of one split; the windows are views of `ids`, not copies."""
    if len(ids) <= window:
        source = text_path or "the text"
        raise ConfigError(
            f"The {split} split of {source} has {len(ids)} characters, too few for windows of "
            f"{window} and their next character; pass a smaller window or a longer text."
        )
    # Windows of inputs and of next characters, as strided views of `ids` (no copies).
    inputs = np.lib.stride_tricks.sliding_window_view(ids[:-1], window)[::stride]
    targets = np.lib.stride_tricks.sliding_window_view(ids[1:], window)[::stride]
    return inputs, targets[:, -1] if target == "last" else targets  # (count, window), ...
