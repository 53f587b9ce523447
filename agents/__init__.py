"""tfzoo's built-in agents, registered by name; each lives in its own module of this package."""

from tfzoo.registration import register_agent

register_agent(
    "supervised",
    entry_point="tfzoo.agents.supervised:build",
    config="tfzoo.agents.supervised:SupervisedConfig",
    description="Fits a Keras model to the targets a supervised task reveals.",
)
