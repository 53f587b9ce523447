"""`Compiled`: a function compiled once for fixed input specs, cheap to call every step.

This is for agents' hot paths (`act`, the update). It is not a general replacement for
`tf.function`: its inputs must match the specs given, with any batch size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import tensorflow as tf


class Compiled:
    """`function` traced once by `tf.function` for `input_signature`, then called directly.

    Calling a `tf.function` costs a few hundred microseconds of argument inspection before
    any work is done. `Compiled` converts the arguments to tensors of the signature's dtypes
    and calls the single traced graph, which roughly halves that cost: it matters when a
    small model is called thousands of times. Under `tf.config.run_functions_eagerly(True)`
    it runs `function` eagerly, like any `tf.function`.

    Args:
        function: A TensorFlow function of tensors (e.g. a bound method of an agent).
        input_signature: One `tf.TensorSpec` per argument; use None for the batch dimension
            so every batch size shares the one graph.
        jit_compile: Compile with XLA.
        eager_calls: Run the first `eager_calls` calls eagerly and trace only after them,
            so a function that is rarely called (for a big model, tracing can take longer
            than dozens of eager calls) is never traced at all.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        input_signature: Sequence[tf.TensorSpec],
        *,
        jit_compile: bool = False,
        eager_calls: int = 0,
    ) -> None:
        self.input_signature = tuple(input_signature)
        self._python_function, self._eager_calls_left = function, eager_calls
        self.function = tf.function(
            function, input_signature=self.input_signature, jit_compile=jit_compile
        )
        self._graph, self._call = None, None

    def __call__(self, *arguments: Any) -> Any:
        """Runs the function on `arguments` (arrays or tensors matching the signature)."""
        tensors = [
            tf.convert_to_tensor(argument, dtype=spec.dtype)
            for argument, spec in zip(arguments, self.input_signature, strict=True)
        ]
        if tf.config.functions_run_eagerly():
            return self.function(*tensors)
        if self._eager_calls_left > 0:
            self._eager_calls_left -= 1
            return self._python_function(*tensors)
        if self._graph is None:
            self._graph = self.function.get_concrete_function()
            self._call = self._fast_call(self._graph)
        for tensor, spec in zip(tensors, self.input_signature, strict=True):
            if not spec.shape.is_compatible_with(tensor.shape):
                name = getattr(self._python_function, "__name__", repr(self._python_function))
                raise ValueError(f"{name} takes {spec}, not shape {tensor.shape.as_list()}.")
        return self._call(tensors)

    @staticmethod
    def _fast_call(graph: Any) -> Callable[[list[tf.Tensor]], Any]:
        """How to call the traced graph on tensors already of the signature's dtypes and shapes.

        The concrete function's public call matches the arguments against its signature
        again (~0.1 ms, a third of a small network's act); its private `_call_flat` runs the
        graph on them directly. The public call serves where that is missing, or where
        captures are deferred (re-read on every call, as under `tf.distribute`).
        """
        call_flat = getattr(graph, "_call_flat", None)
        deferred = any(callable(capture)
                       for capture in getattr(graph, "_captured_inputs", [None]))
        if call_flat is None or deferred:
            return lambda tensors: graph(*tensors)
        captures = graph.captured_inputs
        return lambda tensors: call_flat(tensors, captures)

    @property
    def traces(self) -> int:
        """How many times the function has been traced (1 once used, with a fixed signature)."""
        return self.function.experimental_get_tracing_count()
