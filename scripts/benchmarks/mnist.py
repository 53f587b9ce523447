"""The `mnist` section of scripts/benchmark.py: the chapter's MLP and CNN, four ways.

Title: MNIST benchmark
Description: tfzoo's handbook and default presets against `model.fit` and the chapter's own
training loop (ported to TF 2, eager and compiled), with the same model, optimizer and
batches, interleaved per seed.
"""

from __future__ import annotations

import statistics
import time

import keras
import numpy as np
import tensorflow as tf

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
ROWS = {  # --runs name: (label, function of model name, seed, data directory, arrays)
    "handbook": ("tfzoo handbook", lambda m, s, d, a: run_tfzoo(m, "handbook", s, d, a)),
    "keras-auto": ("keras fit (auto)", lambda m, s, d, a: run_keras_fit(m, "auto", s, a)),
    "keras-noxla": ("keras fit (no XLA)", lambda m, s, d, a: run_keras_fit(m, False, s, a)),
    "chapter": ("chapter eager", lambda m, s, d, a: run_chapter(m, False, s, a)),
    "chapter-compiled": ("chapter tf.function", lambda m, s, d, a: run_chapter(m, True, s, a)),
    "default": ("tfzoo default", lambda m, s, d, a: run_tfzoo(m, "default", s, d, a)),
}
RUNS = [*ROWS, *GROUPS]  # The names --runs takes.
DEFAULT_RUNS = ["handbook", "keras", "chapter", "chapter-compiled", "default"]
DEFAULT_SEEDS = [0, 1, 2]


def section(arguments) -> dict:
    """Runs the rows of `arguments.runs` for every model and seed; records and a summary."""
    arrays = mnist_arrays(arguments.data_dir)
    runs = [name for run in arguments.runs for name in GROUPS.get(run, (run,))]
    records = []
    for seed in arguments.seeds:  # Interleaved: every row of a seed before the next seed.
        for model_name in arguments.models:
            for run in runs:
                label, function = ROWS[run]
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


def print_table(results) -> None:
    summary = results["summary"]
    print(f"\n{'task':<10} {'run':<20} {'mean acc':>9} {'accuracy per seed':<26} "
          f"{'median s':>9} {'samples/s':>10} {'tfzoo/this':>10}")
    for row in summary:
        accuracies = " ".join(f"{a:.4f}" for a in row["accuracies"])
        ratio = row.get("tfzoo_handbook_time_ratio")
        print(f"{row['task']:<10} {row['run']:<20} {row['mean_accuracy']:>9.4f} "
              f"{accuracies:<26} {row['median_seconds']:>9.1f} "
              f"{row['median_samples_per_second']:>10.0f} "
              f"{'' if ratio is None else f'{ratio:.3f}':>10}")
