"""The char-rnn task, its agent, text loading, the vocabulary and generation, on synthetic text."""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfzoo
from tfzoo.data import DataError, load_text
from tfzoo.errors import ConfigError, RunDirectoryError
from tfzoo.models.char_rnn import RNN, FastRNN
from tfzoo.text import Vocabulary, generate
from tfzoo.tools.cli import main

PATTERN = "abcd" * 1500  # Every character fixes the next one.
SMALL_LSTM = {"units": 32, "embedding_size": 8, "learning_rate": 0.02}


@pytest.fixture
def pattern_file(tmp_path):
    path = tmp_path / "pattern.txt"
    path.write_text(PATTERN, encoding="utf-8")
    return str(path)


def trained_pattern_agent(pattern_file, steps=150):
    task = tfzoo.make("char-rnn", text_path=pattern_file, window=12, batch_size=16, target="all")
    agent = tfzoo.make_agent("char-rnn", task, model="char-lstm", **SMALL_LSTM)
    tfzoo.train(agent, task, steps=steps, seed=0, progress=False)
    return task, agent


def test_vocabulary_round_trip_and_unknown_characters():
    vocabulary = Vocabulary.from_text("hello, world\n")
    assert vocabulary.characters == "\n ,dehlorw"
    ids = vocabulary.encode("world, hello")
    assert ids.dtype == np.int64 and vocabulary.decode(ids) == "world, hello"
    assert Vocabulary(vocabulary.characters) == vocabulary  # What a run saves rebuilds it.
    with pytest.raises(ConfigError, match=r"2 character\(s\) never seen in training: 'H', 'X'"):
        vocabulary.encode("Hello X")
    with pytest.raises(ConfigError, match="sorted order"):
        Vocabulary("ba")
    with pytest.raises(ConfigError, match="ids 0 to 9 only"):
        vocabulary.decode([3, 10])


def test_load_text_reads_files_and_finds_nietzsche(tmp_path, mnist_dir):
    path = tmp_path / "windows.txt"
    path.write_bytes(b"Line one\r\nLine two\rthree")
    assert load_text(path) == "Line one\nLine two\nthree"
    assert load_text("nietzsche") == (mnist_dir / "nietzsche.txt").read_text(encoding="utf-8")
    own = tmp_path / "own"
    own.mkdir()
    (own / "nietzsche.txt").write_text("mine", encoding="utf-8")
    assert load_text("nietzsche", data_dir=own) == "mine"  # An explicit directory comes first.


@pytest.mark.parametrize("content, message", [
    (None, "cannot be read"),
    (b"", "is empty"),
    (b"caf\xe9", r"not UTF-8 text \(byte 3 is 0xe9\)"),
])
def test_bad_text_files_are_named_with_the_fix(tmp_path, content, message):
    path = tmp_path / "text.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_text(path)


