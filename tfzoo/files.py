"""File helpers shared by everything that writes files atomically (runs, downloads, GIFs)."""

from __future__ import annotations

import os
import threading

_UMASK_LOCK = threading.Lock()


def set_default_permissions(path: str | os.PathLike) -> None:
    """Gives a file made by `tempfile.mkstemp` (mode 0600) the mode a plain `open` would give.

    Atomic writes go through a private temporary file that is then renamed into place;
    without this the renamed file would stay readable by its owner only.
    """
    with _UMASK_LOCK:  # The umask can only be read by setting it.
        umask = os.umask(0o022)
        os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
