"""`tfzoo export --format litert`: .tflite files that LiteRT's interpreter runs in a process
without tfzoo, gymnasium or TensorFlow and that agree with the agent, written whole or not at
all, and one-paragraph errors for what cannot be converted."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tfzoo
import tfzoo.litert
from tests.conftest import run_fresh_python, synthetic_mnist, tfzoo_command
from tfzoo.exporting import FORMATS, signature_functions
from tfzoo.models.dqn import GreedyPolicy, QNetwork
from tfzoo.tools.cli import parser

# A process with LiteRT's interpreter and NumPy only: what a .tflite file's user has.
LITERT_ONLY = """
import sys
for name in ("tfzoo", "gymnasium", "tensorflow", "keras"):
    sys.modules[name] = None
import json
import numpy as np
from ai_edge_litert.interpreter import Interpreter
"""


def run_with_litert_only(code: str, tmp_path) -> dict:
    """Runs `code` after LITERT_ONLY in a fresh Python; returns the JSON it printed last."""
    return run_fresh_python(LITERT_ONLY, code, tmp_path)


def test_a_dqn_tflite_from_the_command_acts_as_the_agent(dqn_run, tmp_path):
    policy = tmp_path / "policy.tflite"
    done = subprocess.run(tfzoo_command("export", str(dqn_run), "--last", "--format", "litert",
                                        "-o", str(policy)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "as a litert" in done.stdout and "get_signature_runner" in done.stdout
    observations = np.random.default_rng(0).normal(size=(1000, 4)).astype(np.float32)
    np.save(tmp_path / "observations.npy", observations)
    loaded = run_with_litert_only(f"""
        interpreter = Interpreter(model_path={str(policy)!r})
        observations = np.load("observations.npy")
        act = interpreter.get_signature_runner("serving_default")
        actions = act(observations=observations)["actions"]
        one = act(observations=observations[:1])["actions"]  # The batch is free.
        q_values = interpreter.get_signature_runner("q_values")(observations=observations)
        print(json.dumps({{"signatures": interpreter.get_signature_list(),
                          "batch": act.get_input_details()["observations"][
                              "shape_signature"].tolist(),
                          "actions": actions.tolist(), "one": one.tolist(),
                          "dtype": str(actions.dtype),
                          "q_shape": list(q_values["q_values"].shape)}}))
    """, tmp_path)
    assert loaded["signatures"] == {
        "q_values": {"inputs": ["observations"], "outputs": ["q_values"]},
        "serving_default": {"inputs": ["observations"], "outputs": ["actions"]}}
    assert loaded["batch"] == [-1, 4] and loaded["dtype"] == "int64"
    assert loaded["q_shape"] == [1000, 2]
    _, agent, _ = tfzoo.load_run(dqn_run, best=False)
    np.testing.assert_array_equal(loaded["actions"], agent.act(observations, explore=False))
    assert loaded["one"] == loaded["actions"][:1]


def test_an_mnist_cnn_tflite_classifies_raw_images_as_the_model_does(tmp_path):
    run = tmp_path / "mnist"
    tfzoo.start_run("mnist-cnn", preset="handbook", path=run, seed=0, steps=30,
                    progress=False)
    written = tfzoo.export_run(run, tmp_path / "classifier.tflite", format="litert")
    images = synthetic_mnist()["x_test"]  # uint8 (300, 28, 28), as the run read them.
    np.save(tmp_path / "images.npy", images)
    loaded = run_with_litert_only(f"""
        interpreter = Interpreter(model_path={written["path"]!r})
        outputs = interpreter.get_signature_runner("serving_default")(
            images=np.load("images.npy"))
        print(json.dumps({{"classes": outputs["classes"].tolist(),
                          "probabilities": outputs["probabilities"].tolist()}}))
    """, tmp_path)
    task, agent, _ = tfzoo.load_run(run)
    expected = agent.export_module(task).serving_default(tf.constant(images))
    agreement = np.mean(np.array(loaded["classes"]) == expected["classes"].numpy())
    assert agreement >= 0.999
    np.testing.assert_allclose(loaded["probabilities"], expected["probabilities"].numpy(),
                               atol=1e-5)


def test_a_linear_regression_tflite_gives_the_agents_outputs(tmp_path):
    run = tmp_path / "linear"
    tfzoo.start_run("linear-regression", preset="handbook", path=run, seed=0, steps=50,
                    progress=False)
    written = tfzoo.export_run(run, tmp_path / "regression.tflite", format="litert")
    assert written["signatures"]["serving_default"]["inputs"] == {
        "inputs": "float32 (batch, 3)"}
    inputs = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    np.save(tmp_path / "inputs.npy", inputs)
    loaded = run_with_litert_only(f"""
        interpreter = Interpreter(model_path={written["path"]!r})
        run = interpreter.get_signature_runner("serving_default")
        print(json.dumps(run(inputs=np.load("inputs.npy"))["outputs"].tolist()))
    """, tmp_path)
    _, agent, _ = tfzoo.load_run(run)
    np.testing.assert_allclose(loaded, agent.act(inputs), atol=1e-5)


def test_a_tflite_needs_its_suffix_and_nothing_is_written(dqn_run, tmp_path):
    with pytest.raises(tfzoo.ExportError, match=r"named \*\.tflite .*'.*policy\.tflite'"):
        tfzoo.export_run(dqn_run, tmp_path / "policy.lite", format="litert")
    assert list(tmp_path.iterdir()) == []


def test_a_converted_model_that_disagrees_with_the_agent_is_not_written(dqn_run, tmp_path,
                                                                         monkeypatch):
    convert = tfzoo.litert.convert

    def convert_an_untrained_policy(module, signatures, workspace):
        network = QNetwork(num_actions=2)  # As if the converter had lost the trained weights.
        network(np.zeros((1, 4), np.float32))
        untrained = GreedyPolicy(network, (4,))
        return convert(untrained, signature_functions(untrained), workspace)

    monkeypatch.setattr(tfzoo.litert, "convert", convert_an_untrained_policy)
    with pytest.raises(tfzoo.ExportError, match="gives '.*' that differ from the artifact's own"):
        tfzoo.export_run(dqn_run, tmp_path / "policy.tflite", format="litert")
    assert list(tmp_path.iterdir()) == []


def test_without_any_litert_interpreter_the_error_names_the_extra(dqn_run, tmp_path,
                                                                   monkeypatch):
    for module in ("ai_edge_litert", "ai_edge_litert.interpreter"):
        monkeypatch.setitem(sys.modules, module, None)  # Importing it fails.
    monkeypatch.delattr(tf.lite, "Interpreter")  # As in a TensorFlow that has removed it.
    with pytest.raises(tfzoo.ExportError, match=r"pip install 'tfzoo\[export\]'"):
        tfzoo.export_run(dqn_run, tmp_path / "policy.tflite", format="litert")
    assert list(tmp_path.iterdir()) == []


class Bessel(tf.Module):
    """A module whose op LiteRT's built-in ops lack (BesselI1e)."""

    def __init__(self) -> None:
        super().__init__()
        spec = tf.TensorSpec((None, 3), tf.float32, name="inputs")
        self.serving_default = tf.function(self.outputs, input_signature=[spec])

    def outputs(self, inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"outputs": tf.math.bessel_i1e(inputs)}


def test_an_op_litert_lacks_is_named_and_nothing_is_written(tmp_path):
    class BesselAgent(tfzoo.Agent):
        def act(self, observation, *, explore=True):
            return 0

        def learn(self, transition):
            return {}

        def export_module(self, task):
            return Bessel()

    with pytest.raises(tfzoo.ExportError, match=r"a Bessel, cannot be converted to LiteRT: "
                                                r"it uses the TensorFlow op BesselI1e,"):
        tfzoo.export(BesselAgent(), None, tmp_path / "bessel.tflite", format="litert")
    assert list(tmp_path.iterdir()) == []


def test_the_command_offers_every_export_format():
    for format in FORMATS:
        arguments = parser().parse_args(["export", "RUN", "-o", "PATH", "--format", format])
        assert arguments.format == format
