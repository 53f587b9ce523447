"""Shared fixtures: synthetic MNIST and text for every test, registries restored, eager mode."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import tfzoo


def synthetic_mnist(train: int = 1200, test: int = 300, seed: int = 0):
    """MNIST-shaped uint8 digits that are easy to tell apart: a bright bar per class.

    Returns:
        {"x_train", "y_train", "x_test", "y_test"} as in Keras's mnist.npz.
    """
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, count in (("train", train), ("test", test)):
        labels = rng.integers(0, 10, size=count).astype(np.uint8)
        images = rng.integers(0, 60, size=(count, 28, 28)).astype(np.uint8)  # faint noise
        for index, label in enumerate(labels):
            row = 2 + 2 * int(label)
            images[index, row : row + 2, 4:24] = 255
        arrays[f"x_{split}"], arrays[f"y_{split}"] = images, labels
    return arrays


def synthetic_text(characters: int = 20_000, seed: int = 0) -> str:
    """Nietzsche-shaped text for tests: sentences of a small vocabulary, mixed case."""
    rng = np.random.default_rng(seed)
    words = ["The", "will", "to", "power", "is", "a", "moral", "of", "free", "spirits,",
             "and", "truth", "--", "what", "we", "call", "good;", "evil!"]
    pieces, length = [], 0
    while length < characters:
        sentence = " ".join(rng.choice(words, size=rng.integers(4, 12))) + ".\n"
        pieces.append(sentence)
        length += len(sentence)
    return "".join(pieces)[:characters]


def count_learning(monkeypatch, at: int | None = None, action=None) -> list[int]:
    """Counts the supervised agent's `learn` calls (in a list of one); `action` runs at call
    `at` (from 1), before that call learns."""
    from tfzoo.agents.supervised import SupervisedAgent

    original, count = SupervisedAgent.learn, [0]

    def learn(self, transition):
        count[0] += 1
        if count[0] == at:
            action()
        return original(self, transition)

    monkeypatch.setattr(SupervisedAgent, "learn", learn)
    return count


def fail_learning_at(monkeypatch, call: int, error: BaseException) -> None:
    """Makes the supervised agent's `learn` raise `error` on its `call`-th call (from 1)."""
    def fail():
        raise error

    count_learning(monkeypatch, call, fail)


def readme_example(module: str = "my_tasks") -> str:
    """The README's example module, my_tasks.py (under "Adding your own task or agent"), with
    its entry points naming `module` instead."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    source = re.search(r"```python\n(# my_tasks\.py\n.*?)```", readme, re.S).group(1)
    return source.replace('"my_tasks:', f'"{module}:')


def run_fresh_python(prelude: str, code: str, tmp_path) -> dict:
    """Runs `prelude` then `code` in a fresh Python in `tmp_path`; returns the JSON it
    printed last (e.g. an artifact loaded where `import tfzoo` fails)."""
    script = tmp_path / "fresh.py"
    script.write_text(prelude + textwrap.dedent(code), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def dqn_run(tmp_path_factory):
    """A short finished cartpole-dqn run (it keeps a best policy), for the export tests."""
    path = tmp_path_factory.mktemp("runs") / "dqn"
    tfzoo.start_run("cartpole-dqn", path=path, seed=0, steps=2000, progress=False)
    return path


def tfzoo_command(*arguments: str) -> list[str]:
    """The `tfzoo` command with `arguments`, for a subprocess of this Python."""
    return [sys.executable, "-m", "tfzoo.tools.cli", *arguments]


@pytest.fixture(scope="session", autouse=True)
def mnist_dir(tmp_path_factory):
    """A directory holding a synthetic mnist.npz and nietzsche.txt, found through
    $TFZOO_DATA_DIR.

    The Keras cache points at an empty directory, so no test reads a user's files or
    tries to download.
    """
    directory = tmp_path_factory.mktemp("mnist")
    np.savez_compressed(directory / "mnist.npz", **synthetic_mnist())
    (directory / "nietzsche.txt").write_text(synthetic_text(), encoding="utf-8")
    keras_home = tmp_path_factory.mktemp("keras_home")
    patch = pytest.MonkeyPatch()
    patch.setenv("TFZOO_DATA_DIR", str(directory))
    patch.setenv("KERAS_HOME", str(keras_home))
    yield directory
    patch.undo()


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch):
    """tfzoo's own tests do not depend on the plugins installed beside it (tests/test_plugins.py
    turns them on where it tests them)."""
    monkeypatch.setenv("TFZOO_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(autouse=True)
def restore_registries():
    """Lets a test register tasks and agents without leaking them into other tests
    (tfzoo's registries, and Gymnasium's, where each task is registered too)."""
    import gymnasium

    tasks, agents = dict(tfzoo.registry), dict(tfzoo.agent_registry)
    environments = dict(gymnasium.registry)
    yield
    for registry, saved in ((tfzoo.registry, tasks), (tfzoo.agent_registry, agents),
                            (gymnasium.registry, environments)):
        registry.clear()
        registry.update(saved)


@pytest.fixture
def eager():
    """Runs every tf.function eagerly for the duration of a test."""
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)
