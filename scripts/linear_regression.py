"""Linear regression: the chapter's first program, through tfzoo's public API.

Title: Fitting y = Xw + b by gradient descent
Description: The chapter fits a linear model to two samples with 100 steps of plain SGD.
Here the same program is a tfzoo task (`linear-regression`), the model is the chapter's
`Linear` (or its custom `LinearLayer`), and the training loop is tfzoo's act -> step -> learn.

Run it with:

    python scripts/linear_regression.py                 # the chapter's Dense version
    python scripts/linear_regression.py --custom-layer  # the chapter's LinearLayer version
"""

from __future__ import annotations

import argparse

import tfzoo

"""
## Setup

The chapter's data are two samples of three features, `X = [[1,2,3],[4,5,6]]`, with
targets `y = [[10],[20]]`. The task `linear-regression` serves them as one batch per step:
the observation is `X`, the action is the model's prediction, and the reward is minus the
mean squared error of that prediction, so the return of an episode is minus the loss.
"""

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--custom-layer", action="store_true", help="use the chapter's LinearLayer")
parser.add_argument("--seed", type=int, default=0)
arguments = parser.parse_args()

task = tfzoo.make("linear-regression", preset="handbook")
print("observation space:", task.observation_space)
print("action space:     ", task.action_space)

"""
## The model and the optimizer

The `handbook` preset is the chapter's program: the `Linear` model (a `Dense(1)` layer
whose weights and bias start at zero) and plain SGD with a learning rate of 0.01. The
`model=` override swaps in the chapter's custom layer, which creates `w` and `b` in
`build()` from the shape of the first input.
"""

model = "linear-layer" if arguments.custom_layer else "linear"
agent = tfzoo.make_agent("linear-regression", task, preset="handbook", model=model)

"""
## Training

The chapter's loop, `for i in range(100): ... optimizer.apply_gradients(...)`, is one call:
100 steps, each predicting for the batch and taking one gradient step on it.
"""

history = tfzoo.train(agent, task, steps=100, seed=arguments.seed)
print(f"loss after step 1:   {history.episodes[0]['loss']:.4f}")
print(f"loss after step 100: {history.episodes[-1]['loss']:.4f}")

"""
## The fitted model

The weights are those of the chapter's program (its test compares them with NumPy).
`evaluate` runs one greedy pass and returns minus the mean squared error.
"""

for variable in agent.model.trainable_variables:
    print(f"{variable.path:>24}: {variable.numpy().ravel()}")
print(f"training MSE: {-tfzoo.evaluate(agent, task):.6f}")

"""
## Beyond the chapter

The tuned `default` preset adds heavy-ball momentum set from the data's curvature and
reaches the exact (minimum-norm) least-squares fit in the same 100 steps.
"""

tuned = tfzoo.make_agent("linear-regression", task)
tfzoo.train(tuned, task, steps=100, seed=arguments.seed, progress=False)
print(f"tuned default, training MSE: {-tfzoo.evaluate(tuned, task):.2e}")
