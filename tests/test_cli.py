"""The `tfzoo` command: run directories, resuming after a kill, Ctrl-C, and error paths."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import fail_learning_at, tfzoo_command

import tfzoo
from tfzoo.tools.cli import main

# A run whose weights depend on every step and on the task's shuffling: batches of one
# sample, reshuffled each episode from the task's random state.
SHUFFLED = ["--set", "batch_size=1", "--set", "shuffle=True", "--preset", "handbook"]


def final_weights(run_dir) -> list[np.ndarray]:
    _, agent, _ = tfzoo.load_run(run_dir)
    return agent.model.get_weights()


def test_train_writes_a_complete_run_directory(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", "linear-regression", "--preset", "handbook", "--seed", "3",
                 "--logdir", str(run_dir), "--no-progress"]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary == json.loads(capsys.readouterr().out)
    assert {"task", "preset", "seed", "steps", "episodes", "wall_seconds", "eval_return"} <= set(
        summary)
    assert (summary["task"], summary["preset"], summary["seed"]) == (
        "linear-regression", "handbook", 3)
    assert summary["steps"] == 100 and summary["eval_return"] == pytest.approx(-0.1502, abs=1e-4)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["agent_config"]["learning_rate"] == 0.01 and config["seed"] == 3
    assert {"python", "tensorflow", "keras", "numpy", "gymnasium"} <= set(config["versions"])
    with open(run_dir / "progress.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 100 and float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert list(rows[0])[:4] == ["episode", "steps", "return", "length"]
    assert any(name.startswith("events.out.tfevents") for name in
               os.listdir(run_dir / "tensorboard"))
    assert (run_dir / "checkpoints" / "checkpoint").exists()
    # `tfzoo eval` re-evaluates the saved agent to the same score.
    assert main(["eval", str(run_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["eval_return"] == pytest.approx(
        summary["eval_return"], abs=1e-9)


def test_set_overrides_reach_the_task_and_the_agent(tmp_path, capsys):
    run_dir = tmp_path / "run"
    main(["train", "linear-regression", "--steps", "4", "--seed", "0", "--logdir", str(run_dir),
          "--set", "batch_size=1", "--set", "agent.learning_rate=0.001", "--no-progress"])
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_kwargs"]["batch_size"] == 1
    assert config["agent_config"]["learning_rate"] == 0.001
    assert config["budget"]["steps"] == 4
    assert json.loads(capsys.readouterr().out)["episodes"] == 2


def test_max_seconds_stops_training_and_still_evaluates(tmp_path, capsys):
    # What a run learns in a wall-clock budget depends on the machine's speed and load, so
    # this asserts only the stop, the budget and that the evaluation ran.
    run_dir = tmp_path / "run"
    main(["train", "linear-regression", "--steps", "100000000", "--max-seconds", "0.5",
          "--logdir", str(run_dir), "--no-progress"])
    summary = json.loads(capsys.readouterr().out)
    budget = json.loads((run_dir / "config.json").read_text())["budget"]
    assert summary["stopped_by"] == "max_seconds"
    assert 0 < summary["steps"] < budget["steps"]  # The clock stopped it, not the steps...
    assert summary["wall_seconds"] >= budget["max_seconds"]  # ...and not before its time.
    assert summary["eval_episodes"] == 1 and np.isfinite(summary["eval_return"])
    with open(run_dir / "progress.csv") as file:
        assert int(list(csv.DictReader(file))[-1]["steps"]) == summary["steps"]


def test_a_run_killed_half_way_resumes_to_the_same_weights(tmp_path, capsys):
    steps = 1500
    reference = tmp_path / "reference"
    assert main(["train", "linear-regression", *SHUFFLED, "--seed", "5", "--steps", str(steps),
                 "--logdir", str(reference), "--no-progress"]) == 0

    killed = tmp_path / "killed"
    process = subprocess.Popen(
        tfzoo_command("train", "linear-regression", *SHUFFLED, "--seed", "5", "--steps",
                      str(steps), "--logdir", str(killed), "--checkpoint-seconds", "0.05",
                      "--no-progress"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        steps_done = wait_for_progress(killed, process, at_least=steps // 4)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert steps_done < steps, "the run was killed before its end"
    assert not (killed / "summary.json").exists()

    capsys.readouterr()
    assert main(["train", "--resume", str(killed), "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == steps
    with open(killed / "progress.csv") as file:
        episodes = [int(row["episode"]) for row in csv.DictReader(file)]
    assert episodes == list(range(1, steps // 2 + 1))  # no row lost, none repeated
    for mine, theirs in zip(final_weights(killed), final_weights(reference), strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)


def wait_for_progress(run_dir: Path, process, at_least: int, timeout: float = 120) -> int:
    """Waits until a checkpoint past `at_least` steps is on disk; returns its step count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be killed"
        progress = run_dir / "progress.csv"
        if progress.exists():
            with open(progress) as file:
                rows = list(csv.DictReader(file))
            if rows and int(rows[-1]["steps"]) >= at_least:
                return int(rows[-1]["steps"])
        time.sleep(0.05)
    raise TimeoutError("the run made no progress")


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        tfzoo_command("train", "linear-regression", "--steps", "100000000", "--logdir",
                      str(run_dir), "--no-progress", "--checkpoint-seconds", "1000"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not (run_dir / "tensorboard").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"tfzoo train --resume {run_dir}" in stderr and "Traceback" not in stderr
    assert (run_dir / "checkpoints" / "checkpoint").exists()
    with open(run_dir / "progress.csv") as file:
        assert len(list(csv.DictReader(file))) > 0
    assert not [name for name in os.listdir(run_dir) if name.endswith(".tmp")]


def finished_run(tmp_path, capsys):
    """A finished two-step linear-regression run; its output is swallowed."""
    run_dir = tmp_path / "run"
    assert main(["train", "linear-regression", "--steps", "2", "--logdir", str(run_dir),
                 "--no-progress"]) == 0
    capsys.readouterr()
    return run_dir


def run_cli_error(capsys, *arguments: str) -> str:
    assert main(list(arguments)) == 2
    error = capsys.readouterr().err
    assert error.startswith("tfzoo: error: ") and "Traceback" not in error
    assert error.count("\n") == 1, "one paragraph"
    return error


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "linear-regresion"], "Did you mean 'linear-regression'"),
        (["train", "linear-regression", "--preset", "fast"], "Unknown preset 'fast'"),
        (["train", "linear-regression", "--set", "learning_rat=1"],
         "Unknown setting 'learning_rat'.*Did you mean 'learning_rate'"),
        (["train", "linear-regression", "--set", "learning_rate=fast"],
         "learning_rate='fast'.*takes float"),
        (["train", "linear-regression", "--set", "learning_rate"], "not of the form key=value"),
        (["train"], "needs a task id"),
        (["train", "linear-regression", "--resume", "somewhere"], "cannot be combined with ID"),
    ],
)
def test_bad_arguments_get_a_one_paragraph_error(capsys, arguments, message):
    assert re.search(message, run_cli_error(capsys, *arguments))


