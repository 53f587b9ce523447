"""The `cartpole` section of scripts/benchmark.py: tfzoo's DQN against SB3 and the chapter.

Title: CartPole benchmark
Description: tfzoo's DQN presets against Stable-Baselines3's tuned DQN and the chapter's own
program, evaluated alike.

Rows (`--runs`), interleaved per seed so the machine's noise hits them alike:

- `default`: `tfzoo train cartpole-dqn` (the tuned preset, through a run directory, so with
  its periodic evaluations and the best policy they keep), seeds 0-4 by default;
- `num-envs-8`: the same with `--num-envs 8` (eight CartPoles stepped together, one `act`
  for all; the same replay ratio, so as many gradient steps per environment step);
- `sb3`: Stable-Baselines3's DQN with rl-baselines3-zoo's tuned CartPole-v1 settings, with
  the same evaluations (at the task's evaluation interval, 10 greedy episodes) and
  `best_model`; it runs only when `stable_baselines3` is importable (install it in a
  benchmark venv only);
- `handbook`: the `handbook` preset, the chapter's 500 episodes;
- `chapter`: the chapter's program ported to Gymnasium, eager as written (in
  cartpole_chapter.py), for at most `--chapter-seconds` (its speed is what is compared;
  the issue's run took 20 minutes).

Each row reports the environment steps at which a 10-episode evaluation first reached 475,
whether a later one fell below half of the best before it (a collapse), the final policy's
and the best policy's 100-episode mean and standard deviation, training
seconds (periodic evaluations included) and environment steps per second. The tfzoo rows
also time 10,000 steps of `tfzoo.train` alone (no evaluations, no run directory): the
speed of collecting and learning, which periodic evaluations of a good policy dilute.
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from pathlib import Path

import gymnasium
import numpy as np

import tfzoo
from benchmarks.cartpole_chapter import run_chapter
from tfzoo.stats import aggregate, join_range

SOLVED = tfzoo.spec("cartpole-dqn").reward_threshold  # 475, Gymnasium's.
FINAL_EPISODES = 100
RUNS = ["default", "num-envs-8", "sb3", "handbook", "chapter"]
DEFAULT_RUNS, DEFAULT_SEEDS = RUNS, [0, 1, 2, 3, 4]
THROUGHPUT_STEPS = 10_000


def evaluations(rows) -> list[tuple[int, float]]:
    """The (steps, mean return) of each periodic evaluation, from progress rows."""
    return [(int(row["steps"]), float(row["eval_return"])) for row in rows
            if row.get("eval_return") not in (None, "")]


def first_solved(rows, threshold=SOLVED) -> int | None:
    """The steps of the first periodic evaluation at or above `threshold` (475), from
    progress rows."""
    return next((steps for steps, value in evaluations(rows) if value >= threshold), None)


def collapsed(rows) -> bool:
    """Whether a periodic evaluation after the first at or above 475 fell below half of the
    best one before it: the policy was solved, then lost most of what it had."""
    first, best = first_solved(rows), -float("inf")
    for steps, value in evaluations(rows):
        if first is not None and steps > first and value < 0.5 * best:
            return True
        best = max(best, value)
    return False


def returns_summary(returns, prefix) -> dict:
    return {f"{prefix}_mean": float(np.mean(returns)), f"{prefix}_std": float(np.std(returns))}


def train_run(task_id, path, seed, **settings) -> tuple[dict, list[dict]]:
    """`tfzoo train TASK --seed SEED` (other RunConfig fields as `settings`) in the run
    directory `path`: its summary.json and its progress.csv rows."""
    summary = tfzoo.start_run(task_id, path=path, seed=seed, progress=False, **settings)
    with open(Path(path) / "progress.csv", newline="") as file:
        return summary, list(csv.DictReader(file))


def interleaved(arguments, run_one, describe) -> list[dict]:
    """`run_one(seed, directory, run)` for each seed of `arguments.seeds`, each row of
    `arguments.runs` in turn (so the machine's noise hits the rows alike), in a temporary
    directory; prints `describe(record)` after each run. Returns the records."""
    records = []
    with tempfile.TemporaryDirectory() as directory:
        for seed in arguments.seeds:
            for run in arguments.runs:
                records.append(run_one(seed, directory, run))
                print(f"  {run:<15} seed {seed}: {describe(records[-1])}", flush=True)
    return records


def run_tfzoo_default(seed, directory, num_envs=1) -> dict:
    """`tfzoo train cartpole-dqn --seed SEED --num-envs N`: its summary evaluates both
    policies over 100 greedy episodes (the final one and the best one kept)."""
    summary, rows = train_run("cartpole-dqn", Path(directory) / f"tfzoo-default-{num_envs}-{seed}",
                              seed, num_envs=num_envs)
    return {"first_solved": first_solved(rows), "collapsed": collapsed(rows),
            "seconds": summary["wall_seconds"], "steps": summary["steps"], "num_envs": num_envs,
            "train_only_steps_per_second": train_only_speed(seed, num_envs),
            "final_mean": summary["eval_return"], "final_std": summary["eval_return_std"],
            "best_mean": summary["best_eval_return"], "best_std": summary["best_eval_return_std"]}


def train_only_speed(seed, num_envs) -> float:
    """Environment steps per second of `tfzoo.train` alone, for THROUGHPUT_STEPS steps."""
    task = (tfzoo.make("cartpole-dqn") if num_envs == 1
            else tfzoo.make_vec("cartpole-dqn", num_envs))
    agent = tfzoo.make_agent("cartpole-dqn", tfzoo.make("cartpole-dqn"))
    started = time.perf_counter()
    history = tfzoo.train(agent, task, steps=THROUGHPUT_STEPS, seed=seed, progress=False)
    return history.state.steps / (time.perf_counter() - started)


def run_sb3(seed, directory) -> dict | None:
    """SB3's DQN with rl-baselines3-zoo's CartPole-v1 hyperparameters, evaluated like tfzoo."""
    try:
        import torch
        from stable_baselines3 import DQN
        from stable_baselines3.common.callbacks import EvalCallback
        from stable_baselines3.common.monitor import Monitor
    except ImportError:
        print("  sb3: stable_baselines3 is not importable here; skipped")
        return None
    torch.set_num_threads(1)  # Two threads on two cores slowed it tenfold here.
    settings = tfzoo.spec("cartpole-dqn").evaluation
    log = Path(directory) / f"sb3-{seed}"
    model = DQN(
        "MlpPolicy", gymnasium.make("CartPole-v1"), learning_rate=2.3e-3, batch_size=64,
        buffer_size=100_000, learning_starts=1000, gamma=0.99, target_update_interval=10,
        train_freq=256, gradient_steps=128, exploration_fraction=0.16,
        exploration_final_eps=0.04, policy_kwargs={"net_arch": [256, 256]}, seed=seed,
        verbose=0,
    )
    callback = EvalCallback(
        Monitor(gymnasium.make("CartPole-v1")), eval_freq=settings.interval,
        n_eval_episodes=settings.interval_episodes, deterministic=True,
        best_model_save_path=str(log), log_path=str(log), verbose=0,
    )
    start = time.perf_counter()
    model.learn(total_timesteps=50_000, callback=callback)
    seconds = time.perf_counter() - start
    evaluations = np.load(log / "evaluations.npz")
    rows = [{"steps": steps, "eval_return": np.mean(results)} for steps, results in
            zip(evaluations["timesteps"], evaluations["results"], strict=True)]
    result = {"first_solved": first_solved(rows), "collapsed": collapsed(rows),
              "seconds": seconds, "steps": 50_000}
    for prefix, policy in (("final", model), ("best", DQN.load(log / "best_model"))):
        result.update(returns_summary(sb3_returns(policy, seed), prefix))
    return result


def sb3_returns(policy, seed) -> list[float]:
    """An SB3 policy's greedy returns over FINAL_EPISODES episodes, as tfzoo's summary has."""
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor

    environment = Monitor(gymnasium.make("CartPole-v1"))
    environment.reset(seed=10_000 + seed)
    returns, _ = evaluate_policy(policy, environment, n_eval_episodes=FINAL_EPISODES,
                                 deterministic=True, return_episode_rewards=True)
    return returns


def run_tfzoo_handbook(seed, directory) -> dict:
    """The `handbook` preset: the chapter's 500 episodes through tfzoo's loop."""
    task = tfzoo.make("cartpole-dqn", preset="handbook")
    agent = tfzoo.make_agent("cartpole-dqn", task, preset="handbook")
    start = time.perf_counter()
    history = tfzoo.train(agent, task, episodes=500, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    scores = [record["length"] - 1 for record in history.episodes]  # The chapter prints t.
    evaluation = tfzoo.make("cartpole-dqn")
    return {"seconds": seconds, "steps": history.state.steps, "scores": scores,
            **returns_summary(tfzoo.evaluation_returns(
                agent, evaluation, episodes=FINAL_EPISODES, seed=10_000 + seed), "final")}


def best_average(scores, window=100) -> float | None:
    """The best mean of `window` consecutive episode scores (the chapter's yardstick)."""
    if len(scores) < window:
        return None
    return max(statistics.mean(scores[i:i + window]) for i in range(len(scores) - window + 1))


def section(arguments) -> dict:
    """Runs the rows of `arguments.runs` per seed, in a temporary directory; records and a
    summary."""
    labels = {"default": "tfzoo default", "num-envs-8": "tfzoo 8 envs", "sb3": "sb3 rl-zoo",
              "handbook": "tfzoo handbook", "chapter": "chapter eager"}
    records = []
    with tempfile.TemporaryDirectory() as directory:
        for seed in arguments.seeds:
            for run in arguments.runs:
                if run == "default":
                    result = run_tfzoo_default(seed, directory)
                elif run == "num-envs-8":
                    result = run_tfzoo_default(seed, directory, num_envs=8)
                elif run == "sb3":
                    result = run_sb3(seed, directory)
                elif run == "handbook":
                    result = run_tfzoo_handbook(seed, directory)
                else:
                    result = run_chapter(seed, arguments.chapter_seconds)
                if result is None:
                    continue
                result.update(run=labels[run], seed=seed,
                              steps_per_second=result["steps"] / result["seconds"])
                if "scores" in result:
                    result["best_average_score"] = best_average(result["scores"])
                    result["episodes"] = len(result["scores"])
                records.append(result)
                print("  " + describe(result), flush=True)
    return {"records": records, "summary": summarise(records)}


def describe(record) -> str:
    parts = [f"{record['run']:<15} seed {record['seed']}:"]
    if "first_solved" in record:
        parts.append(f"first 475 at {record['first_solved']},")
    for prefix in ("final", "best"):
        if f"{prefix}_mean" in record:
            parts.append(f"{prefix} {record[f'{prefix}_mean']:.1f}±{record[f'{prefix}_std']:.1f},")
    if record.get("best_average_score") is not None:
        parts.append(f"best 100-episode score {record['best_average_score']:.1f},")
    parts.append(f"{record['steps']} steps in {record['seconds']:.1f} s "
                 f"({record['steps_per_second']:.0f}/s)")
    if "train_only_steps_per_second" in record:
        parts.append(f"[train alone {record['train_only_steps_per_second']:.0f}/s]")
    return " ".join(parts)


def summarise(records) -> list[dict]:
    rows = []
    for run in dict.fromkeys(record["run"] for record in records):
        group = [record for record in records if record["run"] == run]
        row = {"run": run, "seeds": [r["seed"] for r in group],
               "median_seconds": statistics.median(r["seconds"] for r in group),
               "median_steps_per_second": statistics.median(r["steps_per_second"] for r in group)}
        if "train_only_steps_per_second" in group[0]:
            row["median_train_only_steps_per_second"] = statistics.median(
                r["train_only_steps_per_second"] for r in group)
        if "first_solved" in group[0]:
            firsts = [r["first_solved"] for r in group]
            row["first_solved"] = firsts
            # A seed that never reached 475 counts as infinitely late.
            row["median_first_solved"] = statistics.median(
                [float("inf") if first is None else first for first in firsts])
        if "collapsed" in group[0]:
            row["collapse_rate"] = sum(r["collapsed"] for r in group) / len(group)
        for prefix in ("final", "best"):
            if f"{prefix}_mean" in group[0]:
                means = [r[f"{prefix}_mean"] for r in group]
                row[f"{prefix}_means"] = means
                row[f"{prefix}_solved_seeds"] = sum(mean >= SOLVED for mean in means)
                summary = aggregate(means, threshold=SOLVED)
                row[f"{prefix}_iqm"], row[f"{prefix}_ci"] = summary.iqm, [summary.low,
                                                                          summary.high]
        rows.append(row)
    return rows


def interval(iqm, ci) -> str:
    """"487.2 (470.1-500.0)" ("-109.7 (-124.2 to -98.7)" below 0), or the IQM alone for one
    seed (no interval)."""
    low, high = ci
    return f"{iqm:.1f} ({join_range(f'{low:.1f}', f'{high:.1f}')})" if low == low else f"{iqm:.1f}"


def score_curve(scores, every=50) -> str:
    """The mean score of each block of `every` episodes, as the chapter's printout shows it."""
    return " ".join(f"{statistics.mean(scores[i:i + every]):.0f}"
                    for i in range(0, len(scores), every))


def print_table(results) -> None:
    print(f"\n{'run':<15} {'final IQM (95% CI)':>22} {'seeds >= 475: final, best':>26} "
          f"{'collapse':>9} {'median first 475':>17} {'median s':>9} {'steps/s':>8} "
          f"{'train alone':>12}")
    for row in results["summary"]:
        solved = (f"{row['final_solved_seeds']}, {row.get('best_solved_seeds', '-')} of "
                  f"{len(row['seeds'])}" if "final_solved_seeds" in row else "-")
        final = (interval(row["final_iqm"], row["final_ci"]) if "final_iqm" in row else "-")
        collapse = f"{row['collapse_rate']:.0%}" if "collapse_rate" in row else "-"
        first = row.get("median_first_solved", "-")
        alone = row.get("median_train_only_steps_per_second")
        print(f"{row['run']:<15} {final:>22} {solved:>26} {collapse:>9} {first!s:>17} "
              f"{row['median_seconds']:>9.1f} {row['median_steps_per_second']:>8.0f} "
              f"{'-' if alone is None else f'{alone:.0f}':>12}")
    print(f"\nfinal: IQM over the seeds of the final policy's 100-episode greedy means, with "
          f"a 95% stratified bootstrap CI (tfzoo.stats). Collapse: the share of seeds whose "
          f"periodic evaluation fell below half of its running best after first reaching "
          f"{SOLVED:g}.")
    for record in results["records"]:
        print("  " + describe(record))
        if "scores" in record:
            print(f"    mean score per 50 episodes: {score_curve(record['scores'])}")
