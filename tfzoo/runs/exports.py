"""`export_run`: a finished run's agent, its best or its last policy, written as a TensorFlow
artifact by `tfzoo.exporting`; and how to load what was written, in plain TensorFlow."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tfzoo.errors import ExportError
from tfzoo.exporting import check_destination, signature_functions, write
from tfzoo.runs.best import BestCheckpoint
from tfzoo.runs.directory import RunDirectory
from tfzoo.runs.experiment import load_run

LOADERS = {
    "saved_model": ('import tensorflow as tf\n'
                    'artifact = tf.saved_model.load("{path}")\n'
                    'outputs = artifact.signatures["serving_default"]({example})'),
    "keras": ('import keras\n'
              'model = keras.saving.load_model("{path}")\n'
              'outputs = model.predict(inputs)'),
    "litert": ('from ai_edge_litert.interpreter import Interpreter  # pip install ai-edge-litert\n'
               'interpreter = Interpreter(model_path="{path}")\n'
               'outputs = interpreter.get_signature_runner("serving_default")({example})'),
}


def export_run(run_dir: str | os.PathLike, path: str | os.PathLike, *,
               format: str = "saved_model", best: bool | None = None) -> dict[str, Any]:
    """Exports a finished run's agent to `path` (as `tfzoo.exporting.export` does).

    Args:
        run_dir: A finished run directory (with its summary.json).
        path: Where to write the artifact; it must not exist yet.
        format: "saved_model" (the default), "keras" or "litert" (see
            `tfzoo.exporting.FORMATS`).
        best: The best policy the run's periodic evaluations kept (True), or its last
            checkpoint (False); None: the best one wherever the run kept one.

    Returns:
        What was written: {"path", "format", "policy" ("best" or "last"), "score" (the
        policy's evaluation return, from summary.json), "signatures", "load" (the lines of
        plain TensorFlow that load it)}.

    Raises:
        RunDirectoryError: Not a run directory, or no best policy when `best` is True.
        ExportError: An unfinished run, an existing `path`, an unknown format, or an agent
            that cannot export.
    """
    path = Path(path)
    check_destination(path, format)  # Before the run is loaded: these errors come first.
    directory = RunDirectory.open(run_dir)
    summary = directory.read_summary()
    if summary is None:
        raise ExportError(
            f"The run in {str(run_dir)!r} is unfinished (it has no summary.json), so there is "
            f"no final policy to export yet. Finish it with `tfzoo train --resume {run_dir}`, "
            f"then export it.")
    if best is None:
        best = BestCheckpoint(directory).read() is not None
    task, agent, _ = load_run(run_dir, best=best)
    module = agent.export_module(task)
    written = write(module, path, format)
    signatures = signature_texts(module)
    example = ", ".join(f"{name}=..." for name in signatures["serving_default"]["inputs"])
    return {"path": str(written), "format": format, "policy": "best" if best else "last",
            "score": summary.get("best_eval_return" if best else "eval_return"),
            "signatures": signatures,
            "load": LOADERS[format].format(path=written, example=example)}


def signature_texts(module: Any) -> dict[str, dict[str, dict[str, str]]]:
    """{signature: {"inputs": {name: "dtype (shape)"}, "outputs": {...}}} of an export module."""
    texts = {}
    for name, function in signature_functions(module).items():
        inputs = function.structured_input_signature[0]
        texts[name] = {
            "inputs": {spec.name: _spec_text(spec) for spec in inputs},
            "outputs": {key: _spec_text(spec) for key, spec in
                        function.structured_outputs.items()},
        }
    return texts


def _spec_text(spec: Any) -> str:
    """'float32 (batch, 4)' for a tensor spec or a symbolic tensor: its first unknown size is
    the batch, any later one (a text's length) is 'any'."""
    shape = str(tuple(spec.shape.as_list())).replace("None", "batch", 1).replace("None", "any")
    return f"{spec.dtype.name} {shape}"

