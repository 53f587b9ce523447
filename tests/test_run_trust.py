"""Run directories are data: what is in one never runs as code, never names a file outside
it, and a damaged checkpoint falls back on an older one or stops with an error."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tfzoo
from tfzoo import seeding

# A pytest.ini and a plugin that a crafted run directory could carry: the plugin leaves a
# marker and ends the process, if anything ever runs pytest from the run directory.
PLANTED_INI = "[pytest]\naddopts = -p planted\npythonpath = .\n"
PLANTED_PLUGIN = "import os, pathlib\npathlib.Path({marker!r}).write_text('ran')\nos._exit(7)\n"


def tfzoo_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "tfzoo.tools.cli", *arguments]


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
