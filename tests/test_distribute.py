"""Training on several devices with `tf.distribute`: mirrored replicas and two local workers.

Splitting the CPU into logical devices and starting a multi-worker strategy both have to
happen before TensorFlow starts, so those runs go in fresh processes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import tfzoo
from tfzoo.distribute import make_strategy, worker_path, worker_task

MIRRORED_PROGRAM = textwrap.dedent("""
    import json
    from tfzoo import distribute
    distribute.split_cpu(2)  # Two logical CPU devices: two replicas for "mirrored".
    import tfzoo

    results = {}
    for strategy in ("default", "mirrored"):
        task = tfzoo.make("mnist-mlp", preset="handbook")
        agent = tfzoo.make_agent("mnist-mlp", task, preset="handbook", strategy=strategy,
                                 learning_rate=1e-4)  # Slow enough to stay below 100%.
        history = tfzoo.train(agent, task, steps=24, seed=5, progress=False)
        accuracy = tfzoo.evaluate(agent, tfzoo.make("mnist-mlp", split="test"))
        results[strategy] = {
            "accuracy": accuracy, "replicas": agent.strategy.num_replicas_in_sync,
            "losses": [record["loss"] for record in history.episodes],
            "weights": [w.tolist() for w in agent.model.get_weights()],
        }
    print(json.dumps(results))
