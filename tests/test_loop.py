"""The act -> step -> learn loop, tested with a fake task and a fake agent."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import tfzoo


class CountdownTask(tfzoo.Task):
    """Episodes of `length` steps; ends by termination, or by truncation when `truncate`.

    The reward is the action, so the return shows exactly which actions were taken.
    """

    def __init__(self, length: int = 3, truncate: bool = False) -> None:
        super().__init__()
        self.length, self.truncate = length, truncate
        self.observation_space = gymnasium.spaces.Box(0, 100, shape=(1,), dtype=np.float32)
        self.action_space = gymnasium.spaces.Discrete(3)
        self.resets, self.reset_seeds, self.steps_taken = 0, [], 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.resets += 1
        self.reset_seeds.append(seed)
        self.remaining = self.length
        self.start = float(self.np_random.integers(0, 50))
        return np.array([self.start], np.float32), {}

    def step(self, action):
        self.steps_taken += 1
        self.remaining -= 1
        over = self.remaining == 0
        observation = np.array([self.start + self.length - self.remaining], np.float32)
        return observation, float(action), over and not self.truncate, over and self.truncate, {}


class RecordingAgent(tfzoo.Agent):
    """Acts 1 when exploring and 2 when greedy; records every call."""

    def __init__(self) -> None:
        super().__init__()
        self.acted, self.learned = [], []

    def act(self, observation, *, explore=True):
        self.acted.append((float(observation[0]), explore))
        return 1 if explore else 2

    def learn(self, transition):
        self.learned.append(transition)
        return {"calls": float(len(self.learned))}


def test_every_step_acts_then_learns_from_its_own_transition():
    task, agent = CountdownTask(length=3), RecordingAgent()
    history = tfzoo.train(agent, task, episodes=2, seed=0, progress=False)
    assert len(agent.acted) == len(agent.learned) == task.steps_taken == 6
    assert task.resets == 2
    first = agent.learned[0]
    assert first.action == 1 and first.reward == 1.0
    assert first.next_observation[0] == agent.learned[1].observation[0]
    assert [t.terminated for t in agent.learned] == [False, False, True] * 2
    assert not any(t.truncated for t in agent.learned)
    assert history.returns == [3.0, 3.0]
    assert [r["length"] for r in history.episodes] == [3, 3]
    assert [r["steps"] for r in history.episodes] == [3, 6]
    assert history.episodes[0]["calls"] == pytest.approx((1 + 2 + 3) / 3)  # episode mean


def test_truncation_ends_episodes_and_is_reported_apart_from_termination():
    task, agent = CountdownTask(length=2, truncate=True), RecordingAgent()
    history = tfzoo.train(agent, task, episodes=3, progress=False)
    assert [t.truncated for t in agent.learned] == [False, True] * 3
    assert not any(t.terminated for t in agent.learned)
    assert all(r["truncated"] and not r["terminated"] for r in history.episodes)


def test_a_step_budget_can_end_inside_an_episode():
    task, agent = CountdownTask(length=4), RecordingAgent()
    history = tfzoo.train(agent, task, steps=6, progress=False)
    assert task.steps_taken == 6 and len(agent.learned) == 6
    assert [r["length"] for r in history.episodes] == [4, 2]
    last = history.episodes[-1]
    assert not last["terminated"] and not last["truncated"]
    assert history.state.steps == 6 and history.state.episodes == 2


def test_evaluate_is_greedy_and_does_not_learn():
    task, agent = CountdownTask(length=3), RecordingAgent()
    mean_return = tfzoo.evaluate(agent, task, episodes=4)
    assert mean_return == 6.0  # greedy action 2, three steps
    assert agent.learned == [] and {explore for _, explore in agent.acted} == {False}


def test_the_seed_reaches_the_task_once_and_makes_runs_repeat():
    observations = []
    for _ in range(2):
        task, agent = CountdownTask(), RecordingAgent()
        tfzoo.train(agent, task, episodes=3, seed=7, progress=False)
        assert task.reset_seeds == [7, None, None]
        observations.append([o for o, _ in agent.acted])
    assert observations[0] == observations[1]


def test_callbacks_see_each_episode_and_the_end():
    class Recorder(tfzoo.Callback):
        def __init__(self):
            self.episodes, self.ends = [], []

        def on_episode_end(self, record, state):
            self.episodes.append((record["episode"], state.steps))

        def on_run_end(self, state, interrupted):
            self.ends.append((state.steps, interrupted))

    recorder = Recorder()
    tfzoo.train(RecordingAgent(), CountdownTask(), episodes=2, callbacks=[recorder],
                progress=False)
    assert recorder.episodes == [(1, 3), (2, 6)]
    assert recorder.ends == [(6, False)]


def test_ctrl_c_reaches_the_callbacks_as_an_interruption():
    class Interrupting(RecordingAgent):
        def learn(self, transition):
            if len(self.learned) == 4:
                raise KeyboardInterrupt
            return super().learn(transition)

    ends = []

    class Recorder(tfzoo.Callback):
        def on_run_end(self, state, interrupted):
            ends.append((state.steps, interrupted))

    with pytest.raises(KeyboardInterrupt):
        tfzoo.train(Interrupting(), CountdownTask(), episodes=5, callbacks=[Recorder()],
                    progress=False)
    assert ends == [(5, True)]


def test_a_state_continues_where_it_stopped():
    task, agent = CountdownTask(length=2), RecordingAgent()
    first = tfzoo.train(agent, task, episodes=2, seed=1, progress=False)
    second = tfzoo.train(agent, task, episodes=3, state=first.state, progress=False)
    assert [r["episode"] for r in second.episodes] == [3]
    assert second.state.steps == 6 and task.reset_seeds == [1, None, None]


def test_max_seconds_stops_the_loop_cleanly():
    history = tfzoo.train(RecordingAgent(), CountdownTask(), max_seconds=0.0, progress=False)
    assert history.state.steps <= 1


@pytest.mark.parametrize("budget", [{}, {"steps": -1}, {"episodes": float("nan")},
                                    {"steps": True}])
def test_a_missing_or_bad_budget_is_a_clear_error(budget):
    with pytest.raises(tfzoo.ConfigError, match="budget|steps|episodes"):
        tfzoo.train(RecordingAgent(), CountdownTask(), progress=False, **budget)


def test_the_loop_runs_plain_gymnasium_environments():
    task = gymnasium.make("CartPole-v1")

    class RandomAgent(tfzoo.Agent):
        def act(self, observation, *, explore=True):
            return task.action_space.sample()

        def learn(self, transition):
            return {}

    history = tfzoo.train(RandomAgent(), task, episodes=3, seed=0, progress=False)
    assert len(history.episodes) == 3
    assert all(r["terminated"] or r["truncated"] for r in history.episodes)


@pytest.mark.parametrize("budget", [{"steps": 7}, {"episodes": 3}])
def test_the_progress_bar_shows_the_return_and_metrics(capsys, budget):
    tfzoo.train(RecordingAgent(), CountdownTask(), progress=True, **budget)
    shown = capsys.readouterr().err
    assert "train" in shown and "return=" in shown and "calls=" in shown
    assert ("7/7" if "steps" in budget else "3/3") in shown


def test_evaluate_leaves_the_process_wide_random_generators_alone():
    import random

    random.seed(11)
    np.random.seed(11)
    expected = (random.random(), np.random.random())
    random.seed(11)
    np.random.seed(11)
    tfzoo.evaluate(RecordingAgent(), CountdownTask(), episodes=2, seed=0)
    assert (random.random(), np.random.random()) == expected


def test_evaluate_needs_at_least_one_episode():
    with pytest.raises(tfzoo.ConfigError, match="episodes=0"):
        tfzoo.evaluate(RecordingAgent(), CountdownTask(), episodes=0)
