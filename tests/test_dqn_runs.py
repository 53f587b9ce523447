"""The DQN agent in run directories: periodic evaluations, the best policy, `play`, and
Gymnasium's own environments trained from the command line."""

from __future__ import annotations

import csv
import json
import os

import pytest
from test_dqn import CHAIN_SETTINGS, Chain

import tfzoo


def test_a_gymnasium_id_tfzoo_does_not_register_trains_with_dqn():
    task = tfzoo.make("MountainCar-v0")
    assert task.spec.id == "MountainCar-v0"
    agent = tfzoo.make_agent("dqn", task, learning_starts=50, hidden_sizes=(16,))
    history = tfzoo.train(agent, task, steps=250, seed=0, progress=False)
    assert history.episodes[0]["length"] == 200 and history.episodes[0]["truncated"]
    assert "loss" in history.episodes[0]
    with pytest.raises(tfzoo.UnknownNameError,
                       match="Gymnasium's ids work too; did you mean 'MountainCar-v0'"):
        tfzoo.make("MountainCar-v9")


def register_chain(**evaluation):
    tfzoo.register("chain", entry_point=Chain, agent="dqn",
                   evaluation=tfzoo.Evaluation(episodes=5, **evaluation),
                   presets={"default": tfzoo.Preset("Chain", agent=CHAIN_SETTINGS, steps=600)})


