"""A char-rnn run exported: its artifact writes, inside the graph and without tfzoo, the very
text `tfzoo generate` writes, steps like the model, and refuses characters it never saw."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import tfzoo
from tests.conftest import tfzoo_command
from tests.test_export import run_without_tfzoo
from tfzoo.tools.cli import main

PROMPT = "The will to power"
TEMPERATURES = ("0.2", "0.5", "1.0", "1.2")  # The chapter's.


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    """A short finished char-rnn run of a small `CharLSTM` (the default preset's model) on the
    synthetic Nietzsche text."""
    path = tmp_path_factory.mktemp("runs") / "char"
    tfzoo.start_run("char-rnn", path=path, seed=0, steps=40, progress=False,
                    task_overrides={"window": 20, "batch_size": 16},
                    agent_overrides={"units": 32, "embedding_size": 8, "dropout": 0.0})
    return path


@pytest.fixture(scope="module")
def text_artifact(text_run, tmp_path_factory):
    """The text run exported as a SavedModel, and what export_run said of it."""
    path = tmp_path_factory.mktemp("exported") / "writer"
    return path, tfzoo.export_run(text_run, path)


def generated_by_the_command(run, seed: int, length: int, capsys) -> dict[str, str]:
    """{temperature: text} that `tfzoo generate RUN --seed` prints for PROMPT."""
    capsys.readouterr()
    assert main(["generate", str(run), "--prompt", PROMPT, "--length", str(length), "--seed",
                 str(seed), "--temperature", *TEMPERATURES]) == 0
    sections = capsys.readouterr().out.split("\ntemperature ")[1:]  # "0.2:\n<text>\n" each
    return {section.split(":\n", 1)[0]: section.split(":\n", 1)[1][:length]
            for section in sections}


def test_the_artifact_writes_the_text_of_tfzoo_generate_and_steps_like_the_model(
        text_run, text_artifact, tmp_path, capsys):
    path, written = text_artifact
    assert set(written["signatures"]) == {"generate", "serving_default", "next_logits",
                                          "initial_state", "vocabulary"}
    assert written["signatures"]["generate"]["outputs"] == {"text": "string ()"}
    expected = generated_by_the_command(text_run, seed=0, length=120, capsys=capsys)
    assert set(expected) == set(TEMPERATURES) and len(set(expected.values())) > 1
    _, agent, _ = tfzoo.load_run(text_run)
    ids = agent.vocabulary.encode(PROMPT.lower())[None]  # (1, prompt): the text is lower-cased
    np.save(tmp_path / "ids.npy", ids)
    # One process without tfzoo (each costs seconds): the text, then step by step, then errors.
    loaded = run_without_tfzoo(f"""
        artifact = tf.saved_model.load({str(path)!r})
        texts = {{}}
        for temperature in {TEMPERATURES!r}:
            outputs = artifact.signatures["generate"](
                prompt=tf.constant({PROMPT!r}), length=tf.constant(120),
                temperature=tf.constant(float(temperature)), seed=tf.constant(0, tf.int64))
            texts[temperature] = outputs["text"].numpy().decode("utf-8")
        ids = np.load("ids.npy")
        state = artifact.initial_state(batch_size=tf.constant(1))["state"]
        steps = []
        for position in range(ids.shape[1]):  # One character at a time, carrying the state.
            outputs = artifact.next_logits(ids=ids[:, position:position + 1], state=state)
            steps.append(outputs["logits"].numpy()[:, 0].tolist())
            state = outputs["state"]
        errors = {{}}
        for name, arguments in {{"unknown": ("The will to 9", 1.0), "cold": ("The", 0.0)}}.items():
            try:
                artifact.generate(prompt=tf.constant(arguments[0]), length=tf.constant(5),
                                  temperature=tf.constant(arguments[1]),
                                  seed=tf.constant(0, tf.int64))
            except tf.errors.InvalidArgumentError as error:
                errors[name] = error.message
        characters = artifact.vocabulary()["characters"].numpy().decode("utf-8")
        print(json.dumps({{"texts": texts, "steps": steps, "errors": errors,
                          "characters": characters}}))
    """, tmp_path)
    assert loaded["texts"] == expected
    np.testing.assert_allclose(np.array(loaded["steps"]).transpose(1, 0, 2),
                               agent.model(ids).numpy(), rtol=1e-5, atol=1e-5)
    assert loaded["characters"] == agent.vocabulary.characters
    assert "never seen in training:] [9]" in loaded["errors"]["unknown"]
    assert "temperature must be > 0" in loaded["errors"]["cold"]


def test_the_chapters_window_model_says_which_model_exports(tmp_path):
    task = tfzoo.make("char-rnn", window=8, target="last")
    agent = tfzoo.make_agent("char-rnn", task, model="rnn-fast", units=8)
    with pytest.raises(tfzoo.ExportError, match="model='char-lstm' .the default preset."):
        tfzoo.export(agent, task, tmp_path / "writer")
    assert list(tmp_path.iterdir()) == []


def test_serve_check_feeds_a_text_artifact_its_own_characters(text_artifact):
    done = subprocess.run(tfzoo_command("serve-check", str(text_artifact[0]), "--calls", "3"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert ("generate(length: int32 (), prompt: string (), seed: int64 (), temperature: "
            "float32 ()) -> text: string ()") in done.stdout
    assert "next_logits(ids: int64 (batch, any), state: float32 (2, batch, 32))" in done.stdout
    assert done.stdout.count("p50 ") == 5
