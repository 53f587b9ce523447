"""SupervisedTask keeps the reward contract; SupervisedAgent learns from info["target"]."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfzoo


def two_blobs(count=200, seed=0):
    """Two separable classes in 2-D: x0 + x1 > 0 is class 1."""
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(count, 2)).astype(np.float32)
    labels = (inputs.sum(axis=1) > 0).astype(np.int64)
    inputs += np.where(labels[:, None] == 1, 0.5, -0.5).astype(np.float32)
    return inputs, labels


def test_a_full_pass_returns_the_accuracy_even_with_a_ragged_last_batch():
    inputs, labels = two_blobs(count=10)
    task = tfzoo.SupervisedTask({"test": (inputs, labels)}, split="test", batch_size=4,
                                num_classes=2)
    always_one = np.ones(4, dtype=np.int64)
    observation, _ = task.reset(seed=0)
    total, valid_rows, steps, over = 0.0, 0, 0, False
    while not over:
        observation, reward, over, truncated, info = task.step(always_one)
        assert observation.shape == (4, 2) and info["target"].shape == (4,)
        valid_rows += info["valid"]
        total += reward
        steps += 1
        assert not truncated
    assert steps == 3 and valid_rows == 10
    assert total == pytest.approx(labels.mean())


def test_regression_reward_is_minus_the_mean_squared_error():
    inputs = np.arange(6, dtype=np.float32).reshape(3, 2)
    targets = np.array([[1.0], [2.0], [4.0]], dtype=np.float32)
    task = tfzoo.SupervisedTask({"train": (inputs, targets)}, batch_size=2, shuffle=False)
    task.reset(seed=0)
    _, first, *_ = task.step(np.zeros((2, 1)))
    _, second, over, *_ = task.step(np.zeros((2, 1)))
    assert over
    assert first + second == pytest.approx(-np.mean(np.square(targets)))


def test_shuffling_follows_the_seed():
    inputs, labels = two_blobs(count=50)
    task = tfzoo.SupervisedTask({"train": (inputs, labels)}, batch_size=5, num_classes=2)
    first = task.reset(seed=3)[0]
    other = task.reset(seed=4)[0]
    again = task.reset(seed=3)[0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "batch_size=0"),
        ({"split": "valid"}, "Unknown split 'valid'"),
        ({"num_classes": 1}, r"class ids span \[0, 1\]"),
    ],
)
def test_bad_settings_are_named_with_their_fix(kwargs, message):
    inputs, labels = two_blobs(count=10)
    with pytest.raises(tfzoo.TfzooError, match=message):
        tfzoo.SupervisedTask({"train": (inputs, labels)}, **{"num_classes": 2, **kwargs})


def test_a_batch_larger_than_the_split_is_the_whole_split():
    inputs, labels = two_blobs(count=10)
    task = tfzoo.SupervisedTask({"train": (inputs, labels)}, batch_size=64, num_classes=2)
    assert task.batch_size == 10 and task.observation_space.shape == (10, 2)


def test_stepping_a_finished_pass_or_with_a_wrong_shape_is_an_error():
    inputs, labels = two_blobs(count=4)
    task = tfzoo.SupervisedTask({"train": (inputs, labels)}, num_classes=2)
    task.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(4,\)"):
        task.step(np.zeros(3, dtype=np.int64))
    task.step(np.zeros(4, dtype=np.int64))
    with pytest.raises(RuntimeError, match="call reset"):
        task.step(np.zeros(4, dtype=np.int64))


def test_the_supervised_agent_learns_a_users_model_on_separable_data():
    train_split, test_split = two_blobs(400, seed=1), two_blobs(200, seed=2)
    splits = {"train": train_split, "test": test_split}
    task = tfzoo.SupervisedTask(splits, batch_size=32, num_classes=2)
    test_task = tfzoo.SupervisedTask(splits, split="test", batch_size=50, num_classes=2)
    tfzoo.seed_everything(0)  # Keras draws each layer's initializer seed when it is made.
    model = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)])
    agent = tfzoo.make_agent("supervised", task, model=model, learning_rate=0.01)
    before = tfzoo.evaluate(agent, test_task)
    history = tfzoo.train(agent, task, episodes=5, seed=0, progress=False)
    after = tfzoo.evaluate(agent, test_task)
    losses = [record["loss"] for record in history.episodes]
    assert losses[-1] < 0.5 * losses[0]
    assert after >= 0.95 and after > before + 0.2
    # Training return is training accuracy, which rose as the agent learned.
    assert history.returns[-1] > history.returns[0]


def test_save_and_restore_round_trip(tmp_path):
    inputs, labels = two_blobs(64)
    task = tfzoo.SupervisedTask({"train": (inputs, labels)}, batch_size=16, num_classes=2)

    def fresh_agent():
        model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
        return tfzoo.make_agent("supervised", task, model=model, learning_rate=0.05)

    agent = fresh_agent()
    tfzoo.train(agent, task, episodes=2, seed=0, progress=False)
    path = agent.save(tmp_path / "agent")
    restored = fresh_agent()
    restored.restore(path)
    observation, _ = task.reset(seed=5)
    np.testing.assert_array_equal(restored.act(observation), agent.act(observation))
    for mine, theirs in zip(agent.model.get_weights(), restored.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert int(restored.optimizer.iterations) == int(agent.optimizer.iterations) == 8
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        restored.restore(tmp_path / "missing")


def test_an_embedding_read_several_times_in_a_batch_takes_adams_step():
    # Adam's first step moves every weight with a gradient by the learning rate (m / sqrt(v)
    # is the gradient's sign). Ids 0 and 1 are read three times and once: their embedding
    # rows must move alike, which Keras's update of sparse gradients alone does not do.
    inputs = np.array([[0], [0], [0], [1]], dtype=np.int64)
    labels = np.array([1, 1, 1, 1], dtype=np.int64)
    task = tfzoo.SupervisedTask({"train": (inputs, labels)}, batch_size=4, shuffle=False,
                                num_classes=2)
    model = keras.Sequential([keras.layers.Embedding(3, 2), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    agent = tfzoo.make_agent("supervised", task, model=model, learning_rate=0.01)
    observation, _ = task.reset(seed=0)
    action = agent.act(observation)
    next_observation, reward, terminated, truncated, info = task.step(action)
    before = model.layers[0].get_weights()[0].copy()
    agent.learn(tfzoo.Transition(observation, action, reward, next_observation,
                                 terminated, truncated, info))
    moved = np.abs(model.layers[0].get_weights()[0] - before)  # (ids, embedding size)
    np.testing.assert_allclose(moved[:2], 0.01, rtol=1e-3)
    np.testing.assert_array_equal(moved[2], 0.0)  # Id 2 was not read.
