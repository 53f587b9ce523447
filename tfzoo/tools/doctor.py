"""`tfzoo doctor`: what this installation has, where data would come from, and known traps.

It reads versions, devices, environment variables and directories, and changes nothing:
no dataset is read or downloaded, no package is imported that tfzoo does not need. It
imports TensorFlow only inside `_tensorflow`, so that it works when TensorFlow is broken:
keep the imports at the top of this module light.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import platform
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfzoo.data import TEXTS, find_dataset, keras_cache_dir
from tfzoo.plugins import installed_plugins

PACKAGES = ("tensorflow", "keras", "numpy", "gymnasium", "gym", "tf_keras", "tfzoo")


@dataclass(frozen=True)
class Finding:
    """One thing the doctor found: how bad it is, what it is, and how to fix it."""

    severity: str
    """"error" (tfzoo will fail), "warning" (something will fail or surprise) or "note"."""

    problem: str
    fix: str


def doctor_command(arguments: argparse.Namespace) -> int:
    """The handler of `tfzoo doctor` (see `tfzoo.tools.cli`): prints what `examine` finds,
    as JSON with --json; returns 1 if a finding would make tfzoo fail, else 0."""
    examined = examine(arguments.data_dir)
    findings = examined["findings"]
    if arguments.json:
        print(json.dumps({**examined, "findings": [dataclasses.asdict(finding)
                                                   for finding in findings]}, indent=2))
    else:
        print(format_report(examined))
    return 1 if any(finding.severity == "error" for finding in findings) else 0


def versions() -> dict[str, str | None]:
    """The installed version of Python and of each of `PACKAGES` (None when not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def datasets(data_dir: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """For each dataset: the file it would read, or else the address it would download from."""
    report = {}
    for name in ("mnist", *TEXTS):
        found, remote, looked = find_dataset(name, data_dir)
        report[name] = {"found": None if found is None else str(found), "looked": looked,
                        "download_from": remote.url, "download_to": str(keras_cache_dir())}
    return report


def examine(data_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Everything the doctor reports, each looked up once: {"versions", "plugins", "devices",
    "datasets", "findings"} (findings as `Finding`s; no devices when TensorFlow is broken;
    the plugins installed, which are listed, not imported)."""
    installed, places = versions(), datasets(data_dir)
    tf, _ = _tensorflow()
    return {
        "versions": installed,
        "plugins": [source.as_json() for source in installed_plugins()],
        "devices": [] if tf is None else [{"type": device.device_type, "name": device.name}
                                          for device in tf.config.list_physical_devices()],
        "datasets": places,
        "findings": diagnose(data_dir, installed=installed, places=places),
    }


def diagnose(
    data_dir: str | os.PathLike | None = None, *, installed: dict[str, str | None] | None = None,
    places: dict[str, dict[str, Any]] | None = None,
) -> list[Finding]:
    """Every known trap present here, each with its fix.

    Args:
        data_dir: Also look for datasets here.
        installed, places: `versions()` and `datasets(data_dir)`, when already looked up.
    """
    installed = versions() if installed is None else installed
    places = datasets(data_dir) if places is None else places
    tf, broken = _tensorflow()
    findings = [*_broken_tensorflow(broken), *_legacy_gym(installed), *_legacy_keras(installed),
                *_cuda_without_gpu(tf)]
    cache_problem = _unwritable(keras_cache_dir())
    for name, place in places.items():
        if place["found"] is None:
            findings.append(Finding(
                "warning" if cache_problem is None else "error",
                f"Dataset {name!r} is not on this machine (looked in: "
                f"{'; '.join(place['looked'])}); it would be downloaded from "
                f"{place['download_from']} on first use, which fails offline.",
                f"Put {Path(place['download_from']).name} in a directory and pass --data-dir "
                f"DIR (data_dir= from Python) or set $TFZOO_DATA_DIR, or copy it into "
                f"{place['download_to']}.",
            ))
    if cache_problem is not None:
        findings.append(Finding(
            "warning", f"The Keras cache {keras_cache_dir()} cannot be written ({cache_problem}):"
            f" datasets cannot be downloaded into it.",
            "Set KERAS_HOME to a writable directory (datasets go in its datasets/), or give "
            "every dataset with --data-dir or $TFZOO_DATA_DIR.",
        ))
    return findings


def _tensorflow() -> tuple[Any, str | None]:
    """(TensorFlow, None), or (None, why it cannot be imported).

    Imported here rather than at the top, so that the doctor still works, and says what is
    wrong, when TensorFlow is missing or broken.
    """
    try:
        import tensorflow as tf
    except Exception as error:  # A broken installation raises more kinds than ImportError.
        return None, f"{type(error).__name__}: {error}"
    return tf, None


def _broken_tensorflow(broken: str | None) -> list[Finding]:
    if broken is None:
        return []
    return [Finding(
        "error", f"TensorFlow cannot be imported ({broken}), so tfzoo can neither train nor "
        f"load a run.",
        "Reinstall it in this environment: pip install --force-reinstall 'tensorflow>=2.16' "
        "(the versions above show what is installed).",
    )]


def _legacy_gym(installed: dict[str, str | None]) -> list[Finding]:
    gym, numpy = installed.get("gym"), installed.get("numpy")
    if gym is None or numpy is None or int(numpy.split(".")[0]) < 2:
        return []
    return [Finding(
        "warning",
        f"The legacy gym {gym} is installed with NumPy {numpy}: gym's environment checker "
        f"uses np.bool8, which NumPy 2 removed, so gym.make(...).step() fails with "
        f"AttributeError.",
        "Wrap gym environments with tfzoo.from_gym(gym.make(...)) (it skips that check), or "
        "move to Gymnasium (pip uninstall gym); pinning numpy<2 also works but holds back "
        "TensorFlow.",
    )]


def _legacy_keras(installed: dict[str, str | None]) -> list[Finding]:
    flag = os.environ.get("TF_USE_LEGACY_KERAS", "")
    if flag.lower() not in ("1", "true", "yes"):
        return []
    shadow = (f"tf_keras {installed['tf_keras']}" if installed.get("tf_keras")
              else "the tf_keras package, which is not installed, so tf.keras fails to import")
    return [Finding(
        "error",
        f"TF_USE_LEGACY_KERAS={flag} makes tf.keras mean {shadow}, shadowing Keras 3: models "
        f"built with tf.keras are not Keras 3 models, and tfzoo's models and agents are.",
        "Unset it (unset TF_USE_LEGACY_KERAS) when running tfzoo; use `import keras` for Keras 3.",
    )]


def _cuda_without_gpu(tf: Any) -> list[Finding]:
    if tf is None or not tf.test.is_built_with_cuda() or tf.config.list_physical_devices("GPU"):
        return []
    return [Finding(
        "note",
        "This TensorFlow is built with CUDA but finds no GPU: it runs on the CPU and logs "
        "CUDA errors (cuInit, cuda drivers) at start, which are harmless.",
        "Nothing to do for CPU training: the tfzoo command holds those start-up lines back "
        "(--verbose or TFZOO_TF_LOGS=1 shows them; TF_CPP_MIN_LOG_LEVEL cannot, as TensorFlow "
        "writes them before reading it), or install a GPU driver to train on the GPU.",
    )]


def _unwritable(directory: Path) -> str | None:
    """Why files cannot be created in `directory`, or None if they can (creating nothing
    but a temporary file that is removed at once)."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a directory"
    if existing != directory:  # It would be created: its nearest existing parent decides.
        return None if os.access(existing, os.W_OK | os.X_OK) else f"{existing} is read-only"
    try:
        with tempfile.NamedTemporaryFile(dir=directory):
            return None
    except OSError as error:
        return f"{type(error).__name__}: {error.strerror or error}"


def format_report(examined: dict[str, Any]) -> str:
    """The doctor's printout of what `examine` found."""
    lines = ["Versions:"]
    lines += [f"  {name:<11} {version or '(not installed)'}"
              for name, version in examined["versions"].items()]
    lines.append(f"  executable  {sys.executable}")
    lines.append("Plugins (tfzoo list imports them):" if examined["plugins"] else
                 "Plugins: none installed.")
    lines += [f"  {plugin['plugin']:<11} {plugin['module']} from {plugin['distribution']} "
              f"{plugin['version']}" for plugin in examined["plugins"]]
    lines.append("Devices:")
    lines += [f"  {device['type']:<4} {device['name']}" for device in examined["devices"]]
    lines.append("Datasets:")
    for name, place in examined["datasets"].items():
        where = (place["found"] or f"not found; would download {place['download_from']} into "
                 f"{place['download_to']}")
        lines.append(f"  {name:<11} {where}")
    findings = examined["findings"]
    lines.append("Known traps:" if findings else "Known traps: none found.")
    for finding in findings:
        lines += [f"  [{finding.severity}] {finding.problem}", f"    fix: {finding.fix}"]
    return "\n".join(lines)