def test_nietzsche_nowhere_and_offline_names_every_place(tmp_path, monkeypatch):
    monkeypatch.setenv("TFZOO_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError) as error:
        load_text("nietzsche", download=False)
    message = str(error.value)
    assert "data_dir (not set)" in message and str(tmp_path) in message
    assert "the Keras cache" in message and "--data-dir" in message


def test_windows_targets_and_splits(pattern_file):
    last = tfzoo.make("char-rnn", text_path=pattern_file, window=5, batch_size=4, target="last",
                      shuffle=False)
    observation, _ = last.reset(seed=0)
    _, _, _, _, info = last.step(np.zeros(4, np.int64))
    assert observation.shape == (4, 5) and info["target"].shape == (4,)
    np.testing.assert_array_equal(info["target"], (observation[:, -1] + 1) % 4)
    # The train split is the first 90%; with target="last" every position ends a window.
    assert last.unwrapped.batches_per_pass == math.ceil((int(len(PATTERN) * 0.9) - 5) / 4)
    test = tfzoo.make("char-rnn", text_path=pattern_file, window=5, split="test", target="all",
                      batch_size=1000, shuffle=False)
    observation, _ = test.reset(seed=0)
    ids = test.unwrapped.vocabulary.encode(PATTERN[int(len(PATTERN) * 0.9):])
    np.testing.assert_array_equal(observation[:2].reshape(-1), ids[:10])  # Consecutive windows.
    _, reward, terminated, _, _ = test.step((observation + 1) % 4)  # The true next characters.
    assert terminated and reward == pytest.approx(1.0)


def test_a_small_lstm_learns_a_repeating_pattern_perfectly(pattern_file):
    task, agent = trained_pattern_agent(pattern_file)
    test = tfzoo.make("char-rnn", text_path=pattern_file, window=12, target="all",
                      split="test", batch_size=100)
    assert tfzoo.evaluate(agent, test) == 1.0
    metrics = agent.evaluation_metrics(test)
    assert metrics["nats_per_char"] < 0.05
    assert metrics["bits_per_char"] == pytest.approx(metrics["nats_per_char"] / np.log(2))


def test_the_chapter_model_learns_the_last_character(pattern_file):
    task = tfzoo.make("char-rnn", preset="handbook", text_path=pattern_file, window=5,
                      batch_size=32)
    agent = tfzoo.make_agent("char-rnn", task, preset="handbook", units=16, learning_rate=0.02)
    test = tfzoo.make("char-rnn", preset="handbook", text_path=pattern_file, window=5,
                      split="test", batch_size=200)
    before = agent.evaluation_metrics(test)["nats_per_char"]  # About ln 4 = 1.39 at first.
    tfzoo.train(agent, task, steps=120, seed=0, progress=False)
    assert tfzoo.evaluate(agent, test) == 1.0
    assert before > 1.0 and agent.evaluation_metrics(test)["nats_per_char"] < 0.1
    assert isinstance(agent.model, RNN)
    predicted = agent.model.predict(test.reset(seed=0)[0][:3], temperature=0.5)
    assert predicted.shape == (3,) and set(predicted) <= set(range(4))
    with pytest.raises(ValueError, match="temperature=0 must be > 0"):
        agent.model.predict(test.reset(seed=0)[0][:3], temperature=0)


def test_the_fast_rnn_computes_the_chapters_one_hot_loop():
    # The chapter's RNN feeds one-hot vectors to LSTMCell, one step at a time; FastRNN
    # looks the kernel's rows up instead. With the same weights, the logits and gradients
    # must be the chapter's.
    chapter, fast = RNN(7, units=16), FastRNN(7, units=16)
    ids = np.random.default_rng(0).integers(0, 7, size=(5, 9))  # (batch, time)
    targets = np.random.default_rng(1).integers(0, 7, size=5)
    chapter(ids), fast(ids)  # Build both.
    fast.set_weights(chapter.get_weights())

    def logits_and_gradients(model):
        with tf.GradientTape() as tape:
            logits = model(ids)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                targets, logits, from_logits=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        return logits.numpy(), [tf.convert_to_tensor(g).numpy() for g in gradients]

    logits, gradients = logits_and_gradients(fast)
    chapter_logits, chapter_gradients = logits_and_gradients(chapter)
    np.testing.assert_allclose(logits, chapter_logits, rtol=1e-6, atol=1e-7)
    assert len(gradients) == 5  # Both kernels and the bias of the cell, the dense layer's two.
    for ours, theirs in zip(gradients, chapter_gradients, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-8)


def test_generation_is_reproducible_and_follows_the_temperature(pattern_file):
    _, agent = trained_pattern_agent(pattern_file)
    streamed = []
    cold = generate(agent, "abcdab", 200, temperature=0.2, seed=7, stream=streamed.append)
    assert cold == "cdab" * 50 and "".join(streamed) == cold
    hot = generate(agent, "abcdab", 200, temperature=20.0, seed=7)
    assert hot == generate(agent, "abcdab", 200, temperature=20.0, seed=7)
    assert hot != generate(agent, "abcdab", 200, temperature=20.0, seed=8)
    mistakes = sum(a != b for a, b in zip(hot, "cdab" * 50, strict=True))
    assert mistakes > 50  # Nearly uniform: about 3 in 4 characters break the pattern.


@pytest.mark.parametrize("arguments, message", [
    ({"temperature": 0}, "temperature=0 must be a number > 0"),
    ({"temperature": float("nan")}, "must be a number > 0"),
    ({"length": -1}, "length=-1 must be a whole number >= 0"),
    ({"prompt": "abz"}, r"never seen in training: 'z'"),
    ({"prompt": ""}, "at least one character"),
    ({"seed": -3}, "not a seed"),
])
def test_bad_generation_arguments_are_errors(pattern_file, arguments, message):
    task = tfzoo.make("char-rnn", text_path=pattern_file, window=12, target="all")
    agent = tfzoo.make_agent("char-rnn", task, model="char-lstm", **SMALL_LSTM)
    with pytest.raises(ConfigError, match=message):
        generate(agent, **{"prompt": "abc", "length": 5, "temperature": 1.0, **arguments})


@pytest.mark.parametrize("settings, message", [
    ({"window": 0}, "window=0 must be a whole number >= 1"),
    ({"target": "next"}, "target='next' is not a kind of target"),
    ({"stride": 0}, "stride=0"),
    ({"window": 5400}, "has 5400 characters, too few for windows of 5400"),
])
def test_bad_task_settings_are_errors(pattern_file, settings, message):
    with pytest.raises(ConfigError, match=message):
        tfzoo.make("char-rnn", text_path=pattern_file, **settings)


@pytest.mark.parametrize("settings, message", [
    ({"units": 0}, "units=0 must be a whole number >= 1"),
    ({"layers": 0}, "layers=0 must be"),
    ({"dropout": 1.0}, r"dropout=1.0 must be a number >= 0 and < 1"),
    ({"model": "mlp"}, "model='mlp' is not a character model"),
    ({"model": "gru"}, "Unknown model 'gru'"),
])
def test_bad_model_settings_are_errors(pattern_file, settings, message):
    task = tfzoo.make("char-rnn", text_path=pattern_file)
    with pytest.raises(tfzoo.TfzooError, match=message):
        tfzoo.make_agent("char-rnn", task, **settings)


def test_a_model_that_does_not_fit_the_target_is_refused(pattern_file):
    last = tfzoo.make("char-rnn", text_path=pattern_file, target="last")
    with pytest.raises(ConfigError, match="model='char-lstm' goes with target='all'"):
        tfzoo.make_agent("char-rnn", last, model="char-lstm")
    every = tfzoo.make("char-rnn", text_path=pattern_file, target="all")
    with pytest.raises(ConfigError, match="model='rnn-fast' goes with target='last'"):
        tfzoo.make_agent("char-rnn", every, model="rnn-fast")


def test_a_checkpoint_keeps_the_vocabulary_and_refuses_another_text(pattern_file, tmp_path):
    _, agent = trained_pattern_agent(pattern_file, steps=40)
    path = agent.save(tmp_path / "checkpoint")
    task = tfzoo.make("char-rnn", text_path=pattern_file, window=12, target="all")
    same = tfzoo.make_agent("char-rnn", task, model="char-lstm", **SMALL_LSTM)
    same.restore(path)
    assert generate(same, "ab", 50, 1.0, seed=1) == generate(agent, "ab", 50, 1.0, seed=1)
    other_file = tmp_path / "other.txt"
    other_file.write_text("wxyz" * 1500, encoding="utf-8")
    other = tfzoo.make("char-rnn", text_path=str(other_file), window=12, target="all")
    stranger = tfzoo.make_agent("char-rnn", other, model="char-lstm", **SMALL_LSTM)
    with pytest.raises(RunDirectoryError, match="trained on a text with 4 distinct characters"):
        stranger.restore(path)
    linear_task = tfzoo.make("linear-regression")
    linear = tfzoo.make_agent("linear-regression", linear_task)
    foreign = linear.save(tmp_path / "linear")
    with pytest.raises(RunDirectoryError, match="holds no char-rnn vocabulary"):
        same.restore(foreign)


def test_train_then_generate_from_the_command_line(pattern_file, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", "char-rnn", "--preset", "handbook", "--steps", "30", "--seed", "0",
                 "--set", f"text_path={pattern_file}", "--set", "units=16", "--set", "window=8",
                 "--logdir", str(run_dir), "--no-progress"]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["eval_bits_per_char"] == pytest.approx(summary["eval_nats_per_char"] / np.log(2))
    capsys.readouterr()
    arguments = ["generate", str(run_dir), "--prompt", "ABCD", "--length", "40",
                 "--temperature", "0.5", "1.0", "--seed", "3"]
    assert main(arguments) == 0
    first = capsys.readouterr()
    assert "temperature 0.5:" in first.out and "temperature 1.0:" in first.out
    assert "80 characters in" in first.err
    assert main(arguments) == 0
    assert capsys.readouterr().out == first.out  # Same seed, same text.
    assert main(["generate", str(run_dir), "--prompt", "abcd", "--temperature", "0"]) == 2
    assert "must be a number > 0" in capsys.readouterr().err


def test_generate_refuses_a_run_that_does_not_write_text(tmp_path, capsys):
    run_dir = tmp_path / "linear"
    assert main(["train", "linear-regression", "--steps", "2", "--logdir", str(run_dir),
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["generate", str(run_dir)]) == 2
    assert "takes char-rnn runs" in capsys.readouterr().err


def test_a_run_records_data_paths_as_absolute_ones(pattern_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    summary = tfzoo.start_run(
        "char-rnn", path="run", preset="handbook", steps=2, seed=0, progress=False,
        task_overrides={"text_path": "pattern.txt", "window": 5}, agent_overrides={"units": 8},
    )
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["task_kwargs"]["text_path"] == pattern_file and summary["steps"] == 2