def test_resume_of_a_directory_that_is_not_a_run(tmp_path, capsys):
    error = run_cli_error(capsys, "train", "--resume", str(tmp_path))
    assert "is not a tfzoo run directory: it has no config.json" in error
    error = run_cli_error(capsys, "eval", str(tmp_path / "missing"))
    assert "is not a tfzoo run directory" in error


def test_a_corrupted_config_is_named_with_the_fix(tmp_path, capsys):
    run_dir = finished_run(tmp_path, capsys)
    config = run_dir / "config.json"
    config.write_text(config.read_text()[:-20])
    error = run_cli_error(capsys, "eval", str(run_dir))
    assert "config.json cannot be read as JSON" in error and "restore it" in error
    config.write_text(json.dumps({"format": 1, "task": "linear-regression"}))
    error = run_cli_error(capsys, "eval", str(run_dir))
    assert "is damaged: 'preset' is missing" in error


def test_a_finished_run_is_not_resumed_and_never_overwritten(tmp_path, capsys):
    run_dir = finished_run(tmp_path, capsys)
    assert "already finished" in run_cli_error(capsys, "train", "--resume", str(run_dir))
    before = (run_dir / "config.json").read_text()
    error = run_cli_error(capsys, "train", "linear-regression", "--logdir", str(run_dir))
    assert "never writes over earlier work" in error
    assert (run_dir / "config.json").read_text() == before


