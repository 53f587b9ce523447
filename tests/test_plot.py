"""`tfzoo plot`: the curves drawn are progress.csv's, seeds as their mean and range."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import tfzoo
from tfzoo.tools.cli import main
from tfzoo.tools.plot import learning_curves, plot_runs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def column(run_dir, name):
    with open(run_dir / "progress.csv", newline="") as file:
        rows = [row for row in csv.DictReader(file) if row[name] != ""]
    return np.array([int(row["steps"]) for row in rows]), np.array([float(row[name])
                                                                     for row in rows])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three seeds of linear-regression (episodes of one step each) and a cartpole run
    with periodic evaluations."""
    directory = tmp_path_factory.mktemp("plot")
    regressions = []
    for seed in range(3):
        path = directory / f"regression-{seed}"
        tfzoo.start_run("linear-regression", path=path, preset="handbook", seed=seed, steps=30,
                        progress=False)
        regressions.append(path)
    cartpole = directory / "cartpole"
    tfzoo.start_run("cartpole-dqn", path=cartpole, seed=0, steps=2100, progress=False,
                    agent_overrides={"learning_starts": 100})
    return regressions, cartpole


def test_one_runs_curves_are_its_progress_csv(runs):
    _, cartpole = runs
    curves = {curve.panel: curve for curve in learning_curves([cartpole])}
    for panel in ("return", "loss", "eval_return"):
        steps, values = column(cartpole, panel)
        np.testing.assert_array_equal(curves[panel].steps, steps)
        np.testing.assert_array_equal(curves[panel].values, values)
    assert curves["eval_return"].final is not None  # summary.json's final evaluation.


def test_seeds_of_a_task_are_their_mean_and_range(runs):
    import json

    regressions, _ = runs
    curves = {curve.panel: curve for curve in learning_curves(regressions)}
    finals = [json.loads((path / "summary.json").read_text())["eval_return"]
              for path in regressions]  # No evaluation during training: the final one only.
    assert curves["eval_return"].values == pytest.approx([np.mean(finals)])
    assert curves["eval_return"].low == pytest.approx([min(finals)])
    losses = np.stack([column(path, "loss")[1] for path in regressions])
    curve = curves["loss"]
    assert curve.runs == 3 and "(3 seeds)" in curve.label
    np.testing.assert_allclose(curve.values, losses.mean(axis=0))
    np.testing.assert_array_equal(curve.low, losses.min(axis=0))
    np.testing.assert_array_equal(curve.high, losses.max(axis=0))


def test_the_png_draws_exactly_those_series(runs, tmp_path):
    regressions, cartpole = runs
    output = tmp_path / "curves.png"
    figure = plot_runs([*regressions, cartpole], output)
    assert output.read_bytes()[:8] == PNG_SIGNATURE
    by_title = {axis.get_title(): axis for axis in figure.axes if axis.get_visible()}
    assert set(by_title) == {  # A row of panels per task.
        "cartpole-dqn: Return per episode", "cartpole-dqn: Loss (episode mean)",
        "cartpole-dqn: Evaluation return", "linear-regression: Return per episode",
        "linear-regression: Loss (episode mean)", "linear-regression: Evaluation return"}
    (line, *_) = by_title["cartpole-dqn: Return per episode"].lines
    steps, returns = column(cartpole, "return")
    assert line.get_label() == "cartpole-dqn default"
    np.testing.assert_array_equal(line.get_xdata(), steps)
    np.testing.assert_array_equal(line.get_ydata(), returns)
    (line, *_) = by_title["linear-regression: Return per episode"].lines
    mean = np.stack([column(path, "return")[1] for path in regressions]).mean(axis=0)
    assert line.get_label() == "linear-regression handbook (3 seeds)"
    np.testing.assert_allclose(line.get_ydata(), mean)


def test_the_command_writes_the_picture_and_explains_bad_input(runs, tmp_path, capsys):
    regressions, _ = runs
    output = tmp_path / "seeds.png"
    assert main(["plot", *map(str, regressions), "-o", str(output)]) == 0
    assert output.read_bytes()[:8] == PNG_SIGNATURE
    assert main(["plot", str(regressions[0]), "-o", str(tmp_path / "curves.gif")]) == 2
    assert "name a .png, .svg, .pdf file" in capsys.readouterr().err
    assert main(["plot", str(tmp_path), "-o", str(output)]) == 2
    assert "is not a tfzoo run directory" in capsys.readouterr().err


def test_without_matplotlib_the_error_names_the_extra(runs, tmp_path, monkeypatch, capsys):
    import sys

    regressions, _ = runs
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # As if not installed.
    assert main(["plot", str(regressions[0]), "-o", str(tmp_path / "curves.png")]) == 2
    assert "pip install 'tfzoo[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "curves.png").exists()
