"""The plugin module: registers the `reinforce` agent and the `cartpole-reinforce` task with tfzoo.

tfzoo imports it the first time a name is not found among its own (the "tfzoo.plugins" entry
point in pyproject.toml); `import tfzoo_reinforce.plugin` registers them by hand. Registering
imports nothing heavy: the entry points are "module:attribute" strings, loaded on first use.
"""

from __future__ import annotations

import gymnasium

import tfzoo
from tfzoo.cards import Card, Check, Expected


def make_cartpole(*, render_mode: str | None = None) -> gymnasium.Env:
    """Gymnasium's CartPole-v1 as it is: episodes of at most 500 steps, solved at 475.

    Args:
        render_mode: "rgb_array" to record frames (`tfzoo play --record`), "human" to watch
            in a window, or None.
    """
    return gymnasium.make("CartPole-v1", render_mode=render_mode)


tfzoo.register_agent(
    "reinforce",
    entry_point="tfzoo_reinforce.reinforce:build",
    config="tfzoo_reinforce.reinforce:ReinforceConfig",
    description="REINFORCE with a learned baseline (a value network): one Monte Carlo policy "
                "gradient update at the end of each episode; Box observations, Discrete actions.",
)

tfzoo.register(
    "cartpole-reinforce",
    entry_point="tfzoo_reinforce.plugin:make_cartpole",
    agent="reinforce",
    description="Gymnasium's CartPole-v1 learned by REINFORCE with a baseline; solved at 475.",
    reward_threshold=475.0,
    # As cartpole-dqn: 100 greedy episodes at the end; every 2,000 steps 10 of them, side by
    # side, and the run keeps the best policy they saw.
    evaluation=tfzoo.Evaluation(episodes=100, interval=2000, interval_episodes=10),
    presets={
        "handbook": tfzoo.Preset(
            "Plain REINFORCE as the classic PyTorch example (pytorch/examples, "
            "reinforcement_learning/reinforce.py) writes it, without its dropout: one hidden "
            "layer of 128 (tanh here, ReLU there), Adam 1e-2, gamma 0.99, each episode's "
            "returns standardised, no baseline, 100,000 steps.",
            agent={"hidden_sizes": (128,), "learning_rate": 1e-2, "linear_decay": False,
                   "gamma": 0.99, "baseline": False, "normalize_advantages": True},
            steps=100_000,
        ),
        "default": tfzoo.Preset(
            "Tuned to solve CartPole in few steps and seconds: policy and value networks of "
            "(64, 64) tanh, the returns (bootstrapped from the value network past the time "
            "limit) less its values as advantages, standardised per episode, one Adam step "
            "per episode at 2e-3 falling linearly to 0 over the budget, gamma 0.99, 50,000 "
            "steps.",
            agent={"hidden_sizes": (64, 64), "learning_rate": 2e-3, "linear_decay": True,
                   "gamma": 0.99, "baseline": True, "normalize_advantages": True},
            steps=50_000,
        ),
    },
    card=Card(
        expected={
            "handbook": Expected("best_eval_return", 500.0, "100,000 steps, 13-14 s",
                                 "median of seeds 0-4: 9.4, 500, 499.2, 500, 500 (seed 0 "
                                 "collapses to always one action, in 76 s); "
                                 "examples/tfzoo-reinforce/README.md"),
            "default": Expected("best_eval_return", 500.0, "50,000 steps, 8-10 s",
                                "scripts/benchmark.py reinforce: median of seeds 0-4, 5 of 5 "
                                ">= 475, and 5 of 5 for the final policy"),
        },
        check=Check("default", steps=50_000, metric="best_eval_return", threshold=475.0,
                    quick_steps=5000, quick_threshold=100.0),
    ),
)
