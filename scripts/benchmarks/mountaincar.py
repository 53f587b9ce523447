"""The `mountaincar` section of scripts/benchmark.py: `mountaincar-dqn`'s tuned default, and
what its exploration owes to holding random actions.

Title: MountainCar DQN benchmark
Description: The tuned `default` preset of `mountaincar-dqn` (Gymnasium's MountainCar-v0,
120,000 steps), and the same preset with one setting changed, on the same seeds.

Rows (`--runs`), interleaved per seed so the machine's noise hits them alike:

- `default`: `tfzoo train mountaincar-dqn --seed SEED`, seeds 0-4 by default;
- `no-repeat`: the same with `--set exploration_repeat=None`: each random action lasts one
  step (plain epsilon-greedy) instead of a zeta-distributed number of steps;
- `rl-zoo`: the same with rl-baselines3-zoo's MountainCar-v0 settings where they differ: the
  target network copied every 300 gradient steps (its 600 environment steps), a constant
  learning rate, one-step random actions, and no pause once a training episode reaches -110.

Each run goes through a run directory, so with the task's periodic evaluations and 100
greedy episodes of the final and of the best policy at the end. The table gives, for each
row over its seeds: the interquartile mean of the final and of the best policy's 100-episode
means with 95% stratified bootstrap confidence intervals (`tfzoo.stats.aggregate`), the
final policy's mean and worst seed, how many seeds end at or above -110 (Gymnasium's
threshold), the median steps of the first periodic evaluation at or above it, and the
median training seconds (periodic evaluations included).
"""

from __future__ import annotations

import statistics
from pathlib import Path

import tfzoo
from benchmarks.cartpole import first_solved, interleaved, interval, train_run
from tfzoo.stats import aggregate

TASK = "mountaincar-dqn"
SOLVED = tfzoo.spec(TASK).reward_threshold  # -110, Gymnasium's.
CHANGES = {
    # Row: the agent settings it changes (as `--set` gives them).
    "no-repeat": {"exploration_repeat": None},
    "rl-zoo": {"exploration_repeat": None, "target_update_interval": 300,
               "learning_rate_end": None, "solved_return": None},
}
RUNS = ["default", *CHANGES]
DEFAULT_RUNS, DEFAULT_SEEDS = RUNS, [0, 1, 2, 3, 4]


def run_one(seed, directory, run) -> dict:
    """`tfzoo train mountaincar-dqn --seed SEED` with the row's changes, in a run directory."""
    overrides = CHANGES.get(run, {})
    summary, rows = train_run(TASK, Path(directory) / f"{run}-{seed}", seed,
                              agent_overrides=overrides)
    return {"run": run, "seed": seed, "overrides": overrides,
            "first_solved": first_solved(rows, SOLVED), "final_mean": summary["eval_return"],
            "best_mean": summary["best_eval_return"], "seconds": summary["wall_seconds"],
            "steps": summary["steps"]}


def section(arguments) -> dict:
    """Runs the rows of `arguments.runs` per seed; records and a summary row per run."""
    records = interleaved(arguments, run_one, lambda record: (
        f"final {record['final_mean']:.1f}, best {record['best_mean']:.1f}, first {SOLVED:g} "
        f"at {record['first_solved']}, {record['seconds']:.1f} s"))
    summary = [summarise(run, [r for r in records if r["run"] == run]) for run in arguments.runs]
    return {"records": records, "summary": summary}


def summarise(run, group) -> dict:
    """One row of the table from the records of one run's seeds."""
    finals = [r["final_mean"] for r in group]
    final = aggregate(finals, threshold=SOLVED)
    best = aggregate([r["best_mean"] for r in group], threshold=SOLVED)
    firsts = [float("inf") if r["first_solved"] is None else r["first_solved"] for r in group]
    return {"run": run, "changes": CHANGES.get(run, {}), "seeds": [r["seed"] for r in group],
            "final_iqm": final.iqm, "final_ci": [final.low, final.high],
            "best_iqm": best.iqm, "best_ci": [best.low, best.high],
            "final_mean": statistics.mean(finals), "final_worst": min(finals),
            "final_solved_seeds": sum(value >= SOLVED for value in finals),
            "median_first_solved": statistics.median(firsts),
            "median_seconds": statistics.median(r["seconds"] for r in group)}


def print_table(results) -> None:
    """The summary as a Markdown table, then what its columns mean."""
    print("\n| run | final IQM (95% CI) | best IQM (95% CI) | final mean | worst seed "
          f"| at or above {SOLVED:g} at the end | median first {SOLVED:g} | median s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in results["summary"]:
        first = row["median_first_solved"]
        cells = [row["run"], interval(row["final_iqm"], row["final_ci"]),
                 interval(row["best_iqm"], row["best_ci"]), f"{row['final_mean']:.1f}",
                 f"{row['final_worst']:.1f}",
                 f"{row['final_solved_seeds']} of {len(row['seeds'])}",
                 "never" if first == float("inf") else f"{first:,.0f}",
                 f"{row['median_seconds']:.1f}"]
        print("| " + " | ".join(cells) + " |")
    print("\nfinal, best: IQM over the seeds of the 100-episode greedy means of the final "
          "policy and of the best one kept, with 95% stratified bootstrap CIs.")
