"""Reference cards and `tfzoo check`: every built-in task still learns what its card says."""

from __future__ import annotations

import pytest

import tfzoo
from tfzoo.cards import Card, Check
from tfzoo.tools.checks import run_checks
from tfzoo.tools.cli import main

BUILT_IN_TASKS = ("linear-regression", "mnist-mlp", "mnist-cnn", "char-rnn", "cartpole-dqn",
                  "mountaincar-dqn")


def test_every_built_in_task_carries_a_card_for_each_preset():
    for task_id in BUILT_IN_TASKS:
        card = tfzoo.spec(task_id).card
        assert set(card.expected) == set(tfzoo.spec(task_id).presets)
        assert all(expected.source for expected in card.expected.values())
        assert card.check.preset in tfzoo.spec(task_id).presets


def test_the_quick_check_of_every_built_in_task_passes_on_synthetic_data(capsys):
    assert main(["check", "--quick"]) == 0
    out = capsys.readouterr().out
    for task_id in BUILT_IN_TASKS:
        assert any(line.startswith(task_id) and line.endswith("pass")
                   for line in out.splitlines())
    assert f"All {len(BUILT_IN_TASKS)} checks passed." in out


def test_a_task_broken_on_purpose_fails_its_check_by_name(capsys):
    assert main(["check", "mnist-mlp", "--quick", "--set", "learning_rate=0"]) == 1
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if line.startswith("mnist-mlp"))
    assert row.endswith("FAIL")
    assert "tfzoo check: 1 of 1 failed: mnist-mlp" in captured.err


def test_a_check_that_cannot_train_fails_with_its_error():
    (result,) = run_checks(["mnist-mlp"], quick=True, agent_overrides={"optimizer": "adamm"})
    assert not result.passed and result.value is None
    assert "Unknown optimizer 'adamm'. Did you mean 'adam'" in result.error


def test_cards_name_only_presets_the_task_has():
    check = Check("fast", steps=1, metric="eval_return", threshold=0.0, quick_steps=1,
                  quick_threshold=0.0)
    with pytest.raises(tfzoo.RegistrationError, match=r"names presets \['fast'\]"):
        tfzoo.register("my-task", entry_point="tfzoo.envs.linear_regression:LinearRegression",
                       agent="supervised", card=Card({}, check))
    with pytest.raises(tfzoo.ConfigError, match="has no reference card"):
        tfzoo.register("bare", entry_point="tfzoo.envs.linear_regression:LinearRegression",
                       agent="supervised")
        run_checks(["bare"])
    assert Check("default", 1, "eval_bits_per_char", 2.0, 1, 3.0,
                 higher_is_better=False).passes(2.5, quick=True)


def test_the_tuned_cartpole_preset_shortened_keeps_its_final_policy_on_a_second_seed():
    """Issue 18's regression proxy: `cartpole-dqn`'s check judges the final policy, not the
    best one kept, so a change that brings the collapse back fails it. The quick check (its
    budget-following schedules shortened to quick_steps) passes on seed 0 in the test above;
    here on seed 1 as well."""
    card = tfzoo.spec("cartpole-dqn").card
    assert card.check.metric == "eval_return"  # The final policy's 100 greedy episodes.
    (result,) = run_checks(["cartpole-dqn"], quick=True, seed=1)
    assert result.passed, result
