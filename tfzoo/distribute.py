"""Training on several devices or machines with `tf.distribute`: strategies by name, workers.

This module picks a `tf.distribute.Strategy` ("default", "mirrored", "multiworker"), tells
a worker of a multi-worker run where to write and what to resume, and checks that resumed
workers agree; the data-parallel training step itself lives in the supervised agent.
docs/scaling-out.md explains when to use which.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import tensorflow as tf

from tfzoo.errors import ConfigError, RunDirectoryError
from tfzoo.validate import whole_number

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(strategy: str | tf.distribute.Strategy | None) -> tf.distribute.Strategy:
    """The strategy called `strategy`, or `strategy` itself if it is one already.

    - "default" (or None): TensorFlow's default strategy, one device, no distribution.
    - "mirrored": `tf.distribute.MirroredStrategy` over every GPU, or over every logical
      CPU device when there is no GPU (see `split_cpu`): one replica per device, each
      taking its share of the global batch, gradients summed across them.
    - "multiworker": `tf.distribute.MultiWorkerMirroredStrategy`, one process per machine
      (or per worker), each told its place in the cluster by the `TF_CONFIG` variable.

    Raises:
        ConfigError: An unknown name, or "multiworker" without `TF_CONFIG`.
    """
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy is None or strategy == "default":
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return _mirrored_strategy(tuple(device.name for device in devices))
    if strategy == "multiworker":
        return _multi_worker_strategy(os.environ.get("TF_CONFIG", ""))
    raise ConfigError(
        f"strategy={strategy!r} is not a strategy; use one of {', '.join(STRATEGIES)}, or pass "
        f"a tf.distribute.Strategy from Python."
    )


@functools.cache
def _mirrored_strategy(devices: tuple[str, ...]) -> tf.distribute.Strategy:
    """One `MirroredStrategy` per set of devices and process: two would number their
    collective operations alike, and the second's all-reduces would meet the first's."""
    return tf.distribute.MirroredStrategy(list(devices))


@functools.cache
def _multi_worker_strategy(tf_config: str) -> tf.distribute.Strategy:
    """The process's one `MultiWorkerMirroredStrategy` (TensorFlow allows a single one)."""
    worker_task(tf_config)  # Checks TF_CONFIG first, with a clear error.
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:  # "Collective ops must be configured at program startup".
        raise ConfigError(
            f"The multi-worker strategy must be made before TensorFlow starts ({error}). Call "
            f"tfzoo.distribute.make_strategy('multiworker') first thing in the program; later "
            f"calls, and strategy='multiworker' settings, then use that one."
        ) from None


def worker_task(tf_config: str | None = None) -> tuple[str, int]:
    """This process's (task type, index) in the cluster `TF_CONFIG` describes.

    Args:
        tf_config: The variable's text; None reads the environment.

    Raises:
        ConfigError: `TF_CONFIG` is missing or is not a cluster description.
    """
    text = os.environ.get("TF_CONFIG", "") if tf_config is None else tf_config
    example = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
               '"task": {"type": "worker", "index": 0}}\'')
    if not text:
        raise ConfigError(
            "strategy='multiworker' reads the cluster from the TF_CONFIG environment variable, "
            f"which is not set. Set it in each worker, e.g. {example} (index 1 on the second), "
            "or use strategy='mirrored' for the devices of this machine (docs/scaling-out.md)."
        )
    try:
        parsed = json.loads(text)
        task_type, index = parsed["task"]["type"], int(parsed["task"]["index"])
        workers = parsed["cluster"][task_type]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"TF_CONFIG={text!r} is not a cluster description; it looks like "
                          f"{example}.") from None
    if not 0 <= index < len(workers):
        raise ConfigError(f"TF_CONFIG gives task index {index}, but the cluster has "
                          f"{len(workers)} {task_type!r} addresses.")
    return task_type, index


def is_multi_worker(strategy: object) -> bool:
    """Whether `strategy` spans several worker processes (`MultiWorkerMirroredStrategy`)."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's own files (always, unless several workers)."""
    return not is_multi_worker(strategy) or _chief_task()


def worker_path(path: str | os.PathLike, strategy: tf.distribute.Strategy) -> Path:
    """Where this process keeps a run meant for `path`.

    The chief writes `path` itself; every other worker of a multi-worker run writes a run
    directory of its own beside it, `<path>.<type>-<index>` (e.g. `run.worker-1`), with its
    own logs and checkpoints, so that no two processes write the same file.
    """
    path = Path(path)
    return path if is_chief(strategy) else _own_path(path)


def resume_path(path: str | os.PathLike) -> Path:
    """The run directory this process resumes for `path`: with `TF_CONFIG` naming a worker
    other than the chief, its own `<path>.<type>-<index>` if there is one, so that every
    worker resumes with the same command; otherwise `path`."""
    path = Path(path)
    if not os.environ.get("TF_CONFIG") or _chief_task():
        return path
    own = _own_path(path)
    return own if own.is_dir() else path


def _chief_task() -> bool:
    """Whether `TF_CONFIG` names this process the chief (or worker 0 of a chief-less cluster)."""
    task_type, index = worker_task()
    has_chief = "chief" in json.loads(os.environ["TF_CONFIG"])["cluster"]
    return task_type == "chief" or (task_type == "worker" and index == 0 and not has_chief)


def _own_path(path: Path) -> Path:
    task_type, index = worker_task()
    return path.with_name(f"{path.name}.{task_type}-{index}")


def check_workers_agree(strategy: tf.distribute.Strategy | None, what: str, value: int) -> None:
    """Raises unless every worker of a multi-worker `strategy` holds the same `value`.

    Every worker must call it at the same point (it gathers the values across them).

    Raises:
        RunDirectoryError: The workers differ, naming each one's value.
    """
    if not is_multi_worker(strategy):
        return
    per_replica = strategy.run(lambda: tf.constant([value], tf.int64))
    values = strategy.gather(per_replica, axis=0).numpy().tolist()  # One per replica.
    if len(set(values)) > 1:
        raise RunDirectoryError(
            f"The workers resumed at different {what}: {', '.join(map(str, values))} (one per "
            f"replica, worker 0 first). Their latest checkpoints do not match, and training on "
            f"would leave their copies of the model apart. Remove the newer checkpoints so that "
            f"every worker's checkpoints/ ends at the same step, or start the run again."
        )


def split_cpu(devices: int) -> None:
    """Splits the CPU into `devices` logical devices, for "mirrored" on a machine without GPUs.

    Must run before TensorFlow first uses a device (at the start of a program).

    Raises:
        ConfigError: `devices` is below 1, or TensorFlow has already started.
    """
    whole_number("cpu_devices", devices)
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
        )
    except RuntimeError:
        raise ConfigError(
            f"Cannot split the CPU into {devices} devices: TensorFlow has already started "
            f"using its devices. Call tfzoo.distribute.split_cpu({devices}) first thing in "
            f"the program."
        ) from None

