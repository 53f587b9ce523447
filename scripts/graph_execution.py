"""Graph execution: the chapter's placeholder-and-Session program in TensorFlow 2.

Title: From Session.run to tf.function, and tfzoo's execution modes
Description: The chapter's "Graph Execution Mode" section runs its linear regression as a
TF 1 graph: placeholders for `X` and `y`, a loss and a `train_op` built once, then
`sess.run(train_op, feed_dict=...)` a hundred times. TF 2 has neither placeholders nor
sessions: `tf.function` traces a Python function into a graph on its first call and runs
the graph after. Here is the chapter's program written that way, tfzoo's
`tfzoo.execution(...)` running the same regression eagerly, compiled and with XLA, and
the footnote's point: a graph needs the length of a sequence when it is built.

    python scripts/graph_execution.py
"""

from __future__ import annotations

import argparse
import re
import time

import keras
import numpy as np
import tensorflow as tf

import tfzoo
from tfzoo.models.char_rnn import RNN, CharLSTM
from tfzoo.models.linear import Linear

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=0)
arguments = parser.parse_args()

"""
## The chapter's program, in TF 2

The TF 1 program builds a graph: `tf.placeholder` for the inputs, `model(X_placeholder)`
once to add the model's operations, and `optimizer.minimize(loss)` for the `train_op`;
then `sess.run` feeds the arrays in and runs the update. In TF 2 the update is a Python
function under `tf.function`. Its `input_signature` plays the placeholders' part: float
`X` of shape (any, 3) and `y` of shape (any, 1). The first call traces the function into
a graph (its Python runs once, which the list `traces` shows), and each later call runs
that graph, as `sess.run` did. The TF 1 program called `model(X_placeholder)` once, which
made the model's variables before the session ran; here calling `model(X)` once makes
them, and `optimizer.build` the optimizer's, so the update is traced once (a first trace
that makes variables is traced a second time).
"""

X = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
y = tf.constant([[10.0], [20.0]])
model = Linear()  # A zero-initialised Dense(1), as in the chapter.
optimizer = keras.optimizers.SGD(learning_rate=0.01)
model(X)  # Makes the model's variables.
optimizer.build(model.trainable_variables)  # And the optimizer's.
traces = []


@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="X"),
                              tf.TensorSpec([None, 1], tf.float32, name="y")])
def train_op(X, y):
    traces.append(X.shape)  # Python: it runs while tracing, not when the graph runs.
    with tf.GradientTape() as tape:
        y_pred = model(X)
        loss = tf.reduce_mean(tf.square(y_pred - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for i in range(100):
    train_op(X, y)  # The chapter's sess.run(train_op, feed_dict={...: X, ...: y}).
graph = train_op.get_concrete_function().graph
print(f"traced {len(traces)} time(s), for X of shape {traces[0]}; the graph has "
      f"{len(graph.get_operations())} operations")
mse = float(tf.reduce_mean(tf.square(model(X) - y)))
print(f"training MSE after 100 steps: {mse:.4f} (chapter: 0.1502)")

"""
## Eager, compiled and XLA, in tfzoo

tfzoo's agents compile their steps with `tf.function` (graph execution). The context
manager `tfzoo.execution(mode)` chooses how: "compiled" (the default), "eager" (every
operation run at once from Python, as the chapter's eager programs do: slower, but
`print` and a debugger work inside the model), or "jit" (compiled further by XLA). The
same `handbook` run of `linear-regression` reaches the same loss in all three.
"""

losses, weights = {}, {}
for mode in ("eager", "compiled", "jit"):
    task = tfzoo.make("linear-regression", preset="handbook")
    agent = tfzoo.make_agent("linear-regression", task, preset="handbook")
    start = time.perf_counter()
    with tfzoo.execution(mode):
        tfzoo.train(agent, task, steps=100, seed=arguments.seed, progress=False)
    seconds = time.perf_counter() - start
    losses[mode], weights[mode] = -tfzoo.evaluate(agent, task), agent.model.get_weights()
    print(f"{mode:>8}: training MSE {losses[mode]:.6f} in {seconds:.2f} s")
for mode in ("compiled", "jit"):
    difference = max(np.max(np.abs(a - b))
                     for a, b in zip(weights[mode], weights["eager"], strict=True))
    print(f"{mode} against eager: weights differ by at most {difference:.1e}")

"""
## Graphs need fixed sequence lengths

The chapter's footnote: its `RNN` reads the window's length at run time
(`seq_length.numpy()`) and steps its cell that many times in a Python loop. Eagerly that
works for any length; a graph has no values while it is built, only shapes, so the loop
needs a length known then (TF 1 offered `tf.nn.dynamic_rnn` for a loop inside the
graph). The chapter's way of reading the length, eagerly and then in a graph:
"""

windows = np.random.default_rng(arguments.seed).integers(0, 30, size=(2, 40))


def why(error: Exception) -> str:
    """The line of TensorFlow's (or Keras's) long error message that says what failed."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split("Arguments received")[0]
    reason = [line.strip() for line in message.splitlines() if line.strip()][-1]
    return f"{type(error).__name__}: {reason.removeprefix(type(error).__name__ + ': ')}"


def unroll(inputs):
    seq_length = tf.shape(inputs)[1]  # A tensor: the length, known when it runs.
    return len([inputs[:, t] for t in range(seq_length.numpy())])  # .numpy(): eager only.


print(f"eagerly: {unroll(tf.constant(windows))} steps")
try:
    tf.function(unroll)(tf.constant(windows))
except AttributeError as error:
    print(f"in a graph: {why(error)}")

"""
tfzoo's `RNN` takes the length from the input's static shape (`inputs.shape[1]`), which
a graph knows when it is traced: given a signature of any length, `(None, None)`, it
cannot be traced; without one, `tf.function` traces one graph per window length, which
is why the `char-rnn` task always serves windows of one length (40 for `handbook`).
`CharLSTM`, the `default` preset's model, uses `keras.layers.LSTM`, whose loop is part of
the graph (as `tf.nn.dynamic_rnn`'s was): one graph serves every length.
"""

any_length = [tf.TensorSpec([None, None], tf.int32)]  # Any batch size, any window length.
windows = windows.astype(np.int32)
for model_class in (CharLSTM, RNN):
    char_model = model_class(num_chars=30, units=16)
    char_model(windows)  # Makes the variables.
    logits = tf.function(char_model, input_signature=any_length)
    try:
        shapes = [tuple(logits(windows[:, :length]).shape) for length in (40, 20)]
        print(f"{model_class.__name__}, windows of any length: "
              f"{logits.experimental_get_tracing_count()} graph, outputs {shapes}")
    except TypeError as error:
        print(f"{model_class.__name__}, windows of any length: {why(error)}")
per_length = tf.function(char_model)  # The RNN, traced for each shape it is given.
for length in (40, 20, 40):
    per_length(windows[:, :length])
print(f"RNN without a signature, windows of 40, 20 then 40: "
      f"{per_length.experimental_get_tracing_count()} graphs, one per length")
