"""Custom layers: the chapter's `LinearLayer`, whose variables are made in `build()`.

Title: Writing your own layer, as the chapter's LinearLayer does
Description: The chapter's "Custom Layers" section subclasses `tf.keras.layers.Layer`
instead of using `Dense`: a skeleton `MyLayer`, then a `LinearLayer` computing `Xw + b`
with `w` and `b` created in `build()`, and the `Linear` model calling it. Here is that
skeleton at work, tfzoo's `LinearLayer` and `Linear` (the registered model
"linear-layer"), and both versions of `Linear` trained on the `linear-regression` task
with the `handbook` preset: the same training MSE, the chapter's 0.1502.

    python scripts/custom_layers.py

docs/custom-layers.md shows how to train a layer and model of your own on any task.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

import tfzoo
from tfzoo.models.linear import Linear, LinearLayer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=0)
arguments = parser.parse_args()

# The chapter's data: two samples of three features, and their targets.
X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)

"""
## The skeleton

A layer has three parts. `__init__` takes its settings; the input's shape is not known
yet. `build(input_shape)` runs once, on the layer's first call, and creates the
variables, whose shapes can then follow the input's ("self-adapted shapes", the chapter
says); variables whose shapes are known in advance can be made in `__init__` instead.
`call(inputs)` computes the output. The chapter's TF 1 `add_variable` is Keras 3's
`add_weight`. This `MyLayer` fills the skeleton in with one variable, a scale per input
feature, and says when `build` runs.
"""


class MyLayer(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)  # Initialization: settings only.

    def build(self, input_shape):
        # Called on the first call, with the input's shape: the variable's shape follows it.
        print(f"  MyLayer.build(input_shape={input_shape})")
        self.variable_0 = self.add_weight(name="variable_0", shape=(input_shape[-1],),
                                          initializer="ones")

    def call(self, inputs):
        return inputs * self.variable_0  # Scales each feature.


layer = MyLayer()
print(f"before the first call: {len(layer.weights)} variables")
layer(X)
layer(X)  # The second call builds nothing.
print(f"after two calls: {[(v.name, tuple(v.shape)) for v in layer.weights]}")

"""
## The chapter's LinearLayer

The chapter's example is the `Dense(1)` of its first section written out by hand:
`build` creates `w` of shape (input features, 1) and `b` of shape (1,), both zero, and
`call` returns `tf.matmul(X, w) + b`. tfzoo's `LinearLayer` is that layer with a `units`
setting (1, as in the chapter) and a `get_config`, so that Keras can save it.
"""

linear_layer = LinearLayer()
print(f"built before the first call: {linear_layer.built}")
print(f"output for the chapter's X: {linear_layer(X).numpy().ravel()}")
print(f"w: {tuple(linear_layer.w.shape)}, b: {tuple(linear_layer.b.shape)}")

"""
## The Linear model that uses it

The chapter's `Linear` model holds a `LinearLayer` and calls it. tfzoo's `Linear` holds a
zero-initialised `Dense(1)`, or the `LinearLayer` with `custom_layer=True`; the registry
names the two "linear" and "linear-layer", so a preset or the command line can choose
either (`tfzoo train linear-regression --preset handbook --set model=linear-layer`).
"""

for name in ("linear", "linear-layer"):
    entry = tfzoo.model_registry[name]
    print(f"{name!r}: {entry.entry_point} with {dict(entry.kwargs)}: {entry.description}")
model = Linear(custom_layer=True)  # What tfzoo.make_model("linear-layer") builds.
print(f"a {type(model).__name__} of a {type(model.layer).__name__}: {model(X).numpy().ravel()}")

"""
## Training both versions

The `handbook` preset is the chapter's program: plain SGD at 0.01, 100 full-batch steps.
Its `model=` override trains either version of `Linear`. Both layers start at zero and
compute the same sums, so they end at the same weights and the same training MSE.
"""

chapter = -tfzoo.spec("linear-regression").card.expected["handbook"].value
print(f"the chapter's training MSE: {chapter:.4f}")
weights = {}
for name in ("linear", "linear-layer"):
    task = tfzoo.make("linear-regression", preset="handbook")
    agent = tfzoo.make_agent("linear-regression", task, preset="handbook", model=name)
    tfzoo.train(agent, task, steps=100, seed=arguments.seed, progress=False)
    weights[name] = agent.model.get_weights()
    variables = ", ".join(f"{v.name} {v.numpy().ravel().round(4)}"
                          for v in agent.model.trainable_variables)
    print(f"{name:>12}: training MSE {-tfzoo.evaluate(agent, task):.6f}; {variables}")
difference = max(np.max(np.abs(a - b))
                 for a, b in zip(weights["linear"], weights["linear-layer"], strict=True))
print(f"largest difference between their weights: {difference:.1e}")
