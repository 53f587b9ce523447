"""The chapter's models, one file per chapter program, and the names agents know them by.

Models are named the way tasks and agents are: `register_model(name, "module:Class",
**defaults)` puts a name in `model_registry`, and an agent's `model=` setting takes the
name. Registering imports nothing heavy; `make_model` imports and builds. The models
themselves are plain Keras and know nothing of tasks, agents or the loop:

- `linear.py`: the linear regression model `Linear` and the custom layer `LinearLayer`;
- `mnist.py`: the multilayer perceptron `MLP` and the convolutional `CNN`;
- `char_rnn.py`: the chapter's `RNN`, its faster twin `FastRNN`, and the tuned `CharLSTM`;
- `dqn.py`: the `QNetwork` the DQN agent learns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tfzoo.config import load
from tfzoo.errors import RegistrationError, unknown
from tfzoo.plugins import load_plugins


@dataclass(frozen=True)
class ModelSpec:
    """A model by name: what builds it and the settings it is built with."""

    name: str
    entry_point: str | Callable[..., Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


model_registry: dict[str, ModelSpec] = {}


def register_model(
    name: str, entry_point: str | Callable[..., Any], *, description: str = "", **kwargs: Any
) -> ModelSpec:
    """Names a model, so that agents take it as `model=name` (and config.json records it).

    Args:
        name: The name, e.g. "mlp-tuned".
        entry_point: `"module:Class"` (imported on first use) or a callable returning a
            Keras model.
        description: One line saying what the model is.
        **kwargs: Constructor arguments, e.g. `dropout=0.2`.

    Raises:
        RegistrationError: `name` is taken.
    """
    if name in model_registry:
        raise RegistrationError(
            f"Model {name!r} is already registered (entry point "
            f"{model_registry[name].entry_point!r}). Choose another name, or remove the old "
            f"one first with tfzoo.model_registry.pop({name!r})."
        )
    model_registry[name] = ModelSpec(name, entry_point, MappingProxyType(kwargs), description)
    return model_registry[name]


def model_spec(name: str) -> ModelSpec:
    """The `ModelSpec` registered as `name` (a plugin's: once plugins are loaded); an unknown
    name is an error naming the closest."""
    if name not in model_registry:
        load_plugins()
    if name not in model_registry:
        raise unknown("model", name, model_registry,
                      "Register your own with tfzoo.register_model, or pass a Keras model.")
    return model_registry[name]


def make_model(name: str, **kwargs: Any) -> Any:
    """Builds the model registered as `name`, with `kwargs` on top of its registered settings."""
    chosen = model_spec(name)
    return load(chosen.entry_point)(**{**chosen.kwargs, **kwargs})


register_model("linear", "tfzoo.models.linear:Linear",
               description="The chapter's linear model: a zero-initialised Dense(1).")
register_model("linear-layer", "tfzoo.models.linear:Linear", custom_layer=True,
               description="The same, with the chapter's custom LinearLayer.")
register_model("mlp", "tfzoo.models.mnist:MLP",
               description="The chapter's MLP: Dense 100 ReLU, Dense 10.")
register_model("mlp-tuned", "tfzoo.models.mnist:MLP", hidden_units=(512, 512), dropout=0.2,
               shift=0.08, description="Two hidden layers of 512, dropout, random shifts.")
register_model("cnn", "tfzoo.models.mnist:CNN",
               description="The chapter's CNN: two 5x5 conv + pool, Dense 1024, Dense 10.")
register_model("cnn-tuned", "tfzoo.models.mnist:CNN", dropout=0.5, shift=0.08,
               description="The chapter's CNN with dropout and random shifts.")
register_model("rnn", "tfzoo.models.char_rnn:RNN",
               description="The chapter's RNN as written: one-hot LSTMCell steps.")
register_model("rnn-fast", "tfzoo.models.char_rnn:FastRNN",
               description="The chapter's RNN, the same numbers faster.")
register_model("char-lstm", "tfzoo.models.char_rnn:CharLSTM",
               description="Embedding, LSTM layers and Dense at every position.")
register_model("q-network", "tfzoo.models.dqn:QNetwork",
               description="The chapter's Q-network: Dense ReLU layers, then one Q per action.")
