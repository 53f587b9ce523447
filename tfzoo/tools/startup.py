"""Importing TensorFlow for the `tfzoo` command without its start-up chatter on the terminal.

TensorFlow's C++ side writes a handful of lines to stderr while it is imported and first
probes its devices (absl's notice, oneDNN, the CUDA probe of a CPU machine, the CPU features
it was not built for), before `TF_CPP_MIN_LOG_LEVEL` is read. They look like errors and are
not. This module holds stderr back while that happens and writes back every other line.
It is not a log filter for the rest of the run: later lines, errors among them, pass as
they are.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

STARTUP_CHATTER = re.compile("|".join([
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called",
    r"\] oneDNN custom operations are on",
    r"cudart_stub\.cc:\d+\] Could not find cuda drivers",
    r"cuda_platform\.cc:\d+\] failed call to cuInit",
    r"cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized",
    r"^To enable the following instructions: .* rebuild TensorFlow",
    r"\] Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation_placer\.cc:\d+\] .* already registered",
]))


def without_chatter(text: str) -> str:
    """`text` without the lines of TensorFlow's start-up chatter."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not STARTUP_CHATTER.search(line))


def import_tensorflow_quietly() -> None:
    """Imports TensorFlow and lets it probe its devices with its start-up chatter held back
    (`chatter_held_back`). It lists the physical devices only, so the CPU can still be split
    into logical devices afterwards (`--cpu-devices`). On a terminal, a status line counts
    the seconds meanwhile, then is cleared."""
    # Even if a plugin imported TensorFlow already: probing the devices chatters too.
    with chatter_held_back(count_seconds="tensorflow" not in sys.modules):
        import tensorflow as tf  # Here, so that its start-up is held back.

        tf.config.list_physical_devices()


@contextlib.contextmanager
def chatter_held_back(count_seconds: bool = False) -> Iterator[None]:
    """Holds stderr in a temporary file meanwhile, then writes back all but TensorFlow's
    start-up chatter: around importing TensorFlow, or modules that may import it (plugins).

    Args:
        count_seconds: On a terminal, show "importing TensorFlow... N s" meanwhile.
    """
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
    except (AttributeError, OSError, ValueError):  # No stderr to hold (closed, or None).
        yield
        return
    done = threading.Event()
    counter = threading.Thread(target=_count_seconds, args=(terminal, done), daemon=True)
    if count_seconds and sys.stderr.isatty():
        counter.start()
    try:
        with tempfile.TemporaryFile() as held:
            os.dup2(held.fileno(), 2)
            try:
                yield
            finally:
                done.set()
                if counter.is_alive():
                    counter.join()  # Its line is cleared before anything else is written.
                sys.stderr.flush()
                os.dup2(terminal, 2)
                held.seek(0)
                sys.stderr.write(without_chatter(held.read().decode("utf-8", "replace")))
                sys.stderr.flush()
    finally:
        os.close(terminal)


def _count_seconds(terminal: int, done: threading.Event) -> None:
    """Writes "importing TensorFlow... N s" to the terminal every second until `done`, then
    clears the line."""
    started = time.monotonic()
    os.write(terminal, b"tfzoo: importing TensorFlow...")
    while not done.wait(1.0):
        os.write(terminal, f"\rtfzoo: importing TensorFlow... "
                           f"{time.monotonic() - started:.0f} s".encode())
    os.write(terminal, b"\r\033[K")
