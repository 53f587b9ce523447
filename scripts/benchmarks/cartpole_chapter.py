"""The chapter's DQN program, for the `chapter` row of the `cartpole` benchmark section.

Title: The chapter's CartPole program, ported
Description: The chapter's deep Q-learning as it is written (eager, one Adam step on a batch
of 32 after every environment step), ported to Gymnasium and Keras 3 and stopped after a
time budget: its speed is what the benchmark compares.
"""

from __future__ import annotations

import random
import time
from collections import deque

import gymnasium
import keras
import numpy as np
import tensorflow as tf

NUM_EPISODES, NUM_EXPLORATION_EPISODES, MAX_LEN_EPISODE = 500, 100, 1000
BATCH_SIZE, LEARNING_RATE, GAMMA = 32, 1e-3, 1.0
INITIAL_EPSILON, FINAL_EPSILON = 1.0, 0.01


class QNetwork(keras.Model):
    """The chapter's Q-network: Dense 24 ReLU, Dense 24 ReLU, one Q-value per action."""

    def __init__(self):
        super().__init__()
        self.dense1 = keras.layers.Dense(units=24, activation=tf.nn.relu)
        self.dense2 = keras.layers.Dense(units=24, activation=tf.nn.relu)
        self.dense3 = keras.layers.Dense(units=2)

    def call(self, inputs):
        return self.dense3(self.dense2(self.dense1(inputs)))

    def predict(self, inputs):
        return tf.argmax(self(inputs), axis=-1)


def learn_from_replay(model, optimizer, replay_buffer) -> None:
    """The chapter's update: one Adam step on a random batch towards r + gamma max Q(s')."""
    batch_state, batch_action, batch_reward, batch_next_state, batch_done = zip(
        *random.sample(replay_buffer, BATCH_SIZE), strict=True)
    batch_state, batch_reward, batch_next_state, batch_done = [
        np.array(a, dtype=np.float32)
        for a in [batch_state, batch_reward, batch_next_state, batch_done]]
    batch_action = np.array(batch_action, dtype=np.int32)
    q_value = model(tf.constant(batch_next_state, dtype=tf.float32))
    y = batch_reward + (GAMMA * tf.reduce_max(q_value, axis=1)) * (1 - batch_done)
    with tf.GradientTape() as tape:
        loss = keras.losses.mean_squared_error(
            y_true=y, y_pred=tf.reduce_sum(
                model(tf.constant(batch_state)) * tf.one_hot(batch_action, depth=2), axis=1))
    grads = tape.gradient(loss, model.variables)
    optimizer.apply_gradients(zip(grads, model.variables, strict=True))


def run_chapter(seed, max_seconds) -> dict:
    """The chapter's episodes, for at most `max_seconds`: seconds, steps and scores."""
    keras.utils.set_random_seed(seed)
    env = gymnasium.make("CartPole-v1")
    env.action_space.seed(seed)
    model = QNetwork()
    optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)
    replay_buffer = deque(maxlen=10000)
    scores, steps, start = [], 0, time.perf_counter()
    for episode_id in range(NUM_EPISODES):
        state, _ = env.reset(seed=seed if episode_id == 0 else None)
        epsilon = max(INITIAL_EPSILON * (NUM_EXPLORATION_EPISODES - episode_id)
                      / NUM_EXPLORATION_EPISODES, FINAL_EPSILON)
        for t in range(MAX_LEN_EPISODE):
            if random.random() < epsilon:
                action = env.action_space.sample()
            else:
                action = model.predict(
                    tf.constant(np.expand_dims(state, axis=0), dtype=tf.float32)).numpy()[0]
            next_state, reward, terminated, truncated, _ = env.step(action)
            done = terminated or truncated  # The old gym API's single flag.
            reward = -10.0 if done else reward
            replay_buffer.append((state, action, reward, next_state, 1 if done else 0))
            state, steps = next_state, steps + 1
            if done:
                scores.append(t)
                break
            if len(replay_buffer) >= BATCH_SIZE:
                learn_from_replay(model, optimizer, replay_buffer)
        if time.perf_counter() - start >= max_seconds:
            break
    return {"seconds": time.perf_counter() - start, "steps": steps, "scores": scores}
