"""Execution modes (compiled, eager, XLA) give the same parameters; traces stay bounded."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfzoo


def trained_weights(task_id: str, mode: str) -> list[np.ndarray]:
    task = tfzoo.make(task_id, preset="handbook")
    agent = tfzoo.make_agent(task_id, task, preset="handbook")
    with tfzoo.execution(mode):
        tfzoo.train(agent, task, steps=100, seed=0, progress=False)
    return agent.model.get_weights()


@pytest.mark.parametrize("task_id", ["linear-regression", "mnist-mlp"])
def test_the_three_execution_modes_give_the_same_parameters(task_id):
    compiled = trained_weights(task_id, "compiled")
    eager = trained_weights(task_id, "eager")
    jit = trained_weights(task_id, "jit")
    for ours, eagerly, with_xla in zip(compiled, eager, jit, strict=True):
        np.testing.assert_allclose(eagerly, ours, atol=1e-6)
        np.testing.assert_allclose(with_xla, ours, atol=1e-4)


class CountingLinear(keras.Model):
    """A linear model that counts how often its Python `call` runs."""

    def __init__(self):
        super().__init__()
        self.dense, self.calls = keras.layers.Dense(1), 0

    def call(self, inputs, training=False):
        self.calls += 1  # Each step when eager; only while tracing when compiled.
        return self.dense(inputs)


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_eager_mode_runs_python_every_step_and_ends_with_the_block(mode):
    import tensorflow as tf

    task = tfzoo.make("linear-regression", preset="handbook")
    agent = tfzoo.make_agent("linear-regression", task, preset="handbook", model=CountingLinear)
    with tfzoo.execution(mode):
        tfzoo.train(agent, task, steps=50, seed=0, progress=False)
    if mode == "eager":  # A forward pass to learn and one to predict ahead, every step.
        assert agent.model.calls >= 100
    else:  # Traces, and the first 32 predictions, which run eagerly by design.
        assert agent.model.calls < 50
    assert not tf.config.functions_run_eagerly()
    with pytest.raises(tfzoo.ConfigError, match="'graph' is not one of compiled, eager, jit"):
        with tfzoo.execution("graph"):
            pass


def test_a_run_traces_each_function_once_with_a_ragged_batch_size(tmp_path):
    summary = tfzoo.start_run(
        "mnist-mlp", preset="handbook", path=tmp_path / "run", seed=0, steps=200,
        task_overrides={"batch_size": 7}, progress=False,  # 1200 % 7 != 0: ragged passes.
    )
    assert summary["execution"] == "compiled"
    assert summary["traces"]["train_step_and_predict"] == 1
    assert all(count <= 1 for count in summary["traces"].values())
    summary = tfzoo.start_run("cartpole-dqn", path=tmp_path / "dqn", seed=0, steps=1500,
                              progress=False, execution="jit")
    assert summary["execution"] == "jit" and summary["traces"] == {"update": 1}
