"""`tfzoo export`: artifacts that load and agree with the agent in a process without tfzoo,
written whole or not at all, and one-paragraph errors for what cannot be exported."""

from __future__ import annotations

import json
import subprocess

import gymnasium
import keras
import numpy as np
import pytest
import tensorflow as tf

import tfzoo
from tests.conftest import run_fresh_python, synthetic_mnist, tfzoo_command
from tfzoo.tools.cli import main

# A process in which `import tfzoo` and `import gymnasium` fail: what an artifact's user has.
WITHOUT_TFZOO = """
import sys
sys.modules["tfzoo"] = None
sys.modules["gymnasium"] = None
import json
import numpy as np
import tensorflow as tf
"""


def run_without_tfzoo(code: str, tmp_path) -> dict:
    """Runs `code` after WITHOUT_TFZOO in a fresh Python; returns the JSON it printed last."""
    return run_fresh_python(WITHOUT_TFZOO, code, tmp_path)


def test_a_dqn_artifact_acts_as_the_agent_in_a_process_without_tfzoo(dqn_run, tmp_path):
    written = tfzoo.export_run(dqn_run, tmp_path / "policy", best=False)
    assert written["policy"] == "last" and set(written["signatures"]) == {"serving_default",
                                                                          "q_values"}
    _, agent, _ = tfzoo.load_run(dqn_run)
    observations = np.random.default_rng(0).normal(size=(1000, 4)).astype(np.float32)
    np.save(tmp_path / "observations.npy", observations)
    loaded = run_without_tfzoo(f"""
        artifact = tf.saved_model.load({str(tmp_path / "policy")!r})
        observations = np.load("observations.npy")
        actions = artifact.signatures["serving_default"](observations=observations)["actions"]
        q_values = artifact.signatures["q_values"](observations=observations)["q_values"]
        print(json.dumps({{"actions": actions.numpy().tolist(), "dtype": actions.dtype.name,
                          "q_shape": q_values.shape.as_list()}}))
    """, tmp_path)
    assert loaded["dtype"] == "int64" and loaded["q_shape"] == [1000, 2]
    np.testing.assert_array_equal(loaded["actions"], agent.act(observations, explore=False))


def test_the_best_policy_is_exported_by_default_where_the_run_kept_one(dqn_run, tmp_path):
    written = tfzoo.export_run(dqn_run, tmp_path / "best")
    summary = json.loads((dqn_run / "summary.json").read_text())
    assert written["policy"] == "best" and written["score"] == summary["best_eval_return"]
    _, best_agent, _ = tfzoo.load_run(dqn_run, best=True)
    artifact = tf.saved_model.load(str(tmp_path / "best"))
    observations = np.random.default_rng(1).normal(size=(300, 4)).astype(np.float32)
    actions = artifact.signatures["serving_default"](observations=observations)["actions"]
    np.testing.assert_array_equal(actions.numpy(), best_agent.act(observations, explore=False))


def test_an_mnist_artifact_takes_raw_uint8_images_and_scores_the_run_exactly(tmp_path):
    run = tmp_path / "mnist"
    summary = tfzoo.start_run("mnist-mlp", preset="handbook", path=run, seed=0, steps=60,
                              progress=False)
    tfzoo.export_run(run, tmp_path / "classifier")
    arrays = synthetic_mnist()  # The data the run read, through $TFZOO_DATA_DIR.
    np.savez(tmp_path / "test.npz", images=arrays["x_test"], labels=arrays["y_test"])
    loaded = run_without_tfzoo(f"""
        artifact = tf.saved_model.load({str(tmp_path / "classifier")!r})
        test = np.load("test.npz")
        outputs = artifact.signatures["serving_default"](images=test["images"])
        accuracy = float(np.mean(outputs["classes"].numpy() == test["labels"]))
        sums = outputs["probabilities"].numpy().sum(axis=1)
        print(json.dumps({{"accuracy": accuracy, "sums": [float(sums.min()), float(sums.max())]}}))
    """, tmp_path)
    assert loaded["accuracy"] == summary["eval_return"]
    assert loaded["sums"] == pytest.approx([1.0, 1.0], abs=1e-5)


@pytest.mark.parametrize("task_id", ["mnist-mlp", "mnist-cnn"])
def test_a_keras_file_opens_without_tfzoo_or_custom_objects_and_scores_the_run(task_id,
                                                                                tmp_path):
    run = tmp_path / task_id
    summary = tfzoo.start_run(task_id, preset="handbook", path=run, seed=0, steps=30,
                              progress=False)
    tfzoo.export_run(run, tmp_path / "classifier.keras", format="keras")
    arrays = synthetic_mnist()
    np.savez(tmp_path / "test.npz", images=arrays["x_test"], labels=arrays["y_test"])
    loaded = run_without_tfzoo(f"""
        import keras
        model = keras.saving.load_model({str(tmp_path / "classifier.keras")!r})
        test = np.load("test.npz")
        probabilities = model.predict(test["images"], verbose=0)
        accuracy = float(np.mean(probabilities.argmax(axis=1) == test["labels"]))
        print(json.dumps({{"accuracy": accuracy, "layers": sorted(
            {{type(layer).__module__.split(".")[0] for layer in model.layers}})}}))
    """, tmp_path)
    assert loaded["accuracy"] == summary["eval_return"] and loaded["layers"] == ["keras"]


