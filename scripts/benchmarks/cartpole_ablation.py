"""The `cartpole-ablation` section of scripts/benchmark.py: what each stabiliser of
`cartpole-dqn`'s tuned default does, found by switching it off.

Title: CartPole DQN ablation
Description: The tuned `default` preset of `cartpole-dqn`, then the same preset with one of
its stabilisers switched off in turn (an agent override, as `--set` gives), on the same seeds.

Rows (`--runs`), interleaved per seed so the machine's noise hits them alike:

- `default`: `tfzoo train cartpole-dqn --seed SEED`, seeds 0-9 by default;
- one row per entry of `STABILISERS`, e.g. `no-double-dqn`: the same run with
  `--set double_dqn=False`.

Each run goes through a run directory, so with the task's periodic evaluations (10 greedy
episodes every 1,000 steps) and 100 greedy episodes of the final and of the best policy at
the end. The table gives, for each row over its seeds:

- the interquartile mean (IQM) of the final and of the best policy's 100-episode means,
  each with a 95% stratified bootstrap confidence interval (`tfzoo.stats.aggregate`);
- how many seeds end solved (the final policy at or above 475);
- the median environment steps of the first periodic evaluation at or above 475 (a seed
  that never got there counts as never);
- the collapse rate: the share of seeds whose periodic evaluation fell below half of its
  running best after first reaching 475 (`benchmarks.cartpole.collapsed`);
- the median training seconds (periodic evaluations included).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from benchmarks.cartpole import SOLVED, collapsed, first_solved, interleaved, interval, train_run
from tfzoo.stats import aggregate

TASK = "cartpole-dqn"
STABILISERS = {
    # Row: (what is switched off, the agent settings that switch it off).
    "no-pause": ("no gradient steps once a training episode reached 475",
                 {"solved_return": None}),
    "no-lr-decay": ("the learning rate's fall to 1e-4", {"learning_rate_end": None}),
    "no-big-batch": ("batches of 256 (64 instead)", {"batch_size": 64}),
    "no-clipping": ("gradient clipping at norm 10", {"max_grad_norm": None}),
    "no-target-network": ("the target network", {"target_update_interval": 0}),
}
RUNS = ["default", *STABILISERS]
DEFAULT_RUNS, DEFAULT_SEEDS = RUNS, list(range(10))


def run_one(seed, directory, run) -> dict:
    """`tfzoo train cartpole-dqn --seed SEED` with the row's overrides, in a run directory."""
    overrides = STABILISERS[run][1] if run in STABILISERS else {}
    summary, rows = train_run(TASK, Path(directory) / f"{run}-{seed}", seed,
                              agent_overrides=overrides)
    return {"run": run, "seed": seed, "overrides": overrides,
            "first_solved": first_solved(rows), "collapsed": collapsed(rows),
            "final_mean": summary["eval_return"], "best_mean": summary["best_eval_return"],
            "seconds": summary["wall_seconds"], "steps": summary["steps"]}


def section(arguments) -> dict:
    """Runs the rows of `arguments.runs` per seed; records and a summary row per run."""
    records = interleaved(arguments, run_one, lambda record: (
        f"final {record['final_mean']:.1f}, best {record['best_mean']:.1f}, first 475 at "
        f"{record['first_solved']}, {'collapsed' if record['collapsed'] else 'held'}, "
        f"{record['seconds']:.1f} s"))
    summary = [summarise(run, [r for r in records if r["run"] == run]) for run in arguments.runs]
    return {"records": records, "summary": summary}


def summarise(run, group) -> dict:
    """One row of the table from the records of one run's seeds."""
    final = aggregate([r["final_mean"] for r in group], threshold=SOLVED)
    best = aggregate([r["best_mean"] for r in group], threshold=SOLVED)
    firsts = [float("inf") if r["first_solved"] is None else r["first_solved"] for r in group]
    return {"run": run, "switched_off": STABILISERS[run][0] if run in STABILISERS else None,
            "seeds": [r["seed"] for r in group],
            "final_iqm": final.iqm, "final_ci": [final.low, final.high],
            "best_iqm": best.iqm, "best_ci": [best.low, best.high],
            "final_solved_seeds": sum(r["final_mean"] >= SOLVED for r in group),
            "median_first_solved": statistics.median(firsts),
            "collapse_rate": sum(r["collapsed"] for r in group) / len(group),
            "median_seconds": statistics.median(r["seconds"] for r in group)}


def print_table(results) -> None:
    """The summary as a Markdown table (the README's), then each record."""
    print("\n| run | switched off | final IQM (95% CI) | best IQM (95% CI) | solved at the end "
          "| median first 475 | collapse rate | median s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in results["summary"]:
        seeds, first = len(row["seeds"]), row["median_first_solved"]
        cells = [row["run"], row["switched_off"] or "nothing (the tuned default)",
                 interval(row["final_iqm"], row["final_ci"]),
                 interval(row["best_iqm"], row["best_ci"]),
                 f"{row['final_solved_seeds']} of {seeds}",
                 "never" if first == float("inf") else f"{first:,.0f}",
                 f"{row['collapse_rate']:.0%}", f"{row['median_seconds']:.1f}"]
        print("| " + " | ".join(cells) + " |")
    print(f"\nfinal, best: IQM over the seeds of the 100-episode greedy means, with 95% "
          f"stratified bootstrap CIs; solved at {SOLVED:g}. Collapse: a periodic evaluation "
          f"below half of its running best after first reaching {SOLVED:g}.")

