"""The README's tables: "chapter vs tfzoo", filled from the benchmark's JSON, and (--tasks)
the task table, made from each task's presets and reference card.

Each program of the chapter gets a row: its tfzoo task, preset and command, and the figure
it reaches as the chapter's program (ported to TF 2, run in the same benchmark) and with
tfzoo, with the seconds each took. Figures come from `scripts/benchmark.py`'s JSON files;
a task the benchmark does not cover (linear regression) takes its task's reference card.

    python scripts/benchmarks/readme_table.py           # reads benchmark-results/*.json
    python scripts/benchmarks/readme_table.py --cartpole a.json b.json
    python scripts/benchmarks/readme_table.py --tasks   # the task table, from the cards
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import tfzoo

# Reading the benchmark's files ---------------------------------------------------------------


def load(paths):
    """Records and summary rows of one section, merged over its JSON files (missing: empty)."""
    records, summary = [], []
    for path in paths:
        if Path(path).is_file():
            data = json.loads(Path(path).read_text())
            records += data.get("records", [])
            summary += data.get("summary", [])
    return records, summary


def row_of(summary, run, task=None):
    for row in summary:
        if row["run"] == run and (task is None or row.get("task") == task):
            return row
    return None


# The rows ------------------------------------------------------------------------------------


def linear_rows():
    card = tfzoo.spec("linear-regression").card
    chapter = -card.expected["handbook"].value
    return [("`Linear` fitted by SGD", "linear-regression", "handbook",
             f"training MSE {chapter:.4f}", f"training MSE {chapter:.4f} (reference card)")]


def mnist_rows(summary):
    rows = []
    for task, name in (("mnist-mlp", "MLP on MNIST"), ("mnist-cnn", "CNN on MNIST")):
        chapter = row_of(summary, "chapter eager", task)
        for preset in ("handbook", "default"):
            mine = row_of(summary, f"tfzoo {preset}", task)
            if mine is None:
                continue
            theirs = (f"accuracy {chapter['mean_accuracy']:.4f} in "
                      f"{chapter['median_seconds']:.0f} s" if chapter and preset == "handbook"
                      else "")
            rows.append((name, task, preset, theirs,
                         f"accuracy {mine['mean_accuracy']:.4f} in {mine['median_seconds']:.0f} s"))
    return rows


def char_rnn_rows(summary):
    rows = []
    chapter = row_of(summary, "chapter eager")
    for preset in ("handbook", "default"):
        mine = row_of(summary, f"tfzoo {preset}")
        if mine is None:
            continue
        theirs = (f"{statistics.mean(chapter['bits_per_char']):.3f} bits/char in "
                  f"{chapter['median_seconds']:.0f} s" if chapter and preset == "handbook"
                  else "")
        rows.append(("character LSTM on Nietzsche", "char-rnn", preset, theirs,
                     f"{statistics.mean(mine['bits_per_char']):.3f} bits/char in "
                     f"{mine['median_seconds']:.0f} s"))
    return rows


def cartpole_rows(records, summary):
    rows = []
    chapter = [r for r in records if r["run"] == "chapter eager"]
    handbook = [r for r in records if r["run"] == "tfzoo handbook"]
    if handbook:
        theirs = (f"{statistics.median(r['steps_per_second'] for r in chapter):.0f} steps/s "
                  f"(eager; stopped at {max(r['episodes'] for r in chapter)} episodes)"
                  if chapter else "")
        best = ", ".join(f"{r['best_average_score']:.0f}" for r in handbook)
        rows.append(("DQN on CartPole", "cartpole-dqn", "handbook", theirs,
                     f"best 100-episode score {best} (seeds "
                     f"{', '.join(str(r['seed']) for r in handbook)}); "
                     f"{statistics.median(r['steps_per_second'] for r in handbook):.0f} steps/s"))
    default = row_of(summary, "tfzoo default")
    if default:
        rows.append(("DQN on CartPole", "cartpole-dqn", "default", "",
                     f"final policy >= 475 for {default['final_solved_seeds']} of "
                     f"{len(default['seeds'])} seeds (IQM {default['final_iqm']:.1f}), collapse "
                     f"rate {default['collapse_rate']:.0%}; first 475 at a median "
                     f"{default['median_first_solved']:,.0f} steps; "
                     f"{default['median_seconds']:.0f} s"))
    return rows


def print_task_table() -> None:
    """Each task with its presets and what each reaches, as its reference card says."""
    print("| task | what it is | presets (`tfzoo list`), and what each reaches (reference card) |")
    print("| --- | --- | --- |")
    for task_id, spec in sorted(tfzoo.registry.items()):
        presets = "; ".join(
            f"`{name}`: {preset.description.rstrip('.')}"
            + (f": {spec.card.expected[name].describe()}" if spec.card
               and name in spec.card.expected else "")
            for name, preset in spec.presets.items()
        )
        print(f"| `{task_id}` | {spec.description} | {presets} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", action="store_true", help="print the task table instead")
    parser.add_argument("--mnist", nargs="+", default=["benchmark-results/mnist.json"])
    parser.add_argument("--char-rnn", nargs="+", default=["benchmark-results/char-rnn.json"])
    parser.add_argument("--cartpole", nargs="+", default=["benchmark-results/cartpole.json"])
    arguments = parser.parse_args()
    if arguments.tasks:
        print_task_table()
        return
    rows = [*linear_rows(), *mnist_rows(load(arguments.mnist)[1]),
            *char_rnn_rows(load(arguments.char_rnn)[1]),
            *cartpole_rows(*load(arguments.cartpole))]
    print("| chapter program | task | preset | command | chapter's program (ported, same "
          "machine) | tfzoo |")
    print("| --- | --- | --- | --- | --- | --- |")
    for program, task, preset, theirs, mine in rows:
        command = f"`tfzoo train {task}" + (" --preset handbook`" if preset == "handbook"
                                             else "`")
        print(f"| {program} | `{task}` | `{preset}` | {command} | {theirs or '-'} | {mine} |")


if __name__ == "__main__":
    main()
