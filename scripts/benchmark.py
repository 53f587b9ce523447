"""Benchmarks: tfzoo against plain Keras and the chapter's own programs, side by side.

Title: tfzoo benchmarks
Description: Each section trains the same models the same way with tfzoo and with what a
user would write instead, interleaving the runs so the machine's noise hits both alike,
and reports medians and ratios. Results print as a table and are written as JSON.

    python scripts/benchmark.py mnist --data-dir ../shared/data --seeds 0 1 2
    python scripts/benchmark.py mnist --models mlp --runs handbook keras chapter
    python scripts/benchmark.py char-rnn --data-dir ../shared/data --seeds 0
    python scripts/benchmark.py cartpole --runs default sb3 --seeds 0 1 2 3 4
    python scripts/benchmark.py modes --data-dir ../shared/data

Sections: `mnist` (mnist-mlp and mnist-cnn, here), `char-rnn` (in benchmark_char_rnn.py)
`cartpole` (in benchmark_cartpole.py) and `modes` (compiled, eager and XLA execution, in
benchmark_modes.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from benchmark_cartpole import RUNS as CARTPOLE_RUNS
from benchmark_cartpole import cartpole_section, print_cartpole_table
from benchmark_char_rnn import RUNS as CHAR_RNN_RUNS
from benchmark_char_rnn import char_rnn_section, print_char_rnn_table
from benchmark_modes import RUNS as MODE_RUNS
from benchmark_modes import modes_section, print_modes_table

import tfzoo
from tfzoo.data import load_mnist
from tfzoo.models.mnist import CNN, MLP

"""
## MNIST: the chapter's MLP and CNN

Every run trains on the same number of samples with the same model, optimizer and batch
size as the chapter (1000 batches of 50, Adam 1e-3), and reports test accuracy and the
wall-clock seconds of training, compilation included. The rows:

- `tfzoo handbook`: `tfzoo.train` with the `handbook` preset, through the act -> step ->
  learn loop (which also scores every batch before learning from it);
- `keras fit (auto)` and `keras fit (no XLA)`: `model.compile(...)` + `model.fit(...)`, with
  Keras's default `jit_compile="auto"` (XLA when the model allows it) and without XLA;
- `chapter eager` and `chapter tf.function`: the chapter's program ported to TF 2, with its
  training step run eagerly as written, and compiled;
- `tfzoo default`: the tuned default preset with its own budget.
"""

BATCHES, BATCH_SIZE, LEARNING_RATE = 1000, 50, 1e-3
MODELS = {"mlp": MLP, "cnn": CNN}


def mnist_arrays(data_dir):
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir)
    return (x_train.astype(np.float32) / 255.0, y_train.astype(np.int64),
            x_test.astype(np.float32) / 255.0, y_test.astype(np.int64))


def accuracy(model, x_test, y_test) -> float:
    logits = np.concatenate([model(x_test[i:i + 500]).numpy() for i in range(0, len(x_test), 500)])
    return float(np.mean(np.argmax(logits, axis=-1) == y_test))


def run_tfzoo(model_name, preset, seed, data_dir, arrays):
    task_id = f"mnist-{model_name}"
    task = tfzoo.make(task_id, preset=preset, data_dir=data_dir)
    agent = tfzoo.make_agent(task_id, task, preset=preset)
    chosen = tfzoo.spec(task_id).preset(preset)
    start = time.perf_counter()
    history = tfzoo.train(agent, task, steps=chosen.steps, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    test_task = tfzoo.make(task_id, preset=preset, data_dir=data_dir, split="test",
                           batch_size=500)
    samples = history.state.steps * task.batch_size
    return {"accuracy": tfzoo.evaluate(agent, test_task), "seconds": seconds,
            "samples": samples}


def run_keras_fit(model_name, jit_compile, seed, arrays):
    x_train, y_train, x_test, y_test = arrays
    keras.utils.set_random_seed(seed)
    model = MODELS[model_name]()
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"], jit_compile=jit_compile,
    )
    samples = BATCHES * BATCH_SIZE
    start = time.perf_counter()
    model.fit(x_train[:samples], y_train[:samples], batch_size=BATCH_SIZE, epochs=1,
              shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    return {"accuracy": accuracy(model, x_test, y_test), "seconds": seconds, "samples": samples}


def run_chapter(model_name, compiled, seed, arrays):
    """The chapter's training loop, ported to TF 2: random batches, a GradientTape step."""
    x_train, y_train, x_test, y_test = arrays
    keras.utils.set_random_seed(seed)
    model = MODELS[model_name]()
    optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)

    def train_step(X, y):
        with tf.GradientTape() as tape:
            y_logit_pred = model(X)
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
                y, y_logit_pred, from_logits=True))
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables, strict=True))
        return loss

    step = tf.function(train_step) if compiled else train_step
    start = time.perf_counter()
    for _ in range(BATCHES):
        index = np.random.randint(0, np.shape(x_train)[0], BATCH_SIZE)
        loss = step(tf.convert_to_tensor(x_train[index]), y_train[index])
        loss.numpy()  # The chapter prints the loss of every batch.
    seconds = time.perf_counter() - start
    return {"accuracy": accuracy(model, x_test, y_test), "seconds": seconds,
            "samples": BATCHES * BATCH_SIZE}


