"""The `modes` section of scripts/benchmark.py: steps per second in each execution mode.

Title: Execution modes benchmark
Description: The same training runs under `tfzoo.execution("compiled" | "eager" | "jit")`.

Each task trains from the same seed with its preset under `tfzoo.execution(mode)` for a
fixed number of steps ("compiled": tf.function, "eager": everything eagerly, "jit": XLA),
the modes interleaved per seed; compilation is included, as a user would see it.
"""

from __future__ import annotations

import statistics
import time

import tfzoo

RUNS = ["compiled", "eager", "jit"]
DEFAULT_RUNS, DEFAULT_SEEDS = RUNS, [0, 1, 2]
TASKS = {  # task: (preset, steps)
    "mnist-mlp": ("handbook", 500),
    "mnist-cnn": ("handbook", 100),
    "cartpole-dqn": ("default", 5000),
}


def run_mode(task_id, mode, seed, data_dir) -> dict:
    preset, steps = TASKS[task_id]
    settings = {"data_dir": data_dir} if task_id.startswith("mnist") else {}
    task = tfzoo.make(task_id, preset=preset, **settings)
    agent = tfzoo.make_agent(task_id, task, preset=preset)
    start = time.perf_counter()
    with tfzoo.execution(mode):
        tfzoo.train(agent, task, steps=steps, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    return {"task": task_id, "run": mode, "seed": seed, "steps": steps, "seconds": seconds,
            "steps_per_second": steps / seconds}


def section(arguments) -> dict:
    """Trains every task in every mode of `arguments.runs`, per seed; records and medians."""
    records = []
    for seed in arguments.seeds:
        for task_id in TASKS:
            for mode in arguments.runs:
                record = run_mode(task_id, mode, seed, arguments.data_dir)
                records.append(record)
                print(f"  {task_id:<13} {mode:<9} seed {seed}: {record['steps']} steps in "
                      f"{record['seconds']:.1f} s ({record['steps_per_second']:.0f}/s)",
                      flush=True)
    summary = []
    for task_id in TASKS:
        for mode in arguments.runs:
            group = [r for r in records if r["task"] == task_id and r["run"] == mode]
            if group:
                summary.append({"task": task_id, "run": mode, "median_steps_per_second":
                                statistics.median(r["steps_per_second"] for r in group)})
    return {"records": records, "summary": summary}


def print_table(results) -> None:
    print(f"\n{'task':<13} {'mode':<9} {'median steps/s':>15}")
    for row in results["summary"]:
        print(f"{row['task']:<13} {row['run']:<9} {row['median_steps_per_second']:>15.0f}")
