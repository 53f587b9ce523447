"""`Compiled`: a function compiled once for fixed input specs, cheap to call every step.

This is for agents' hot paths (`act`, the update), and `execution(mode)` chooses how those
run: compiled, eagerly, or all with XLA. It is not a general replacement for `tf.function`:
its inputs must match the specs given, with any batch size.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import tensorflow as tf

from tfzoo.errors import ConfigError

EXECUTION_MODES = ("compiled", "eager", "jit")
_MODE = contextvars.ContextVar("tfzoo_execution_mode", default="compiled")


@contextlib.contextmanager
def execution(mode: str) -> Iterator[None]:
    """Runs the `Compiled` functions first called inside the block in `mode`.

    Modes: "compiled" (`tf.function`, with each function's own XLA setting), "eager"
    (everything eagerly, as `tf.config.run_functions_eagerly(True)`: `print` and pdb work),
    "jit" (every function compiled with XLA, `jit_compile=True`). A function keeps the
    compiled form it was traced in; eager mode applies to every call inside the block.
    """
    if mode not in EXECUTION_MODES:
        raise ConfigError(f"Execution mode {mode!r} is not one of {', '.join(EXECUTION_MODES)}.")
    token, eager_before = _MODE.set(mode), tf.config.functions_run_eagerly()
    if mode == "eager":
        tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(eager_before)
        _MODE.reset(token)


def trace_counts(owner: Any) -> dict[str, int]:
    """{attribute name: traces} of the `Compiled` functions `owner` (e.g. an agent) holds."""
    return {name.lstrip("_"): value.traces for name, value in vars(owner).items()
            if isinstance(value, Compiled)}


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
        jit_compile: Compile with XLA (always, whatever the execution mode).
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
        self._jit_compile = jit_compile
        self.function: Any = None  # The tf.function, made at the first traced call.
        self._graph, self._call = None, None

    def __call__(self, *arguments: Any) -> Any:
        """Runs the function on `arguments` (arrays or tensors matching the signature), eagerly
        or its traced graph."""
        tensors = [
            tf.convert_to_tensor(argument, dtype=spec.dtype)
            for argument, spec in zip(arguments, self.input_signature, strict=True)
        ]
        if tf.config.functions_run_eagerly():
            return self._python_function(*tensors)
        if self._eager_calls_left > 0:
            self._eager_calls_left -= 1
            return self._python_function(*tensors)
        if self._graph is None:
            self.function = tf.function(
                self._python_function, input_signature=self.input_signature,
                jit_compile=self._jit_compile or _MODE.get() == "jit",
            )
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
        return 0 if self.function is None else self.function.experimental_get_tracing_count()

