"""A run's checkpoints as files on disk: which there are, whether TensorFlow's `checkpoint`
list names anything outside the run, and setting damaged ones aside. It does not write or
restore checkpoints: `tfzoo.runs.logger` does, through `tf.train.CheckpointManager`.

The files on disk are the truth. The `checkpoint` list beside them is TensorFlow's, and a
run directory may come from someone else: `CheckpointManager` deletes what that list names
once newer checkpoints replace it, so a name outside the run is refused before the manager
ever reads the list, and the list is rewritten from the files on disk when a run resumes.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import tensorflow as tf

from tfzoo.errors import RunDirectoryError
from tfzoo.files import atomic_path
from tfzoo.runs.directory import BEST, CHECKPOINTS

LIST_FILE = "checkpoint"
NAME = re.compile(r"ckpt-(\d+)")
DAMAGED_PREFIX = "damaged-"


def check_list(directory: Path) -> None:
    """Raises RunDirectoryError if TensorFlow's `checkpoint` list in `directory` names a
    checkpoint that is not a `ckpt-N` in `directory` itself. A list TensorFlow cannot parse
    names nothing (`CheckpointManager` ignores it too); the files on disk then decide."""
    directory = directory.resolve()
    for name in listed(directory):
        path = Path(name) if os.path.isabs(name) else directory / name
        if path.resolve().parent != directory or not NAME.fullmatch(path.name):
            raise RunDirectoryError(
                f"{directory / LIST_FILE} names the checkpoint {name!r}, which is not a "
                f"ckpt-N file in {directory}. TensorFlow would delete the files it names "
                f"there at the next save, so this run is refused. If you trust the run, delete "
                f"that list file: it is rebuilt from the ckpt-N files on disk when the run "
                f"resumes.")


def listed(directory: Path) -> list[str]:
    """The names in TensorFlow's `checkpoint` list, as `CheckpointManager` reads them."""
    if not (directory / LIST_FILE).is_file():
        return []
    state = tf.train.get_checkpoint_state(str(directory.resolve()))
    return [] if state is None else list(dict.fromkeys(
        [*state.all_model_checkpoint_paths, state.model_checkpoint_path]))


def missing(directory: Path) -> list[str]:
    """The `ckpt-N` names TensorFlow's list holds whose files are all gone."""
    return [Path(name).name for name in listed(directory)
            if not any(directory.glob(f"{Path(name).name}.*"))]


def on_disk(directory: Path) -> list[tuple[Path, str | None]]:
    """Every checkpoint prefix `ckpt-N` in `directory`, newest (highest N) first, each with
    what is wrong with its files as far as names tell (None: an index and data are there)."""
    files: dict[int, set[str]] = {}
    for path in directory.glob("ckpt-*") if directory.is_dir() else ():
        number = NAME.match(path.name)
        if number is not None and path.is_file():
            files.setdefault(int(number.group(1)), set()).add(path.name[number.end():])
    found = []
    for number in sorted(files, reverse=True):
        suffixes = files[number]
        problem = ("its .index file is missing" if ".index" not in suffixes else
                   "its .data file is missing" if not any(s.startswith(".data-")
                                                          for s in suffixes) else None)
        found.append((directory / f"ckpt-{number}", problem))
    return found


def set_aside(prefix: Path) -> list[Path]:
    """Renames the files of the checkpoint `prefix` to `damaged-ckpt-N.*` (never deletes
    them), so that neither tfzoo nor TensorFlow takes them for a checkpoint again."""
    moved = []
    for path in sorted(prefix.parent.glob(f"{prefix.name}.*")):
        target = path.with_name(DAMAGED_PREFIX + path.name)
        os.replace(path, target)
        moved.append(target)
    return moved


def rewrite_list(directory: Path) -> None:
    """Rewrites TensorFlow's `checkpoint` list from the good-looking `ckpt-N` files on disk
    (oldest first), so that `CheckpointManager` keeps and deletes only those."""
    names = [prefix.name for prefix, problem in reversed(on_disk(directory)) if problem is None]
    if not names:
        return
    lines = [f'model_checkpoint_path: "{names[-1]}"',
             *(f'all_model_checkpoint_paths: "{name}"' for name in names)]
    with atomic_path(directory / LIST_FILE) as temporary:
        Path(temporary).write_text("\n".join(lines) + "\n")


def remove_leftovers(run: Path) -> list[Path]:
    """Removes what interrupted writes left in the run directory `run`: TensorFlow's
    `ckpt-N_temp/` directories and tfzoo's `.NAME.*.tmp` files. Only while the run's
    training lock is held, so no other process is writing them."""
    leftovers = [*run.glob(".*.tmp"), *run.glob(f"{BEST}/.*.tmp"),
                 *run.glob(f"{CHECKPOINTS}/ckpt-*_temp*"), *run.glob(f"{BEST}/*_temp*")]
    for path in leftovers:
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    return leftovers
