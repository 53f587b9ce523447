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

from tfzoo.cards import Evaluation
from tfzoo.errors import (
    ConfigError,
    ExportError,
    RegistrationError,
    RunDirectoryError,
    RunDirectoryWarning,
    TfzooError,
    TfzooWarning,
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
    register,
    register_agent,
    registry,
    spec,
)
from tfzoo.version import __version__

# Register the built-in models, agents and tasks (registration imports nothing heavy).
from tfzoo.models import ModelSpec, make_model, model_registry, register_model  # isort: skip
import tfzoo.agents  # noqa: E402,F401  isort: skip
import tfzoo.envs  # noqa: E402,F401  isort: skip

if TYPE_CHECKING:
    from tfzoo.compiled import execution
    from tfzoo.core import Agent, Task, Transition
    from tfzoo.data import load_mnist, load_text
    from tfzoo.exporting import export
    from tfzoo.legacy_gym import from_gym
    from tfzoo.loop import Callback, History, LoopState, evaluate, evaluation_returns, run, train
    from tfzoo.runs.experiment import evaluate_run, load_run, resume_run, start_run
    from tfzoo.runs.exports import export_run
    from tfzoo.runs.recheck import recheck
    from tfzoo.runs.run_config import RunConfig
    from tfzoo.runs.tuning import tune
    from tfzoo.seeding import seed_everything
    from tfzoo.supervised import SupervisedTask
    from tfzoo.text import Vocabulary, generate
    from tfzoo.tools.listing import pprint_registry
    from tfzoo.vector import make_vec

_LAZY = {
    "tfzoo.core": ["Agent", "Task", "Transition"],
    "tfzoo.loop": ["Callback", "History", "LoopState", "evaluate", "evaluation_returns", "run",
                   "train"],
    "tfzoo.seeding": ["seed_everything"],
    "tfzoo.supervised": ["SupervisedTask"],
    "tfzoo.runs.experiment": ["evaluate_run", "load_run", "resume_run", "start_run"],
    "tfzoo.runs.exports": ["export_run"],
    "tfzoo.runs.tuning": ["tune"],
    "tfzoo.runs.recheck": ["recheck"],
    "tfzoo.exporting": ["export"],
    "tfzoo.runs.run_config": ["RunConfig"],
    "tfzoo.data": ["load_mnist", "load_text"],
    "tfzoo.text": ["Vocabulary", "generate"],
    "tfzoo.legacy_gym": ["from_gym"],
    "tfzoo.compiled": ["execution"],
    "tfzoo.vector": ["make_vec"],
    "tfzoo.tools.listing": ["pprint_registry"],
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "Agent", "AgentSpec", "Callback", "ConfigError", "Evaluation", "ExportError", "History",
    "LoopState",
    "ModelSpec", "Preset", "RegistrationError", "RunConfig", "RunDirectoryError",
    "RunDirectoryWarning", "SupervisedTask",
    "Task", "TaskSpec", "TfzooError", "TfzooWarning", "TrainingDivergedError", "Transition",
    "UnknownNameError",
    "Vocabulary", "__version__", "agent_registry", "evaluate", "evaluate_run",
    "evaluation_returns", "execution", "export", "export_run", "from_gym", "generate",
    "load_mnist", "load_run", "load_text", "make", "make_agent", "make_model", "make_vec",
    "model_registry", "pprint_registry", "recheck", "register", "register_agent",
    "register_model", "registry", "resume_run", "run", "seed_everything", "spec", "start_run",
    "train", "tune",
]


def __getattr__(name: str) -> Any:
    """Imports the TensorFlow-backed parts of the API on first use (PEP 562)."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'tfzoo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value
