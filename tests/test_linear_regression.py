"""The chapter's linear regression: the handbook preset is the chapter's program, exactly."""

from __future__ import annotations

import numpy as np
import pytest

import tfzoo

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
Y = np.array([[10.0], [20.0]])


def chapter_in_numpy(steps=100, learning_rate=0.01):
    """The chapter's 100 SGD steps on mean((Xw + b - y)^2), from zero, in float64 NumPy."""
    w, b = np.zeros((3, 1)), np.zeros(1)
    for _ in range(steps):
        error = X @ w + b - Y  # (2, 1)
        w -= learning_rate * 2 * X.T @ error / len(X)
        b -= learning_rate * 2 * error.sum(axis=0) / len(X)
    return w, b, float(np.mean(np.square(X @ w + b - Y)))


def train(preset, **overrides):
    task = tfzoo.make("linear-regression", preset=preset)
    agent = tfzoo.make_agent("linear-regression", task, preset=preset, **overrides)
    tfzoo.train(agent, task, steps=tfzoo.spec("linear-regression").preset(preset).steps,
                seed=0, progress=False)
    return task, agent


def weights(agent):
    kernel, bias = agent.model.get_weights()
    return kernel, bias


@pytest.mark.parametrize("model", ["linear", "linear-layer"])
@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_handbook_reproduces_the_chapter_in_numpy(model, mode, request):
    if mode == "eager":
        request.getfixturevalue("eager")
    expected_w, expected_b, expected_loss = chapter_in_numpy()
    task, agent = train("handbook", model=model)
    kernel, bias = weights(agent)
    np.testing.assert_allclose(kernel, expected_w, atol=1e-5)
    np.testing.assert_allclose(bias, expected_b, atol=1e-5)
    assert -tfzoo.evaluate(agent, task) == pytest.approx(expected_loss, abs=1e-5)
    assert expected_loss == pytest.approx(0.1502, abs=1e-4)  # as the task's docstring says


def test_the_custom_layer_builds_w_and_b_from_the_input_shape():
    task, agent = train("handbook", model="linear-layer")
    names = sorted(variable.name for variable in agent.model.trainable_variables)
    assert names == ["b", "w"]
    assert agent.model.layer.w.shape == (3, 1)


def test_default_reaches_the_minimum_norm_least_squares_fit():
    task, agent = train("default")
    assert -tfzoo.evaluate(agent, task) < 1e-6
    kernel, bias = weights(agent)
    augmented = np.hstack([X, np.ones((2, 1))])
    minimum_norm = np.linalg.pinv(augmented) @ Y  # (4, 1): w then b
    np.testing.assert_allclose(np.concatenate([kernel.ravel(), bias]), minimum_norm.ravel(),
                               atol=1e-4)
