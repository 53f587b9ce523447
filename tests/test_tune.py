"""`tfzoo tune`: search spaces checked before any trial, small studies whose trials are run
directories scored without the test split, failed and pruned trials, resuming, and the
winner's best_preset.json trained again with `tfzoo train --preset-file`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

import tfzoo
from tfzoo.errors import ConfigError, UnknownNameError
from tfzoo.runs.search_space import parse_space, read_space_file
from tfzoo.runs.study_storage import open_study
from tfzoo.runs.tuning import EVALUATIONS
from tfzoo.tools.cli import main

optuna = pytest.importorskip("optuna")
# Linear regression learns over all of it (its loss grows past 0.02 on some seeds).
LEARNING_RATE = {"agent.learning_rate": {"float": [0.005, 0.015], "log": True}}


def test_a_task_space_parses_and_a_file_extends_it(tmp_path):
    for task in ("linear-regression", "mnist-mlp", "char-rnn", "cartpole-dqn"):
        task_spec = tfzoo.spec(task)
        assert parse_space(task, task_spec.agent, task_spec.search_space)
    (tmp_path / "space.yaml").write_text(
        "agent.momentum: {float: [0.0, 0.9], step: 0.1}\n"
        "agent.optimizer: {categorical: [sgd, adam]}\n", encoding="utf-8")
    space = read_space_file(tmp_path / "space.yaml")
    dimensions = parse_space("linear-regression", "supervised", space)
    assert dimensions["agent.momentum"].step == 0.1
    assert dimensions["agent.optimizer"].choices == ("sgd", "adam")
    (tmp_path / "space.json").write_text(json.dumps(LEARNING_RATE), encoding="utf-8")
    assert read_space_file(tmp_path / "space.json") == LEARNING_RATE


@pytest.mark.parametrize("space, message", [
    ({"learning_rate": {"float": [0.1, 1]}}, "name it agent.<setting> or task.<setting>"),
    ({"agent.learning_rat": {"float": [0.1, 1]}}, "Did you mean 'learning_rate'"),
    ({"agent.learning_rate": {"float": [1, 0.1]}}, "low 1 is above high 0.1"),
    ({"agent.learning_rate": {"float": [0, 1], "log": True}}, "a log range must be above 0"),
    ({"agent.learning_rate": {"normal": [0, 1]}}, "is not one distribution"),
    ({"agent.learning_rate": {"float": [0.1]}}, r"float takes \[low, high\]"),
    ({"agent.learning_rate": {"float": [0.1, 1], "base": 2}}, "float takes log, step, not base"),
    ({"agent.learning_rate": {"categorical": []}}, "a list of one or more choices"),
    ({"agent.optimizer": {"float": [0.1, 1]}}, "optimizer takes str"),
    ({"agent.nesterov": {"categorical": [True, "yes"]}}, "can give 'yes'"),
    ({}, "The search space is empty"),
])
def test_a_bad_space_is_refused_before_any_trial(space, message):
    with pytest.raises((ConfigError, UnknownNameError), match=message):
        parse_space("linear-regression", "supervised", space)


def test_a_space_file_that_does_not_parse_is_named(tmp_path):
    (tmp_path / "space.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read as JSON"):
        read_space_file(tmp_path / "space.json")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ConfigError, match="holds a list, not a space"):
        read_space_file(tmp_path / "list.json")


def test_without_optuna_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "optuna", None)  # Importing it now fails.
    with pytest.raises(ConfigError, match=r"pip install 'tfzoo\[tune\]'"):
        tfzoo.tune("linear-regression", trials=1, study_dir=tmp_path / "study")


def test_a_study_runs_trials_as_runs_records_a_failure_and_goes_on(tmp_path):
    # 0.01 and 0.02 learn; 1e6 diverges (TrainingDivergedError).
    space = {"agent.learning_rate": {"categorical": [0.02, 1e6, 0.01]}}
    report = tfzoo.tune("linear-regression", preset="handbook", trials=4, progress=False,
                        study_dir=tmp_path / "study", space=space, replace_space=True)
    states = [trial["state"] for trial in report["trials"]]
    assert len(states) == 4 and "FAIL" in states and "COMPLETE" in states
    failed = next(trial for trial in report["trials"] if trial["state"] == "FAIL")
    assert failed["agent_settings"] == {"learning_rate": 1e6}
    assert "TrainingDivergedError" in failed["error"]
    best = report["best"]
    assert best["agent_settings"]["learning_rate"] in (0.02, 0.01)
    run = tmp_path / "study" / "trials" / f"trial-{best['number']:04d}-seed{1000 + best['number']}"
    config = json.loads((run / "config.json").read_text())
    assert config["agent_config"]["learning_rate"] == best["agent_settings"]["learning_rate"]
    assert json.loads((run / "summary.json").read_text())["eval_return"] == best["score"]


def test_a_trial_behind_is_pruned_at_its_evaluation(tmp_path):
    # MNIST trials report the validation accuracy after each pass; none reaches 1.01.
    report = tfzoo.tune("mnist-mlp", preset="handbook", trials=1, progress=False,
                        study_dir=tmp_path / "study", space=LEARNING_RATE, replace_space=True,
                        pruner=optuna.pruners.ThresholdPruner(lower=1.01))
    (trial,) = report["trials"]
    assert trial["state"] == "PRUNED" and report["best"] is None
    run = tmp_path / "study" / "trials" / "trial-0000-seed1000"
    assert not (run / "summary.json").exists()  # Stopped at its first evaluation.


def test_a_study_resumes_to_its_number_of_trials(tmp_path):
    study = tmp_path / "study"
    assert main(["tune", "linear-regression", "--preset", "handbook", "--trials", "3",
                 "--study-dir", str(study), "--no-recheck", "--no-progress",
                 "--space", str(_space_file(tmp_path)), "--replace-space"]) == 0
    record = json.loads((study / "study.json").read_text())
    assert record["trials"] == 3
    record["trials"] = 5  # As if the first tuner had been stopped after 3 of 5.
    (study / "study.json").write_text(json.dumps(record))
    report = tfzoo.tune(study_dir=study, resume=True, progress=False)
    assert [trial["number"] for trial in report["trials"]] == [0, 1, 2, 3, 4]
    assert report["states"] == {"COMPLETE": 5}
    again = tfzoo.tune(study_dir=study, resume=True, progress=False)
    assert len(again["trials"]) == 5  # Nothing left to run.


def test_a_journal_study_retries_the_trial_of_a_tuner_that_died_and_keeps_a_live_ones(
        tmp_path):
    study, journal = tmp_path / "study", tmp_path / "journal.log"
    assert main(["tune", "linear-regression", "--preset", "handbook", "--trials", "2",
                 "--study-dir", str(study), "--storage", f"journal:{journal}", "--no-recheck",
                 "--no-progress", "--space", str(_space_file(tmp_path)), "--replace-space"]) == 0
    record = json.loads((study / "study.json").read_text())
    assert record["storage"] == f"journal:{journal.resolve()}"
    # Two trials left running: one by a tuner of this machine that is gone (the id of a
    # process that ended), one by a tuner still running (this process).
    loaded = open_study(record, optuna)  # The journal, opened as the tuners open it.
    learning_rate = optuna.distributions.FloatDistribution(0.005, 0.015, log=True)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    for pid in (int(ended.stdout), os.getpid()):
        trial = loaded.ask({"agent.learning_rate": learning_rate})
        trial.set_user_attr("tuner", {"host": socket.gethostname(), "pid": pid})
    record["trials"] = 3
    (study / "study.json").write_text(json.dumps(record))

    report = tfzoo.tune(study_dir=study, resume=True, progress=False)
    states = {trial["number"]: trial["state"] for trial in report["trials"]}
    assert states == {0: "COMPLETE", 1: "COMPLETE", 2: "FAIL", 3: "RUNNING", 4: "COMPLETE"}
    retry = loaded.trials[4]  # The dead tuner's trial, run again with its settings.
    assert retry.system_attrs["failed_trial"] == 2 and retry.params == loaded.trials[2].params
    assert report["ended"] == 3


def test_jobs_share_the_trials_between_worker_processes(tmp_path, capsys):
    study = tmp_path / "study"
    assert main(["tune", "linear-regression", "--preset", "handbook", "--trials", "4",
                 "--jobs", "2", "--study-dir", str(study), "--no-recheck", "--no-progress",
                 "--space", str(_space_file(tmp_path)), "--replace-space"]) == 0
    assert "4 trials (4 complete)" in capsys.readouterr().out
    record = json.loads((study / "study.json").read_text())
    trials = optuna.load_study(study_name=record["study"], storage=record["storage"]).trials
    assert [trial.number for trial in trials] == [0, 1, 2, 3]
    tuners = [trial.user_attrs["tuner"]["pid"] for trial in trials]
    assert len(set(tuners)) == 2 and os.getpid() not in tuners  # Two workers, two each.
    assert sorted(tuners.count(pid) for pid in set(tuners)) == [2, 2]
    # Workers draw their own settings (their seeds once collided: worker p with a trial in
    # the study drew what worker p + 1 drew with none).
    assert len({trial.params["agent.learning_rate"] for trial in trials}) == 4


def test_the_winner_is_rechecked_and_its_preset_file_trains_it(tmp_path, capsys):
    study = tmp_path / "study"
    tfzoo.tune("linear-regression", preset="handbook", trials=2, progress=False,
               study_dir=study, space=LEARNING_RATE, replace_space=True)
    capsys.readouterr()
    assert main(["tune", "--recheck", str(study), "--recheck-seeds", "2"]) == 0
    printed = capsys.readouterr().out
    assert "tuning score" in printed and "re-checked mean" in printed
    result = json.loads((study / "recheck.json").read_text())
    assert result["seeds"] == [0, 1] and len(result["scores"]) == 2
    preset_file = study / "best_preset.json"
    run = tmp_path / "trained"
    assert main(["train", "linear-regression", "--preset-file", str(preset_file), "--seed",
                 "0", "--logdir", str(run), "--no-progress"]) == 0
    config = json.loads((run / "config.json").read_text())
    chosen = json.loads(preset_file.read_text())
    assert config["agent_config"]["learning_rate"] == chosen["agent_settings"]["learning_rate"]
    assert config["origin"]["trial"] == result["trial"]
    assert config["origin"]["file"] == str(preset_file.resolve())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["eval_return"] == result["scores"][0]  # Seed 0, as re-checked.
    assert main(["train", "mnist-mlp", "--preset-file", str(preset_file)]) == 2
    assert "holds settings for task 'linear-regression', not 'mnist-mlp'" in (
        capsys.readouterr().err)


def test_trials_never_read_the_test_split(tmp_path, monkeypatch):
    splits = []  # The split of every supervised task made, MNIST's included.
    original = tfzoo.SupervisedTask.__init__

    def counting(self, splits_arrays, *, split="train", **settings):
        splits.append(split)
        original(self, splits_arrays, split=split, **settings)

    monkeypatch.setattr(tfzoo.SupervisedTask, "__init__", counting)
    tfzoo.tune("mnist-mlp", preset="handbook", trials=1, progress=False,
               study_dir=tmp_path / "study", max_seconds_per_trial=2,
               space={"agent.learning_rate": {"float": [0.0005, 0.002]}}, replace_space=True)
    assert "test" not in splits and "validation" in splits
    tfzoo.recheck(tmp_path / "study", seeds=1, progress=False)
    assert "test" in splits  # The re-check, and only it, reads the test split.


def _space_file(tmp_path):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(LEARNING_RATE), encoding="utf-8")
    return path


def test_a_char_rnn_trial_is_scored_several_times_within_its_budget(tmp_path):
    # A pass over char-rnn's windows is longer than its budget: trials are evaluated on the
    # validation split several times within the budget instead, so the pruner sees them.
    text = tmp_path / "text.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 2000, encoding="utf-8")
    space = {"task.text_path": {"categorical": [str(text)]}, **LEARNING_RATE}
    report = tfzoo.tune("char-rnn", trials=1, progress=False, study_dir=tmp_path / "study",
                        max_seconds_per_trial=1, space=space, replace_space=True)
    (run_dir,) = report["trials"][0]["run_dirs"]
    config = json.loads((tmp_path / "study" / run_dir / "config.json").read_text())
    steps = tfzoo.spec("char-rnn").preset("default").steps
    task = tfzoo.make("char-rnn", text_path=str(text), hold_out_validation=True).unwrapped
    assert config["evaluation"]["interval"] == steps // EVALUATIONS < task.batches_per_pass
    assert config["evaluation"]["task"]["split"] == "validation"


def test_mnist_holds_its_last_twelfth_out_as_the_validation_split():
    whole = tfzoo.make("mnist-mlp", batch_size=None).unwrapped
    validation = tfzoo.make("mnist-mlp", split="validation", batch_size=None).unwrapped
    held_out = tfzoo.make("mnist-mlp", hold_out_validation=True, batch_size=None).unwrapped
    count = len(whole.inputs)
    assert len(validation.inputs) == count // 12 and len(held_out.inputs) == count - count // 12
    assert (whole.inputs[len(held_out.inputs):] == validation.inputs).all()
    with pytest.raises(ConfigError, match="split takes one of 'train', 'validation', 'test'"):
        tfzoo.make("mnist-mlp", split="valid")


def test_a_bad_evaluation_change_is_refused_by_name():
    with pytest.raises(ConfigError, match="changes split, which an evaluation does not have"):
        tfzoo.RunConfig("mnist-mlp", evaluation={"split": "validation"})
    with pytest.raises(ConfigError, match="interval"):
        tfzoo.RunConfig("mnist-mlp", evaluation={"interval": 0})
