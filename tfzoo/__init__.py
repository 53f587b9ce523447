"""tfzoo: the programs of a classic TensorFlow chapter as one gym-style learning toolkit.

Tasks are `gymnasium.Env`s registered by name, agents are registered by name, and one loop
(`train`, `evaluate`) runs every agent on every task:

    import tfzoo

    task = tfzoo.make("linear-regression", preset="handbook")
    agent = tfzoo.make_agent("linear-regression", task, preset="handbook")
    tfzoo.train(agent, task, steps=100)
    print(tfzoo.evaluate(agent, task))  # minus the training MSE

Importing tfzoo is light: the registry is loaded at once, and the parts that need
TensorFlow are imported the first time one of their names is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tfzoo.errors import (
    ConfigError,
    RegistrationError,
    RunDirectoryError,
    TfzooError,
    TrainingDivergedError,
    UnknownNameError,
)
from tfzoo.registration import (
    AgentSpec,
    Preset,
    TaskSpec,
    agent_registry,
    make,
    make_agent,
    pprint_registry,
    register,
    register_agent,
    registry,
    spec,
)

# Register the built-in agents and tasks (registration imports nothing heavy).
import tfzoo.agents  # noqa: E402,F401  isort: skip
import tfzoo.envs  # noqa: E402,F401  isort: skip

if TYPE_CHECKING:
    from tfzoo.compiled import execution
    from tfzoo.core import Agent, Task, Transition
    from tfzoo.data import load_mnist, load_text
    from tfzoo.envs.legacy_gym import from_gym
    from tfzoo.experiment import evaluate_run, load_run, resume_run, start_run
    from tfzoo.loop import Callback, History, LoopState, evaluate, evaluation_returns, run, train
    from tfzoo.seeding import seed_everything
    from tfzoo.supervised import SupervisedTask
    from tfzoo.text import Vocabulary, generate

__version__ = "0.1.0"

_LAZY = {
    "tfzoo.core": ["Agent", "Task", "Transition"],
    "tfzoo.loop": ["Callback", "History", "LoopState", "evaluate", "evaluation_returns", "run",
                   "train"],
    "tfzoo.seeding": ["seed_everything"],
    "tfzoo.supervised": ["SupervisedTask"],
    "tfzoo.experiment": ["evaluate_run", "load_run", "resume_run", "start_run"],
    "tfzoo.data": ["load_mnist", "load_text"],
    "tfzoo.text": ["Vocabulary", "generate"],
    "tfzoo.envs.legacy_gym": ["from_gym"],
    "tfzoo.compiled": ["execution"],
    "tfzoo.vector": ["make_vec"],
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "Agent", "AgentSpec", "Callback", "ConfigError", "History", "LoopState", "Preset",
    "RegistrationError", "RunDirectoryError", "SupervisedTask", "Task", "TaskSpec",
    "TfzooError", "TrainingDivergedError", "Transition", "UnknownNameError", "Vocabulary",
    "agent_registry", "evaluate", "evaluate_run", "evaluation_returns", "execution", "from_gym",
    "generate",
    "load_mnist", "load_run", "load_text", "make", "make_agent", "make_vec",
    "pprint_registry", "register", "register_agent", "registry", "resume_run", "run",
    "seed_everything", "spec", "start_run", "train",
]


def __getattr__(name: str) -> Any:
    """Imports the TensorFlow-backed parts of the API on first use (PEP 562)."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'tfzoo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value
