"""Resumes go on exactly as an uninterrupted run, or say why not. A long supervised pass,
killed or stopped by Ctrl-C, resumes at the batch it had reached, from a checkpoint taken
inside the episode."""

from __future__ import annotations

import csv
import json
import os
import signal
import warnings

import numpy as np
import pytest
from conftest import count_learning

import tfzoo
from tfzoo.agents.dqn import DQNAgent
from tfzoo.errors import RunDirectoryWarning

# The synthetic MNIST of conftest has 1,200 training images: a pass is 120 batches of 10,
# so the run's 150th step is in the middle of its second episode (of 200 steps in all).
# Its learning rate anneals over the budget, so the resume must also go on with the schedule.
RUN = dict(preset="handbook", seed=0, steps=200, task_overrides={"batch_size": 10},
           agent_overrides={"schedule": "cosine"}, progress=False, deterministic=True)
STOP_AT = 150


def rows(run_dir) -> list[dict[str, str]]:
    """progress.csv without the wall-clock seconds."""
    with open(run_dir / "progress.csv") as file:
        return [{key: value for key, value in row.items() if key != "seconds"}
                for row in csv.DictReader(file)]


def every_variable(run_dir) -> list[np.ndarray]:
    """The restored agent's variables: the model's, the optimizer's and its counters."""
    _, agent, _ = tfzoo.load_run(run_dir)
    return [variable.numpy() for variable in agent.variables]


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """The uninterrupted run: its progress rows and final variables."""
    run_dir = tmp_path_factory.mktemp("twin") / "run"
    tfzoo.start_run("mnist-mlp", path=run_dir, **RUN)
    return rows(run_dir), every_variable(run_dir)


def assert_resumes_like(twin, run_dir, monkeypatch, learning_steps: int) -> None:
    assert [row["episode"] for row in rows(run_dir)] == ["1"], "the cut pass is not a row"
    with monkeypatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("error", RunDirectoryWarning)  # An exact resume says nothing.
        count = count_learning(patch)
        tfzoo.resume_run(run_dir, progress=False)
    assert count[0] == learning_steps, "it went on from the batch it had reached"
    assert rows(run_dir) == twin[0]
    for mine, theirs in zip(every_variable(run_dir), twin[1], strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_run_killed_inside_a_pass_resumes_at_its_last_checkpoint_exactly(
        tmp_path, monkeypatch, twin):
    def crash():  # As a kill would, it leaves no checkpoint of its own.
        raise RuntimeError("the machine went away")

    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="went away"):
        count_learning(patch, STOP_AT, crash)
        # A checkpoint at every step: the last is taken after step STOP_AT - 1.
        tfzoo.start_run("mnist-mlp", path=run_dir, checkpoint_seconds=1e-9, **RUN)
    assert_resumes_like(twin, run_dir, monkeypatch, RUN["steps"] - (STOP_AT - 1))


def test_ctrl_c_stops_after_the_step_and_the_pass_goes_on_from_there(
        tmp_path, monkeypatch, twin):
    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch, pytest.raises(tfzoo.errors.RunInterrupted):
        count_learning(patch, STOP_AT, lambda: os.kill(os.getpid(), signal.SIGINT))
        tfzoo.start_run("mnist-mlp", path=run_dir, **RUN)
    assert_resumes_like(twin, run_dir, monkeypatch, RUN["steps"] - STOP_AT)


def test_a_second_ctrl_c_stops_at_once():
    task = tfzoo.make("mnist-mlp", batch_size=100)
    agent = tfzoo.make_agent("mnist-mlp", task, preset="handbook")
    original = agent.learn

    def learn(transition):
        if len(learned) == 3:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)  # Raises KeyboardInterrupt here.
            learned.append("never")
        learned.append(original(transition))
        return learned[-1]

    learned, agent.learn = [], learn
    with pytest.raises(KeyboardInterrupt):
        tfzoo.train(agent, task, steps=10, seed=0, progress=False)
    assert len(learned) == 3


def test_a_pass_continues_from_its_position_in_another_task_object():
    task = tfzoo.make("mnist-mlp", batch_size=100)  # 12 batches a pass.
    task.reset(seed=3)
    for _ in range(5):
        reached = task.step(np.zeros(100, np.int64))[0]
    position = json.loads(json.dumps(task.episode_position()))  # As a checkpoint keeps it.
    assert position["batch"] == 5
    following = [task.step(np.zeros(100, np.int64)) for _ in range(3)]
    other = tfzoo.make("mnist-mlp", batch_size=100)
    other.reset(seed=99)
    observation, _ = other.reset(options={"resume": position})
    np.testing.assert_array_equal(observation, reached)
    for expected in following:
        step = other.step(np.zeros(100, np.int64))
        np.testing.assert_array_equal(step[0], expected[0])
        np.testing.assert_array_equal(step[4]["target"], expected[4]["target"])
        assert step[1:4] == expected[1:4]


@pytest.mark.parametrize("position, message", [
    ({"order": None, "batch": 3}, "shuffle=True"),
    ({"order": {"bit_generator": "test"}, "batch": 3}, "bit generator 'test'"),
    ({"order": {"bit_generator": "PCG64"}, "batch": 3}, "not a random state"),
    ({"batch": 12, "order": None}, "12 batches a pass"),
    ("3", "not '3'"),
])
def test_a_position_from_elsewhere_is_refused(position, message):
    task = tfzoo.make("mnist-mlp", batch_size=100)
    with pytest.raises(ValueError, match=message):
        task.reset(options={"resume": position})


def test_a_resume_that_cannot_be_exact_says_why(tmp_path, monkeypatch):
    original = DQNAgent.learn

    def learn(self, transition):  # Ctrl-C in the middle of a CartPole episode.
        if self.progress.steps == 150:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, transition)

    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch, pytest.raises(tfzoo.errors.RunInterrupted):
        patch.setattr(DQNAgent, "learn", learn)
        tfzoo.start_run("cartpole-dqn", path=run_dir, seed=0, steps=300, progress=False,
                        agent_overrides={"save_replay": False, "learning_starts": 100})
    with pytest.warns(RunDirectoryWarning) as said:
        tfzoo.resume_run(run_dir, progress=False)
    lines = [str(warning.message) for warning in said]
    assert all("resumes, but not exactly as an uninterrupted run" in line for line in lines)
    assert "with save_replay=False the replay buffer is refilled first" in lines[0]
    assert "was cut short where the run stopped, and a new episode starts" in lines[1]


@pytest.mark.parametrize("saved", [
    [], {"return": True, "length": 3, "metrics": {}, "task": {}},
    {"return": 1.0, "length": 0, "metrics": {}, "task": {}},
    {"return": 1.0, "length": 2, "metrics": {"loss": [1.0, 2.5]}, "task": {}},
    {"return": 1.0, "length": 2, "metrics": {}, "task": {}, "code": "os.system"},
])
def test_an_episode_in_progress_from_a_file_is_checked(saved):
    from tfzoo.episodes import check_running_episode

    check_running_episode({"return": 0.5, "length": 2, "metrics": {"loss": [1.0, 2]},
                           "task": {"batch": 2}})
    with pytest.raises(ValueError, match="episode in progress"):
        check_running_episode(saved)
