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
    """Checks the artifact at `arguments.path` (a SavedModel, a .tflite or a .keras file) as
    its user would load it; prints a report."""
    path = Path(arguments.path)
    artifact = ((path / "saved_model.pb").is_file()
                or (path.is_file() and path.suffix in (".tflite", ".keras")))
    if not artifact:
        raise ExportError(f"{str(path)!r} is not an artifact that `tfzoo export` writes: not a "
                          f"SavedModel directory (with a saved_model.pb), nor a .tflite or "
                          f".keras file. Pass the PATH that `tfzoo export -o PATH` wrote.")
    if arguments.calls < 1:
        raise ExportError(f"--calls {arguments.calls}: time at least 1 call.")
    done = subprocess.run([sys.executable, str(CHILD), str(path), str(arguments.calls)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        last_lines = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ExportError(f"The artifact {str(path)!r} did not load or run in a process "
                          f"without tfzoo:\n{last_lines}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{path}: loaded by {report['runtime']} in a fresh process where "
          f"tfzoo and gymnasium cannot be imported; each signature called {arguments.calls} "
          f"times on a batch of one sample input.")
    for name, signature in report["signatures"].items():
        print(signature_line(name, signature))
        print(f"      p50 {signature['p50_seconds'] * 1e6:.0f} us, "
              f"p99 {signature['p99_seconds'] * 1e6:.0f} us per call")
    return 0
