"""One measurement of the `versions` benchmark section, in a fresh process of one checkout.

Title: One timed training run, for comparing two versions of tfzoo
Description: `versions.py` runs this file with each checkout's own Python (`python -I`, so
that tfzoo is the one installed in that checkout's virtual environment, never one found in
the working directory). It uses only the public API every version has: `tfzoo.make`,
`tfzoo.make_agent`, `tfzoo.spec(...).preset(...)` and `tfzoo.train`.

    python -I scripts/benchmarks/versions_measure.py mnist-mlp --seed 0 --data-dir DIR
    python -I scripts/benchmarks/versions_measure.py cartpole-dqn --seed 0

It prints one line, `measurement: {...}`, holding the steps trained, the seconds
`tfzoo.train` took (not the imports, nor loading the data, which `make` does), and which
tfzoo and TensorFlow ran.
"""

from __future__ import annotations

import argparse
import json
import time

import tensorflow as tf

import tfzoo

CARTPOLE_STEPS = 10_000


def mnist_mlp(seed: int, data_dir: str | None) -> tuple[int, float]:
    """The handbook preset: the chapter's MLP, 1000 steps of 50 images."""
    steps = tfzoo.spec("mnist-mlp").preset("handbook").steps
    task = tfzoo.make("mnist-mlp", preset="handbook", data_dir=data_dir)
    agent = tfzoo.make_agent("mnist-mlp", task, preset="handbook")
    return steps, timed_training(agent, task, steps, seed)


def cartpole_dqn(seed: int, data_dir: str | None) -> tuple[int, float]:
    """The default preset's DQN agent for 10,000 environment steps, without a run directory
    (so without periodic evaluations)."""
    task = tfzoo.make("cartpole-dqn", preset="default")
    agent = tfzoo.make_agent("cartpole-dqn", task, preset="default")
    return CARTPOLE_STEPS, timed_training(agent, task, CARTPOLE_STEPS, seed)


def timed_training(agent, task, steps: int, seed: int) -> float:
    """The seconds `tfzoo.train` takes for `steps` steps (its compilation included)."""
    start = time.perf_counter()
    tfzoo.train(agent, task, steps=steps, seed=seed, progress=False)
    return time.perf_counter() - start


MEASUREMENTS = {"mnist-mlp": mnist_mlp, "cartpole-dqn": cartpole_dqn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measurement", choices=sorted(MEASUREMENTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    arguments = parser.parse_args()
    steps, seconds = MEASUREMENTS[arguments.measurement](arguments.seed, arguments.data_dir)
    print("measurement: " + json.dumps({
        "steps": steps, "seconds": seconds, "tfzoo": tfzoo.__file__,
        "tfzoo_version": tfzoo.__version__, "tensorflow": tf.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
