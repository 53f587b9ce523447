"""The `versions` section of scripts/benchmark.py: this checkout's speed against another's.

Title: tfzoo against another version of itself
Description: The same training runs timed in two checkouts of tfzoo, interleaved in pairs,
to tell whether a change made tfzoo faster or slower.

    python scripts/benchmark.py versions --against /work/baseline --pairs 5 --data-dir DIR

"new" is the checkout this script lives in, run by the Python running it; "old" is the
checkout `--against DIR`, run by the Python of its own virtual environment, DIR/.venv.
Each pair runs a measurement (`versions_measure.py`) in a fresh process of each: new then
old in even pairs, old then new in odd ones, so that a machine growing slower or faster
during the run weighs on both alike. Pair `i` trains from seed `--seeds[i % len(seeds)]`,
the same for both. The table gives each side's median steps per second and the median of
the per-pair ratios new/old: above 1, the new checkout is faster.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEASURE = HERE / "versions_measure.py"
LABELS = {"mnist-mlp": "mnist-mlp handbook steps/s",
          "cartpole-dqn": "cartpole-dqn default env steps/s"}
RUNS = list(LABELS)
DEFAULT_RUNS, DEFAULT_SEEDS = RUNS, [0]


def checkout(root: Path, python: Path) -> dict:
    """Where a checkout is, the Python that runs it, and its git commit."""
    def git(*command: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *command], capture_output=True,
                              text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {"path": str(root), "python": str(python), "commit": git("rev-parse", "HEAD"),
            "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no"))}


def checkouts(against: str) -> dict:
    """The new checkout (this one) and the old one (`--against`), each with its Python."""
    other = Path(against).resolve()
    python = other / ".venv" / "bin" / "python"
    if not python.is_file():
        raise SystemExit(f"--against {against}: no {python}; that checkout needs its own "
                         f"venv with tfzoo installed (python3 -m venv .venv && "
                         f".venv/bin/pip install -e .)")
    return {"new": checkout(HERE.parents[1], Path(sys.executable)),
            "old": checkout(other, python)}


def measure(side: dict, measurement: str, seed: int, data_dir: str | None) -> dict:
    """Runs one measurement in a fresh process of `side`'s Python; its figures."""
    command = [side["python"], "-I", str(MEASURE), measurement, "--seed", str(seed)]
    if data_dir is not None:
        command += ["--data-dir", str(Path(data_dir).resolve())]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get(
        "TF_CPP_MIN_LOG_LEVEL", "2")}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=side["path"], capture_output=True, text=True,
                          env=environment)
    process_seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("measurement: ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n"
                         f"{done.stderr[-3000:]}")
    result = json.loads(lines[-1].removeprefix("measurement: "))
    if not Path(result["tfzoo"]).resolve().is_relative_to(side["path"]):
        raise SystemExit(f"{side['python']} imports tfzoo from {result['tfzoo']}, not from "
                         f"{side['path']}: install that checkout in it with pip install -e.")
    return {**result, "process_seconds": process_seconds,
            "steps_per_second": result["steps"] / result["seconds"]}


def section(arguments) -> dict:
    """Runs `arguments.pairs` pairs of every measurement of `arguments.runs`, interleaved."""
    sides = checkouts(arguments.against)
    records = []
    for pair in range(arguments.pairs):
        seed = arguments.seeds[pair % len(arguments.seeds)]
        order = ("new", "old") if pair % 2 == 0 else ("old", "new")
        for measurement in arguments.runs:
            for position, name in enumerate(order):
                result = measure(sides[name], measurement, seed, arguments.data_dir)
                records.append({"measurement": measurement, "pair": pair, "side": name,
                                "position": position, "seed": seed, **result})
                print(f"  pair {pair} {measurement:<13} {name}: {result['steps']} steps in "
                      f"{result['seconds']:.1f} s ({result['steps_per_second']:.0f}/s; "
                      f"{result['process_seconds']:.1f} s with startup)", flush=True)
    for name, side in sides.items():
        side["tensorflow"] = next(r["tensorflow"] for r in records if r["side"] == name)
    return {"checkouts": sides, "records": records, "summary": summarise(records)}


def summarise(records) -> list[dict]:
    """Per measurement: each side's median steps per second and the per-pair ratios new/old."""
    rows = []
    for measurement in dict.fromkeys(r["measurement"] for r in records):
        speed = {(r["pair"], r["side"]): r["steps_per_second"] for r in records
                 if r["measurement"] == measurement}
        pairs = sorted({pair for pair, _ in speed})
        ratios = [speed[pair, "new"] / speed[pair, "old"] for pair in pairs]
        rows.append({
            "run": measurement, "measurement": LABELS[measurement], "pairs": len(pairs),
            "new_median": statistics.median(speed[pair, "new"] for pair in pairs),
            "old_median": statistics.median(speed[pair, "old"] for pair in pairs),
            "ratios": ratios, "median_ratio": statistics.median(ratios),
        })
    return rows


def describe(side: dict) -> str:
    commit = side["commit"][:7] or "not a git checkout"
    changes = ", uncommitted changes" if side["uncommitted_changes"] else ""
    return f"{side['path']} ({commit}{changes}; TensorFlow {side['tensorflow']})"


def print_table(results) -> None:
    sides = results["checkouts"]
    print(f"\nnew: {describe(sides['new'])}\nold: {describe(sides['old'])}")
    print(f"\n{'measurement':<34} {'new':>8} {'old':>8} {'new/old':>8}  new/old per pair")
    for row in results["summary"]:
        ratios = " ".join(f"{ratio:.3f}" for ratio in row["ratios"])
        print(f"{row['measurement']:<34} {row['new_median']:>8.0f} {row['old_median']:>8.0f} "
              f"{row['median_ratio']:>8.3f}  {ratios}")
    print("(medians over the pairs; new/old is the median of the per-pair ratios, above 1 "
          "when new is faster)")
