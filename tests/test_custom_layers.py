"""docs/custom-layers.md, run: a user-written layer and model trained by a registered task."""

from __future__ import annotations

import json

import keras
import numpy as np
import tensorflow as tf

import tfzoo


class ScaledDense(keras.layers.Layer):
    """A dense layer with a learned gain per unit: y = activation((x @ w + b) * g)."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, keras.activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units),
                                 initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")
        self.g = self.add_weight(name="g", shape=(self.units,), initializer="ones")

    def call(self, inputs):
        return self.activation((tf.matmul(inputs, self.w) + self.b) * self.g)


class TinyClassifier(keras.Model):
    """28x28 images -> 10 logits through two ScaledDense layers."""

    def __init__(self, hidden=64, **kwargs):
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten()
        self.hidden = ScaledDense(hidden, activation="relu")
        self.logits = ScaledDense(10)

    def call(self, images, training=False):
        return self.logits(self.hidden(self.flatten(images)))


def test_a_user_written_layer_and_model_learn_a_registered_task():
    task = tfzoo.make("mnist-mlp", preset="handbook")
    test = tfzoo.make("mnist-mlp", split="test", batch_size=500)
    agent = tfzoo.make_agent("mnist-mlp", task, preset="handbook", model=TinyClassifier)
    tfzoo.seed_everything(0)
    before = tfzoo.evaluate(agent, test)
    tfzoo.train(agent, task, steps=150, seed=0, progress=False)
    after = tfzoo.evaluate(agent, test)
    assert before < 0.3 and after > 0.9  # Synthetic digits: a bright bar per class.
    # build() sized the variables from the input: 28 * 28 features in, 64 units out.
    assert agent.model.hidden.w.shape == (784, 64) and agent.model.logits.w.shape == (64, 10)
    gains = agent.model.hidden.g.numpy()
    assert not np.allclose(gains, 1.0)  # The custom weight is trained too.


def test_a_named_custom_model_runs_in_a_run_directory(tmp_path):
    tfzoo.register_model("tiny", TinyClassifier)
    try:
        summary = tfzoo.start_run(
            "mnist-mlp", preset="handbook", path=tmp_path / "run", seed=0, steps=150,
            agent_overrides={"model": "tiny"}, progress=False,
        )
        assert summary["eval_return"] > 0.9
        config = json.loads((tmp_path / "run" / "config.json").read_text())
        assert config["agent_config"]["model"] == "tiny"
        _, agent, _ = tfzoo.load_run(tmp_path / "run")  # Rebuilt by name, weights restored.
        assert isinstance(agent.model, TinyClassifier)
        assert tfzoo.evaluate_run(tmp_path / "run") == summary["eval_return"]
    finally:
        tfzoo.model_registry.pop("tiny")  # Unregistered again for other tests.
