"""Checks for the authors of tasks and agents: call them from your tests, as tfzoo's own tests
do for the built-ins. They are not part of training, and import nothing of the run layer.

    from tfzoo.testing import check_agent, check_task

    def test_my_task_keeps_the_contracts():
        check_task("my-task")

    def test_my_agent_learns():
        report = check_agent("my-agent", "my-task", steps=2000)
        assert report["after"] > report["before"]  # check_agent has checked this already.

Each check raises `AssertionError` with a sentence saying what broke, so pytest reports it
as a failed test.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from gymnasium.utils.env_checker import check_env

from tfzoo.core import Agent, Transition
from tfzoo.loop import Callback, LoopState, evaluate, train
from tfzoo.registration import make, make_agent, spec
from tfzoo.seeding import seed_everything
from tfzoo.supervised import SupervisedTask
from tfzoo.validate import whole_number

PASS_LIMIT = 100_000
"""The most steps `check_task` plays looking for the end of a supervised task's pass."""


def check_task(task_id: str, *, preset: str | None = None, seed: int = 0,
               steps: int = 20, **overrides: Any) -> None:
    """Checks that the task `task_id` keeps the contracts of a tfzoo task.

    1. Gymnasium's `check_env` passes (render checks aside).
    2. Seeding: two copies reset with `seed` and given the same `steps` actions see the same
       observations, rewards and ends.
    3. For a task whose steps reveal `info["target"]`: the targets are actions of its action
       space; for a `tfzoo.SupervisedTask`, predicting every target exactly for a whole pass
       returns the best score (1 for classification, 0 for regression).

    Args:
        task_id: A registered task id (or "module:id").
        preset, **overrides: The settings to build it with, as for `tfzoo.make`.
        seed: The seed of the episodes played.
        steps: Steps compared by the seeding check.
    """
    task = make(task_id, preset=preset, **overrides)
    check_env(task.unwrapped, skip_render_check=True)  # As Gymnasium advises.
    first, second = task, make(task_id, preset=preset, **overrides)
    _check_seeding(first, second, seed, steps, task_id)
    first.reset(seed=seed)
    *_, info = first.step(first.action_space.sample())
    if "target" in info:
        _check_a_perfect_pass(first, second, seed, task_id)


def _check_seeding(first: gymnasium.Env, second: gymnasium.Env, seed: int, steps: int,
                   task_id: str) -> None:
    """Two copies reset with `seed` and given the same actions must behave the same."""
    (observation, _), (twin, _) = first.reset(seed=seed), second.reset(seed=seed)
    _same(observation, twin, f"{task_id}: reset(seed={seed}) twice gave different observations")
    first.action_space.seed(seed)
    for step in range(steps):
        action = first.action_space.sample()
        outcome, twin_outcome = first.step(action), second.step(action)
        for name, value, other in zip(("observation", "reward", "terminated", "truncated"),
                                      outcome[:4], twin_outcome[:4], strict=True):
            _same(value, other, f"{task_id}: two copies reset with seed {seed} gave different "
                                f"{name}s at step {step} for the same actions; draw every "
                                f"random number from self.np_random")
        if outcome[2] or outcome[3]:
            first.reset(seed=seed + step + 1)
            second.reset(seed=seed + step + 1)


def _check_a_perfect_pass(task: gymnasium.Env, oracle: gymnasium.Env, seed: int,
                          task_id: str) -> None:
    """Plays a pass answering each batch with the targets an identical copy reveals (without
    the copies' time limits, so that the pass is whole)."""
    task, oracle = task.unwrapped, oracle.unwrapped
    task.reset(seed=seed)
    oracle.reset(seed=seed)
    total = 0.0
    for _ in range(PASS_LIMIT):
        *_, info = oracle.step(oracle.action_space.sample())
        answers = np.asarray(info["target"])
        if not task.action_space.contains(answers.astype(task.action_space.dtype)):
            raise AssertionError(f"{task_id}: info['target'] {answers.shape} is not an action "
                                 f"of the action space {task.action_space}")
        _, reward, terminated, truncated, _ = task.step(answers)
        total += float(reward)
        if terminated or truncated:
            break
    else:
        raise AssertionError(f"{task_id}: a pass did not end within {PASS_LIMIT} steps")
    if not isinstance(task, SupervisedTask):
        return  # Its score is its own business.
    best = 0.0 if task.num_classes is None else 1.0
    if not math.isclose(total, best, abs_tol=1e-6):
        raise AssertionError(f"{task_id}: a pass predicting every target exactly returned "
                             f"{total}, not {best}: a pass's rewards must add up to its score")