def test_list_prints_every_task(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(task_id in out for task_id in tfzoo.registry)


def test_ctrl_c_inside_an_episode_resumes_reproducibly(tmp_path, monkeypatch):
    import shutil

    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        fail_learning_at(patch, 15, KeyboardInterrupt())  # inside the 8th episode of 2 steps
        with pytest.raises(tfzoo.errors.RunInterrupted):
            tfzoo.start_run("linear-regression", path=run_dir, preset="handbook", seed=2,
                            steps=60, task_overrides={"batch_size": 1, "shuffle": True},
                            progress=False)
    with open(run_dir / "progress.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["length"] for row in rows][-1] == "1", "the cut episode is recorded"
    assert rows[-1]["terminated"] == rows[-1]["truncated"] == "False"
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    (copy / "progress.csv").unlink()  # progress.csv is rebuilt from the checkpoint
    summaries = [tfzoo.resume_run(path, progress=False) for path in (run_dir, copy)]
    assert summaries[0]["steps"] == summaries[1]["steps"] == 60
    for mine, theirs in zip(final_weights(run_dir), final_weights(copy), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    with open(copy / "progress.csv") as file:
        steps = [int(row["steps"]) for row in csv.DictReader(file)]
    assert steps[:len(rows)] == [int(row["steps"]) for row in rows] and steps[-1] == 60
    assert steps == sorted(steps) and len(set(steps)) == len(steps)


def test_a_diverging_run_stops_with_advice_and_keeps_no_broken_checkpoint(tmp_path, capsys):
    run_dir = tmp_path / "run"
    error = run_cli_error(capsys, "train", "linear-regression", "--preset", "handbook",
                          "--set", "learning_rate=10.0", "--steps", "100", "--logdir",
                          str(run_dir), "--no-progress")
    assert "Training diverged" in error and "Lower the learning rate (now 10)" in error
    assert not (run_dir / "checkpoints").exists()


@pytest.mark.parametrize("flags, message", [
    (["--seed", "-1"], "seed=-1 is not a seed"),
    (["--seed", str(2**32)], "is not a seed"),
    (["--steps", "-5"], "steps=-5 must be a whole number >= 0"),
    (["--set", "batch_size=0"], "batch_size=0 must be a whole number >= 1"),
])
def test_bad_settings_fail_before_a_run_directory_is_made(tmp_path, capsys, flags, message):
    run_dir = tmp_path / "run"
    error = run_cli_error(capsys, "train", "linear-regression", "--logdir", str(run_dir), *flags)
    assert message in error
    assert not run_dir.exists()


def test_an_unwritable_logdir_is_a_one_paragraph_error(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    error = run_cli_error(capsys, "train", "linear-regression", "--logdir",
                          str(tmp_path / "file" / "run"))
    assert "Cannot create the run directory" in error


def test_config_records_every_task_setting_and_refuses_objects(tmp_path):
    import keras

    run_dir = tmp_path / "run"
    tfzoo.start_run("linear-regression", path=run_dir, steps=1, progress=False)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_kwargs"] == {"batch_size": None, "shuffle": False, "render_mode": None}
    with pytest.raises(tfzoo.ConfigError, match="model=Sequential is not JSON"):
        tfzoo.start_run("linear-regression", path=tmp_path / "other", steps=1, progress=False,
                        agent_overrides={"model": keras.Sequential([keras.layers.Dense(1)])})
    assert not (tmp_path / "other").exists()


def test_a_damaged_checkpoint_or_budget_is_a_one_paragraph_error(tmp_path, capsys):
    run_dir = finished_run(tmp_path, capsys)
    config_path = run_dir / "config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "budget": {**config["budget"], "steps": "2"}}))
    assert "its budget is wrong" in run_cli_error(capsys, "eval", str(run_dir))
    config_path.write_text(json.dumps(config))
    for index in (run_dir / "checkpoints").glob("*.index"):
        index.write_bytes(b"garbage")
    assert "No checkpoint in" in run_cli_error(capsys, "eval", str(run_dir))


def test_files_written_atomically_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    run_dir = tmp_path / "run"
    assert main(["train", "linear-regression", "--steps", "3", "--logdir", str(run_dir),
                 "--no-progress"]) == 0
    for name in ("config.json", "progress.csv", "summary.json"):  # Not mkstemp's private 0600.
        assert (run_dir / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_help_and_list_answer_without_importing_tensorflow():
    for command in (["--help"], ["list"]):
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from tfzoo.tools.cli import main\n"
             f"try:\n    main({command!r})\nexcept SystemExit:\n    pass\n"
             "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'"],
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
