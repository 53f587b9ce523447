"""Kill safety: SIGKILL training runs at random moments, resume them, and compare the end
with an uninterrupted twin.

Title: Killed, resumed, and still the same run
Description: For each run, this trains an uninterrupted twin with `--deterministic`, then
trains the same run again and kills it with SIGKILL (no chance to clean up): half the
kills at a random moment (during training, between and during checkpoint writes, during
evaluation), half aimed at the first checkpoint write that starts after a random moment (it
watches for the temporary files of a write, then kills at once). A write left half-done
after the kill shows the kill landed in it. After each kill it runs `tfzoo train --resume`
(which may be killed again) until the run finishes. Then it compares the run with its twin:
every progress.csv row (but the wall-clock `seconds`), every figure in summary.json, the
best policy's record, and every tensor of the last checkpoint (but its save counter, and
the wall-clock seconds inside the loop's saved state).

    python scripts/kill_resume.py --data-dir DIR --kills 20
    python scripts/kill_resume.py --runs cartpole-dqn --kills 5 --output kills.json

It prints a table, one row per run, and writes every kill's moment and outcome as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import tensorflow as tf

"""
## The runs

Each is a short version of a preset (its budget cut so that a run takes seconds), with a
checkpoint at least a second after the last one: at an episode's end, or inside the
episode where the task can continue it (the MNIST handbook run is a single episode).
"""

RUNS = {  # The tasks that read a dataset get --data-dir too.
    "mnist-mlp": ["mnist-mlp", "--preset", "handbook"],
    "char-rnn": ["char-rnn", "--preset", "handbook", "--steps", "300"],
    "cartpole-dqn": ["cartpole-dqn", "--steps", "8000"],
}
COMMON = ["--seed", "0", "--deterministic", "--checkpoint-seconds", "1", "--no-progress"]
# Wall-clock figures, names that hold the time or the directory, and how many functions the
# last process compiled (a process resumed at the end compiles none): all else must match.
WALL_CLOCK = {"seconds", "wall_seconds", "run_dir", "checkpoint", "traces"}


def tfzoo(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "tfzoo.tools.cli", *arguments]


def environment() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


"""
## Killing and resuming
"""


def train_twin(name: str, run: Path, data_dir: str | None) -> float:
    """Trains the uninterrupted twin in `run`; its seconds, start-up included."""
    start = time.perf_counter()
    done = subprocess.run(tfzoo("train", *RUNS[name], *COMMON, *data_arguments(name, data_dir),
                                "--logdir", str(run)), capture_output=True, text=True,
                          env=environment())
    if done.returncode != 0:
        raise SystemExit(f"{name}: the twin failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def train_with_kills(name: str, run: Path, data_dir: str | None, kills: int,
                     longest: float, generator: random.Random) -> list[dict]:
    """Trains `run`, killing it `kills` times at random moments, resuming until it ends."""
    events = []
    command = tfzoo("train", *RUNS[name], *COMMON, *data_arguments(name, data_dir),
                    "--logdir", str(run))
    while True:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, env=environment())
        if len(events) < kills:
            moment, aimed = generator.uniform(1.0, longest), generator.random() < 0.5
            try:
                process.wait(timeout=moment)
            except subprocess.TimeoutExpired:
                if aimed:
                    wait_for_a_write(process, run, longest)
            if process.poll() is None:  # Still running (it may have ended while aiming).
                process.send_signal(signal.SIGKILL)
                process.wait()
                events.append({"after_seconds": round(moment, 2), "aimed_at_a_write": aimed,
                               "writes_cut": writes_under_way(run),
                               "checkpoints": checkpoint_numbers(run),
                               "resumes_from": resume_point(run)})
                if (run / "summary.json").exists():  # Killed after it finished.
                    return events
                if (run / "config.json").exists():
                    command = tfzoo("train", "--resume", str(run), "--no-progress")
                else:  # Killed before the run directory was made: start it again.
                    shutil.rmtree(run, ignore_errors=True)
                continue
        error = process.communicate()[1].decode(errors="replace")
        if process.returncode != 0:
            raise SystemExit(f"{name}: {' '.join(command)} failed ({process.returncode}):\n"
                             f"{error[-2000:]}")
        return events


def writes_under_way(run: Path) -> list[str]:
    """The temporary files of the checkpoint and progress.csv writes under way in `run`."""
    found = []
    for directory, pattern in ((run / "checkpoints", r"ckpt-\d+_temp"), (run, r"\..*\.tmp"),
                               (run / "best", r".*_temp")):
        with os.scandir(directory) if directory.is_dir() else nullcontext([]) as entries:
            found += [entry.name for entry in entries if re.match(pattern, entry.name)]
    return found


def wait_for_a_write(process: subprocess.Popen, run: Path, timeout: float) -> None:
    """Returns as soon as a write into `run` is under way, the process ended, or `timeout`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and process.poll() is None and not writes_under_way(run):
        time.sleep(0.0002)


