"""The `mountaincar` section of scripts/benchmark.py: `mountaincar-dqn`'s default (the `dqn`
agent's own defaults), and what its exploration owes to holding random actions.

Title: MountainCar DQN benchmark
Description: The `default` preset of `mountaincar-dqn` (Gymnasium's MountainCar-v0, 120,000
steps), and the same preset with settings changed, on the same seeds.

Rows (`--runs`), interleaved per seed so the machine's noise hits them alike:

- `default`: `tfzoo train mountaincar-dqn --seed SEED`, seeds 0-4 by default;
- `no-repeat`: the same with `--set exploration_repeat=None`: each random action lasts one
  step (plain epsilon-greedy) instead of a zeta-distributed number of steps;
- `rl-zoo`: the same with rl-baselines3-zoo's MountainCar-v0 settings where they differ: the
  target network copied every 300 gradient steps (its 600 environment steps), a constant
  learning rate of 4e-3, and one-step random actions.

Each run goes through a run directory, so with the task's periodic evaluations and 100
greedy episodes of the final and of the best policy at the end. The table gives, for each
row and each of the two policies over the seeds: the interquartile mean of the 100-episode
means with a 95% stratified bootstrap confidence interval (`tfzoo.stats.aggregate`), their
mean and worst seed, and how many seeds are at or above -110 (Gymnasium's threshold); and
for the row, the median steps of the first periodic evaluation at or above it and the median
training seconds (periodic evaluations included).
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
               "learning_rate": 4e-3, "learning_rate_end": None},
}
RUNS = ["default", *CHANGES]
POLICIES = ("final", "best")  # The final policy, and the best one the run kept.
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
    firsts = [float("inf") if r["first_solved"] is None else r["first_solved"] for r in group]
    row = {"run": run, "changes": CHANGES.get(run, {}), "seeds": [r["seed"] for r in group],
           "median_first_solved": statistics.median(firsts),
           "median_seconds": statistics.median(r["seconds"] for r in group)}
    for policy in POLICIES:
        scores = [r[f"{policy}_mean"] for r in group]
        scored = aggregate(scores, threshold=SOLVED)
        row |= {f"{policy}_iqm": scored.iqm, f"{policy}_ci": [scored.low, scored.high],
                f"{policy}_mean": statistics.mean(scores), f"{policy}_worst": min(scores),
                f"{policy}_solved_seeds": sum(score >= SOLVED for score in scores)}
    return row


def print_table(results) -> None:
    """The summary as a Markdown table, then what its columns mean."""
    print(f"\n| run | policy | IQM (95% CI) | mean | worst seed | at or above {SOLVED:g} "
          f"| median first {SOLVED:g} | median s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in results["summary"]:
        first = row["median_first_solved"]
        for policy in POLICIES:
            cells = [row["run"], policy, interval(row[f"{policy}_iqm"], row[f"{policy}_ci"]),
                     f"{row[f'{policy}_mean']:.1f}", f"{row[f'{policy}_worst']:.1f}",
                     f"{row[f'{policy}_solved_seeds']} of {len(row['seeds'])}",
                     "never" if first == float("inf") else f"{first:,.0f}",
                     f"{row['median_seconds']:.1f}"]
            print("| " + " | ".join(cells) + " |")
    print("\nfinal, best: the final policy and the best one kept (picked by the periodic "
          "evaluations); each seed's figure is a fresh 100-episode greedy mean. IQM over the "
          "seeds with a 95% stratified bootstrap CI.")
