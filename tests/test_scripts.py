"""The narrated scripts in scripts/ run from start to end and print the chapter's figures.

Each runs as a user would run it, `python scripts/NAME.py`, in a fresh process; these need
no dataset. (The MNIST, char-rnn and CartPole scripts train for minutes on real data, and
the benchmarks longer: they are run by hand.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
TIMEOUT = 300  # Seconds; a script takes a few, most of them importing TensorFlow.

EXPECTED = {  # script: the lines its output must have (regular expressions)
    "linear_regression.py": [r"training MSE: 0\.1502\d\d"],
    "custom_layers.py": [
        r"MyLayer\.build\(input_shape=\(2, 3\)\)",
        r"  linear: training MSE 0\.1502\d\d",
        r"linear-layer: training MSE 0\.1502\d\d; w \[",
        r"largest difference between their weights: 0\.0e\+00",
    ],
    "graph_execution.py": [
        r"traced 1 time\(s\)",
        r"training MSE after 100 steps: 0\.1502",
        *(rf"{mode}: training MSE 0\.1502\d\d" for mode in ("eager", "compiled", "jit")),
        r"in a graph: AttributeError: .*numpy",
        r"CharLSTM, windows of any length: 1 graph",
        r"RNN, windows of any length: TypeError",
    ],
}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_a_narrated_script_runs_and_prints_the_chapter_figures(script):
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / script)], capture_output=True, text=True,
        timeout=TIMEOUT, cwd=SCRIPTS.parent, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for pattern in EXPECTED[script]:
        assert re.search(pattern, done.stdout), f"{pattern!r} not in:\n{done.stdout}"
