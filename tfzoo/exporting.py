"""`export`: an agent's trained policy or model written as a TensorFlow artifact that runs
without tfzoo (a SavedModel, a `.keras` file, or a LiteRT `.tflite` file).

What goes into the artifact is the agent's (`Agent.export_module`; `Predictions` is the one
supervised agents give); this module only checks it and writes it, all or nothing. Exporting
a run directory, its best or last policy, is `tfzoo.runs.exports.export_run`'s job.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from tfzoo.core import Agent
from tfzoo.errors import ExportError
from tfzoo.litert import write_litert

FORMATS = {
    "saved_model": "a SavedModel directory: tf.saved_model.load, TF Serving, TF.js",
    "keras": "a .keras file: keras.saving.load_model, no custom objects",
    "litert": "a .tflite file: LiteRT's interpreter (ai-edge-litert), on-device runtimes",
}
# The file name's suffix a format needs, and why.
SUFFIXES = {"keras": (".keras", "its loader refuses other names"),
            "litert": (".tflite", "the suffix LiteRT's tools expect of a model")}


def export(agent: Agent, task: Any, path: str | os.PathLike, *,
           format: str = "saved_model") -> Path:
    """Writes `agent`'s trained policy or model to `path` as a TensorFlow artifact.

    Args:
        agent: A trained agent whose `export_module` says what to export.
        task: The task it was trained on (for the inputs' shapes and preprocessing).
        path: Where to write; it must not exist yet (a SavedModel is a directory; the
            other formats are files named *.keras or *.tflite).
        format: One of `FORMATS`: "saved_model" (the default), "keras" or "litert".

    Returns:
        `path`, written whole: a crash or Ctrl-C while writing leaves nothing there.

    Raises:
        ExportError: An unknown format, an existing `path`, or an agent that cannot export
            in this format.
    """
    path = Path(path)
    check_destination(path, format)
    return write(agent.export_module(task), path, format)


def write(module: tf.Module, path: Path, format: str) -> Path:
    """Writes an export module (see `Agent.export_module`) to `path` in `format`, whole or
    not at all; `path` must be free (`check_destination`)."""
    signatures = signature_functions(module)
    with new_artifact(path) as temporary:
        if format == "saved_model":
            tf.saved_model.save(module, temporary, signatures=signatures)
        elif format == "litert":
            write_litert(module, signatures, temporary)
        else:
            keras_model(module).save(temporary)
    return path


class Predictions(tf.Module):
    """A supervised model with its task's preprocessing, as `tfzoo export` writes it: the
    module `SupervisedAgent.export_module` returns, for any Keras model it trained.

    `serving_default` takes the task's raw inputs (`SupervisedTask.serving_inputs`) and
    gives, for a classifier, `probabilities` (batch, classes) and `classes` (batch,) int64;
    for a regression, `outputs`, the model's own. `keras_model()` gives the same as a plain
    Keras model, for `--format keras`, where the model offers one (`plain()`, as the
    chapter's models do).

    Args:
        model: The trained Keras model (logits out, for a classifier).
        inputs: The raw inputs' spec, a batch of any size.
        preprocess: The Keras layer that turns raw inputs into the model's.
        classify: The model is a classifier.
    """

    def __init__(self, model: Any, inputs: tf.TensorSpec, preprocess: Any, *,
                 classify: bool) -> None:
        super().__init__(name="predictions")
        if not preprocess.built:  # Now, eagerly: its constants cannot be made while tracing.
            preprocess.build(tuple(inputs.shape))
        self.model, self.preprocess, self.classify = model, preprocess, classify
        self.inputs = inputs
        self.serving_default = tf.function(self._predict, input_signature=[inputs])

    def keras_model(self) -> keras.Model | None:
        """The same as a functional Keras model of built-in layers (raw inputs in; for a
        classifier, probabilities out), where the model offers one (`plain()`), else None."""
        if not hasattr(self.model, "plain"):
            return None
        inputs = self.inputs
        raw = keras.Input(inputs.shape[1:], dtype=inputs.dtype.name, name=inputs.name)
        outputs = self.model.plain()(self.preprocess(raw))  # (batch, outputs)
        if self.classify:
            outputs = keras.layers.Softmax(name="probabilities")(outputs)
        return keras.Model(raw, outputs, name="exported")

    def _predict(self, inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs = self.model(self.preprocess(inputs), training=False)  # (batch, outputs)
        if not self.classify:
            return {"outputs": outputs}
        return {"probabilities": tf.nn.softmax(outputs),  # (batch, classes)
                "classes": tf.argmax(outputs, axis=-1)}  # (batch,)


def check_destination(path: Path, format: str) -> None:
    """Raises `ExportError` for an unknown format, an existing `path`, or a file name without
    the suffix the format needs (`SUFFIXES`)."""
    if format not in FORMATS:
        known = "; ".join(f"{name}: {what}" for name, what in FORMATS.items())
        raise ExportError(f"Unknown export format {format!r}. Choose one of {known}.")
    if path.exists() or path.is_symlink():
        raise ExportError(f"{str(path)!r} already exists, and export never writes over "
                          f"anything. Choose a new path, or delete it first.")
    suffix, why = SUFFIXES.get(format, (None, ""))
    if suffix is not None and path.suffix != suffix:
        raise ExportError(f"A {format} artifact is a file named *{suffix} ({why}), not "
                          f"{str(path)!r}: try {str(path.with_suffix(suffix))!r}.")
    if not path.parent.is_dir():
        raise ExportError(f"The folder {str(path.parent)!r} does not exist; create it first.")


def signature_functions(module: tf.Module) -> dict[str, Any]:
    """The concrete functions of `module`'s `tf.function` attributes that have an input
    signature, by attribute name; one of them must be `serving_default`."""
    functions = {
        name: value.get_concrete_function() for name, value in vars(module).items()
        if isinstance(value, tf.types.experimental.PolymorphicFunction)
        and value.input_signature is not None
    }
    if "serving_default" not in functions:
        raise ExportError(
            f"The module to export, a {type(module).__name__}, has no `serving_default`: give "
            f"it a tf.function of that name made with an input_signature (it has "
            f"{', '.join(sorted(functions)) or 'no such functions'}).")
    return functions


def keras_model(module: tf.Module) -> Any:
    """The plain Keras model a module offers for the `.keras` format (its `keras_model()`)."""
    make = getattr(module, "keras_model", None)
    model = make() if callable(make) else None
    if model is None:
        raise ExportError(f"This agent's artifact, a {type(module).__name__}, has no plain Keras "
                          f"model to write as a .keras file; export it with --format "
                          f"saved_model instead.")
    return model


@contextlib.contextmanager
def new_artifact(path: Path) -> Iterator[str]:
    """Yields a temporary path beside `path` to write the artifact to (a file or a folder);
    then gives it the name `path`, which must still be free. If the block raises (Ctrl-C
    included), the temporary artifact is deleted and nothing is left at `path`."""
    folder = tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    temporary = os.path.join(folder, path.name)  # Inside, so it keeps the name's suffix.
    try:
        yield temporary
        if os.path.lexists(path):
            raise FileExistsError(path)
        if os.path.isdir(temporary):
            os.rename(temporary, path)
        else:
            os.link(temporary, path)  # Unlike a rename, never replaces a file that appeared.
    except FileExistsError as error:
        raise ExportError(f"{str(path)!r} appeared while the artifact was being written; "
                          f"nothing was written over it.") from error
    finally:
        shutil.rmtree(folder, ignore_errors=True)