def test_a_run_evaluates_periodically_keeps_the_best_policy_and_plays_it(tmp_path, capsys):
    from PIL import Image

    from tfzoo.tools.cli import main

    register_chain(interval=100, interval_episodes=2)
    run_dir = tmp_path / "run"
    assert main(["train", "chain", "--seed", "0", "--logdir", str(run_dir), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    with open(run_dir / "progress.csv") as file:
        evaluations = [row for row in csv.DictReader(file) if row["eval_return"]]
    assert [int(row["steps"]) // 100 for row in evaluations] == [1, 2, 3, 4, 5, 6]
    best = json.loads((run_dir / "best" / "best.json").read_text())
    assert best["eval_return"] == max(float(row["eval_return"]) for row in evaluations) == 1.0
    assert best["steps"] == summary["best_steps"]
    assert summary["best_eval_return"] == 1.0 and summary["best_eval_return_std"] == 0.0
    assert len(list((run_dir / "best").glob("ckpt-*.index"))) == 1  # Older bests are removed.

    gif = tmp_path / "chain.gif"
    assert main(["play", str(run_dir), "--episodes", "3", "--record", str(gif),
                 "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "best policy" in printed and "episode 3: return 1" in printed
    assert "mean return 1 over 3 episodes" in printed
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 4  # The reset, then three steps.
    umask = os.umask(0o022)
    os.umask(umask)
    assert gif.stat().st_mode & 0o777 == 0o666 & ~umask  # As `open` makes them, not 0600.
    assert main(["eval", str(run_dir), "--best"]) == 0
    assert json.loads(capsys.readouterr().out)["eval_return"] == 1.0


def test_play_explains_what_it_cannot_record(tmp_path, capsys):
    from tfzoo.tools.cli import main

    register_chain()
    run_dir = tmp_path / "run"
    assert main(["train", "chain", "--steps", "100", "--logdir", str(run_dir),
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["play", str(run_dir), "--record", str(tmp_path / "chain.mp4")]) == 2
    assert "name the file *.gif" in capsys.readouterr().err
    assert main(["play", str(run_dir)]) == 0  # No best policy: the last checkpoint.
    assert "last checkpoint" in capsys.readouterr().out
    assert main(["play", str(run_dir), "--seed", "-1"]) == 2
    assert "seed=-1 is not a seed" in capsys.readouterr().err
    assert not (tmp_path / "chain.mp4").exists()


def test_tfzoo_train_takes_a_gymnasium_id_with_the_dqn_agent(tmp_path, capsys):
    from tfzoo.tools.cli import main

    run_dir = tmp_path / "run"
    assert main(["train", "MountainCar-v0", "--agent", "dqn", "--steps", "300",
                 "--set", "learning_starts=50", "--set", "hidden_sizes=(16,)",
                 "--logdir", str(run_dir), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["task"] == "MountainCar-v0" and summary["agent"] == "dqn"
    assert summary["eval_episodes"] == 10 and -200.0 <= summary["eval_return"] < 0
    _, agent, config = tfzoo.load_run(run_dir)  # Rebuilt from config.json.
    assert config["agent_config"]["hidden_sizes"] == [16] and agent.progress.steps == 300
    # Without --steps: a budget, and evaluations every so often that keep the best policy.
    decided = tfzoo.RunConfig("MountainCar-v0").decided()
    evaluation = tfzoo.spec("MountainCar-v0").evaluation
    assert decided.steps == 100_000 and decided.preset == "default"
    assert (evaluation.interval, evaluation.interval_episodes) == (5_000, 10)


class AlwaysRight(tfzoo.Agent):
    """A fake agent that acts on one observation at a time and counts its calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def act(self, observation, *, explore=True):
        self.calls += 1
        return 1

    def learn(self, transition):
        return {}


@pytest.mark.parametrize("batched", [False, True])
def test_periodic_evaluation_records_scores_and_calls_on_best_on_improvement(batched):
    from tfzoo.runs.evaluation import PeriodicEvaluation

    task = Chain()
    agent = AlwaysRight()
    if batched:  # The DQN agent acts on batches: one call per step for all episodes.
        agent = tfzoo.make_agent("dqn", task, **CHAIN_SETTINGS)
    bests = []
    evaluation = PeriodicEvaluation(Chain, every_steps=10, episodes=4, seed=0,
                                    on_best=lambda agent, score, state: bests.append(score))
    history = tfzoo.train(agent, task, steps=40, seed=0, progress=False, callbacks=[evaluation])
    scored = [record for record in history.episodes if "eval_return" in record]
    steps = [record["steps"] for record in scored]
    if batched:  # At the first episode end past each multiple of 10 (episodes vary).
        assert steps == sorted(set(steps)) and steps[0] >= 10 and len(steps) >= 2
    else:  # Episodes of 3 steps, and the last one cut by the budget at 40.
        assert steps == [12, 21, 30, 40]
        assert [record["eval_return"] for record in scored] == [1.0] * 4 and bests == [1.0]
        assert agent.calls == 40 + 4 * 4 * 3  # Training steps, then 4 episodes of 3 steps each.
    assert bests == sorted(set(bests)) and bests[0] == scored[0]["eval_return"]
    assert evaluation.best_return == max(record["eval_return"] for record in scored)


def test_bad_evaluation_settings_are_refused_at_registration():
    with pytest.raises(tfzoo.RegistrationError, match="interval=0 must be a whole number"):
        register_chain(interval=0)
    with pytest.raises(tfzoo.RegistrationError, match="interval_episodes=0"):
        register_chain(interval=10, interval_episodes=0)


def test_set_reaches_a_gymnasium_environments_constructor(tmp_path, capsys):
    from tfzoo.tools.cli import main

    run_dir = tmp_path / "run"
    assert main(["train", "MountainCar-v0", "--agent", "dqn", "--steps", "10",
                 "--set", "goal_velocity=0.5", "--set", "learning_starts=5",
                 "--logdir", str(run_dir), "--no-progress"]) == 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_kwargs"]["goal_velocity"] == 0.5
    assert config["agent_config"]["learning_starts"] == 5
    capsys.readouterr()
    assert main(["train", "MountainCar-v0", "--agent", "dqn", "--steps", "10",
                 "--set", "gravity=2", "--logdir", str(tmp_path / "other")]) == 2
    assert "cannot be made with {'gravity': 2}" in capsys.readouterr().err


def test_the_final_evaluation_plays_side_by_side_and_tfzoo_eval_gives_its_figure(
        tmp_path, monkeypatch):
    from tfzoo.agents.dqn import DQNAgent

    shapes, act = [], DQNAgent.act
    monkeypatch.setattr(DQNAgent, "act", lambda self, observation, *, explore=True: (
        shapes.append(len(observation) if explore is False else None),
        act(self, observation, explore=explore))[1])
    # Never learns: the greedy policy of the first weights, whose returns vary with the start.
    summary = tfzoo.start_run("cartpole-dqn", seed=3, steps=50, path=tmp_path / "run",
                              agent_overrides={"learning_starts": 10**6}, progress=False)
    final = [shape for shape in shapes if shape is not None][:summary["eval_episodes"]]
    assert final[0] == 100, "one act for the first observation of all 100 episodes"
    _, agent, config = tfzoo.load_run(tmp_path / "run")
    one_by_one = [tfzoo.evaluate(agent, tfzoo.make("cartpole-dqn"), episodes=1, seed=3 + i)
                  for i in range(100)]  # Episode i starts from seed + i.
    assert summary["eval_return"] == pytest.approx(sum(one_by_one) / 100, abs=1e-12)
    assert len(set(one_by_one)) > 1
    assert tfzoo.evaluate_run(tmp_path / "run") == summary["eval_return"]
