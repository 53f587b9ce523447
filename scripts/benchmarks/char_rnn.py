"""The `char-rnn` section of `scripts/benchmark.py`: tfzoo against the chapter's own program.

Title: char-rnn benchmark
Description: The chapter's character model trained as the chapter does and through tfzoo,
the tuned default with its learning curve, and the speed of writing text.

Rows, per seed:

- `tfzoo handbook`: a run of the `handbook` preset (the chapter's `RNN`, 1000 batches of 50
  windows of 40, Adam 1e-3) through the act -> step -> learn loop, which also scores every
  batch before learning from it;
- `chapter eager` and `chapter tf.function`: the chapter's program ported to TF 2 (its `RNN`
  as it wrote it, a one-hot input and `LSTMCell` called per step; random windows of the same
  training text; its GradientTape step run eagerly as written, and compiled);
- `tfzoo default`: the tuned preset, with the test bits per character measured every few
  minutes of training.

Every row reports the cross-entropy on the same test windows as tfzoo's evaluation task
(for the handbook: the last character of each window of 40), training seconds, and
characters read per second. Generation is measured after the default run, from its run
directory in a fresh process (`tfzoo generate`), against the chapter's way of writing
(re-reading the whole window eagerly for every character) with the handbook's model.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import tfzoo
from tfzoo.models.char_rnn import RNN

BATCHES, BATCH_SIZE, WINDOW, LEARNING_RATE = 1000, 50, 40, 1e-3
CURVE_SECONDS = 120.0  # Test bits per character of the default run, this often.


class TestCurve(tfzoo.Callback):
    """Measures the test bits per character at an episode's end, every `every` seconds."""

    def __init__(self, test_task, every: float) -> None:
        self.test_task, self.every = test_task, every
        self.agent, self.points, self._next = None, [], every
        self.seconds = 0.0  # Spent measuring, which counts in the run's wall time.

    def on_run_start(self, agent, task, state) -> None:
        self.agent = agent

    def on_episode_end(self, record, state) -> None:
        if state.seconds < self._next:
            return
        self._next = state.seconds + self.every
        start = time.perf_counter()
        bits = self.agent.evaluation_metrics(self.test_task)["bits_per_char"]
        self.seconds += time.perf_counter() - start
        self.points.append({"seconds": round(state.seconds, 1), "steps": state.steps,
                            "test_bits_per_char": round(bits, 4)})
        print(f"    {state.seconds:7.1f} s, step {state.steps}: test {bits:.4f} bits/char",
              flush=True)


def test_task(preset, data_dir):
    """The task tfzoo evaluates a preset on (the test split's windows)."""
    evaluation = tfzoo.spec("char-rnn").evaluation.task
    return tfzoo.make("char-rnn", preset=preset, data_dir=data_dir, **evaluation)


def run_tfzoo(preset, seed, data_dir, directory) -> dict:
    """A run of `preset` in a run directory (the default's with its test curve)."""
    run_dir = Path(directory) / f"{preset}-seed{seed}"
    curve = TestCurve(test_task(preset, data_dir), CURVE_SECONDS)
    summary = tfzoo.start_run(
        "char-rnn", path=run_dir, preset=preset, seed=seed, progress=False,
        task_overrides={"data_dir": data_dir}, callbacks=[curve] if preset == "default" else [],
    )
    task = tfzoo.spec("char-rnn").preset(preset).task
    return {"nats": summary["eval_nats_per_char"], "accuracy": summary["eval_return"],
            "seconds": summary["wall_seconds"],
            "characters": summary["steps"] * task["batch_size"] * task["window"],
            "run_dir": str(run_dir),
            **({"curve": curve.points, "curve_seconds": curve.seconds} if curve.points else {})}


def run_chapter(compiled, seed, data_dir) -> dict:
    """The chapter's program, ported to TF 2: random windows, a GradientTape step."""
    task = tfzoo.make("char-rnn", preset="handbook", data_dir=data_dir)
    # The next characters of the train split's windows: its text from the 41st character on.
    vocabulary, text = task.unwrapped.vocabulary, task.unwrapped.targets
    keras.utils.set_random_seed(seed)
    model = RNN(len(vocabulary))
    optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)

    def get_batch():
        index = np.random.randint(0, len(text) - WINDOW, BATCH_SIZE)
        windows = index[:, None] + np.arange(WINDOW)  # (batch, window)
        return text[windows], text[index + WINDOW]

    def train_step(X, y):
        with tf.GradientTape() as tape:
            y_logit_pred = model(X)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                y, y_logit_pred, from_logits=True))
        # The chapter's model.variables: in Keras 3 those also hold a random-seed state.
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    step = tf.function(train_step) if compiled else train_step
    start = time.perf_counter()
    for _ in range(BATCHES):
        X, y = get_batch()
        step(tf.convert_to_tensor(X), y).numpy()  # The chapter prints every batch's loss.
    seconds = time.perf_counter() - start
    return {"nats": test_nats(model, test_task("handbook", data_dir)), "seconds": seconds,
            "characters": BATCHES * BATCH_SIZE * WINDOW, "model": model}