""")


def run_python(program: str, timeout: float = 300, **environment: str):
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **environment})


def test_mirrored_over_two_cpu_devices_learns_what_one_device_learns():
    done = run_python(MIRRORED_PROGRAM)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    one, two = results["default"], results["mirrored"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    # The same global batch of 50, split 25 + 25: the same updates up to float rounding.
    assert 0.3 < one["accuracy"] < 1.0  # Short enough that accuracy still tells them apart.
    assert abs(one["accuracy"] - two["accuracy"]) <= 0.002
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=1e-4)
    for mirrored, single in zip(two["weights"], one["weights"], strict=True):
        np.testing.assert_allclose(mirrored, single, atol=1e-5)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def run_workers(*arguments: str) -> list[tuple[int, str]]:
    """Runs `tfzoo ARGUMENTS` as two local workers of one cluster; (exit status, stderr) each."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tfzoo.tools.cli", *arguments], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}})},
        )
        for index in range(2)
    ]
    try:
        outputs = [worker.communicate(timeout=240) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    return [(worker.returncode, errors) for worker, (_, errors) in zip(workers, outputs,
                                                                         strict=True)]


def test_two_local_workers_train_together_and_agree_on_the_weights(tmp_path):
    run_dir = tmp_path / "run"
    for status, errors in run_workers(
        "train", "mnist-mlp", "--preset", "handbook", "--strategy", "multiworker", "--steps",
        "30", "--seed", "2", "--no-progress", "--logdir", str(run_dir),
    ):
        assert status == 0, errors[-3000:]
    chief, other = run_dir, tmp_path / "run.worker-1"  # The chief writes the run itself.
    summaries = [json.loads((path / "summary.json").read_text()) for path in (chief, other)]
    assert summaries[0]["steps"] == summaries[1]["steps"] == 30
    assert summaries[0]["eval_return"] == summaries[1]["eval_return"]
    weights = [tfzoo.load_run(path)[1].model.get_weights() for path in (chief, other)]
    for first, second in zip(*weights, strict=True):
        np.testing.assert_array_equal(first, second)
    # And the same as one process training alone on the same global batches.
    alone = tfzoo.start_run("mnist-mlp", path=tmp_path / "alone", preset="handbook", seed=2,
                            steps=30, progress=False)
    single = tfzoo.load_run(tmp_path / "alone")[1].model.get_weights()
    for distributed, one in zip(weights[0], single, strict=True):
        np.testing.assert_allclose(distributed, one, atol=1e-5)
    assert abs(alone["eval_return"] - summaries[0]["eval_return"]) <= 0.002


def keep_checkpoints_up_to(run_dir, number: int, finished: bool = True) -> None:
    """Leaves `run_dir` as if it had stopped after checkpoint `number` (not finished)."""
    if finished:
        (run_dir / "summary.json").unlink()
    checkpoints = run_dir / "checkpoints"
    for path in checkpoints.glob("ckpt-*"):
        if int(path.name.split(".")[0].split("-")[1]) > number:
            path.unlink()
    (checkpoints / "checkpoint").write_text(
        f'model_checkpoint_path: "ckpt-{number}"\nall_model_checkpoint_paths: "ckpt-{number}"\n')


def test_workers_resume_together_from_matching_checkpoints_and_refuse_others(tmp_path):
    # 1200 synthetic training images in batches of 50: an episode is 24 steps, and a
    # multi-worker run checkpoints at each episode's end, at the same step on every worker.
    run_dir = tmp_path / "run"
    workers = [run_dir, tmp_path / "run.worker-1"]
    for status, errors in run_workers(
        "train", "mnist-mlp", "--preset", "handbook", "--strategy", "multiworker", "--steps",
        "48", "--seed", "1", "--no-progress", "--logdir", str(run_dir),
    ):
        assert status == 0, errors[-3000:]
    finished = [tfzoo.load_run(path)[1].model.get_weights() for path in workers]
    # Worker 0 as if stopped after its 48-step checkpoint, worker 1 after its 24-step one.
    keep_checkpoints_up_to(workers[0], 2)
    keep_checkpoints_up_to(workers[1], 1)
    for status, errors in run_workers("train", "--resume", str(run_dir), "--no-progress"):
        assert status == 2 and "The workers resumed at different steps: 48, 24 (one per" in errors
    # Both from their 24-step checkpoint: the same command resumes each worker's own run.
    keep_checkpoints_up_to(workers[0], 1, finished=False)
    for status, errors in run_workers("train", "--resume", str(run_dir), "--no-progress"):
        assert status == 0, errors[-3000:]
    for path, before in zip(workers, finished, strict=True):
        assert json.loads((path / "summary.json").read_text())["steps"] == 48
        for resumed, uninterrupted in zip(tfzoo.load_run(path)[1].model.get_weights(), before,
                                          strict=True):
            np.testing.assert_allclose(resumed, uninterrupted, atol=1e-6)


def test_a_strategy_is_found_by_name_or_refused_with_the_names():
    assert make_strategy("default") is tf.distribute.get_strategy()
    # One per process: a second would number its all-reduces like the first.
    assert make_strategy("mirrored") is make_strategy("mirrored")
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0"])
    assert make_strategy(mirrored) is mirrored
    with pytest.raises(tfzoo.ConfigError, match="'mirorred' is not a strategy; use one of "
                       "default, mirrored, multiworker"):
        make_strategy("mirorred")


def test_multiworker_explains_tf_config(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(tfzoo.ConfigError, match="TF_CONFIG environment variable, which is not"):
        make_strategy("multiworker")
    with pytest.raises(tfzoo.ConfigError, match="is not a cluster description"):
        worker_task('{"cluster": {}}')
    with pytest.raises(tfzoo.ConfigError, match="task index 2, but the cluster has 2 'worker'"):
        worker_task('{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", '
                    '"index": 2}}')
    worker = '{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}'
    monkeypatch.setenv("TF_CONFIG", worker)
    multiworker = tf.distribute.MultiWorkerMirroredStrategy.__new__(
        tf.distribute.MultiWorkerMirroredStrategy)  # Only its type matters to worker_path.
    assert worker_path(tmp_path / "run", multiworker) == tmp_path / "run.worker-1"
    assert worker_path(tmp_path / "run", tf.distribute.get_strategy()) == tmp_path / "run"


def test_a_model_built_outside_the_strategy_is_refused_with_the_fix():
    task = tfzoo.make("linear-regression")
    model = tfzoo.make_model("linear")
    model(tf.zeros((1, 1)))  # Built: its variables exist, outside any strategy.
    with pytest.raises(tfzoo.ConfigError, match="Pass a function that makes the model"):
        tfzoo.make_agent("linear-regression", task, model=model,
                         strategy=tf.distribute.MirroredStrategy(["/cpu:0"]))


def test_the_dqn_agent_points_to_num_envs_for_strategy(capsys):
    from tfzoo.tools.cli import main

    assert main(["train", "cartpole-dqn", "--strategy", "mirrored", "--steps", "10"]) == 2
    assert "with --num-envs N instead" in capsys.readouterr().err


def test_synchronized_checkpoints_come_only_at_episode_ends_every_worker_reaches(tmp_path):
    from tfzoo.loop import LoopState
    from tfzoo.runs.directory import RunDirectory
    from tfzoo.runs.logger import RunLogger

    task = tfzoo.make("linear-regression")
    agent = tfzoo.make_agent("linear-regression", task)
    agent.build()
    directory = RunDirectory.create(tmp_path / "run", {"task": "linear-regression"})
    state = LoopState()
    logger = RunLogger(directory, agent, state, checkpoint_seconds=0, synchronized=True)

    def record(terminated: bool) -> dict:
        return {"episode": 1, "steps": 1, "return": 0.0, "length": 1, "seconds": 0.0,
                "terminated": terminated, "truncated": False}

    logger.on_episode_end(record(terminated=True), state)
    assert len(logger.manager.checkpoints) == 1
    logger.on_episode_end(record(terminated=False), state)  # Cut short: Ctrl-C or budget.
    logger.on_run_end(state, interrupted=True)  # Each worker would stop at its own step.
    assert len(logger.manager.checkpoints) == 1
    logger.on_run_end(state, interrupted=False)  # The budget: the same step everywhere.
    assert len(logger.manager.checkpoints) == 2
