"""MNIST: the chapter's MLP and CNN programs, through tfzoo's public API.

Title: Classifying handwritten digits with an MLP and a CNN
Description: The chapter trains a multilayer perceptron and then a convolutional network on
MNIST, 1000 batches of 50 with Adam at 1e-3, and reports their test accuracy (0.9479 and
0.9881). Here both are tfzoo tasks, `mnist-mlp` and `mnist-cnn`, run by one loop.

    python scripts/mnist.py --model mlp --data-dir DIR
    python scripts/mnist.py --model cnn --preset default --data-dir DIR

DIR holds Keras's `mnist.npz` or the four original IDX files; without it, MNIST is looked
for in $TFZOO_DATA_DIR and the Keras cache, then downloaded.
"""

from __future__ import annotations

import argparse

import numpy as np

import tfzoo
from tfzoo.data import load_mnist

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
parser.add_argument("--preset", choices=["handbook", "default"], default="handbook")
parser.add_argument("--data-dir", default=None)
parser.add_argument("--seed", type=int, default=0)
arguments = parser.parse_args()
task_id = f"mnist-{arguments.model}"

"""
## The data

The chapter's `DataLoader` returned the images as floats and the labels as integers.
`load_mnist` returns the raw uint8 arrays, from wherever MNIST is found first.
"""

(train_images, train_labels), (test_images, test_labels) = load_mnist(arguments.data_dir)
print(f"train: {train_images.shape} {train_images.dtype}, test: {test_images.shape}")

"""
## The task

A step of `mnist-*` shows the agent a batch of images (scaled to [0, 1]) and takes its
predicted digits as the action. The reward is the batch's share of the split's accuracy,
so the return of one pass over the test split is the chapter's "test accuracy". After each
step, `info["target"]` holds the true labels, which is what the agent learns from.
"""

task = tfzoo.make(task_id, preset=arguments.preset, data_dir=arguments.data_dir)
test_task = tfzoo.make(task_id, preset=arguments.preset, data_dir=arguments.data_dir,
                       split="test", batch_size=500)
preset = tfzoo.spec(task_id).preset(arguments.preset)
print(f"{task_id} / {arguments.preset}: {preset.description}")

"""
## The model

The `handbook` preset builds the chapter's model: for `mlp`, Dense(100, ReLU) then
Dense(10); for `cnn`, two 5x5 convolutions with max-pooling, Dense(1024) and Dense(10).
The agent wraps it with Adam and sparse softmax cross-entropy, as in the chapter.
"""

agent = tfzoo.make_agent(task_id, task, preset=arguments.preset)

"""
## Training

The chapter's `for batch_index in range(num_batches)` loop, with its tape, gradient and
`apply_gradients`, is one call; the progress bar shows the batch's accuracy and loss.
"""

history = tfzoo.train(agent, task, steps=preset.steps, seed=arguments.seed)

"""
## Test accuracy

`evaluate` runs one greedy pass over the test split: its return is the test accuracy.
The chapter's `model.predict` gives the same digits.
"""

print(f"test accuracy: {tfzoo.evaluate(agent, test_task):.4f}")
digits = agent.model.predict(test_images[:10].astype(np.float32) / 255.0).numpy()
print(f"first ten test digits, predicted: {digits}, true: {test_labels[:10]}")
