"""The MNIST tasks on synthetic MNIST-shaped digits: contract, learning, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import fail_learning_at, synthetic_mnist
from test_data import write_idx_dir

import tfzoo
from tfzoo.tools.cli import main


def test_observations_are_scaled_images_and_actions_digits():
    task = tfzoo.make("mnist-cnn", batch_size=8)
    observation, _ = task.reset(seed=0)
    assert observation.shape == (8, 28, 28) and observation.dtype == np.float32
    assert 0.0 <= observation.min() and observation.max() == 1.0
    assert task.action_space.shape == (8,) and task.action_space.nvec.max() == 10
    assert tfzoo.make("mnist-mlp", split="test").inputs.shape[0] == 300


@pytest.mark.parametrize("task_id", ["mnist-mlp", "mnist-cnn"])
def test_a_short_handbook_run_learns_far_above_chance(task_id):
    task = tfzoo.make(task_id, preset="handbook")
    agent = tfzoo.make_agent(task_id, task, preset="handbook")
    test_task = tfzoo.make(task_id, preset="handbook", split="test")
    chance = tfzoo.evaluate(agent, test_task)
    history = tfzoo.train(agent, task, steps=48, seed=0, progress=False)
    accuracy = tfzoo.evaluate(agent, test_task)
    assert chance < 0.3 and accuracy > 0.9, (chance, accuracy)
    assert history.episodes[-1]["loss"] < history.episodes[0]["loss"]


def test_the_chapter_models_predict_digits():
    task = tfzoo.make("mnist-cnn", batch_size=4)
    for model in ("mlp", "cnn"):
        agent = tfzoo.make_agent("mnist-cnn", task, model=model)
        observation, _ = task.reset(seed=0)
        action = agent.act(observation)
        np.testing.assert_array_equal(agent.model.predict(observation).numpy(), action)


def test_predicting_ahead_changes_nothing(eager):
    """The predictions `learn` makes for the next batch equal a fresh `act` on it."""
    task = tfzoo.make("mnist-mlp", batch_size=16)
    agent = tfzoo.make_agent("mnist-mlp", task, learning_rate=0.01)
    tfzoo.train(agent, task, steps=3, seed=0, progress=False)
    observation, _ = task.reset(seed=1)
    action = agent.act(observation)
    next_observation, reward, terminated, truncated, info = task.step(action)
    agent.learn(tfzoo.Transition(observation, action, reward, next_observation, terminated,
                                 truncated, info))
    ahead = agent.act(next_observation)
    np.testing.assert_array_equal(ahead, agent.act(next_observation))  # computed afresh
    np.testing.assert_array_equal(ahead, agent.act(next_observation.copy()))


@pytest.mark.parametrize("layout", ["npz", "idx.gz"])
def test_tfzoo_train_mnist_cnn_with_a_data_dir(tmp_path, capsys, layout):
    arrays = synthetic_mnist(train=200, test=100, seed=3)
    data_dir = tmp_path / "data"
    if layout == "npz":
        data_dir.mkdir()
        np.savez(data_dir / "mnist.npz", **arrays)
    else:
        write_idx_dir(data_dir, arrays, compress=True)
    run_dir = tmp_path / "run"
    assert main(["train", "mnist-cnn", "--preset", "handbook", "--steps", "8", "--seed", "0",
                 "--data-dir", str(data_dir), "--logdir", str(run_dir), "--no-progress"]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary == json.loads(capsys.readouterr().out)
    assert 0.0 <= summary["eval_return"] <= 1.0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_kwargs"]["data_dir"] == str(data_dir)
    # The test split of *this* data (100 images) was evaluated: accuracies are multiples of 1%.
    assert round(summary["eval_return"] * 100, 6).is_integer()


def test_a_crashed_run_with_dropout_and_shifts_resumes_exactly(tmp_path, monkeypatch):
    """Dropout masks and random shifts come from Keras seed variables; they are checkpointed."""
    settings = dict(preset="default", seed=4, steps=30, checkpoint_seconds=0, progress=False)
    tfzoo.start_run("mnist-mlp", path=tmp_path / "whole", **settings)

    with monkeypatch.context() as patch:
        # 10 batches of 128 per pass over the 1200 synthetic images: call 21 opens episode 3.
        fail_learning_at(patch, 21, RuntimeError("power cut"))
        with pytest.raises(RuntimeError, match="power cut"):
            tfzoo.start_run("mnist-mlp", path=tmp_path / "crashed", **settings)
    tfzoo.resume_run(tmp_path / "crashed", progress=False)

    _, whole, _ = tfzoo.load_run(tmp_path / "whole")
    _, resumed, _ = tfzoo.load_run(tmp_path / "crashed")
    for mine, theirs in zip(whole.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)
