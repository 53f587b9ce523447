"""LiteRT artifacts: an export module converted by TensorFlow's converter to a `.tflite` file
with one signature per module signature, checked against the module before it is written.

`tfzoo.exporting.write` calls `write_litert` for `tfzoo export --format litert`. Running a
`.tflite` file takes LiteRT's interpreter (the ai-edge-litert package, tfzoo's `export`
extra), or TensorFlow's deprecated `tf.lite.Interpreter` while TensorFlow still has it.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from typing import Any

import numpy as np
import tensorflow as tf

from tfzoo.errors import ExportError

EXTRA = "pip install 'tfzoo[export]'"
SAMPLE_BATCH = 16  # Not 1: the check also shows that the batch dimension stays free.


def write_litert(module: tf.Module, signatures: dict[str, Any], path: str) -> None:
    """Converts `module` to a LiteRT model holding its `signatures` (concrete functions by
    signature key), checks that each gives the module's outputs, then writes it to `path`.

    Raises:
        ExportError: The converter refused an op, or the converted model disagrees with the
            module.
    """
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path) or None) as workspace:
        content = convert(module, signatures, workspace)
    check_agreement(content, signatures)
    with open(path, "wb") as file:
        file.write(content)


def convert(module: tf.Module, signatures: dict[str, Any], workspace: str) -> bytes:
    """The LiteRT flatbuffer of `module`'s `signatures`, converted through a SavedModel that
    is written to `workspace`, a free folder; its batch dimensions stay dynamic."""
    # Keras 3 keeps weights in keras.Variable objects, which wrap tf.Variables without being
    # ones. Converted from the module alone, the model's weights are never set (it outputs
    # NaN): tracking the wrapped tf.Variables the functions capture gives the converter their
    # values, with public API only, and keeps the signatures' names and outputs' names.
    holder = tf.Module(name="litert_export")
    holder.module = module
    captured = {variable.ref(): variable for function in signatures.values()
                for variable in function.variables}
    holder.captured = list(captured.values())
    saved_model = os.path.join(workspace, "saved_model")
    tf.saved_model.save(holder, saved_model, signatures=signatures)
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model,
                                                         signature_keys=list(signatures))
    # Built-in ops only (the default, said here), not Flex's TensorFlow ops: any LiteRT
    # interpreter runs the file, ai-edge-litert's and a phone's included.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        return converter.convert()
    except Exception as error:  # The converter raises ConverterError, whose class is private.
        raise ExportError(unconvertible_message(type(module).__name__, str(error))) from error


def unconvertible_message(module_name: str, converter_text: str) -> str:
    """One paragraph naming the ops LiteRT lacks, or else the converter's first error, read
    from the converter's error text."""
    ops = sorted(set(re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op",
                                converter_text)))
    if not ops:
        listed = re.search(r"Custom ops: ([^\n]+)", converter_text)
        ops = listed.group(1).split(", ") if listed else []
    if ops:
        return (f"This agent's artifact, a {module_name}, cannot be converted to LiteRT: it "
                f"uses the TensorFlow op{'s' if len(ops) > 1 else ''} {', '.join(ops)}, which "
                f"LiteRT's built-in ops do not include (tfzoo converts to built-in ops only, so "
                f"the file runs on any LiteRT interpreter). Export it with --format "
                f"saved_model instead, or compute that part outside the model.")
    # An error line reads "<unknown>:0: error: loc(...): why"; the reason follows the place.
    errors = re.findall(r"error: (?:loc\(.*\)\): )?([^\n]+)", converter_text)
    reason = (errors or converter_text.strip().splitlines() or ["no reason given"])[0]
    return (f"This agent's artifact, a {module_name}, cannot be converted to LiteRT's built-in "
            f"ops: {reason.strip().rstrip('.')} (TensorFlow's LiteRT converter). Export it "
            f"with --format saved_model instead.")


def check_agreement(content: bytes, signatures: dict[str, Any]) -> None:
    """Raises `ExportError` unless each signature of the LiteRT model `content` gives its
    concrete function's outputs on a sample batch (where its inputs are numbers)."""
    interpreter = open_interpreter(content)
    rng = np.random.default_rng(0)
    for key, function in signatures.items():
        specs = function.structured_input_signature[0]
        inputs = {spec.name: _sample(spec, rng) for spec in specs}
        if any(value is None for value in inputs.values()):
            continue  # Inputs such as strings: no sample to compare on.
        expected = function(*(tf.constant(inputs[spec.name]) for spec in specs))
        outputs = interpreter.get_signature_runner(key)(**inputs)
        for name, value in expected.items():
            if not _agree(value.numpy(), outputs[name]):
                raise ExportError(
                    f"The LiteRT model converted from this agent's artifact gives {name!r} "
                    f"that differ from the artifact's own in its {key!r} signature, so it was "
                    f"not written. Export it with --format saved_model instead, and report "
                    f"it with your TensorFlow version ({tf.__version__}).")


def open_interpreter(content: bytes) -> Any:
    """A LiteRT interpreter of the model `content`: ai-edge-litert's where it is installed,
    else TensorFlow's deprecated `tf.lite.Interpreter`, without its deprecation warning."""
    try:
        from ai_edge_litert.interpreter import Interpreter as interpreter_class
    except ImportError:
        interpreter_class = getattr(tf.lite, "Interpreter", None)
    if interpreter_class is None:
        raise ExportError(f"Checking the LiteRT model before writing it needs LiteRT's "
                          f"interpreter, which this TensorFlow ({tf.__version__}) no longer "
                          f"has: install it with {EXTRA}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return interpreter_class(model_content=content)


def _sample(spec: tf.TensorSpec, rng: np.random.Generator) -> np.ndarray | None:
    """A sample batch for `spec` (its unknown dimensions SAMPLE_BATCH), or None if its dtype
    is not a number."""
    shape = [SAMPLE_BATCH if size is None else size for size in spec.shape.as_list()]
    dtype = spec.dtype.as_numpy_dtype
    if spec.dtype.is_floating:
        return rng.normal(size=shape).astype(dtype)
    if spec.dtype.is_integer:
        return rng.integers(0, min(256, np.iinfo(dtype).max), size=shape).astype(dtype)
    return None


def _agree(expected: np.ndarray, actual: np.ndarray) -> bool:
    """Floats close (both finite); integers such as argmax classes equal in at least 7 of 8
    entries, since an argmax between nearly equal values may turn on float round-off."""
    if expected.shape != actual.shape:
        return False
    if np.issubdtype(expected.dtype, np.floating):
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        return bool(np.all(np.isfinite(actual))
                    and np.allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale))
    return bool(np.mean(actual == expected) >= 7 / 8) if expected.size else True
