"""The reinforce plugin: its agent acts, learns at the end of each episode and only then, keeps
its policy through save and restore, and learns; its task trains through a run directory.

Run with `python -m pytest -q examples/tfzoo-reinforce/tests` once the plugin is installed
(`pip install -e examples/tfzoo-reinforce`).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import gymnasium
import numpy as np
import pytest
import tfzoo_reinforce  # noqa: F401  Not found? pip install -e examples/tfzoo-reinforce
from tfzoo_reinforce.reinforce import ReinforceAgent, ReinforceConfig

import tfzoo
from tfzoo.testing import InterruptAt, check_agent, check_task
from tfzoo.tools.cli import main


class TwoArmedBandit(gymnasium.Env):
    """One step per episode: pulling arm `start + 1` pays 1, arm `start` pays 0."""

    def __init__(self, start: int = 0) -> None:
        self.observation_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2, start=start)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        reward = float(action == self.action_space.start + 1)
        return np.zeros(1, np.float32), reward, True, False, {}


def cartpole_agent(**settings) -> tuple[gymnasium.Env, ReinforceAgent]:
    task = tfzoo.make("cartpole-reinforce")
    return task, tfzoo.make_agent("cartpole-reinforce", task, **settings)


def transition(observation, action, reward=1.0, *, terminated=False, truncated=False):
    return tfzoo.Transition(observation, action, reward, observation + 0.01, terminated,
                            truncated, {})


def test_it_acts_within_the_action_space_for_one_observation_and_for_a_batch():
    task, agent = cartpole_agent()
    observation, _ = task.reset(seed=0)
    for explore in (True, False):
        action = agent.act(observation, explore=explore)
        assert isinstance(action, int) and task.action_space.contains(action)
        actions = agent.act(np.stack([observation] * 5), explore=explore)
        assert actions.shape == (5,) and all(task.action_space.contains(a) for a in actions)
    assert agent.batched_act
    # Actions that start elsewhere than 0 come back shifted, one or a batch.
    bandit = TwoArmedBandit(start=-1)
    agent = tfzoo.make_agent("reinforce", bandit)
    assert agent.act(np.zeros(1, np.float32)) in (-1, 0)
    assert set(agent.act(np.zeros((50, 1), np.float32))) <= {-1, 0}


def test_its_forward_pass_in_numpy_is_the_policy_networks():
    _, agent = cartpole_agent()
    observations = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    greedy = agent.act(observations, explore=False)
    logits = agent.policy(observations).numpy()
    assert np.array_equal(greedy, np.argmax(logits, axis=1))


def test_learn_returns_nothing_mid_episode_and_the_update_at_its_end():
    task, agent = cartpole_agent()
    observation, _ = task.reset(seed=0)
    for _ in range(3):
        assert agent.learn(transition(observation, agent.act(observation))) == {}
    metrics = agent.learn(transition(observation, agent.act(observation), terminated=True))
    assert set(metrics) == {"policy_loss", "value_loss", "entropy"}
    assert all(isinstance(value, float) and math.isfinite(value) for value in metrics.values())
    assert agent.optimizer.iterations.numpy() == 1 and agent.episode == []
    assert agent.learn(transition(observation, 0)) == {} and len(agent.episode) == 1
    # A loop stopped inside that episode starts another: its steps are not mixed with the new.
    assert agent.learn(transition(observation + 1, 0)) == {} and len(agent.episode) == 1


def test_it_bootstraps_past_a_time_limit_and_not_past_termination():
    """With a value network that says 50 everywhere, the returns of an episode cut by a time
    limit include it (small value loss); those of one that terminated do not (large)."""
    losses = {}
    for end in ("terminated", "truncated"):
        task, agent = cartpole_agent()
        agent.build()
        agent.value.layers[-1].bias.assign([50.0 / agent.value_scale])
        observation, _ = task.reset(seed=0)
        agent.learn(transition(observation, 0))
        losses[end] = agent.learn(transition(observation, 1, **{end: True}))["value_loss"]
    assert losses["terminated"] > 1000 and losses["truncated"] < 10


def test_save_and_restore_give_the_same_greedy_actions(tmp_path):
    task, agent = cartpole_agent()
    tfzoo.train(agent, task, steps=2000, seed=0, progress=False)
    observations = np.random.default_rng(1).normal(size=(256, 4)).astype(np.float32)
    greedy = agent.act(observations, explore=False)
    saved = agent.save(tmp_path / "agent")
    _, fresh = cartpole_agent()
    fresh.restore(saved)
    assert np.array_equal(fresh.act(observations, explore=False), greedy)
    # The same agent, trained on and then restored, acts as it did when saved: act's copy
    # of the weights follows the restore.
    tfzoo.train(agent, task, steps=2000, seed=1, progress=False)
    assert not np.array_equal(agent.act(observations, explore=False), greedy)
    agent.restore(saved)
    assert np.array_equal(agent.act(observations, explore=False), greedy)


def test_it_learns_which_arm_pays():
    bandit = TwoArmedBandit()
    agent = tfzoo.make_agent("reinforce", bandit, normalize_advantages=False, learning_rate=1e-2,
                             linear_decay=False)  # A lone step's advantage, normalised, is 0.
    zeros = np.zeros((1000, 1), np.float32)
    tfzoo.seed_everything(0)
    before = np.mean(agent.act(zeros) == 1)
    tfzoo.train(agent, bandit, steps=300, seed=0, progress=False)
    after = np.mean(agent.act(zeros) == 1)  # Drawn from the policy: its probability of arm 1.
    assert 0.2 < before < 0.8 and after > 0.95


def test_the_task_keeps_tfzoos_task_contracts():
    check_task("cartpole-reinforce")


def test_it_keeps_tfzoos_agent_contracts_and_its_greedy_return_on_cartpole_rises():
    report = check_agent("reinforce", "cartpole-reinforce", steps=10_000, episodes=10)
    assert report["after"] > report["before"] + 100  # Seed 0: 9.8 (one action always), 443.


def test_the_task_trains_through_a_run_directory_and_keeps_its_best_policy(tmp_path):
    summary = tfzoo.start_run("cartpole-reinforce", seed=0, steps=4000, path=tmp_path / "run",
                              progress=False)
    assert summary["agent"] == "reinforce" and summary["steps"] == 4000
    assert summary["best_eval_return"] > 0 and summary["schedules"]["learning_rate"]["now"] == 0
    task, agent, _ = tfzoo.load_run(tmp_path / "run", best=True)
    assert tfzoo.evaluate(agent, task, episodes=5, seed=0) > 50  # A random policy: about 20.


def test_bad_settings_and_spaces_are_refused_naming_the_fix():
    for settings, message in (({"learning_rate": 0.0}, "learning_rate=0.0 must be above 0"),
                              ({"gamma": 1.5}, "gamma=1.5 must be from 0 to 1"),
                              ({"hidden_sizes": (64, 0)}, r"hidden_sizes=\(64, 0\) must be")):
        with pytest.raises(tfzoo.ConfigError, match=message):
            ReinforceConfig(**settings)
    with pytest.raises(tfzoo.ConfigError, match="needs Discrete actions"):
        tfzoo.make_agent("reinforce", tfzoo.make("Pendulum-v1"))
    dictionary = gymnasium.make("CartPole-v1")
    dictionary.observation_space = gymnasium.spaces.Dict({"x": dictionary.observation_space})
    with pytest.raises(tfzoo.ConfigError, match="FlattenObservation"):
        tfzoo.make_agent("reinforce", dictionary)


def test_the_same_seed_trains_the_same_way():
    histories = []
    for _ in range(2):
        task, agent = cartpole_agent()
        history = tfzoo.train(agent, task, steps=3000, seed=3, progress=False)
        histories.append([(record["return"], record.get("policy_loss"))
                          for record in history.episodes])
    assert histories[0] == histories[1]


def test_the_tfzoo_command_lists_trains_evaluates_and_resumes_it(tmp_path, capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    plugin = "[from plugin 'reinforce' (tfzoo-reinforce 0.1.0)]"
    assert plugin in next(line for line in listed if line.startswith("cartpole-reinforce"))
    assert plugin in next(line for line in listed if line.strip().startswith("reinforce "))

    run = tmp_path / "run"
    trained = subprocess.run(
        [sys.executable, "-m", "tfzoo.tools.cli", "train", "cartpole-reinforce", "--steps",
         "2000", "--seed", "0", "--logdir", str(run), "--no-progress"],
        capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["steps"] == 2000 and summary["agent"] == "reinforce"
    assert main(["eval", str(run), "--best"]) == 0  # The same 100 episodes as at the end.
    assert json.loads(capsys.readouterr().out)["eval_return"] == summary["best_eval_return"]

    stopped = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        tfzoo.start_run("cartpole-dqn", agent="reinforce", steps=2000, seed=0, path=stopped,
                        progress=False, callbacks=[InterruptAt(500)])
    assert main(["train", "--resume", str(stopped), "--no-progress"]) == 0
    resumed = json.loads((stopped / "summary.json").read_text())
    assert resumed["steps"] == 2000 and resumed["agent"] == "reinforce"
