"""MNIST loading: where it is looked for, both file layouts, damaged files, the download."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct

import numpy as np
import pytest
from conftest import synthetic_mnist

import tfzoo.data as data


def write_idx(path, array, compress):
    header = struct.pack(">I", 0x0800 | array.ndim) + b"".join(
        struct.pack(">I", size) for size in array.shape)
    content = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(f"{path}.gz", "wb") as file:
            file.write(content)
    else:
        path.write_bytes(content)


def write_idx_dir(directory, arrays, compress=True):
    directory.mkdir(parents=True, exist_ok=True)
    for key, name in data.IDX_FILES.items():
        write_idx(directory / name, arrays[key], compress)
    return directory


def write_npz(directory, arrays):
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / "mnist.npz", **arrays)
    return directory / "mnist.npz"


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Empty explicit, environment and Keras-cache directories, nothing to download."""
    explicit, environment, keras_home = (tmp_path / name for name in ("explicit", "env", "keras"))
    monkeypatch.setenv("TFZOO_DATA_DIR", str(environment))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setattr(data, "MNIST", data.RemoteFile(
        "mnist.npz", (tmp_path / "offline" / "mnist.npz").as_uri(), "0" * 64))
    return explicit, environment, keras_home / "datasets"


def train_count(arrays):
    return len(arrays[0][0])


def test_search_order_is_data_dir_then_environment_then_keras_cache(places):
    explicit, environment, cache = places
    write_npz(cache, synthetic_mnist(train=30))
    assert train_count(data.load_mnist()) == 30
    write_npz(environment, synthetic_mnist(train=20))
    assert train_count(data.load_mnist()) == 20
    write_npz(explicit, synthetic_mnist(train=10))
    assert train_count(data.load_mnist(explicit)) == 10
    assert train_count(data.load_mnist(explicit / "mnist.npz")) == 10


@pytest.mark.parametrize("compress", [True, False])
def test_idx_files_read_the_same_as_the_npz(places, compress):
    explicit, *_ = places
    arrays = synthetic_mnist(train=40, test=12)
    (x_train, y_train), (x_test, y_test) = data.load_mnist(
        write_idx_dir(explicit, arrays, compress))
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == y_train.dtype == x_test.dtype == np.uint8
    assert x_test.shape == (12, 28, 28) and y_train.shape == (40,)


def damage(arrays, key, value):
    return {**arrays, key: value}


@pytest.mark.parametrize(
    "arrays, message",
    [
        (damage(synthetic_mnist(30), "x_train", np.zeros((30, 28, 27), np.uint8)),
         r"x_train has shape \(30, 28, 27\), expected \(count, 28, 28\)"),
        (damage(synthetic_mnist(30), "y_train", np.zeros(29, np.uint8)),
         r"y_train has shape \(29,\) for 30 images"),
        (damage(synthetic_mnist(30), "x_test", np.zeros((300, 28, 28), np.float32)),
         r"x_test is float32"),
        (damage(synthetic_mnist(30), "y_test", np.full(300, 10, np.uint8)),
         r"labels from 10 to 10, not 0-9"),
        ({key: value for key, value in synthetic_mnist(30).items() if key != "y_test"},
         r"lacks the arrays \['y_test'\]"),
    ],
)
def test_each_bad_npz_is_named_with_what_is_wrong(places, arrays, message):
    explicit, *_ = places
    path = write_npz(explicit, arrays)
    before = path.read_bytes()
    with pytest.raises(data.DataError, match=message):
        data.load_mnist(explicit)
    assert path.read_bytes() == before, "a user's file is never touched"


def test_a_file_that_is_not_an_npz_is_reported(places):
    explicit, *_ = places
    explicit.mkdir()
    (explicit / "mnist.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(data.DataError, match="cannot be read as an .npz archive"):
        data.load_mnist(explicit)


def test_bad_idx_files_are_reported(places):
    explicit, *_ = places
    directory = write_idx_dir(explicit, synthetic_mnist(20), compress=False)
    images = directory / data.IDX_FILES["x_train"]
    images.write_bytes(images.read_bytes()[:-5])
    with pytest.raises(data.DataError, match="truncated or padded"):
        data.load_mnist(directory)
    images.write_bytes(b"\x12\x34\x56\x78" + b"\x00" * 20)
    with pytest.raises(data.DataError, match="not an IDX file"):
        data.load_mnist(directory)
    images.unlink()
    with pytest.raises(data.DataError, match="but not train-images-idx3-ubyte"):
        data.load_mnist(directory)


def test_offline_with_nothing_found_names_every_place_and_the_fix(places):
    explicit, environment, cache = places
    with pytest.raises(data.DataError) as error:
        data.load_mnist(explicit)
    message = str(error.value)
    assert str(explicit) in message and str(environment) in message and str(cache) in message
    assert "the download from file:" in message and "--data-dir DIR" in message
    assert not cache.exists() or not any(cache.iterdir()), "no partial download left behind"


def test_the_download_is_checked_and_moved_into_the_keras_cache(places, tmp_path, monkeypatch):
    *_, cache = places
    source = write_npz(tmp_path / "server", synthetic_mnist(train=50))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    monkeypatch.setattr(data, "MNIST", data.RemoteFile("mnist.npz", source.as_uri(), digest))
    assert train_count(data.load_mnist()) == 50
    assert sorted(os.listdir(cache)) == ["mnist.npz"]
    assert train_count(data.load_mnist()) == 50  # Now found in the cache.


def test_a_download_with_the_wrong_checksum_is_discarded(places, tmp_path, monkeypatch):
    *_, cache = places
    source = write_npz(tmp_path / "server", synthetic_mnist(train=50))
    remote = data.RemoteFile("mnist.npz", source.as_uri(), "f" * 64)
    with pytest.raises(data.DataError, match="not the published f{64}; it was discarded"):
        data.fetch(remote, cache)
    assert os.listdir(cache) == []
