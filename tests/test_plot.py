"""`tfzoo plot`: the curves drawn are progress.csv's, seeds as their IQM and its 95% CI
(tfzoo.stats); `--profile` draws the final evaluations' performance profiles."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import tfzoo
from tfzoo import stats
from tfzoo.tools.cli import main
from tfzoo.tools.plot import BAND_RESAMPLES, learning_curves, plot_profiles, plot_runs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def column(run_dir, name):
    with open(run_dir / "progress.csv", newline="") as file:
        rows = [row for row in csv.DictReader(file) if row[name] != ""]
    return np.array([int(row["steps"]) for row in rows]), np.array([float(row[name])
                                                                     for row in rows])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Five runs of linear-regression's handbook preset (episodes of one step each) and a
    cartpole run with periodic evaluations.

    The seed alone changes nothing in linear-regression (its data and first weights are
    fixed), so the runs differ by their learning rate too, as seeds of a task would differ by
    their luck; they are still one group (one task, preset and agent). Five, because with
    three the IQM is the mean, and with four a 95% interval's ends are still the smallest and
    the largest score (a resample with three of four the same is not rare enough).
    """
    directory = tmp_path_factory.mktemp("plot")
    regressions = []
    for seed in range(5):
        path = directory / f"regression-{seed}"
        tfzoo.start_run("linear-regression", path=path, preset="handbook", seed=seed, steps=30,
                        progress=False, agent_overrides={"learning_rate": 0.01 + 0.002 * seed})
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


def final_evaluations(paths):
    return [json.loads((path / "summary.json").read_text())["eval_return"] for path in paths]


def test_seeds_of_a_task_are_their_iqm_and_its_interval(runs):
    regressions, _ = runs
    curves = {curve.panel: curve for curve in learning_curves(regressions)}
    finals = final_evaluations(regressions)  # No evaluation during training: the final one.
    expected = stats.aggregate(finals, resamples=BAND_RESAMPLES)
    curve = curves["eval_return"]
    assert (curve.values, curve.low, curve.high) == ([expected.iqm], [expected.low],
                                                     [expected.high])
    assert expected.low < expected.high
    losses = np.stack([column(path, "loss")[1] for path in regressions])
    curve = curves["loss"]
    assert curve.runs == 5 and "(5 seeds)" in curve.label
    iqm, low, high = stats.iqm_curve(losses, resamples=BAND_RESAMPLES)
    np.testing.assert_array_equal(curve.values, iqm)
    np.testing.assert_array_equal(curve.low, low)
    np.testing.assert_array_equal(curve.high, high)
    assert (low <= iqm).all() and (iqm <= high).all() and (low < high).any()
    assert not np.allclose(iqm, losses.mean(axis=0))  # Not the mean, nor the range:
    assert (low > losses.min(axis=0)).any() and (high < losses.max(axis=0)).any()


def test_the_png_draws_exactly_those_series(runs, tmp_path):
    regressions, cartpole = runs
    output = tmp_path / "curves.png"
    figure = plot_runs([*regressions, cartpole], output)
    assert output.read_bytes()[:8] == PNG_SIGNATURE
    assert "interquartile mean (IQM)" in figure.get_suptitle()  # Says what the band is.
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
    returns = np.stack([column(path, "return")[1] for path in regressions])
    assert line.get_label() == "linear-regression handbook (5 seeds)"
    np.testing.assert_array_equal(line.get_ydata(), stats.iqm_curve(returns,
                                                                    resamples=BAND_RESAMPLES)[0])


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


def test_profiles_are_the_share_of_runs_above_each_score(runs, tmp_path, capsys):
    regressions, cartpole = runs
    output = tmp_path / "profile.png"
    assert main(["plot", "--profile", *map(str, regressions), str(cartpole), "-o",
                 str(output)]) == 0
    assert output.read_bytes()[:8] == PNG_SIGNATURE
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_bytes((regressions[0] / "config.json").read_bytes())
    with pytest.warns(tfzoo.TfzooWarning, match="Left out of the profiles: 1 run: .*unfinished"):
        figure = plot_profiles([*regressions, unfinished, cartpole], tmp_path / "again.png")
    by_title = {axis.get_title(): axis for axis in figure.axes}
    assert set(by_title) == {"linear-regression: final evaluation",
                             "cartpole-dqn: final evaluation"}
    (line,) = by_title["linear-regression: final evaluation"].lines  # No reward threshold.
    assert line.get_label() == "linear-regression handbook (5 runs)"
    np.testing.assert_array_equal(line.get_ydata(), stats.performance_profile(
        final_evaluations(regressions), line.get_xdata()))
    profile, threshold = by_title["cartpole-dqn: final evaluation"].lines
    assert threshold.get_label() == "reward threshold 475"
    assert list(threshold.get_xdata()) == [475, 475]
    np.testing.assert_array_equal(profile.get_ydata(), stats.performance_profile(
        final_evaluations([cartpole]), profile.get_xdata()))
