"""Writing files all or nothing: what run directories, downloads and recordings write through,
and holding Ctrl-C back while they do (or, in the loop, until the step it lands in is done)."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_UMASK_LOCK = threading.Lock()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[str]:
    """Yields a temporary file's path beside `path`, to write; then renames it onto `path`.

    If the block raises (Ctrl-C included), the temporary file is deleted and `path` is left
    as it was, so a reader only ever sees the old file or the complete new one.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        yield temporary
        set_default_permissions(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def set_default_permissions(path: str | os.PathLike) -> None:
    """Gives a file made by `tempfile.mkstemp` (mode 0600) the mode a plain `open` would give."""
    with _UMASK_LOCK:  # The umask can only be read by setting it.
        umask = os.umask(0o022)
        os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Holds Ctrl-C and SIGTERM back while files are written, then raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = {
        number: signal.signal(number, lambda number, frame: received.append(number))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_between_steps() -> Iterator[Callable[[], bool]]:
    """Turns the first Ctrl-C into a request to stop, which the loop honours after the step
    it is in, so that the state it saves is whole; a second Ctrl-C raises KeyboardInterrupt
    at once. Yields `requested()`, which tells whether one came.

    Only Python's own Ctrl-C handler is replaced, in the main thread: where Ctrl-C is
    ignored or handled otherwise, or outside the main thread, nothing changes.
    """
    received: list[int] = []

    def request(number: int, frame: Any) -> None:
        if received:  # The second Ctrl-C: stop now.
            raise KeyboardInterrupt
        received.append(number)

    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield lambda: False
        return
    signal.signal(signal.SIGINT, request)
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
