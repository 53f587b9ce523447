"""`tfzoo play --record`: a gallery for every task (image grid, text, GIF)."""

from __future__ import annotations

import numpy as np
import pytest

import tfzoo
import tfzoo.tools.play_commands
from tfzoo.tools.cli import main
from tfzoo.tools.gallery import classification_gallery, classify_split, text_gallery

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("gallery") / "mnist"
    tfzoo.start_run("mnist-mlp", path=path, preset="handbook", seed=0, steps=4, progress=False)
    return path


def test_the_image_grid_shows_mistakes_first_and_counts_them(mnist_run, tmp_path):
    _, agent, config = tfzoo.load_run(mnist_run)
    task = tfzoo.make("mnist-mlp", split="test", batch_size=64)
    output = tmp_path / "digits.png"
    shown = classification_gallery(agent, task, output, count=40, seed=1)
    assert output.read_bytes()[:8] == PNG_SIGNATURE
    _, predictions, targets = classify_split(agent, task, seed=1)
    assert shown["samples"] == len(targets) == 300  # The whole synthetic test split, once.
    assert shown["mistakes"] == int(np.sum(predictions != targets)) > 0  # 4 steps: still wrong.
    assert shown["accuracy"] == pytest.approx(tfzoo.evaluate(agent, task))
    assert shown["shown"] == 40


def test_play_records_a_grid_for_mnist_and_says_which_file_each_task_takes(
    mnist_run, tmp_path, capsys
):
    output = tmp_path / "grid.png"
    assert main(["play", str(mnist_run), "--record", str(output), "--seed", "0"]) == 0
    assert output.read_bytes()[:8] == PNG_SIGNATURE
    assert "mistakes in 300" in capsys.readouterr().out
    assert main(["play", str(mnist_run), "--record", str(tmp_path / "grid.gif")]) == 2
    assert "this task's recording is an image grid; name the file *.png" in (
        capsys.readouterr().err)


def test_a_missing_drawing_package_is_named_before_the_run_is_loaded(
    mnist_run, tmp_path, capsys, monkeypatch
):
    import importlib.util

    def find_spec(name, *rest):  # As if matplotlib were not installed.
        return None if name == "matplotlib" else installed(name, *rest)

    installed = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(tfzoo.tools.play_commands, "load_run", None)  # Never reached.
    assert main(["play", str(mnist_run), "--record", str(tmp_path / "grid.png")]) == 2
    error = capsys.readouterr().err
    assert "drawn with matplotlib, which is not installed" in error
    assert "pip install 'tfzoo[render]'" in error


def test_play_records_the_text_of_a_char_rnn_run_per_temperature(tmp_path, capsys):
    run_dir = tmp_path / "char"
    assert main(["train", "char-rnn", "--preset", "handbook", "--steps", "20", "--seed", "0",
                 "--set", "units=16", "--set", "window=8", "--logdir", str(run_dir),
                 "--no-progress"]) == 0
    capsys.readouterr()
    output = tmp_path / "text.txt"
    assert main(["play", str(run_dir), "--record", str(output), "--seed", "4"]) == 0
    written = output.read_text(encoding="utf-8")
    for temperature in ("0.2", "0.5", "1.0", "1.2"):
        assert f"\ntemperature {temperature}:\n" in written
    _, agent, _ = tfzoo.load_run(run_dir)
    again = text_gallery(agent, tmp_path / "again.txt", "the will", length=50, seed=4)
    assert again == text_gallery(agent, tmp_path / "again.txt", "the will", length=50, seed=4)
    assert all(len(text) == 50 for text in again.values())
