"""Finding, downloading and reading the chapter's datasets (MNIST, Nietzsche's text); no task logic.

A dataset is looked for, in order, in an explicit `data_dir`, in `$TFZOO_DATA_DIR`, and in
the Keras cache (`$KERAS_HOME/datasets`, by default `~/.keras/datasets`); only then is it
downloaded from its public address into the Keras cache, checked against its published
SHA-256 and moved into place atomically. A file a user put somewhere is read, never
replaced or deleted: a damaged one is reported with what is wrong with it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from tfzoo.errors import TfzooError
from tfzoo.files import atomic_path

MnistArrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DataError(TfzooError):
    """A dataset that cannot be found, downloaded or read; the message says what to do."""


@dataclass(frozen=True)
class RemoteFile:
    """A public file to download: its name on disk, address and published SHA-256."""

    name: str
    url: str
    sha256: str


MNIST = RemoteFile(
    name="mnist.npz",
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
)

NIETZSCHE = RemoteFile(
    name="nietzsche.txt",
    url="https://s3.amazonaws.com/text-datasets/nietzsche.txt",
    sha256="442ca0d2f6e62d041e591063704f897f92de93a6f96324009f510a4858a6049c",
)
TEXTS = {"nietzsche": NIETZSCHE}
"""Texts `load_text` knows by name; anything else is read as a path."""

# The four files of the original MNIST distribution, each also accepted with ".gz".
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}
IDX_MAGIC = {3: 2051, 1: 2049}  # Dimensions -> the magic number opening an IDX file of uint8.


def keras_cache_dir() -> Path:
    """Where Keras caches datasets: `$KERAS_HOME/datasets`, by default `~/.keras/datasets`."""
    return Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "datasets"


def search_path(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path | None]]:
    """The places a dataset is looked for, in order, as (label, directory or None if unset)."""
    environment = os.environ.get("TFZOO_DATA_DIR")
    return [
        ("data_dir", Path(data_dir).expanduser() if data_dir is not None else None),
        ("$TFZOO_DATA_DIR", Path(environment).expanduser() if environment else None),
        ("the Keras cache", keras_cache_dir()),
    ]


def load_mnist(data_dir: str | os.PathLike | None = None, *, download: bool = True) -> MnistArrays:
    """Loads MNIST as uint8 arrays: `((x_train, y_train), (x_test, y_test))`.

    Images have shape (count, 28, 28), labels shape (count,), both uint8.

    Args:
        data_dir: A directory holding Keras's `mnist.npz` or the four IDX files
            (`train-images-idx3-ubyte`, ..., plain or `.gz`), or the path of an `.npz` file.
        download: Download `mnist.npz` into the Keras cache when no place has it.

    Raises:
        DataError: A file found is damaged (saying how), or MNIST is nowhere and cannot be
            downloaded (saying every place looked at and how to provide it).
    """
    found, looked = locate(
        MNIST, _find_mnist, f"no {MNIST.name} or IDX files", data_dir, download
    )
    if found is not None:
        return _checked(found, _read_mnist(found))
    raise DataError(
        f"MNIST was not found. Looked in: {'; '.join(looked)}. Put Keras's {MNIST.name} "
        f"(or the four IDX files, e.g. {IDX_FILES['x_train']}.gz) in a directory and pass "
        f"it as data_dir= (--data-dir DIR on the command line) or set $TFZOO_DATA_DIR, or "
        f"copy {MNIST.name} into {keras_cache_dir()}."
    )


def load_text(
    name_or_path: str | os.PathLike = "nietzsche", data_dir: str | os.PathLike | None = None,
    *, download: bool = True,
) -> str:
    """Reads a UTF-8 text: one of `TEXTS` by name (found or downloaded like MNIST), or a file.

    Args:
        name_or_path: "nietzsche" (Keras's `nietzsche.txt`), or the path of any UTF-8 file.
        data_dir: A directory holding the named text's file (e.g. `nietzsche.txt`).
        download: Download a named text into the Keras cache when no place has it.

    Raises:
        DataError: The file is missing, empty or not UTF-8 (saying where and how to fix it),
            or a named text is nowhere and cannot be downloaded.
    """
    if str(name_or_path) not in TEXTS:
        return _read_text(Path(name_or_path).expanduser())
    remote = TEXTS[str(name_or_path)]
    found, looked = locate(remote, _file_finder(remote), f"no {remote.name}", data_dir, download)
    if found is not None:
        return _read_text(found)
    raise DataError(
        f"The text {name_or_path!r} was not found. Looked in: {'; '.join(looked)}. Put "
        f"{remote.name} in a directory and pass it as data_dir= (--data-dir DIR on the command "
        f"line) or set $TFZOO_DATA_DIR, or copy it into {keras_cache_dir()}."
    )


def find_dataset(
    name: str, data_dir: str | os.PathLike | None = None
) -> tuple[Path | None, RemoteFile, list[str]]:
    """Where the dataset `name` ("mnist" or a name of `TEXTS`) would be read from, without
    reading or downloading it.

    Returns:
        The path found (None if it would be downloaded), the file's public address, and the
        places looked at before it.
    """
    if name == "mnist":
        found, looked = locate(MNIST, _find_mnist, f"no {MNIST.name} or IDX files", data_dir,
                               download=False)
        return found, MNIST, looked
    remote = TEXTS[name]
    found, looked = locate(remote, _file_finder(remote), f"no {remote.name}", data_dir,
                           download=False)
    return found, remote, looked


def locate(
    remote: RemoteFile, find: Callable[[Path], Path | None], missing: str,
    data_dir: str | os.PathLike | None, download: bool,
) -> tuple[Path | None, list[str]]:
    """Where a dataset is: the first place of `search_path` that `find` accepts, else the
    download of `remote` into the Keras cache (when `download`).

    Returns:
        The path found (None if nowhere), and every place looked at, for the error message
        (`missing` says what a place lacked).
    """
    looked = []
    for label, place in search_path(data_dir):
        if place is None:
            looked.append(f"{label} (not set)")
            continue
        found = find(place)
        if found is not None:
            return found, looked
        looked.append(f"{label} {place} ({missing})")
    if download:
        try:
            return fetch(remote, keras_cache_dir()), looked
        except (OSError, urllib.error.URLError) as error:
            looked.append(f"the download from {remote.url} ({_reason(error)})")
    return None, looked


def fetch(remote: RemoteFile, directory: str | os.PathLike) -> Path:
    """Downloads `remote` into `directory`, checks its SHA-256, and renames it into place.

    The download goes to a temporary file beside the target, which is deleted on any
    failure (including Ctrl-C), so the target is either complete and verified or absent.

    Returns:
        The path of the downloaded file.

    Raises:
        DataError: The download's SHA-256 does not match the published one.
        OSError, urllib.error.URLError: The address cannot be reached or read.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / remote.name
    with atomic_path(target, suffix=".part") as temporary:
        digest = hashlib.sha256()
        with (
            open(temporary, "wb") as file,
            urllib.request.urlopen(remote.url, timeout=30) as response,
            tqdm(total=int(response.headers.get("Content-Length") or 0) or None, unit="B",
                 unit_scale=True, desc=f"downloading {remote.name}") as bar,
        ):
            while chunk := response.read(1 << 16):
                file.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
            file.flush()
            os.fsync(file.fileno())
        if digest.hexdigest() != remote.sha256:
            raise DataError(
                f"The download of {remote.url} has SHA-256 {digest.hexdigest()}, not the "
                f"published {remote.sha256}; it was discarded. Try again later, or download "
                f"the file yourself and pass its directory as data_dir."
            )
    return target


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file of unsigned bytes (plain or `.gz`) into a uint8 array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError) as error:
        raise DataError(f"{path} cannot be read ({error}); replace it with a good copy.") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(
            f"{path} is not an IDX file of unsigned bytes (its first bytes are {data[:4].hex()}, "
            f"expected 000008..); replace it with a good copy."
        )
    dimensions = data[3]
    header = 4 + 4 * dimensions
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise DataError(
            f"{path} is truncated or padded: its header announces shape {shape} "
            f"({expected} bytes in all) but the file has {len(data)} bytes. Replace it."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _file_finder(remote: RemoteFile) -> Callable[[Path], Path | None]:
    """Finds `remote`'s file by its name in a place (a directory)."""
    return lambda place: place / remote.name if (place / remote.name).is_file() else None


def _find_mnist(place: Path) -> Path | None:
    """`place` itself if it is an .npz file, else its mnist.npz, else itself if it has IDX files."""
    if place.is_file() and place.suffix == ".npz":
        return place
    if (place / MNIST.name).is_file():
        return place / MNIST.name
    if place.is_dir() and any(_idx_path(place, name) for name in IDX_FILES.values()):
        return place
    return None


def _idx_path(directory: Path, name: str) -> Path | None:
    for candidate in (name, f"{name}.gz", name.replace("-idx", ".idx"),
                      f"{name.replace('-idx', '.idx')}.gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _read_mnist(found: Path) -> dict[str, np.ndarray]:
    if found.is_dir():
        arrays = {}
        for key, name in IDX_FILES.items():
            path = _idx_path(found, name)
            if path is None:
                raise DataError(
                    f"{found} has some MNIST IDX files but not {name} (nor {name}.gz); add it, "
                    f"or put Keras's {MNIST.name} there instead."
                )
            arrays[key] = read_idx(path)
        return arrays
    try:
        with np.load(found, allow_pickle=False) as archive:
            missing = sorted(set(IDX_FILES) - set(archive.files))
            if missing:
                raise DataError(
                    f"{found} lacks the arrays {missing} (it has {sorted(archive.files)}); "
                    f"Keras's {MNIST.name} holds x_train, y_train, x_test and y_test."
                )
            return {key: archive[key] for key in IDX_FILES}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(
            f"{found} cannot be read as an .npz archive ({error}); the file is damaged or not "
            f"MNIST. Replace it with a good copy of Keras's {MNIST.name}."
        ) from None


def _checked(source: Path, arrays: dict[str, np.ndarray]) -> MnistArrays:
    """Checks shapes, dtypes, label range and counts; returns the arrays as uint8."""
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        problem = None
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            problem = f"x_{split} has shape {images.shape}, expected (count, 28, 28)"
        elif labels.ndim != 1 or len(labels) != len(images):
            problem = f"y_{split} has shape {labels.shape} for {len(images)} images"
        elif len(images) == 0:
            problem = f"the {split} split is empty"
        elif images.dtype != np.uint8 or not np.issubdtype(labels.dtype, np.integer):
            problem = f"x_{split} is {images.dtype} and y_{split} {labels.dtype}, expected uint8"
        elif labels.min() < 0 or labels.max() > 9:
            problem = f"y_{split} holds labels from {labels.min()} to {labels.max()}, not 0-9"
        if problem:
            raise DataError(f"{source} is not MNIST as expected: {problem}. Replace it with a "
                            f"good copy of Keras's {MNIST.name}.")
    return ((arrays["x_train"], arrays["y_train"].astype(np.uint8)),
            (arrays["x_test"], arrays["y_test"].astype(np.uint8)))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(
            f"The text file {str(path)!r} cannot be read ({error.strerror or error}); pass the "
            f"path of an existing UTF-8 file, or the name of a known text: {sorted(TEXTS)}."
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path} is not UTF-8 text (byte {error.start} is {data[error.start]:#04x}); "
            f"convert it, e.g. `iconv -t UTF-8 {path.name} > {path.stem}-utf8.txt`."
        ) from None
    if not text:
        raise DataError(f"{path} is empty; pass a file holding some text.")
    # Line ends as Python's text mode reads them, so Windows files give the same vocabulary.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _reason(error: BaseException) -> str:
    return str(getattr(error, "reason", None) or error)
