"""Benchmarks: tfzoo against plain Keras and the chapter's own programs, side by side.

Title: tfzoo benchmarks
Description: Each section trains the same models the same way with tfzoo and with what a
user would write instead, interleaving the runs so the machine's noise hits both alike,
and reports medians and ratios. Results print as a table and are written as JSON.

    python scripts/benchmark.py mnist --data-dir ../shared/data --seeds 0 1 2
    python scripts/benchmark.py mnist --models mlp --runs handbook keras chapter
    python scripts/benchmark.py char-rnn --data-dir ../shared/data --seeds 0
    python scripts/benchmark.py cartpole --runs default sb3 --seeds 0 1 2 3 4 5 6 7 8 9
    python scripts/benchmark.py cartpole-ablation --seeds 0 1 2 3 4 5 6 7 8 9
    python scripts/benchmark.py mountaincar --seeds 0 1 2 3 4
    python scripts/benchmark.py reinforce --seeds 0 1 2 3 4
    python scripts/benchmark.py modes --data-dir ../shared/data
    python scripts/benchmark.py versions --against ../baseline --pairs 5 --data-dir ../shared/data

Each section is a module of scripts/benchmarks/: `mnist` (the chapter's MLP and CNN),
`char_rnn`, `cartpole`, `cartpole_ablation` (the tuned DQN with each stabiliser switched
off in turn), `mountaincar` (the tuned DQN on MountainCar, with and without held random
actions), `reinforce` (the example plugin's REINFORCE on CartPole against DQN;
needs `pip install -e examples/tfzoo-reinforce`), `modes` (compiled, eager and XLA execution)
and `versions` (this checkout's speed against another checkout's). Run this file from
anywhere: Python puts scripts/ on the import path, so `benchmarks` imports as a package.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import keras
import tensorflow as tf
from benchmarks import (
    cartpole,
    cartpole_ablation,
    char_rnn,
    mnist,
    modes,
    mountaincar,
    reinforce,
    versions,
)

"""
## The sections

A section module has the same few names: `RUNS` (what `--runs` takes), `DEFAULT_RUNS`,
`DEFAULT_SEEDS`, `section(arguments)`, which runs it and returns its results as a dict,
and `print_table(results)`.
"""

SECTIONS = {"mnist": mnist, "char-rnn": char_rnn, "cartpole": cartpole,
            "cartpole-ablation": cartpole_ablation, "mountaincar": mountaincar,
            "reinforce": reinforce, "modes": modes,
            "versions": versions}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="tfzoo benchmarks")
    parser.add_argument("section", choices=sorted(SECTIONS))
    parser.add_argument("--data-dir", default=None, help="where the datasets are")
    parser.add_argument("--seeds", type=int, nargs="+",
                        help="default: 0 1 2 (char-rnn and versions: 0, cartpole and reinforce: "
                        "0 1 2 3 4, mountaincar: 0-4, cartpole-ablation: 0-9)")
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"],
                        choices=sorted(mnist.MODELS), help="mnist only")
    parser.add_argument("--runs", nargs="+", help="rows to run (default: all of the section's)")
    parser.add_argument("--chapter-seconds", type=float, default=300.0,
                        help="cartpole: stop the chapter's eager program after this long")
    parser.add_argument("--against", default=None,
                        help="versions: another tfzoo checkout, with its venv in DIR/.venv")
    parser.add_argument("--pairs", type=int, default=5,
                        help="versions: pairs of runs per measurement (default 5)")
    parser.add_argument("--chunks", type=int, default=30,
                        help="versions: warm chunks per measurement, alternating the two "
                        "checkouts' running processes (default 30; 0 skips them)")
    parser.add_argument("--output", default=None, help="default benchmark-results/SECTION.json")
    arguments = parser.parse_args()
    chosen = SECTIONS[arguments.section]
    arguments.runs = arguments.runs or chosen.DEFAULT_RUNS
    arguments.seeds = arguments.seeds or chosen.DEFAULT_SEEDS
    unknown_runs = sorted(set(arguments.runs) - set(chosen.RUNS))
    if unknown_runs:
        parser.error(f"--runs {' '.join(unknown_runs)}: the {arguments.section} section has "
                     f"{' '.join(chosen.RUNS)}")
    if arguments.section == "versions" and arguments.against is None:
        parser.error("the versions section needs --against DIR (another tfzoo checkout)")
    return arguments


"""
## Running
"""


def main() -> None:
    arguments = parse_arguments()
    chosen = SECTIONS[arguments.section]
    started = time.time()
    results = chosen.section(arguments)
    chosen.print_table(results)
    output = Path(arguments.output or f"benchmark-results/{arguments.section}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "tensorflow": tf.__version__, "keras": keras.__version__}
    results["arguments"] = vars(arguments)
    results["wall_seconds"] = time.time() - started
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {output}")


if __name__ == "__main__":
    main()