def test_a_linear_regression_artifact_gives_the_agents_outputs(tmp_path):
    run = tmp_path / "linear"
    tfzoo.start_run("linear-regression", preset="handbook", path=run, seed=0, steps=50,
                    progress=False)
    tfzoo.export_run(run, tmp_path / "regression")
    _, agent, _ = tfzoo.load_run(run)
    inputs = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    outputs = tf.saved_model.load(str(tmp_path / "regression")).signatures["serving_default"](
        inputs=inputs)["outputs"]
    np.testing.assert_allclose(outputs.numpy(), agent.act(inputs), atol=1e-6)
    tfzoo.export_run(run, tmp_path / "regression.keras", format="keras")
    model = keras.saving.load_model(tmp_path / "regression.keras")
    np.testing.assert_allclose(model.predict(inputs, verbose=0), agent.act(inputs), atol=1e-6)


def test_the_command_prints_what_it_wrote_and_how_to_load_it(dqn_run, tmp_path):
    done = subprocess.run(tfzoo_command("export", str(dqn_run), "-o", str(tmp_path / "p")),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "best policy" in done.stdout and "tf.saved_model.load(" in done.stdout
    assert "serving_default(observations: float32 (batch, 4)) -> actions: int64 (batch,)" in (
        done.stdout)


def test_bad_exports_are_refused_in_one_paragraph_and_write_nothing(dqn_run, tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(tfzoo.ExportError, match="already exists"):
        tfzoo.export_run(dqn_run, existing)
    with pytest.raises(tfzoo.ExportError, match="Unknown export format 'onnx'"):
        tfzoo.export_run(dqn_run, tmp_path / "a", format="onnx")
    with pytest.raises(tfzoo.ExportError, match=r"named \*\.keras"):
        tfzoo.export_run(dqn_run, tmp_path / "model.h5", format="keras")
    with pytest.raises(tfzoo.ExportError, match="no plain Keras model"):
        tfzoo.export_run(dqn_run, tmp_path / "policy.keras", format="keras")
    with pytest.raises(tfzoo.RunDirectoryError, match="not a tfzoo run directory"):
        tfzoo.export_run(tmp_path, tmp_path / "b")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["existing"]


def test_an_unfinished_run_is_refused(dqn_run, tmp_path):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    for path in dqn_run.iterdir():
        if path.name != "summary.json" and path.is_file():
            (unfinished / path.name).write_bytes(path.read_bytes())
    with pytest.raises(tfzoo.ExportError, match="unfinished"):
        tfzoo.export_run(unfinished, tmp_path / "policy")


def test_an_agent_without_export_module_is_told_which_method_to_write(tmp_path):
    class Guesser(tfzoo.Agent):
        def act(self, observation, *, explore=True):
            return 0

        def learn(self, transition):
            return {}

    with pytest.raises(tfzoo.ExportError, match=r"export_module\(self, task\)"):
        tfzoo.export(Guesser(), gymnasium.make("CartPole-v1"), tmp_path / "guesser")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_export_leaves_nothing_behind(dqn_run, tmp_path, monkeypatch):
    save = tf.saved_model.save

    def save_then_interrupt(module, path, signatures):
        save(module, path, signatures=signatures)  # Files are written, then Ctrl-C.
        raise KeyboardInterrupt

    monkeypatch.setattr(tf.saved_model, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        tfzoo.export_run(dqn_run, tmp_path / "policy")
    assert list(tmp_path.iterdir()) == []


def serve_check(path, calls: int = 20) -> subprocess.CompletedProcess:
    """`tfzoo serve-check PATH --calls CALLS`, run as a user runs it."""
    return subprocess.run(tfzoo_command("serve-check", str(path), "--calls", str(calls)),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("format, path, runtime", [
    ("saved_model", "policy", "TensorFlow 2."),
    ("litert", "policy.tflite", "LiteRT's interpreter"),
])
def test_serve_check_loads_the_artifact_without_tfzoo_and_times_each_signature(
        dqn_run, tmp_path, format, path, runtime):
    tfzoo.export_run(dqn_run, tmp_path / path, format=format)
    done = serve_check(tmp_path / path)
    assert done.returncode == 0, done.stderr
    assert f"loaded by {runtime}" in done.stdout
    assert "tfzoo and gymnasium cannot be imported" in done.stdout
    assert "q_values(observations: float32 (batch, 4)) -> q_values: float32 (batch, 2)" in (
        done.stdout)
    assert done.stdout.count("p50 ") == 2 and " us per call" in done.stdout


def test_serve_check_calls_a_keras_file_and_refuses_what_export_does_not_write(tmp_path,
                                                                             capsys):
    run = tmp_path / "linear"
    tfzoo.start_run("linear-regression", preset="handbook", path=run, seed=0, steps=5,
                    progress=False)
    tfzoo.export_run(run, tmp_path / "regression.keras", format="keras")
    done = serve_check(tmp_path / "regression.keras")
    assert done.returncode == 0, done.stderr
    assert "loaded by Keras 3." in done.stdout
    assert "call(inputs: float32 (batch, 3)) -> " in done.stdout
    capsys.readouterr()
    assert main(["serve-check", str(run)]) == 2  # Refused before any process starts.
    assert "not an artifact that `tfzoo export` writes" in capsys.readouterr().err
