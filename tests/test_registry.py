"""Tasks and agents by name: building them, a user's own, and every error path."""

from __future__ import annotations

import sys

import pytest
from conftest import readme_example

import tfzoo


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_tasks.py").write_text(readme_example())
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_tasks", None)
    import my_tasks  # noqa: F401  (registers "doubling" and "mean")

    yield
    sys.modules.pop("my_tasks", None)


def test_a_users_task_and_agent_register_and_train_like_built_ins(user_module):
    task = tfzoo.make("doubling")
    assert task.batch_size == 8 and task.spec.id == "doubling"
    agent = tfzoo.make_agent("doubling", task, rate=0.25)
    history = tfzoo.train(agent, task, steps=20, seed=0, progress=False)
    assert agent.config.rate == 0.25 and len(history.episodes) == 5
    assert "doubling" in tfzoo.registry and "mean" in tfzoo.agent_registry


def test_make_builds_a_gymnasium_env_with_its_spec():
    task = tfzoo.make("linear-regression", batch_size=1)
    assert task.spec.id == "linear-regression" and task.spec.kwargs == {"batch_size": 1}
    assert task.observation_space.shape == (1, 3)


def test_max_episode_steps_wraps_the_task_in_a_time_limit():
    tfzoo.register("short-line", "tfzoo.envs.linear_regression:LinearRegression",
                   agent="supervised", max_episode_steps=1, batch_size=1)
    task = tfzoo.make("short-line")
    task.reset(seed=0)
    *_, terminated, truncated, _ = task.step(task.action_space.sample())
    assert truncated and not terminated


def test_pprint_registry_lists_tasks_agents_and_presets():
    lines = []
    tfzoo.pprint_registry(lines.append)
    row = next(line for line in lines if line.startswith("linear-regression"))
    assert "supervised" in row and "handbook" in row and "default*" in row


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: tfzoo.make("linear-regresion"),
         r"Unknown task 'linear-regresion'\. Did you mean 'linear-regression'\?.*tfzoo list"),
        (lambda: tfzoo.make("linear-regression", preset="handbok"),
         r"Unknown preset 'handbok' for task 'linear-regression'\. Did you mean 'handbook'"),
        (lambda: tfzoo.make("linear-regression", batch_sise=1),
         r"Unknown override 'batch_sise'.*Did you mean 'batch_size'"),
        (lambda: tfzoo.make("linear-regression", batch_size="two"),
         r"batch_size='two'.*has type str, but batch_size takes int or None"),
        (lambda: tfzoo.make_agent("linear-regression", tfzoo.make("linear-regression"),
                                  learning_rte=0.1),
         r"Unknown override 'learning_rte' for agent 'supervised'.*'learning_rate'"),
        (lambda: tfzoo.make_agent("linear-regression", tfzoo.make("linear-regression"),
                                  learning_rate="fast"),
         r"learning_rate='fast'.*takes float"),
        (lambda: tfzoo.make_agent("linear-regression", tfzoo.make("linear-regression"),
                                  schedule="linear"),
         r"schedule='linear'.*one of 'constant', 'cosine'"),
        (lambda: tfzoo.make_agent("supervisd", tfzoo.make("linear-regression")),
         r"Unknown task or agent 'supervisd'\. Did you mean 'supervised'"),
        (lambda: tfzoo.make_agent("supervised", tfzoo.make("linear-regression"),
                                  preset="handbook"),
         r"presets belong to tasks"),
        (lambda: tfzoo.make_agent("linear-regression", tfzoo.make("linear-regression"),
                                  model="linear-layr"),
         r"Unknown model 'linear-layr'\. Did you mean 'linear-layer'"),
        (lambda: tfzoo.make_agent("linear-regression", tfzoo.make("linear-regression"),
                                  optimizer="adamm"),
         r"Unknown optimizer 'adamm'. Did you mean 'adam'"),
        (lambda: tfzoo.register("linear-regression", "x:Y", agent="supervised"),
         r"Task 'linear-regression' is already registered.*registry\.pop"),
        (lambda: tfzoo.register_agent("supervised", "x:y", config="x:Z"),
         r"Agent 'supervised' is already registered"),
        # Task ids and agent names share one namespace, so make_agent(name) never guesses.
        (lambda: tfzoo.register_agent("mnist-cnn", "x:y", config="x:Z"),
         r"Agent 'mnist-cnn' is already registered \(as a task"),
        (lambda: tfzoo.register("dqn", "x:Y", agent="dqn"),
         r"Task 'dqn' is already registered \(as an agent.*agent_registry\.pop"),
        (lambda: tfzoo.register("other", "x:Y", agent="supervised", default_preset="fast",
                                presets={"default": tfzoo.Preset("Defaults.")}),
         r"Task 'other' names presets \['fast'\] that it does not have"),
    ],
)
def test_each_mistake_names_the_bad_value_and_the_fix(call, message):
    with pytest.raises(tfzoo.TfzooError, match=message):
        call()


def test_an_unloadable_entry_point_says_how_to_write_one():
    tfzoo.register("broken", "no_such_module:Task", agent="supervised")
    with pytest.raises(tfzoo.RegistrationError, match="'package.module:Name'"):
        tfzoo.make("broken")


def test_int_overrides_widen_to_float_and_bools_are_not_ints():
    task = tfzoo.make("linear-regression")
    agent = tfzoo.make_agent("linear-regression", task, learning_rate=1)
    assert isinstance(agent.optimizer.learning_rate.numpy().item(), float)
    with pytest.raises(tfzoo.ConfigError, match="batch_size=True"):
        tfzoo.make("linear-regression", batch_size=True)


def test_an_entry_point_taking_any_keyword_gets_every_override():
    def make_line(**settings):
        from tfzoo.envs.linear_regression import LinearRegression

        return LinearRegression(**settings)

    tfzoo.register("line-by-function", make_line, agent="supervised")
    assert tfzoo.make("line-by-function", batch_size=1).batch_size == 1
