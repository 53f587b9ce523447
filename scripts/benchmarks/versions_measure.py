"""One measurement of the `versions` benchmark section, in a fresh process of one checkout.

Title: One timed training run, for comparing two versions of tfzoo
Description: `versions.py` runs this file with each checkout's own Python (`python -I`, so
that tfzoo is the one installed in that checkout's virtual environment, never one found in
the working directory). It uses only the public API every version has: `tfzoo.make`,
`tfzoo.make_agent`, `tfzoo.spec(...).preset(...)` and `tfzoo.train`.

    python -I scripts/benchmarks/versions_measure.py mnist-mlp --seed 0 --data-dir DIR
    python -I scripts/benchmarks/versions_measure.py cartpole-dqn --seed 0
    python -I scripts/benchmarks/versions_measure.py cartpole-dqn --seed 0 --chunk-steps 1000

It prints one line, `measurement: {...}`, holding the steps trained, the seconds
`tfzoo.train` took (not the imports, nor loading the data, which `make` does), its CPU
seconds, the machine's steal share meanwhile, and which tfzoo and TensorFlow ran.

With `--chunk-steps N` it first trains the whole budget once, so that everything is
compiled, prints `ready: {...}`, and then trains N more steps each time a line `go` comes
on its standard input, printing one `measurement:` line for each: warm steps only, timed
in chunks short enough for `versions.py` to alternate two checkouts every second or so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import tensorflow as tf

import tfzoo

CARTPOLE_STEPS = 10_000


def mnist_mlp(seed: int, data_dir: str | None) -> tuple[int, object, object]:
    """The handbook preset: the chapter's MLP, 1000 steps of 50 images."""
    steps = tfzoo.spec("mnist-mlp").preset("handbook").steps
    task = tfzoo.make("mnist-mlp", preset="handbook", data_dir=data_dir)
    return steps, tfzoo.make_agent("mnist-mlp", task, preset="handbook"), task


def cartpole_dqn(seed: int, data_dir: str | None) -> tuple[int, object, object]:
    """The default preset's DQN agent for 10,000 environment steps, without a run directory
    (so without periodic evaluations)."""
    task = tfzoo.make("cartpole-dqn", preset="default")
    return CARTPOLE_STEPS, tfzoo.make_agent("cartpole-dqn", task, preset="default"), task


def timed_training(agent, task, steps: int, seed: int) -> dict:
    """How long `tfzoo.train` takes for `steps` steps (its compilation included): wall-clock
    seconds, this process's CPU seconds, and the share of the machine's CPU time that its
    hypervisor gave to other machines meanwhile (steal, where Linux reports it)."""
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    machine_before = machine_times()
    tfzoo.train(agent, task, steps=steps, seed=seed, progress=False)
    machine = [after - before for before, after in zip(machine_before, machine_times())]
    return {"seconds": time.perf_counter() - wall_before,
            "cpu_seconds": time.process_time() - cpu_before,
            "steal_share": machine[7] / sum(machine) if len(machine) > 7 and sum(machine)
            else None}


def machine_times() -> list[int]:
    """The machine's CPU time by kind (user, nice, system, idle, ..., steal), or [] if the
    system does not say (it is read from Linux's /proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            return [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return []


MEASUREMENTS = {"mnist-mlp": mnist_mlp, "cartpole-dqn": cartpole_dqn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measurement", choices=sorted(MEASUREMENTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--chunk-steps", type=int, default=None,
                        help="after a warm-up, train this many steps at each 'go' on stdin")
    arguments = parser.parse_args()
    steps, agent, task = MEASUREMENTS[arguments.measurement](arguments.seed, arguments.data_dir)
    about = {"tfzoo": tfzoo.__file__, "tfzoo_version": tfzoo.__version__,
             "tensorflow": tf.__version__}
    if arguments.chunk_steps is None:
        times = timed_training(agent, task, steps, arguments.seed)
        print("measurement: " + json.dumps({"steps": steps, **times, **about}), flush=True)
        return
    # Warm: the whole budget once (compiling everything), then a chunk per "go" on stdin.
    timed_training(agent, task, steps, arguments.seed)
    print("ready: " + json.dumps(about), flush=True)
    for chunk, line in enumerate(sys.stdin):
        if line.strip() != "go":
            break
        times = timed_training(agent, task, arguments.chunk_steps, arguments.seed + 1 + chunk)
        print("measurement: " + json.dumps({"steps": arguments.chunk_steps, **times}),
              flush=True)


if __name__ == "__main__":
    main()
