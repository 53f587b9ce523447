"""tfzoo's built-in agents, registered by name; each lives in its own module of this package."""

from tfzoo.registration import register_agent

register_agent(
    "supervised",
    entry_point="tfzoo.agents.supervised:build",
    config="tfzoo.agents.supervised:SupervisedConfig",
    description="Fits a Keras model to the targets a supervised task reveals.",
)

register_agent(
    "char-model",
    entry_point="tfzoo.agents.char_rnn:build",
    config="tfzoo.agents.char_rnn:CharRNNConfig",
    description="Learns a character model from a char-rnn task and writes text with it.",
)

register_agent(
    "dqn",
    entry_point="tfzoo.agents.dqn:build",
    config="tfzoo.agents.dqn:DQNConfig",
    description="Deep Q-learning for any environment with Box observations and Discrete actions.",
)
