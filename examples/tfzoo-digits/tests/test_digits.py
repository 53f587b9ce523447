"""The digits plugin: its task keeps tfzoo's contracts, tfzoo's supervised agent learns it, and
the `tfzoo` command finds it once the package is installed (pip install -e examples/tfzoo-digits).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tfzoo_digits  # noqa: F401  Not found? Install the plugin: pip install -e examples/tfzoo-digits

import tfzoo
from tfzoo.testing import InterruptAt, check_agent, check_task
from tfzoo.tools.cli import main


def test_digits_keeps_the_task_contracts():
    check_task("digits")
    check_task("digits", split="test", batch_size=None)


def test_the_supervised_agent_learns_digits():
    report = check_agent("supervised", "digits", preset="quick", steps=200)
    assert report["after"] > 0.8  # Test accuracy after 200 batches; a tenth is chance.


def test_the_split_is_stratified_and_set_by_its_seed():
    def split(name, seed):
        task = tfzoo.make("digits", split=name, split_seed=seed)
        return task.inputs.reshape(len(task.inputs), -1), task.targets

    (train, train_labels), (test, test_labels) = split("train", 0), split("test", 0)
    assert len(train) + len(test) == 1797 and len(test) == 450
    every = np.bincount(np.concatenate([train_labels, test_labels]))
    assert np.all(np.abs(np.bincount(test_labels) - every * 0.25) <= 1)  # Each digit's share.
    assert np.array_equal(split("test", 0)[0], test)
    assert not np.array_equal(split("test", 1)[0], test)


def test_bad_settings_are_refused_naming_the_fix():
    with pytest.raises(tfzoo.ConfigError, match=r"test_fraction=1\.5 must be between 0 and 1"):
        tfzoo.make("digits", test_fraction=1.5)


def test_the_tfzoo_command_trains_evaluates_and_resumes_digits(tmp_path, capsys):
    run = tmp_path / "run"
    trained = subprocess.run(
        [sys.executable, "-m", "tfzoo.tools.cli", "train", "digits", "--preset", "quick",
         "--seed", "0", "--logdir", str(run), "--no-progress"],
        capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["eval_return"] > 0.8
    config = json.loads((run / "config.json").read_text())
    assert config["sources"]["task"]["distribution"] == "tfzoo-digits"

    assert main(["eval", str(run)]) == 0
    assert json.loads(capsys.readouterr().out)["eval_return"] == summary["eval_return"]

    stopped = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        tfzoo.start_run("digits", preset="quick", seed=0, path=stopped, progress=False,
                        callbacks=[InterruptAt(50)])
    assert main(["train", "--resume", str(stopped), "--no-progress"]) == 0
    resumed = json.loads((stopped / "summary.json").read_text())
    assert resumed["steps"] == 200 and resumed["eval_return"] > 0.8