def test_nats(model, task) -> float:
    """Mean cross-entropy of `model` on all of `task`'s windows, in nats."""
    inputs, targets = task.unwrapped.inputs, task.unwrapped.targets
    logits = tf.function(model)
    total = sum(
        float(tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(
            targets[i : i + 500], logits(inputs[i : i + 500]), from_logits=True)))
        for i in range(0, len(inputs), 500)
    )
    return total / targets.size


def chapter_generation_speed(model, prompt_ids, length=400) -> float:
    """Characters per second the chapter's way: the window re-read eagerly per character."""
    X = prompt_ids[None, -WINDOW:]
    start = time.perf_counter()
    for _ in range(length):
        y_pred = model.predict(X, 0.5)
        X = np.concatenate([X[:, 1:], np.expand_dims(y_pred, axis=1)], axis=-1)
    return length / (time.perf_counter() - start)


def generation_from_the_command_line(run_dir, seed=0) -> dict:
    """`tfzoo generate` on a saved run in a fresh process, twice: speed and reproducibility."""
    command = [sys.executable, "-m", "tfzoo", "generate", run_dir, "--seed", str(seed),
               "--length", "400", "--temperature", "0.2", "0.5", "1.0", "1.2"]
    outputs, speeds = [], []
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        outputs.append(done.stdout)
        speeds.append(float(re.search(r"\((\d+) per second\)", done.stderr).group(1)))
    return {"characters_per_second": speeds, "same_text": outputs[0] == outputs[1],
            "sample": outputs[0]}


"""
## The section
"""


def section(arguments) -> dict:
    """Runs the rows of `arguments.runs` per seed, then measures generation; records, the
    generation speeds and a summary."""
    records, generation = [], {}
    with tempfile.TemporaryDirectory(prefix="tfzoo-char-rnn-") as directory:
        for seed in arguments.seeds:
            for run in arguments.runs:
                if run == "handbook" or run == "default":
                    result = run_tfzoo(run, seed, arguments.data_dir, directory)
                else:
                    result = run_chapter(run == "chapter-compiled", seed, arguments.data_dir)
                model = result.pop("model", None)
                if model is not None and run == "chapter" and "chapter" not in generation:
                    vocabulary = tfzoo.make("char-rnn", preset="handbook",
                                            data_dir=arguments.data_dir).unwrapped.vocabulary
                    prompt = vocabulary.encode("the free spirit, who is not only free, but")
                    generation["chapter"] = chapter_generation_speed(model, prompt)
                if run == "default" and "tfzoo" not in generation:
                    generation["tfzoo"] = generation_from_the_command_line(result["run_dir"])
                result.pop("run_dir", None)
                records.append({"run": LABELS[run], "seed": seed, **result,
                                "bits": result["nats"] / math.log(2),
                                "characters_per_second": result["characters"] / result["seconds"]})
                print(f"  char-rnn {LABELS[run]:<20} seed {seed}: {records[-1]['bits']:.4f} "
                      f"bits/char, {result['seconds']:.1f} s", flush=True)
    return {"records": records, "generation": generation, "summary": summarise(records)}


LABELS = {"handbook": "tfzoo handbook", "chapter": "chapter eager",
          "chapter-compiled": "chapter tf.function", "default": "tfzoo default"}
RUNS = list(LABELS)
DEFAULT_RUNS, DEFAULT_SEEDS = RUNS, [0]


def summarise(records) -> list[dict]:
    rows, ours = [], {r["seed"]: r["seconds"] for r in records if r["run"] == "tfzoo handbook"}
    for run in dict.fromkeys(r["run"] for r in records):
        group = [r for r in records if r["run"] == run]
        row = {"run": run, "seeds": [r["seed"] for r in group],
               "bits_per_char": [round(r["bits"], 4) for r in group],
               "median_seconds": float(np.median([r["seconds"] for r in group])),
               "median_characters_per_second": float(np.median(
                   [r["characters_per_second"] for r in group]))}
        ratios = [r["seconds"] / ours[r["seed"]] for r in group if r["seed"] in ours]
        if run not in ("tfzoo handbook", "tfzoo default") and ratios:
            row["this_over_tfzoo_handbook_time"] = float(np.median(ratios))
        rows.append(row)
    return rows


def print_table(results) -> None:
    print(f"\n{'run':<20} {'bits/char per seed':<20} {'median s':>9} {'chars/s':>9} "
          f"{'this/tfzoo':>10}")
    for row in results["summary"]:
        bits = " ".join(f"{b:.4f}" for b in row["bits_per_char"])
        ratio = row.get("this_over_tfzoo_handbook_time")
        print(f"{row['run']:<20} {bits:<20} {row['median_seconds']:>9.1f} "
              f"{row['median_characters_per_second']:>9.0f} "
              f"{'' if ratio is None else f'{ratio:.2f}x':>10}")
    generation = results["generation"]
    if "chapter" in generation:
        print(f"\ngeneration, the chapter's way (eager, window re-read): "
              f"{generation['chapter']:.0f} characters/s")
    if "tfzoo" in generation:
        tfzoo_generation = generation["tfzoo"]
        print(f"generation, tfzoo generate on the default run (fresh process, 4 x 400): "
              f"{tfzoo_generation['characters_per_second']} characters/s, same text twice: "
              f"{tfzoo_generation['same_text']}")