GROUPS = {"keras": ("keras-auto", "keras-noxla")}
RUNS = {
    "handbook": ("tfzoo handbook", lambda m, s, d, a: run_tfzoo(m, "handbook", s, d, a)),
    "keras-auto": ("keras fit (auto)", lambda m, s, d, a: run_keras_fit(m, "auto", s, a)),
    "keras-noxla": ("keras fit (no XLA)", lambda m, s, d, a: run_keras_fit(m, False, s, a)),
    "chapter": ("chapter eager", lambda m, s, d, a: run_chapter(m, False, s, a)),
    "chapter-compiled": ("chapter tf.function", lambda m, s, d, a: run_chapter(m, True, s, a)),
    "default": ("tfzoo default", lambda m, s, d, a: run_tfzoo(m, "default", s, d, a)),
}


def mnist_section(arguments) -> dict:
    arrays = mnist_arrays(arguments.data_dir)
    runs = [name for run in arguments.runs for name in GROUPS.get(run, (run,))]
    records = []
    for seed in arguments.seeds:  # Interleaved: every row of a seed before the next seed.
        for model_name in arguments.models:
            for run in runs:
                label, function = RUNS[run]
                result = function(model_name, seed, arguments.data_dir, arrays)
                record = {"task": f"mnist-{model_name}", "run": label, "seed": seed, **result,
                          "samples_per_second": result["samples"] / result["seconds"]}
                records.append(record)
                print(f"  {record['task']:<10} {label:<20} seed {seed}: accuracy "
                      f"{record['accuracy']:.4f}, {record['seconds']:.1f} s", flush=True)
    return {"records": records, "summary": summarise(records)}


def summarise(records) -> list[dict]:
    rows = []
    for task in dict.fromkeys(record["task"] for record in records):
        by_run = {}
        for record in records:
            if record["task"] == task:
                by_run.setdefault(record["run"], []).append(record)
        for run, group in by_run.items():
            rows.append({
                "task": task, "run": run, "seeds": [r["seed"] for r in group],
                "accuracies": [r["accuracy"] for r in group],
                "mean_accuracy": statistics.mean(r["accuracy"] for r in group),
                "median_seconds": statistics.median(r["seconds"] for r in group),
                "median_samples_per_second": statistics.median(
                    r["samples_per_second"] for r in group),
            })
        add_ratios(rows, task, by_run)
    return rows


def add_ratios(rows, task, by_run) -> None:
    """Per seed: tfzoo handbook seconds / each other row's seconds; the median of those."""
    ours = {r["seed"]: r["seconds"] for r in by_run.get("tfzoo handbook", [])}
    for row in rows:
        if row["task"] != task or row["run"] in ("tfzoo handbook", "tfzoo default"):
            continue
        theirs = {r["seed"]: r["seconds"] for r in by_run[row["run"]]}
        ratios = [ours[seed] / theirs[seed] for seed in theirs if seed in ours]
        if ratios:
            row["tfzoo_handbook_time_ratio"] = statistics.median(ratios)


def print_table(summary) -> None:
    print(f"\n{'task':<10} {'run':<20} {'mean acc':>9} {'accuracy per seed':<26} "
          f"{'median s':>9} {'samples/s':>10} {'tfzoo/this':>10}")
    for row in summary:
        accuracies = " ".join(f"{a:.4f}" for a in row["accuracies"])
        ratio = row.get("tfzoo_handbook_time_ratio")
        print(f"{row['task']:<10} {row['run']:<20} {row['mean_accuracy']:>9.4f} "
              f"{accuracies:<26} {row['median_seconds']:>9.1f} "
              f"{row['median_samples_per_second']:>10.0f} "
              f"{'' if ratio is None else f'{ratio:.3f}':>10}")


"""
## Running
"""

SECTIONS = {  # name: (run, print the table, runs, default runs, default seeds)
    "mnist": (mnist_section, lambda results: print_table(results["summary"]), [*RUNS, *GROUPS],
              ["handbook", "keras", "chapter", "chapter-compiled", "default"], [0, 1, 2]),
    "char-rnn": (char_rnn_section, print_char_rnn_table, CHAR_RNN_RUNS, CHAR_RNN_RUNS, [0]),
    "cartpole": (cartpole_section, print_cartpole_table, CARTPOLE_RUNS, CARTPOLE_RUNS,
                 [0, 1, 2, 3, 4]),
    "modes": (modes_section, print_modes_table, MODE_RUNS, MODE_RUNS, [0, 1, 2]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description="tfzoo benchmarks")
    parser.add_argument("section", choices=sorted(SECTIONS))
    parser.add_argument("--data-dir", default=None, help="where the datasets are")
    parser.add_argument("--seeds", type=int, nargs="+",
                        help="default: 0 1 2 (char-rnn: 0, cartpole: 0 1 2 3 4)")
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"], choices=sorted(MODELS),
                        help="mnist only")
    parser.add_argument("--runs", nargs="+", help="rows to run (default: all of the section's)")
    parser.add_argument("--chapter-seconds", type=float, default=300.0,
                        help="cartpole: stop the chapter's eager program after this long")
    parser.add_argument("--output", default=None, help="default benchmark-results/SECTION.json")
    arguments = parser.parse_args()
    section, print_results, known_runs, default_runs, default_seeds = SECTIONS[arguments.section]
    arguments.runs = arguments.runs or default_runs
    arguments.seeds = arguments.seeds or default_seeds
    unknown_runs = sorted(set(arguments.runs) - set(known_runs))
    if unknown_runs:
        parser.error(f"--runs {' '.join(unknown_runs)}: the {arguments.section} section has "
                     f"{' '.join(known_runs)}")
    started = time.time()
    results = section(arguments)
    print_results(results)
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
