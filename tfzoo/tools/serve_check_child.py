"""The process `tfzoo serve-check` starts: it loads an exported artifact the way its user would
(a SavedModel, a `.tflite` file or a `.keras` file), with tfzoo and Gymnasium blocked from
import, calls each signature on sample inputs, and prints one line of JSON. It imports
nothing from tfzoo, and is run as a script, not imported.

    python serve_check_child.py PATH CALLS
"""

import json
import sys
import time

import numpy as np
import tensorflow as tf

SCALARS = {"integer": 100, "floating": 1.0}  # A length, count or seed; a temperature or scale.


def sample(spec, generator, text):
    """A batch of one input for `spec`: random normal floats, small integers, pixels, or
    `text`; a scalar (such as a length or a temperature) gets a value from SCALARS."""
    shape = [1 if size is None else size for size in spec.shape.as_list()]
    if spec.dtype == tf.string:
        return tf.fill(shape, text)
    if not shape and (spec.dtype.is_integer or spec.dtype.is_floating):
        return tf.constant(SCALARS["integer" if spec.dtype.is_integer else "floating"],
                           spec.dtype)
    if spec.dtype.is_floating:
        return tf.constant(generator.normal(size=shape), spec.dtype)
    if spec.dtype == tf.uint8:
        return tf.constant(generator.integers(0, 256, size=shape), tf.uint8)
    return tf.constant(generator.integers(0, 2, size=shape), spec.dtype)


def sample_text(signatures):
    """Text for string inputs: a text model's first known characters (its `vocabulary`
    signature, which `tfzoo export` writes for char-rnn runs), else "a"."""
    if "vocabulary" not in signatures:
        return "a"
    characters = signatures["vocabulary"]()["characters"].numpy().decode("utf-8")
    return characters.strip()[:8] or characters[:1]


def described(tensor):
    """"float32 (batch, 4)" for a spec or a tensor, as `tfzoo export` prints them."""
    shape = str(tuple(tensor.shape.as_list())).replace("None", "batch", 1).replace("None", "any")
    return f"{tensor.dtype.name} {shape}"


def saved_model(path):
    """The runtime, and {signature: (input specs, output specs, call)} of a SavedModel."""
    signatures = tf.saved_model.load(path).signatures
    text = sample_text(signatures)
    functions = {}
    for name, function in signatures.items():
        specs = dict(sorted(function.structured_input_signature[1].items()))  # {name: spec}
        functions[name] = (specs, function.structured_outputs, function)
    return f"TensorFlow {tf.__version__}", functions, text


def litert(path):
    """The runtime, and {signature: (input specs, output specs, call)} of a `.tflite` file,
    run by LiteRT's interpreter (TensorFlow's own where ai-edge-litert is missing)."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        runtime = "LiteRT's interpreter (ai-edge-litert)"
    except ImportError:
        Interpreter, runtime = tf.lite.Interpreter, f"TensorFlow {tf.__version__}'s tf.lite"
    interpreter = Interpreter(model_path=path)
    functions = {}
    for name in interpreter.get_signature_list():
        runner = interpreter.get_signature_runner(name)

        def call(runner=runner, **inputs):
            return runner(**{key: value.numpy() for key, value in inputs.items()})

        functions[name] = (details_specs(runner.get_input_details()),
                           details_specs(runner.get_output_details()), call)
    return runtime, functions, "a"


def keras_file(path):
    """The runtime, and {"call": (input specs, output specs, call)} of a `.keras` file."""
    import keras

    model = keras.saving.load_model(path)
    inputs = {tensor.name: tf.TensorSpec(tensor.shape, tensor.dtype) for tensor in model.inputs}
    outputs = {name: tf.TensorSpec(tensor.shape, tensor.dtype)  # By their layers' names.
               for name, tensor in zip(model.output_names, model.outputs, strict=True)}

    def call(**values):
        return model(list(values.values()) if len(values) > 1 else next(iter(values.values())),
                     training=False)

    return f"Keras {keras.__version__}", {"call": (inputs, outputs, call)}, "a"


def details_specs(details):
    """{name: TensorSpec} of a LiteRT signature's input or output details (-1: any size)."""
    return {name: tf.TensorSpec([None if size == -1 else size
                                 for size in detail["shape_signature"]], detail["dtype"])
            for name, detail in sorted(details.items())}


def check(path, calls):
    """The runtime, and each signature of the artifact at `path`: inputs, outputs, p50 and
    p99 seconds."""
    loader = litert if path.endswith(".tflite") else keras_file if path.endswith(
        ".keras") else saved_model
    runtime, functions, text = loader(path)
    generator, results = np.random.default_rng(0), {}
    for name, (specs, outputs, function) in sorted(functions.items()):
        inputs = {key: sample(spec, generator, text) for key, spec in specs.items()}
        function(**inputs)  # The first call, not timed.
        seconds = []
        for _ in range(calls):
            started = time.perf_counter()
            function(**inputs)
            seconds.append(time.perf_counter() - started)
        results[name] = {
            "inputs": {key: described(spec) for key, spec in specs.items()},
            "outputs": {key: described(spec) for key, spec in outputs.items()},
            "p50_seconds": float(np.percentile(seconds, 50)),
            "p99_seconds": float(np.percentile(seconds, 99)),
        }
    return runtime, results


if __name__ == "__main__":
    sys.modules["tfzoo"] = None  # `import tfzoo` and `import gymnasium` now fail here.
    sys.modules["gymnasium"] = None
    runtime, signatures = check(sys.argv[1], int(sys.argv[2]))
    print(json.dumps({"runtime": runtime, "signatures": signatures}))
