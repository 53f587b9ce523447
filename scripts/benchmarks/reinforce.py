"""The `reinforce` section of scripts/benchmark.py: the example plugin's REINFORCE against DQN.

Title: REINFORCE benchmark
Description: `cartpole-reinforce` (REINFORCE with a learned baseline, from the example plugin
in examples/tfzoo-reinforce) against tfzoo's own `cartpole-dqn`, both with their tuned
`default` preset through a run directory, evaluated alike.

Rows (`--runs`), interleaved per seed so the machine's noise hits them alike:

- `default`: `tfzoo train cartpole-reinforce` (its tuned preset: 50,000 steps, one update per
  episode), seeds 0-4 by default;
- `dqn`: `tfzoo train cartpole-dqn` (its tuned preset: 30,000 steps), the same seeds.

Both tasks are Gymnasium's CartPole-v1 with the same evaluations: 10 greedy episodes every so
many steps (2,000 and 1,000), the best policy they saw kept, and 100 greedy episodes of the
final and of the best policy at the end. Each row reports the environment steps at which a
periodic evaluation first reached 475, both 100-episode means, how many seeds reached 475 with
each, training seconds (periodic evaluations included), environment steps per second, and the
steps per second of 10,000 steps of `tfzoo.train` alone (no evaluations, no run directory).

The plugin must be installed: `pip install -e examples/tfzoo-reinforce`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import tfzoo
from benchmarks.cartpole import (
    SOLVED,
    THROUGHPUT_STEPS,
    describe,
    first_solved,
    summarise,
    train_run,
)

RUNS = ["default", "dqn"]
DEFAULT_RUNS, DEFAULT_SEEDS = RUNS, [0, 1, 2, 3, 4]
TASKS = {"default": "cartpole-reinforce", "dqn": "cartpole-dqn"}
LABELS = {"default": "reinforce", "dqn": "dqn"}


def require_plugin() -> None:
    """Finds the plugin's task (tfzoo loads installed plugins for a name it does not know),
    or exits saying how to install it."""
    try:
        tfzoo.spec("cartpole-reinforce")
    except tfzoo.UnknownNameError as error:
        raise SystemExit(
            f"The reinforce section needs the example plugin tfzoo-reinforce ({error}). "
            f"Install it into this environment with\n\n"
            f"    pip install -e examples/tfzoo-reinforce\n"
        ) from None


def run_default(task_id, seed, directory) -> dict:
    """`tfzoo train TASK --seed SEED` in a run directory: its summary evaluates the final and
    the best policy over 100 greedy episodes; progress.csv holds the periodic evaluations."""
    summary, rows = train_run(task_id, Path(directory) / f"{task_id}-{seed}", seed)
    return {"first_solved": first_solved(rows), "seconds": summary["wall_seconds"],
            "steps": summary["steps"], "episodes": summary["episodes"],
            "train_only_steps_per_second": train_only_speed(task_id, seed),
            "final_mean": summary["eval_return"], "final_std": summary["eval_return_std"],
            "best_mean": summary["best_eval_return"], "best_std": summary["best_eval_return_std"]}


def train_only_speed(task_id, seed) -> float:
    """Environment steps per second of `tfzoo.train` alone, for THROUGHPUT_STEPS steps."""
    task = tfzoo.make(task_id)
    agent = tfzoo.make_agent(task_id, task)
    started = time.perf_counter()
    history = tfzoo.train(agent, task, steps=THROUGHPUT_STEPS, seed=seed, progress=False)
    return history.state.steps / (time.perf_counter() - started)


def section(arguments) -> dict:
    """Runs the rows of `arguments.runs` per seed, in a temporary directory; records and a
    summary (`benchmarks.cartpole.summarise`'s, with each row's medians of the means)."""
    require_plugin()
    records = []
    with tempfile.TemporaryDirectory() as directory:
        for seed in arguments.seeds:
            for run in arguments.runs:
                result = run_default(TASKS[run], seed, directory)
                result.update(run=LABELS[run], task=TASKS[run], seed=seed,
                              steps_per_second=result["steps"] / result["seconds"])
                records.append(result)
                print("  " + describe(result), flush=True)
    summary = summarise(records)
    for row in summary:
        group = [record for record in records if record["run"] == row["run"]]
        row["task"] = group[0]["task"]
        for prefix in ("final", "best"):
            row[f"median_{prefix}_mean"] = statistics.median(row[f"{prefix}_means"])
    return {"records": records, "summary": summary}


def print_table(results) -> None:
    print(f"\n{'run':<10} {'task':<19} {'median first 475':>17} {'best':>6} {'final':>6} "
          f"{'seeds >= 475 (best / final)':>28} {'median s':>9} {'steps/s':>8} "
          f"{'train alone':>12}")
    for row in results["summary"]:
        seeds = len(row["seeds"])
        solved = f"{row['best_solved_seeds']} / {row['final_solved_seeds']} of {seeds}"
        print(f"{row['run']:<10} {row['task']:<19} {row['median_first_solved']!s:>17} "
              f"{row['median_best_mean']:>6.1f} {row['median_final_mean']:>6.1f} {solved:>28} "
              f"{row['median_seconds']:>9.1f} {row['median_steps_per_second']:>8.0f} "
              f"{row['median_train_only_steps_per_second']:>12.0f}")
    print(f"\nbest, final: medians over the seeds of the 100-episode greedy means (solved at "
          f"{SOLVED:g}); seconds include the periodic evaluations.")
    for record in results["records"]:
        print("  " + describe(record))
