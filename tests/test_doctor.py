"""`tfzoo doctor`: versions, devices, datasets, and the known traps with their fixes."""

from __future__ import annotations

import importlib.metadata
import json
import sys

from tfzoo.tools import doctor
from tfzoo.tools.cli import main


def run_doctor(capsys, *arguments: str) -> tuple[int, str]:
    status = main(["doctor", *arguments])
    return status, capsys.readouterr().out


def test_doctor_reports_versions_devices_and_where_each_dataset_is(capsys, mnist_dir):
    status, out = run_doctor(capsys)
    for name in ("python", "tensorflow", "keras", "numpy", "gymnasium"):
        assert f"  {name} " in out
    assert "CPU  /physical_device:CPU:0" in out
    assert f"mnist       {mnist_dir / 'mnist.npz'}" in out  # Found through $TFZOO_DATA_DIR.
    assert f"nietzsche   {mnist_dir / 'nietzsche.txt'}" in out
    assert status == 0


def test_doctor_finds_the_numpy_2_and_legacy_gym_trap_in_this_venv(capsys):
    # The test extra installs gym beside NumPy 2, the combination the trap is about.
    assert importlib.metadata.version("gym") and importlib.metadata.version("numpy") >= "2"
    status, out = run_doctor(capsys)
    assert "[warning] The legacy gym 0.26" in out and "np.bool8" in out
    assert "fix: Wrap gym environments with tfzoo.from_gym(gym.make(...))" in out


def test_no_gym_trap_with_numpy_1_or_without_gym(monkeypatch):
    installed = doctor.versions()
    for gym, numpy in (("0.26.2", "1.26.4"), (None, "2.1.0")):
        monkeypatch.setattr(doctor, "versions", lambda g=gym, n=numpy: {
            **installed, "gym": g, "numpy": n})
        assert not [f for f in doctor.diagnose() if "legacy gym" in f.problem]


def test_a_missing_dataset_is_reported_with_where_to_put_it(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TFZOO_DATA_DIR", str(tmp_path))  # Empty; the Keras cache is too.
    status, out = run_doctor(capsys)
    assert "[warning] Dataset 'mnist' is not on this machine" in out
    assert f"$TFZOO_DATA_DIR {tmp_path} (no mnist.npz or IDX files)" in out
    assert "fix: Put mnist.npz in a directory and pass --data-dir DIR" in out
    assert status == 0  # Still downloadable when online.


def test_an_unwritable_cache_with_missing_data_is_an_error(capsys, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("KERAS_HOME", str(blocker / "keras"))
    monkeypatch.setenv("TFZOO_DATA_DIR", str(tmp_path / "empty"))
    status, out = run_doctor(capsys, "--json")
    findings = json.loads(out)["findings"]
    cache = [f for f in findings if "cannot be written" in f["problem"]]
    assert cache and f"{blocker} is a file, not a directory" in cache[0]["problem"]
    assert "Set KERAS_HOME to a writable directory" in cache[0]["fix"]
    assert {f["severity"] for f in findings if "is not on this machine" in f["problem"]} == {
        "error"}
    assert status == 1


def test_legacy_keras_shadowing_keras_3_is_an_error(capsys, monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    status, out = run_doctor(capsys)
    assert "[error] TF_USE_LEGACY_KERAS=1 makes tf.keras mean" in out
    assert "fix: Unset it (unset TF_USE_LEGACY_KERAS)" in out
    assert status == 1


def test_doctor_works_and_says_so_when_tensorflow_cannot_be_imported(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now fails.
    status, out = run_doctor(capsys)
    assert "[error] TensorFlow cannot be imported (ModuleNotFoundError: import of tensorflow" in out
    assert "fix: Reinstall it in this environment" in out
    assert "Devices:\nDatasets:" in out  # None listed, and the rest is still reported.
    assert status == 1
