"""The process `tfzoo serve-check` starts: it loads an exported artifact the way its user would,
with tfzoo and Gymnasium blocked from import, calls each signature on sample inputs, and
prints one line of JSON. It imports nothing from tfzoo, and is run as a script, not imported.

    python serve_check_child.py PATH CALLS
"""

import json
import sys
import time

import numpy as np
import tensorflow as tf


def sample(spec, generator):
    """A batch of one input for `spec`: random normal floats, small integers, or pixels."""
    shape = [1 if size is None else size for size in spec.shape.as_list()]
    if spec.dtype.is_floating:
        return tf.constant(generator.normal(size=shape), spec.dtype)
    if spec.dtype == tf.uint8:
        return tf.constant(generator.integers(0, 256, size=shape), tf.uint8)
    return tf.constant(generator.integers(0, 2, size=shape), spec.dtype)


def described(tensor):
    """"float32 (batch, 4)" for a spec or a tensor, as `tfzoo export` prints them."""
    return f"{tensor.dtype.name} {tuple(tensor.shape.as_list())}".replace("None", "batch")


def check(path, calls):
    """Each signature of the SavedModel at `path`: inputs, outputs, p50 and p99 seconds."""
    artifact = tf.saved_model.load(path)
    generator, results = np.random.default_rng(0), {}
    for name, function in sorted(artifact.signatures.items()):
        specs = function.structured_input_signature[1]  # {input name: TensorSpec}
        inputs = {key: sample(spec, generator) for key, spec in specs.items()}
        function(**inputs)  # The first call, not timed.
        seconds = []
        for _ in range(calls):
            started = time.perf_counter()
            function(**inputs)
            seconds.append(time.perf_counter() - started)
        results[name] = {
            "inputs": {key: described(spec) for key, spec in specs.items()},
            "outputs": {key: described(spec) for key, spec in
                        function.structured_outputs.items()},
            "p50_seconds": float(np.percentile(seconds, 50)),
            "p99_seconds": float(np.percentile(seconds, 99)),
        }
    return results


if __name__ == "__main__":
    sys.modules["tfzoo"] = None  # `import tfzoo` and `import gymnasium` now fail here.
    sys.modules["gymnasium"] = None
    print(json.dumps({"tensorflow": tf.__version__,
                      "signatures": check(sys.argv[1], int(sys.argv[2]))}))
