"""The `tfzoo` command's start: no TensorFlow start-up chatter on stderr, real lines kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tfzoo.tools.startup import STARTUP_CHATTER, without_chatter

# What TensorFlow 2.21 writes while it is imported and probes a CPU machine's devices.
CHATTER = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796161306.515324   14394 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.
I0000 00:00:1796161306.515826   14394 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1796161306.625469   14394 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1796161310.722066   14394 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
"""  # noqa: E501


def test_only_the_start_up_chatter_is_dropped():
    real = ("E0000 00:00:1796161310.7 12 op_kernel.cc:1840] OP_REQUIRES failed: out of memory\n"
            "/work/x.py:3: UserWarning: something the user should read\n")
    assert without_chatter(CHATTER + real) == real
    assert all(STARTUP_CHATTER.search(line) for line in CHATTER.splitlines())


def train_cartpole(tmp_path, environment: dict[str, str]) -> str:
    """The stderr of a short `tfzoo train cartpole-dqn` in a fresh process with `environment`."""
    done = subprocess.run(
        [sys.executable, "-m", "tfzoo.tools.cli", "train", "cartpole-dqn", "--steps", "20",
         "--set", "learning_starts=10", "--logdir", str(tmp_path / "run"), "--no-progress"],
        capture_output=True, text=True, timeout=300, env=environment)
    assert done.returncode == 0, done.stderr
    return done.stderr


def chatter_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if STARTUP_CHATTER.search(line)]


def test_tfzoo_train_writes_no_tensorflow_start_up_lines(tmp_path):
    plain = {name: value for name, value in os.environ.items()
             if name not in ("TF_CPP_MIN_LOG_LEVEL", "TFZOO_TF_LOGS")}
    assert chatter_lines(train_cartpole(tmp_path / "quiet", plain)) == []
    shown = chatter_lines(train_cartpole(tmp_path / "shown", {**plain, "TFZOO_TF_LOGS": "1"}))
    if not shown:
        pytest.skip("this TensorFlow build writes no start-up lines to hold back")
