"""The `tfzoo` command's first seconds: mistakes answered before TensorFlow is imported, and
no TensorFlow start-up chatter on stderr (other lines kept)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import tfzoo_command

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
        tfzoo_command("train", "cartpole-dqn", "--steps", "20", "--set", "learning_starts=10",
                      "--logdir", str(tmp_path / "run"), "--no-progress"),
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


def test_names_read_from_source_are_those_the_constructors_take():
    import tfzoo
    from tfzoo.config import declared_names, load, parameter_hints

    entry_points = [*(task.entry_point for task in tfzoo.registry.values()),
                    *(agent.config for agent in tfzoo.agent_registry.values())]
    for entry_point in entry_points:
        assert declared_names(entry_point) == set(parameter_hints(load(entry_point)))
    assert declared_names(lambda **settings: None) is None  # Not an entry point.
    assert declared_names("tfzoo.envs.cartpole:nothing_of_that_name") is None


CHECK_WITHOUT_TENSORFLOW = """
import sys
from tfzoo.tools.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exit:
    status = exit.code
print("exit", status, "tensorflow imported:", "tensorflow" in sys.modules)
"""


def test_the_command_answers_help_list_and_mistyped_names_without_tensorflow():
    for arguments, status, said in [
        (["--help"], 0, "usage: tfzoo"),
        (["list"], 0, "mnist-cnn"),
        (["train", "mnist-cn"], 2, "Did you mean 'mnist-cnn'"),
        (["train", "mnist-mlp", "--set", "nonsense=1"], 2, "Unknown setting 'nonsense'"),
        (["train", "mnist-mlp", "--preset", "handbok"], 2, "Did you mean 'handbook'"),
    ]:
        done = subprocess.run([sys.executable, "-c", CHECK_WITHOUT_TENSORFLOW, *arguments],
                              capture_output=True, text=True, timeout=300)
        assert f"exit {status} tensorflow imported: False" in done.stdout, done.stderr
        assert said in done.stdout + done.stderr
