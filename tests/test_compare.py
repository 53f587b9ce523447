"""`tfzoo compare`: finished runs grouped, each group's IQM and 95% CI as tfzoo.stats gives
them, unfinished runs skipped in one line, and bad input explained."""

from __future__ import annotations

import json

import pytest

import tfzoo
from tfzoo import stats
from tfzoo.tools.cli import main

# Final evaluations of five CartPole "seeds" (the task's reward threshold is 475).
CARTPOLE = [500.0, 487.0, 312.0, 455.0, 478.0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One real (tiny) finished run, whose config.json and summary.json the copies edit."""
    path = tmp_path_factory.mktemp("compare") / "trained"
    tfzoo.start_run("linear-regression", path=path, preset="handbook", seed=0, steps=2,
                    progress=False)
    return path


def copy_run(trained, path, score=None, *, task=None, agent=None, preset=None, **settings):
    """A run directory like `trained`'s, finished with eval_return `score` (None: unfinished),
    with another task, agent, preset or agent settings in its config.json."""
    config = json.loads((trained / "config.json").read_text())
    config.update({key: value for key, value in
                   (("task", task), ("agent", agent), ("preset", preset)) if value is not None})
    config["agent_config"].update(settings)
    path.mkdir()
    (path / "config.json").write_text(json.dumps(config))
    if score is not None:
        summary = json.loads((trained / "summary.json").read_text())
        (path / "summary.json").write_text(json.dumps({**summary, "eval_return": score}))
    return path


@pytest.fixture
def runs(trained, tmp_path):
    """Five finished cartpole-dqn runs, one unfinished, and one linear-regression run."""
    cartpole = [copy_run(trained, tmp_path / f"cart-{index}", score, task="cartpole-dqn",
                         agent="dqn", preset="default") for index, score in enumerate(CARTPOLE)]
    unfinished = copy_run(trained, tmp_path / "cart-unfinished", task="cartpole-dqn",
                          agent="dqn", preset="default")
    regression = copy_run(trained, tmp_path / "regression", -0.25)
    return cartpole, unfinished, regression


def compare(capsys, *arguments):
    assert main(["compare", *map(str, arguments)]) == 0
    return capsys.readouterr().out


def test_the_table_gives_each_groups_iqm_and_interval(runs, capsys):
    cartpole, unfinished, regression = runs
    output = compare(capsys, *cartpole, unfinished, regression)
    expected = stats.aggregate(CARTPOLE, threshold=475)
    iqm, low, high, mean, smallest, largest = stats.format_numbers(
        expected.iqm, expected.low, expected.high, sum(CARTPOLE) / 5, 312.0, 500.0)
    (row,) = [line for line in output.splitlines() if line.startswith("cartpole-dqn default")]
    assert row.split() == ["cartpole-dqn", "default", "5", iqm, f"({low}-{high})", mean,
                           smallest, largest, "3/5", "runs", ">=", "475"]
    assert expected.low < expected.iqm < expected.high
    (row,) = [line for line in output.splitlines() if line.startswith("linear-regression")]
    assert row.split() == ["linear-regression", "handbook", "1", "-0.2500", "(1", "run:", "no",
                           "CI)", "-0.2500", "-0.2500", "-0.2500", "-"]  # No threshold.
    assert output.splitlines()[-1] == (f"Skipped 1 run: {unfinished} (unfinished: no "
                                       f"summary.json)")


def test_json_holds_the_same_figures(runs, capsys):
    cartpole, unfinished, regression = runs
    result = json.loads(compare(capsys, *cartpole, unfinished, regression, "--json"))
    expected = stats.aggregate(CARTPOLE, threshold=475)
    cart, single = result["groups"]
    assert (cart["group"], cart["runs"], cart["iqm"], cart["ci"]) == (
        "cartpole-dqn default", 5, expected.iqm, [expected.low, expected.high])
    assert (cart["threshold"], cart["fraction_above"], cart["scores"]) == (475, 0.6, CARTPOLE)
    assert cart["run_dirs"] == [str(path) for path in cartpole]
    assert (single["ci"], single["threshold"], single["fraction_above"]) == (None, None, None)
    assert result["skipped"] == [{"run_dir": str(unfinished),
                                  "reason": "unfinished: no summary.json"}]


def test_runs_group_by_task_agent_or_a_setting(trained, tmp_path, capsys):
    paths = [copy_run(trained, tmp_path / f"run-{index}", float(index), preset=preset,
                      learning_rate=rate)
             for index, (preset, rate) in enumerate([("handbook", 0.1), ("handbook", 0.01),
                                                     ("default", 0.1), ("default", 0.1)])]

    def groups(*by):
        result = json.loads(compare(capsys, *paths, "--json", *by))
        return {group["group"]: group["scores"] for group in result["groups"]}

    assert groups() == {"linear-regression handbook": [0.0, 1.0],
                        "linear-regression default": [2.0, 3.0]}
    assert groups("--by", "task") == {"linear-regression": [0.0, 1.0, 2.0, 3.0]}
    assert groups("--by", "agent") == {"linear-regression [supervised]": [0.0, 1.0, 2.0, 3.0]}
    assert groups("--by", "setting:learning_rate") == groups("--by", "setting:agent.learning_rate"
                                                             ) == {
        "linear-regression learning_rate=0.1": [0.0, 2.0, 3.0],
        "linear-regression learning_rate=0.01": [1.0]}


@pytest.mark.parametrize("by, words", [
    ("seed", "--by 'seed' is not a way to group runs. Pass preset (runs of one task"),
    ("setting:", "or setting:NAME (runs of one task and agent with the same value"),
    ("setting:learning_rte", "has no setting 'learning_rte' in its config.json. Did you mean "
     "'learning_rate'?"),
])
def test_a_bad_grouping_is_explained(trained, tmp_path, capsys, by, words):
    run = copy_run(trained, tmp_path / "run", 1.0)
    assert main(["compare", str(run), "--by", by]) == 2
    error = capsys.readouterr().err
    assert error.startswith("tfzoo: error: ") and words in error and error.count("\n") == 1


def test_without_a_finished_run_the_error_says_why(trained, tmp_path, capsys):
    unfinished = copy_run(trained, tmp_path / "unfinished")
    no_best = copy_run(trained, tmp_path / "finished", 1.0)
    assert main(["compare", str(unfinished), str(no_best), "--metric", "best_eval_return"]) == 2
    error = capsys.readouterr().err
    assert "None of the 2 runs given has a finished best_eval_return to compare" in error
    assert f"{unfinished} (unfinished: no summary.json)" in error
    assert f"{no_best} (no best_eval_return in summary.json: the task keeps no best" in error
    assert main(["compare", str(tmp_path)]) == 2
    assert "is not a tfzoo run directory" in capsys.readouterr().err
