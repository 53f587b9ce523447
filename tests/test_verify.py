"""`tfzoo train --deterministic` and `tfzoo verify`: runs replayed from config.json.

Each command runs in its own process: op determinism, once on, stays on in a process.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest


def tfzoo(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tfzoo.tools.cli", *arguments],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def deterministic_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("verify") / "run"
    done = tfzoo("train", "mnist-mlp", "--preset", "handbook", "--steps", "60", "--set",
                 "batch_size=20", "--seed", "3", "--deterministic", "--logdir", str(run_dir),
                 "--no-progress")
    assert done.returncode == 0, done.stderr
    return run_dir


def test_a_deterministic_run_reproduces_exactly_and_records_how_it_ran(deterministic_run):
    config = json.loads((deterministic_run / "config.json").read_text())
    assert config["deterministic"] is True and config["seed"] == 3
    assert config["machine"]["devices"] and config["machine"]["cpu_count"] >= 1
    assert {"tensorflow", "keras", "numpy", "gymnasium"} <= set(config["versions"])
    done = tfzoo("verify", str(deterministic_run))
    assert done.returncode == 0, done.stderr
    assert "match exactly" in done.stdout
    report = json.loads(done.stdout[: done.stdout.rindex("}") + 1])
    assert report["reproduced"] and report["exact"] and report["rows"] >= 1
    assert "loss" in report["columns"] and "seconds" not in report["columns"]


def test_a_run_that_does_not_reproduce_is_named(deterministic_run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(deterministic_run, copy)
    with open(copy / "progress.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    rows[0]["loss"] = str(float(rows[0]["loss"]) + 1e-7)  # A change no tolerance hides.
    with open(copy / "progress.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = tfzoo("verify", str(copy))
    assert done.returncode == 1
    assert "Does not reproduce (exactly was required): progress.csv episode 1 loss" in done.stderr


def test_verify_refuses_an_unfinished_or_timed_run(tmp_path):
    done = tfzoo("train", "linear-regression", "--max-seconds", "1", "--steps", "5",
                 "--logdir", str(tmp_path / "timed"), "--no-progress")
    assert done.returncode == 0, done.stderr
    done = tfzoo("verify", str(tmp_path / "timed"))
    assert done.returncode == 2 and "--max-seconds, which no re-run can repeat" in done.stderr


def test_a_run_without_determinism_is_compared_within_the_tolerance(tmp_path):
    import tfzoo
    from tfzoo.runs.verify import verify_run

    tfzoo.start_run("linear-regression", preset="handbook", path=tmp_path / "run", seed=0,
                    progress=False)
    report = verify_run(tmp_path / "run")
    assert report["reproduced"] and not report["exact"] and report["tolerance"] == 1e-4
    assert report["rows"] == 100