def check_agent(agent_name: str, task_id: str, *, steps: int, preset: str | None = None,
                seed: int = 0, episodes: int | None = None,
                task_settings: Mapping[str, Any] | None = None,
                agent_settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Checks that the agent `agent_name` keeps the contracts of a tfzoo agent on `task_id`,
    and learns there: pick a small task and a budget in which it surely does.

    1. `act` gives actions of the task's action space, exploring and not (and a batch of them
       for agents with `batched_act`); `learn` returns a dict of finite numbers.
    2. `save` then `restore` into a new agent gives the same greedy actions.
    3. After `steps` of `tfzoo.train`, the greedy return of `episodes` evaluation episodes
       (the task's evaluation settings) is higher than before.

    Args:
        agent_name: A registered agent, or a task id for that task's own agent and preset.
        task_id: The task to check it on.
        steps: The training budget of the learning check.
        preset: The task's preset (with its agent settings when `agent_name` is its agent).
        seed: The seed of everything.
        episodes: Evaluation episodes (default: the task's).
        task_settings, agent_settings: Overrides, as for `tfzoo.make` and `tfzoo.make_agent`.

    Returns:
        {"before", "after"}: the evaluation returns, and "episodes", the training's records
        (`tfzoo.History.episodes`: each episode's return and mean metrics).
    """
    task_settings, agent_settings = dict(task_settings or {}), dict(agent_settings or {})
    task_spec = spec(task_id)
    seed_everything(seed)
    task = make(task_id, preset=preset, **task_settings)
    own = agent_name in (task_id, task_spec.agent)

    def build() -> Agent:
        if own:  # The task's own agent, with the preset's settings.
            return make_agent(task_id, task, preset, **agent_settings)
        return make_agent(agent_name, task, **agent_settings)

    agent = build()
    observations = _check_acting(agent, task, seed, agent_name)
    _check_save_and_restore(agent, build(), observations, agent_name)
    evaluation_task = make(task_id, preset=preset,
                           **{**task_settings, **task_spec.evaluation.task})
    episodes = task_spec.evaluation.episodes if episodes is None else episodes
    learner = build()  # Fresh: the checks above have taught `agent` a little already.
    before = evaluate(learner, evaluation_task, episodes=episodes, seed=seed)
    history = train(learner, task, steps=steps, seed=seed, progress=False)
    after = evaluate(learner, evaluation_task, episodes=episodes, seed=seed)
    if not after > before:
        raise AssertionError(f"{agent_name} did not learn on {task_id}: its greedy return was "
                             f"{before:g} before {steps} steps of training and {after:g} after. "
                             f"Give it a smaller task or more steps, or look for the bug.")
    return {"before": before, "after": after, "episodes": history.episodes}


def _check_acting(agent: Agent, task: gymnasium.Env, seed: int, name: str) -> list[Any]:
    """Acts and learns for a few steps; returns the observations seen."""
    observation, _ = task.reset(seed=seed)
    observations = [observation]
    for explore in (True, False, True):
        action = agent.act(observation, explore=explore)
        if not task.action_space.contains(action):
            raise AssertionError(f"{name}.act(explore={explore}) returned {action!r}, which is "
                                 f"not in the action space {task.action_space}")
        next_observation, reward, terminated, truncated, info = task.step(action)
        metrics = agent.learn(Transition(observation, action, reward, next_observation,
                                         terminated, truncated, info))
        _check_metrics(metrics, name)
        observation = next_observation if not (terminated or truncated) else task.reset()[0]
        observations.append(observation)
    if agent.batched_act:
        actions = agent.act(np.stack(observations[:2]), explore=False)
        if len(actions) != 2 or not all(task.action_space.contains(a) for a in actions):
            raise AssertionError(f"{name} has batched_act, but act() on a batch of 2 "
                                 f"observations returned {actions!r}")
    return observations


def _check_metrics(metrics: Any, name: str) -> None:
    if not isinstance(metrics, dict) or not all(
            isinstance(key, str) and isinstance(value, (int, float, np.number))
            and math.isfinite(value) for key, value in metrics.items()):
        raise AssertionError(f"{name}.learn() must return a dict of names to finite numbers "
                             f"(or {{}}), not {metrics!r}")


def _check_save_and_restore(agent: Agent, fresh: Agent, observations: list[Any],
                            name: str) -> None:
    """A new agent restored from what `agent` saved acts as it does, greedily."""
    with tempfile.TemporaryDirectory() as directory:
        fresh.restore(agent.save(f"{directory}/agent"))
    for observation in observations:
        mine, theirs = agent.act(observation, explore=False), fresh.act(observation,
                                                                        explore=False)
        _same(mine, theirs, f"{name}: after save() and restore(), a new agent acted "
                            f"{theirs!r} where the saved one acts {mine!r}")


def _same(value: Any, other: Any, message: str) -> None:
    if not np.array_equal(np.asarray(value), np.asarray(other)):
        raise AssertionError(message)


class InterruptAt(Callback):
    """Presses Ctrl-C at step `steps` of a run: pass it to `tfzoo.start_run(callbacks=[...])`
    to get an interrupted run directory (with its checkpoint) to test resuming on.

    Example:
        with pytest.raises(KeyboardInterrupt):
            tfzoo.start_run("my-task", path=run, callbacks=[InterruptAt(50)])
        tfzoo.resume_run(run)
    """

    def __init__(self, steps: int) -> None:
        self.steps = whole_number("steps", steps, minimum=1)
        self.pressed = False

    def on_step(self, state: LoopState, running_episode: Any) -> None:
        if state.steps >= self.steps and not self.pressed:  # Vectors step several at once.
            self.pressed = True
            raise KeyboardInterrupt
