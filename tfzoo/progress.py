"""The loop's progress bar: tqdm counting steps or episodes, with the return and metrics."""

from __future__ import annotations

import time
from collections.abc import Callable

from tqdm.auto import tqdm


class ProgressBar:
    """A tqdm bar for the loop that shows the running return and the episode's mean metrics.

    Args:
        total: The budget the bar counts to (None when only a time budget is set).
        initial: Where a continued run starts counting.
        counts_steps: The bar counts steps (True) or episodes (False).
        description: The text before the bar, e.g. "train".
        enabled: False shows nothing and costs nothing.
    """

    def __init__(self, total: int | None, initial: int, counts_steps: bool, description: str,
                 enabled: bool) -> None:
        self.counts_steps, self.enabled = counts_steps, enabled
        self.bar = tqdm(
            total=total, initial=initial, unit="step" if counts_steps else "episode",
            desc=description, disable=not enabled, dynamic_ncols=True, mininterval=0.5,
        )
        self._next_postfix, self._timing = 0.0, False
        if enabled:  # Until the first step is done: it traces and compiles the graphs.
            self.bar.set_postfix_str("compiling")

    def step(self, leader: Callable[[], tuple[float, dict[str, tuple[float, int]]]],
             steps: int = 1) -> None:
        """Counts `steps` steps (if the bar counts steps); refreshes the figures twice a second
        with those `leader()` gives: the return and metric sums of the episode to show."""
        if self.enabled and self.counts_steps:
            self._count(steps)
            if time.monotonic() >= self._next_postfix:
                self._show(*leader())

    def episode_end(self, episode_return: float, totals: dict[str, tuple[float, int]]) -> None:
        """Counts one episode (if the bar counts episodes) and shows its final figures."""
        if self.enabled:
            if not self.counts_steps:
                self._count(1)
            self._show(episode_return, totals)

    def close(self) -> None:
        """Draws the bar one last time and releases the terminal line."""
        self.bar.close()

    def _count(self, done: int) -> None:
        """Counts `done` more; after the first count, which included compiling, the bar's
        clock starts again there, so that its rate and time left leave compiling out."""
        if self._timing:
            self.bar.update(done)
            return
        counted = self.bar.n + done
        self.bar.reset()  # tqdm's own restart: its clock and rate start afresh...
        self.bar.n = self.bar.last_print_n = self.bar.initial = counted  # ...from here.
        self.bar.refresh()
        self._timing = True

    def _show(self, episode_return: float, totals: dict[str, tuple[float, int]]) -> None:
        shown = {"return": f"{episode_return:.4g}"}
        shown.update({name: f"{total / count:.4g}" for name, (total, count) in totals.items()})
        self.bar.set_postfix(shown, refresh=False)
        self._next_postfix = time.monotonic() + 0.5
