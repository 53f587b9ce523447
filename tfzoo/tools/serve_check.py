"""`tfzoo serve-check`: loads an exported artifact in a fresh Python process where tfzoo and
Gymnasium cannot be imported (tfzoo/tools/serve_check_child.py), calls each signature on
sample inputs, and prints the signatures and their latency per call."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from tfzoo.errors import ExportError

CHILD = Path(__file__).with_name("serve_check_child.py")


def signature_line(name: str, signature: dict[str, dict[str, str]]) -> str:
    """"  name(input: dtype (shape), ...) -> output: dtype (shape), ..." for a signature as
    `tfzoo.runs.exports.signature_texts` and the serve-check process describe it."""
    inputs = ", ".join(f"{key}: {text}" for key, text in signature["inputs"].items())
    outputs = ", ".join(f"{key}: {text}" for key, text in signature["outputs"].items())
    return f"  {name}({inputs}) -> {outputs}"


def serve_check(arguments: argparse.Namespace) -> int:
    """Checks the SavedModel at `arguments.path` as its user would load it; prints a report."""
    path = Path(arguments.path)
    if not (path / "saved_model.pb").is_file():
        raise ExportError(f"{str(path)!r} is not a SavedModel directory (it has no "
                          f"saved_model.pb): pass a directory that `tfzoo export` wrote with "
                          f"--format saved_model.")
    if arguments.calls < 1:
        raise ExportError(f"--calls {arguments.calls}: time at least 1 call.")
    done = subprocess.run([sys.executable, str(CHILD), str(path), str(arguments.calls)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        last_lines = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ExportError(f"The artifact {str(path)!r} did not load or run in a process "
                          f"without tfzoo:\n{last_lines}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{path}: loaded by TensorFlow {report['tensorflow']} in a fresh process where "
          f"tfzoo and gymnasium cannot be imported; each signature called {arguments.calls} "
          f"times on a batch of one sample input.")
    for name, signature in report["signatures"].items():
        print(signature_line(name, signature))
        print(f"      p50 {signature['p50_seconds'] * 1e6:.0f} us, "
              f"p99 {signature['p99_seconds'] * 1e6:.0f} us per call")
    return 0
