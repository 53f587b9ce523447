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
the per-pair ratios new/old: above 1, the new checkout is faster. It also gives the ratios
of steps per CPU second, which the hypervisor's steal (CPU time given to other machines,
printed too) disturbs less than wall-clock time.

Fresh processes include what a user waits for (start-up, compiling), but a pair of them
spans half a minute, over which this kind of machine's speed drifts by 10-30%. So the
section also times warm steps (`--chunks`): one process of each checkout trains once to
compile everything, then the two take turns training short chunks (about half a second),
and the table gives the median of the per-chunk-pair ratios and their quartiles.
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
CHUNK_STEPS = {"mnist-mlp": 300, "cartpole-dqn": 1000}  # About half a second each.
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
    return {**with_speeds(result), "process_seconds": process_seconds}


def with_speeds(result: dict) -> dict:
    """A measurement with its steps per second and per CPU second."""
    return {**result, "steps_per_second": result["steps"] / result["seconds"],
            "steps_per_cpu_second": result["steps"] / result["cpu_seconds"]}


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
                steal = result["steal_share"]
                print(f"  pair {pair} {measurement:<13} {name}: {result['steps']} steps in "
                      f"{result['seconds']:.1f} s ({result['steps_per_second']:.0f}/s; "
                      f"{result['cpu_seconds']:.1f} CPU s; {result['process_seconds']:.1f} s "
                      f"with startup; steal {'-' if steal is None else f'{steal:.0%}'})",
                      flush=True)
    for name, side in sides.items():
        side["tensorflow"] = next(r["tensorflow"] for r in records if r["side"] == name)
    chunks = [chunk for measurement in arguments.runs for chunk in warm_chunks(
        sides, measurement, arguments.seeds[0], arguments.data_dir, arguments.chunks)]
    return {"checkouts": sides, "records": records, "summary": summarise(records),
            "chunks": chunks, "warm_summary": summarise(chunks) if chunks else []}


def warm_chunks(sides: dict, measurement: str, seed: int, data_dir: str | None,
                chunks: int) -> list[dict]:
    """Warm steps, timed in `chunks` pairs of short chunks: both checkouts' processes stay
    up, compiled, and take turns, so that the machine's speed, which drifts over seconds,
    is nearly the same for the two chunks of a pair."""
    if chunks <= 0:
        return []
    processes = {}
    for name in ("new", "old"):  # One at a time: the warm-ups must not share the cores.
        processes[name] = start_warm(sides[name], measurement, seed, data_dir)
    records = []
    try:
        for pair in range(chunks):
            order = ("new", "old") if pair % 2 == 0 else ("old", "new")
            for position, name in enumerate(order):
                process = processes[name]
                process.stdin.write("go\n")
                process.stdin.flush()
                result = with_speeds(json.loads(read_line(process, "measurement: ")))
                records.append({"measurement": measurement, "pair": pair, "side": name,
                                "position": position, **result})
        print(f"  {measurement}: {chunks} pairs of warm chunks of {CHUNK_STEPS[measurement]} "
              f"steps", flush=True)
    finally:
        for process in processes.values():
            process.stdin.close()
            process.wait(timeout=60)
    return records


def start_warm(side: dict, measurement: str, seed: int, data_dir: str | None):
    """A process of `side` that has trained `measurement` once and waits for chunks."""
    command = [side["python"], "-I", str(MEASURE), measurement, "--seed", str(seed),
               "--chunk-steps", str(CHUNK_STEPS[measurement])]
    if data_dir is not None:
        command += ["--data-dir", str(Path(data_dir).resolve())]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen(command, cwd=side["path"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=environment)
    read_line(process, "ready: ")
    return process


def read_line(process, prefix: str) -> str:
    """The rest of the next line of `process`'s output that starts with `prefix`."""
    for line in process.stdout:
        if line.startswith(prefix):
            return line.removeprefix(prefix)
    raise SystemExit(f"{' '.join(process.args)} stopped (exit {process.wait()}) before "
                     f"printing {prefix!r}.")


def summarise(records) -> list[dict]:
    """Per measurement: each side's median steps per second and the per-pair ratios new/old."""
    rows = []
    for measurement in dict.fromkeys(r["measurement"] for r in records):
        mine = [r for r in records if r["measurement"] == measurement]
        speed = {(r["pair"], r["side"]): r["steps_per_second"] for r in mine}
        cpu_speed = {(r["pair"], r["side"]): r["steps_per_cpu_second"] for r in mine}
        pairs = sorted({pair for pair, _ in speed})
        ratios = [speed[pair, "new"] / speed[pair, "old"] for pair in pairs]
        cpu_ratios = [cpu_speed[pair, "new"] / cpu_speed[pair, "old"] for pair in pairs]
        steals = [r["steal_share"] for r in mine if r.get("steal_share") is not None]
        rows.append({
            "run": measurement, "measurement": LABELS[measurement], "pairs": len(pairs),
            "new_median": statistics.median(speed[pair, "new"] for pair in pairs),
            "old_median": statistics.median(speed[pair, "old"] for pair in pairs),
            "ratios": ratios, "median_ratio": statistics.median(ratios),
            "cpu_ratios": cpu_ratios, "median_cpu_ratio": statistics.median(cpu_ratios),
            "median_steal_share": statistics.median(steals) if steals else None,
            "max_steal_share": max(steals) if steals else None,
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
        cpu_ratios = " ".join(f"{ratio:.3f}" for ratio in row["cpu_ratios"])
        print(f"{'  the same per CPU second':<52} {row['median_cpu_ratio']:>8.3f}  {cpu_ratios}")
    print("(medians over the pairs; new/old is the median of the per-pair ratios, above 1 "
          "when new is faster)")
    if results.get("warm_summary"):
        print(f"\n{'warm steps, alternating chunks':<34} {'new':>8} {'old':>8} {'new/old':>8}  "
              f"pairs, spread of the ratios (quartiles)")
        for row in results["warm_summary"]:
            low, _, high = statistics.quantiles(row["ratios"], n=4)
            cpu_low, _, cpu_high = statistics.quantiles(row["cpu_ratios"], n=4)
            print(f"{row['measurement']:<34} {row['new_median']:>8.0f} "
                  f"{row['old_median']:>8.0f} {row['median_ratio']:>8.3f}  {row['pairs']}, "
                  f"{low:.3f}-{high:.3f}")
            print(f"{'  the same per CPU second':<52} {row['median_cpu_ratio']:>8.3f}  "
                  f"{row['pairs']}, {cpu_low:.3f}-{cpu_high:.3f}")
    steals = [row["max_steal_share"] for row in results["summary"]
              if row["max_steal_share"] is not None]
    if steals:
        print(f"steal: the hypervisor took up to {max(steals):.0%} of this machine's CPU time "
              f"during a measurement; wall-clock ratios are only as good as that is small.")
