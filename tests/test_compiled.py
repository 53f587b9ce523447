"""`Compiled` traces once for every batch size and honours eager mode."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfzoo.compiled import Compiled


def test_one_trace_serves_every_batch_size_and_dtype_is_converted():
    calls = []

    def double(inputs):
        calls.append("traced")
        return inputs * 2.0

    compiled = Compiled(double, [tf.TensorSpec((None, 3), tf.float32)])
    for rows in (1, 4, 7):
        result = compiled(np.ones((rows, 3), dtype=np.float64))
        np.testing.assert_array_equal(result.numpy(), np.full((rows, 3), 2.0))
    assert compiled.traces == 1 and calls == ["traced"]


def test_eager_mode_runs_the_python_function(eager):
    seen = []

    def record(inputs):
        seen.append(tf.executing_eagerly())
        return inputs + 1

    compiled = Compiled(record, [tf.TensorSpec((None,), tf.int64)])
    compiled(np.arange(3))
    compiled(np.arange(5))
    assert seen == [True, True]


def test_eager_calls_run_first_and_the_function_is_traced_after_them():
    seen = []

    def record(inputs):
        seen.append(tf.executing_eagerly())
        return inputs * 3

    compiled = Compiled(record, [tf.TensorSpec((None,), tf.int64)], eager_calls=2)
    results = [compiled(np.arange(4)).numpy() for _ in range(4)]
    for result in results:
        np.testing.assert_array_equal(result, np.arange(4) * 3)
    assert seen == [True, True, False] and compiled.traces == 1  # Traced once, on call 3.
