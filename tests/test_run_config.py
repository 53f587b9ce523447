"""`tfzoo.RunConfig`: a run's settings checked by name, and `start_run` taking one."""

from __future__ import annotations

import json
import os
import re

import pytest

import tfzoo


@pytest.mark.parametrize("settings, message", [
    ({"seed": -1}, "seed=-1 is not a seed"),
    ({"steps": -5}, "steps=-5 "),  # The loop's budget check says what a budget must be.
    ({"num_envs": 0}, "num_envs=0 must be a whole number >= 1"),
    ({"execution": "fast"}, "execution='fast' is not one of compiled, eager, jit"),
    ({"checkpoint_seconds": -1}, "checkpoint_seconds=-1 must be a number >= 0"),
    ({"deterministic": "yes"}, "deterministic='yes' must be True or False"),
    ({"task_overrides": ["batch_size", 1]}, "task_overrides=['batch_size', 1] must be a dict"),
    ({"preset": "fast"}, "Unknown preset 'fast'"),
    ({"agent": "dqm"}, "Unknown agent 'dqm'. Did you mean 'dqn'?"),
])
def test_a_run_config_refuses_a_bad_field_by_name(settings, message):
    with pytest.raises(tfzoo.TfzooError, match=re.escape(message)):
        tfzoo.RunConfig("linear-regression", **settings)
    with pytest.raises(tfzoo.TfzooError, match="Unknown task 'linear-regresion'"):
        tfzoo.RunConfig("linear-regresion")


def test_a_run_config_and_the_same_settings_by_keyword_make_the_same_run(tmp_path):
    settings = {"preset": "handbook", "seed": 4, "steps": 3, "checkpoint_seconds": 5.0,
                "task_overrides": {"batch_size": 1}, "agent_overrides": {"learning_rate": 0.1}}
    config = tfzoo.RunConfig("linear-regression", path=tmp_path / "config", **settings)
    by_config = tfzoo.start_run(config, progress=False)
    by_keyword = tfzoo.start_run("linear-regression", path=tmp_path / "keywords",
                                 progress=False, **settings)
    written = [json.loads((tmp_path / name / "config.json").read_text())
               for name in ("config", "keywords")]
    assert written[0] == written[1]
    assert written[0]["overrides"] == {"task": {"batch_size": 1}, "agent": {"learning_rate": 0.1}}
    assert by_config["eval_return"] == by_keyword["eval_return"]
    with pytest.raises(tfzoo.ConfigError, match="got a RunConfig and also 'seed'"):
        tfzoo.start_run(config, seed=5)


def test_a_run_config_decides_what_it_leaves_open_and_is_not_changed():
    config = tfzoo.RunConfig("cartpole-dqn", task_overrides={"data_dir": "~/data"})
    decided = config.decided()
    assert (decided.preset, decided.steps, decided.episodes) == ("default", 30_000, None)
    assert 0 <= decided.seed < 2**31 and str(decided.path).startswith(
        f"runs/cartpole-dqn-default-seed{decided.seed}-")
    assert decided.task_overrides["data_dir"] == os.path.expanduser("~/data")
    assert config.seed is None and config.task_overrides["data_dir"] == "~/data"
    with pytest.raises(TypeError):
        config.task_overrides["data_dir"] = "elsewhere"  # Read-only, as the config is frozen.