def resume_point(run: Path) -> dict | None:
    """Where a resume goes on from: the newest readable checkpoint's step, and whether it
    was taken inside an episode (None: no checkpoint yet)."""
    for number in reversed(checkpoint_numbers(run)):
        try:
            saved = tf.train.load_checkpoint(str(run / "checkpoints" / f"ckpt-{number}"))
            state = json.loads(saved.get_tensor("loop/.ATTRIBUTES/py_state"))["state"]
        except (tf.errors.OpError, ValueError, KeyError):
            continue  # Damaged by the kill: the resume passes over it too.
        return {"checkpoint": number, "steps": state["steps"],
                "inside_an_episode": state.get("episode") is not None}
    return None


def checkpoint_numbers(run: Path) -> list[int]:
    return sorted(int(match.group(1)) for path in (run / "checkpoints").glob("ckpt-*.index")
                  if (match := re.fullmatch(r"ckpt-(\d+)\.index", path.name)))


def data_arguments(name: str, data_dir: str | None) -> list[str]:
    return [] if data_dir is None or name == "cartpole-dqn" else ["--data-dir", data_dir]


"""
## Comparing with the twin
"""


def differences(twin: Path, run: Path) -> list[str]:
    """What differs between the two finished runs, beyond wall-clock time (empty if none)."""
    found = []
    if progress_rows(twin) != progress_rows(run):
        found.append("progress.csv rows")
    for name in ("summary.json", "best/best.json"):
        if (twin / name).exists():
            mine, theirs = without_clock(twin / name), without_clock(run / name)
            found += [f"{name} {key}: {mine.get(key)!r} != {theirs.get(key)!r}"
                      for key in sorted(set(mine) | set(theirs))
                      if mine.get(key) != theirs.get(key)]
    mine, theirs = last_checkpoint(twin), last_checkpoint(run)
    names = variable_names(mine)
    if names != variable_names(theirs):
        return [*found, "checkpoint variable names"]
    readers = tf.train.load_checkpoint(mine), tf.train.load_checkpoint(theirs)
    for name in sorted(names):
        values = [reader.get_tensor(name) for reader in readers]
        if name.endswith("py_state"):
            values = [drop_clock(json.loads(value)) if is_json(value) else value
                      for value in values]
            same = values[0] == values[1]
        else:
            same = np.array_equal(values[0], values[1])
        if not same:
            found.append(f"checkpoint tensor {name}")
    return found


def variable_names(checkpoint: str) -> set[str]:
    """The checkpoint's tensors, but its save counter (a killed run saves more often)."""
    return {name for name, _ in tf.train.list_variables(checkpoint)
            if not name.startswith("save_counter/")}


def progress_rows(run: Path) -> list[dict]:
    with open(run / "progress.csv", newline="") as file:
        return [{key: value for key, value in row.items() if key not in WALL_CLOCK}
                for row in csv.DictReader(file)]


def without_clock(path: Path) -> dict:
    return drop_clock(json.loads(path.read_text()))


def drop_clock(value):
    if isinstance(value, dict):
        return {key: drop_clock(item) for key, item in value.items() if key not in WALL_CLOCK}
    if isinstance(value, list):
        return [drop_clock(item) for item in value]
    return value


def is_json(value) -> bool:
    try:
        json.loads(value)
    except (TypeError, ValueError, UnicodeDecodeError):
        return False
    return True


def last_checkpoint(run: Path) -> str:
    return str(run / "checkpoints" / f"ckpt-{checkpoint_numbers(run)[-1]}")


"""
## Running
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", choices=sorted(RUNS), default=list(RUNS))
    parser.add_argument("--kills", type=int, default=20, help="in all, shared by the runs")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0, help="of the kill moments")
    parser.add_argument("--output", default="benchmark-results/kill-resume.json")
    arguments = parser.parse_args()
    generator, results = random.Random(arguments.seed), []
    with tempfile.TemporaryDirectory() as scratch:
        for index, name in enumerate(arguments.runs):
            kills = arguments.kills // len(arguments.runs) + (
                index < arguments.kills % len(arguments.runs))
            twin = Path(scratch) / f"{name}-twin"
            seconds = train_twin(name, twin, arguments.data_dir)
            done = 0
            while done < kills:  # A run may end before its kills: then another one starts.
                run = Path(scratch) / f"{name}-killed-{len(results)}"
                events = train_with_kills(name, run, arguments.data_dir, kills - done,
                                          seconds + 1.0, generator)
                done += len(events)
                found = differences(twin, run)
                results.append({"run": name, "command": RUNS[name] + COMMON, "kills": events,
                                "twin_seconds": round(seconds, 1), "differences": found})
                print(f"{name:<13} {len(events):>2} kills, twin {seconds:5.1f} s: "
                      f"{'identical to its twin' if not found else 'DIFFERS: ' + '; '.join(found)}",
                      flush=True)
    kills = [kill for result in results for kill in result["kills"]]
    aimed = sum(kill["aimed_at_a_write"] for kill in kills)
    cut = sum(bool(kill["writes_cut"]) for kill in kills)
    inside = sum(bool((kill["resumes_from"] or {}).get("inside_an_episode")) for kill in kills)
    same = sum(not result["differences"] for result in results)
    print(f"\n{len(kills)} kills ({aimed} aimed at a write, {cut} cut one half-way, {inside} "
          f"left a checkpoint inside an episode to resume from); {same} of {len(results)} runs "
          f"identical to their twins")
    Path(arguments.output).parent.mkdir(parents=True, exist_ok=True)
    Path(arguments.output).write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {arguments.output}")


if __name__ == "__main__":
    main()
