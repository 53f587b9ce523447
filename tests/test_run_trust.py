"""Run directories are data: what is in one never runs as code, never names a file outside
it, and a damaged checkpoint falls back on an older one or stops with an error."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys

import pytest
from conftest import tfzoo_command

import tfzoo
from tfzoo import seeding
from tfzoo.runs.directory import RunDirectory
from tfzoo.tools.cli import main

# A pytest.ini and a plugin that a crafted run directory could carry: the plugin leaves a
# marker and ends the process, if anything ever runs pytest from the run directory.
PLANTED_INI = "[pytest]\naddopts = -p planted\npythonpath = .\n"
PLANTED_PLUGIN = "import os, pathlib\npathlib.Path({marker!r}).write_text('ran')\nos._exit(7)\n"


def unfinished_run(path, **settings):
    """A linear-regression run with checkpoints, made unfinished again so it can resume."""
    tfzoo.start_run("linear-regression", path=path, steps=3, progress=False,
                    checkpoint_seconds=0, **settings)
    (path / "summary.json").unlink()
    return path


def plant(run, tmp_path):
    marker = tmp_path / "code-ran"
    (run / "pytest.ini").write_text(PLANTED_INI)
    (run / "planted.py").write_text(PLANTED_PLUGIN.format(marker=str(marker)))
    return marker


def test_a_crafted_bit_generator_name_in_a_checkpoint_runs_no_code(tmp_path, monkeypatch):
    capture = seeding.capture

    def crafted(task):  # Names NumPy's test runner, which would read the planted pytest.ini.
        states = capture(task)
        return {**states, "task": {**states["task"], "bit_generator": "test"}}

    monkeypatch.setattr(seeding, "capture", crafted)
    run = unfinished_run(tmp_path / "run")
    monkeypatch.undo()
    marker = plant(run, tmp_path)

    done = subprocess.run(tfzoo_command("train", "--resume", ".", "--no-progress"), cwd=run,
                          capture_output=True, text=True, timeout=300)
    assert not marker.exists(), "the planted plugin ran"
    assert done.returncode == 2, done.stderr
    assert "names the bit generator 'test', not one of PCG64" in done.stderr


@pytest.mark.parametrize("field, value, message", [
    ("task", {"bit_generator": "test"}, "'task' names the bit generator 'test'"),
    ("action_space", {"bit_generator": "__import__"}, "'action_space' names the bit"),
    ("python", [3, [1, 2], None], "'python' is not in the format of random.getstate"),
    ("numpy", ["os.system", [], 0, 0, 0.0], "'numpy' is of kind 'os.system'"),
])
def test_random_states_are_checked_before_anything_is_restored(field, value, message):
    task = tfzoo.make("linear-regression")
    task.reset(seed=0)
    task.action_space.seed(1)
    states = seeding.to_json(seeding.capture(task))
    seeding.restore(task, states)  # The real states restore.
    with pytest.raises(ValueError, match=message):
        seeding.restore(task, {**states, field: value})


def finished_run(path):
    """A linear-regression run of 6 steps; it keeps checkpoints ckpt-5, ckpt-6 and ckpt-7."""
    tfzoo.start_run("linear-regression", path=path, steps=6, progress=False,
                    checkpoint_seconds=0)
    return path


def test_a_checkpoint_list_naming_files_outside_the_run_is_refused(tmp_path):
    run = finished_run(tmp_path / "run")
    (run / "summary.json").unlink()
    victim = tmp_path / "victim"
    victim.mkdir()
    for suffix in (".index", ".data-00000-of-00001"):
        (victim / f"ckpt-1{suffix}").write_text("someone else's file")
    listed = [str(victim / "ckpt-1"), "ckpt-5", "ckpt-6", "ckpt-7"]
    (run / "checkpoints" / "checkpoint").write_text(
        'model_checkpoint_path: "ckpt-7"\n'
        + "".join(f'all_model_checkpoint_paths: "{name}"\n' for name in listed)
        + "".join(f"all_model_checkpoint_timestamps: {2e9 + i}\n" for i in range(4))
        + "last_preserved_timestamp: 1.0\n")
    progress = (run / "progress.csv").read_bytes()

    with pytest.raises(tfzoo.RunDirectoryError, match=r"names the checkpoint '.*victim/ckpt-1'"):
        tfzoo.resume_run(run, progress=False)
    with pytest.raises(tfzoo.RunDirectoryError, match="delete that list file"):
        tfzoo.load_run(run)
    assert sorted(path.name for path in victim.iterdir()) == [
        "ckpt-1.data-00000-of-00001", "ckpt-1.index"]
    assert (run / "progress.csv").read_bytes() == progress


@pytest.mark.parametrize("damage", ["garbage list", "truncated data", "no index",
                                    "newest removed"])
def test_a_damaged_checkpoint_falls_back_on_the_newest_good_one(tmp_path, damage):
    run = finished_run(tmp_path / "run")
    (run / "summary.json").unlink()
    original = (run / "progress.csv").read_text().splitlines()
    checkpoints = run / "checkpoints"
    expected = "ckpt-7"  # The newest good checkpoint after the damage.
    if damage == "garbage list":
        (checkpoints / "checkpoint").write_bytes(b"\x00 not a checkpoint list {{")
    elif damage == "truncated data":
        data = checkpoints / "ckpt-7.data-00000-of-00001"
        data.write_bytes(data.read_bytes()[:10])
        expected = "ckpt-6"
    elif damage == "no index":
        (checkpoints / "ckpt-7.index").unlink()
        expected = "ckpt-6"
    else:
        for path in checkpoints.glob("ckpt-7.*"):
            path.unlink()
        expected = "ckpt-6"

    if expected == "ckpt-7":
        summary = tfzoo.resume_run(run, progress=False)
    else:
        with pytest.warns(tfzoo.RunDirectoryWarning, match=f"restored checkpoints/{expected}"):
            summary = tfzoo.resume_run(run, progress=False)
    assert summary["steps"] == 6  # It went on to the budget, not from scratch.
    rows = (run / "progress.csv").read_text().splitlines()
    assert len(rows) == 1 + 6
    # The rows the restored checkpoint holds (6 after ckpt-7, 5 after ckpt-6) are the
    # original ones, wall-clock seconds and all: nothing was trained again from scratch.
    kept = 1 + (6 if expected == "ckpt-7" else 5)
    assert rows[:kept] == original[:kept]
    if damage in ("truncated data", "no index"):
        assert list(checkpoints.glob("damaged-ckpt-7.*")), "the damaged files were not kept"


def test_when_no_checkpoint_restores_the_run_stops_and_nothing_is_written(tmp_path):
    run = finished_run(tmp_path / "run")
    (run / "summary.json").unlink()
    for data in (run / "checkpoints").glob("ckpt-*.data-*"):
        data.write_bytes(b"")
    def files():  # All but the training lock, which names the last process that trained.
        return {path: path.read_bytes() for path in run.rglob("*")
                if path.is_file() and path.name != ".lock"}

    before = files()
    done = subprocess.run(tfzoo_command("train", "--resume", str(run), "--no-progress"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "No checkpoint in" in done.stderr and "ckpt-7:" in done.stderr
    assert files() == before


def test_reading_a_run_writes_nothing_into_it(tmp_path):
    run = tmp_path / "run"  # A char-rnn run, so that generate and play --record work on it.
    tfzoo.start_run("char-rnn", path=run, preset="handbook", steps=3, progress=False,
                    agent_overrides={"units": 16, "jit_predictions": False})
    before = {path: path.stat().st_mtime_ns for path in run.rglob("*")}
    for path in [run, *run.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        for command in (["eval", str(run)], ["verify", str(run)],
                        ["play", str(run), "--record", str(tmp_path / "text.txt")],
                        ["generate", str(run), "--length", "20", "--seed", "0"]):
            assert main(command) == 0, command
    finally:
        for path in [run, *run.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert {path: path.stat().st_mtime_ns for path in run.rglob("*")} == before
    assert (tmp_path / "text.txt").stat().st_size > 0


@pytest.mark.parametrize("name", ["../checkpoints/ckpt-7", "/etc/passwd", ["ckpt-1-2"], None])
def test_best_json_names_only_a_checkpoint_in_best(tmp_path, name):
    run = finished_run(tmp_path / "run")
    (run / "best").mkdir()
    (run / "best" / "best.json").write_text(json.dumps(
        {"eval_return": 1.0, "steps": 6, "checkpoint": name}))
    with pytest.raises(tfzoo.RunDirectoryError, match="not a ckpt-STEPS-TIME file"):
        tfzoo.load_run(run, best=True)


def test_a_run_being_trained_refuses_a_second_trainer_until_its_holder_is_gone(tmp_path):
    run = finished_run(tmp_path / "run")
    (run / "summary.json").unlink()
    with RunDirectory.open(run).training_lock():
        done = subprocess.run(tfzoo_command("train", "--resume", str(run), "--no-progress"),
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert f"is being trained by process {os.getpid()} on" in done.stderr

    # A holder killed without a chance to clean up leaves no stale lock behind.
    holder = subprocess.run([sys.executable, "-c", (
        "import os, signal\nfrom tfzoo.runs.directory import RunDirectory\n"
        f"with RunDirectory.open({str(run)!r}).training_lock():\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n")], capture_output=True, timeout=300)
    assert holder.returncode == -signal.SIGKILL
    assert tfzoo.resume_run(run, progress=False)["steps"] == 6


@pytest.mark.parametrize("arguments, message", [
    (["cartpole-dqn", "--set", "render_mode=human"], "render_mode='human' cannot be drawn here"),
    (["linear-regression", "--set", "optimizer=function"], "Unknown optimizer 'function'"),
    (["linear-regression", "--set", "loss=function"], "loss='function' is not a Keras loss"),
    (["linear-regression", "--checkpoint-seconds", "nan"], "checkpoint_seconds=nan must be"),
    (["linear-regression", "--checkpoint-seconds", "-1"], "checkpoint_seconds=-1.0 must be"),
])
def test_bad_inputs_are_one_paragraph_errors_before_anything_is_written(
        tmp_path, capsys, arguments, message):
    if "render_mode=human" in arguments:
        pytest.importorskip("gymnasium.envs.classic_control")
        if importlib.util.find_spec("pygame") is not None:
            pytest.skip("pygame is installed here, so CartPole can be drawn")
    run = tmp_path / "run"
    # In this process: an exception that escaped `main` (a traceback) would fail the test.
    status = main(["train", *arguments, "--steps", "10", "--logdir", str(run), "--no-progress"])
    error = capsys.readouterr().err
    assert status == 2, error
    assert message in error and len(error.strip().splitlines()) == 1, error
    assert not run.exists()


def test_a_batch_larger_than_the_split_is_announced():
    with pytest.warns(tfzoo.TfzooWarning, match="batch_size=100000 is more than the 1200"):
        tfzoo.make("mnist-mlp", batch_size=100_000)


def test_a_resume_removes_what_interrupted_writes_left(tmp_path):
    run = finished_run(tmp_path / "run")
    (run / "summary.json").unlink()
    leftovers = [run / ".progress.csv.x1y2.tmp", run / "checkpoints" / "ckpt-8_temp"]
    leftovers[0].write_text("half a file")
    leftovers[1].mkdir()
    (leftovers[1] / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"half")
    tfzoo.resume_run(run, progress=False)
    assert not any(path.exists() for path in leftovers)
    assert (run / "checkpoints" / "ckpt-7.index").exists() and (run / "config.json").exists()


def test_tensorboard_does_not_show_episodes_twice_after_a_resume(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    run = finished_run(tmp_path / "run")
    (run / "summary.json").unlink()
    for path in [*(run / "checkpoints").glob("ckpt-[67].*")]:  # Back to after episode 5.
        path.unlink()
    with pytest.warns(tfzoo.RunDirectoryWarning):
        tfzoo.resume_run(run, progress=False)
    events = accumulator.EventAccumulator(str(run / "tensorboard"),
                                          size_guidance={accumulator.TENSORS: 0})
    events.Reload()
    steps = [event.step for event in events.Tensors("episode/return")]
    assert steps == [1, 2, 3, 4, 5, 6]
