"""The registry: tasks and agents by name, built with `make` and `make_agent`.

As Gymnasium's `envs/registration.py`: plain dicts of frozen specs, entry points as
"module:attribute" strings (registering imports nothing heavy). Task ids and agent names
never collide. Gymnasium's side ("tfzoo/<id>", its own ids) is `tfzoo.gymnasium_bridge`.
A name that is not registered makes it import the installed plugins (`tfzoo.plugins`) and
look again; "module:id", as in Gymnasium, imports `module` first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import gymnasium

from tfzoo import gymnasium_bridge, plugins
from tfzoo.cards import Card, Evaluation
from tfzoo.config import build_config, check_overrides, load
from tfzoo.errors import ConfigError, RegistrationError, unknown

if TYPE_CHECKING:
    from tfzoo.core import Agent

# What a Gymnasium id that tfzoo does not register trains for, and how its runs evaluate it:
# the budgets rl-baselines3-zoo gives DQN on the classic-control tasks are 50,000-120,000 steps.
GYMNASIUM_STEPS = 100_000
GYMNASIUM_EVALUATION = Evaluation(episodes=10, interval=5_000, interval_episodes=10)
HOW_TO_LIST = "Run `tfzoo list` (or tfzoo.pprint_registry()); tfzoo.agent_registry has the agents."


@dataclass(frozen=True)
class Preset:
    """A named set of settings: `task` constructor arguments, `agent` config fields, and the
    training budget in `steps` or `episodes`; `description` says what it is in one line."""

    description: str
    task: Mapping[str, Any] = field(default_factory=dict)
    agent: Mapping[str, Any] = field(default_factory=dict)
    steps: int | None = None
    episodes: int | None = None

    def __post_init__(self) -> None:
        _freeze(self, "task", "agent")


@dataclass(frozen=True)
class TaskSpec:
    """Everything `make` needs to build a task, its default agent, presets and evaluation."""

    id: str
    entry_point: str | Callable[..., gymnasium.Env]
    agent: str
    description: str = ""
    presets: Mapping[str, Preset] = field(default_factory=dict)
    default_preset: str = "default"
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    agent_kwargs: Mapping[str, Any] = field(default_factory=dict)
    evaluation: Evaluation = Evaluation()
    max_episode_steps: int | None = None
    reward_threshold: float | None = None
    card: Card | None = None
    """What the presets are expected to reach, and the learning check (`tfzoo check`)."""
    source: plugins.Source | None = None
    """Where it was registered: tfzoo, a plugin, or a module of the user's."""
    search_space: Mapping[str, Any] = field(default_factory=dict)
    """`tfzoo tune`'s default search space, as data (see `tfzoo.runs.search_space`)."""

    def __post_init__(self) -> None:
        _freeze(self, "presets", "kwargs", "agent_kwargs", "search_space")
        missing = {self.default_preset, *(self.card.presets() if self.card else ())}
        if missing := sorted(missing - set(self.presets)):
            raise RegistrationError(f"Task {self.id!r} names presets {missing} that it does not "
                                    f"have (it has {sorted(self.presets)}); add them.")

    def preset(self, name: str | None = None) -> Preset:
        """Returns the preset `name` (the default preset when None)."""
        name = self.default_preset if name is None else name
        if name not in self.presets:
            raise unknown("preset", name, self.presets, HOW_TO_LIST, f" for task {self.id!r}")
        return self.presets[name]


@dataclass(frozen=True)
class AgentSpec:
    """An agent by name: a builder `(task, config) -> Agent` and its config dataclass."""

    name: str
    entry_point: str | Callable[..., Any]
    config: str | type
    description: str = ""
    source: plugins.Source | None = None
    """Where it was registered: tfzoo, a plugin, or a module of the user's."""


registry: dict[str, TaskSpec] = {}
agent_registry: dict[str, AgentSpec] = {}


def register(
    id: str, entry_point: str | Callable[..., gymnasium.Env], *, agent: str,
    description: str = "", presets: Mapping[str, Preset] | None = None,
    default_preset: str = "default", agent_kwargs: Mapping[str, Any] | None = None,
    evaluation: Evaluation = Evaluation(), max_episode_steps: int | None = None,
    reward_threshold: float | None = None, card: Card | None = None,
    search_space: Mapping[str, Any] | None = None, **kwargs: Any,
) -> TaskSpec:
    """Registers a task under `id` (and in Gymnasium's registry as "tfzoo/<id>").

    `entry_point` is `"module:Class"` (imported on first `make`) or a callable returning the
    task; `agent` names its default agent; `presets` are named settings (None: one empty
    preset named `default_preset`); `agent_kwargs` and `**kwargs` are agent and task settings
    common to every preset; `max_episode_steps` wraps it in `TimeLimit`; `reward_threshold`
    is the return that counts as solved; `card` holds its expected figures and check;
    `search_space` is what `tfzoo tune` searches by default (`tfzoo.runs.search_space`).
    Raises `RegistrationError` if `id` is taken or a preset it names is missing.
    """
    source = plugins.source_of(entry_point)
    _check_free(id, "Task", source)
    task_spec = TaskSpec(
        id, entry_point, agent, description,
        presets or {default_preset: Preset("Default settings.")}, default_preset, kwargs,
        agent_kwargs or {}, evaluation, max_episode_steps, reward_threshold, card, source,
        search_space or {},
    )
    try:
        gymnasium_bridge.register_in_gymnasium(id, functools.partial(make, id), reward_threshold)
    except gymnasium.error.Error as error:
        raise RegistrationError(f"Task id {id!r} cannot be an id of Gymnasium's too ({error}); "
                                f"use letters, digits, '-', '_' and '.' only.") from None
    registry[id] = task_spec
    plugins.undo_if_import_fails(functools.partial(_forget, registry, id))
    return task_spec


def register_agent(name: str, entry_point: str | Callable[..., Any], *, config: str | type,
                   description: str = "") -> AgentSpec:
    """Registers an agent under `name`: `entry_point` builds it from `(task, config)`, and
    `config` is its config dataclass (or `"module:Class"`), whose fields are its settings."""
    source = plugins.source_of(entry_point)
    _check_free(name, "Agent", source)
    agent_registry[name] = AgentSpec(name, entry_point, config, description, source)
    plugins.undo_if_import_fails(functools.partial(_forget, agent_registry, name))
    return agent_registry[name]


def _forget(names: dict[str, Any], name: str) -> None:
    """Takes back the registration of `name` (and a task's in Gymnasium's registry)."""
    if names.pop(name, None) is not None and names is registry:
        gymnasium_bridge.unregister_from_gymnasium(name)


def _check_free(name: str, kind: str, source: plugins.Source) -> None:
    """Refuses a name that a task or an agent has already: one name, one meaning."""
    if not isinstance(name, str) or not name or ":" in name or "/" in name:
        raise RegistrationError(
            f"{kind} name {name!r} must be a non-empty string without ':' (which separates a "
            f"module from a name, 'module:{kind.lower()}') or '/' (Gymnasium's namespaces).")
    for taken, what in ((registry, "a task"), (agent_registry, "an agent")):
        if name in taken:
            first = plugins.with_distribution(taken[name].source or plugins.Source("?"))
            raise RegistrationError(
                f"{kind} {name!r} is already registered (as {what}, entry point "
                f"{taken[name].entry_point!r}, by {first.describe()}), and "
                f"{plugins.with_distribution(source).describe()} registers it again. Choose "
                f"another name, or remove the old one first with "
                f"tfzoo.{'' if taken is registry else 'agent_'}registry.pop({name!r}).")


def _freeze(spec: Any, *names: str) -> None:
    """Makes the mappings `names` of a frozen dataclass `spec` read-only copies."""
    for name in names:
        object.__setattr__(spec, name, MappingProxyType(dict(getattr(spec, name))))


def spec(id: str) -> TaskSpec:
    """The `TaskSpec` registered as `id` (or as Gymnasium's "tfzoo/<id>"). An id only Gymnasium
    registers (e.g. "MountainCar-v0") gets one too: its environment, the "dqn" agent with its
    own defaults, `GYMNASIUM_STEPS` steps, evaluated as `GYMNASIUM_EVALUATION` says (every
    5,000 steps, keeping the best policy).
    "module:id" imports `module` first, which registers `id`."""
    id = resolve(id)
    own = _registered_task(id)
    if own is not None:
        return own
    if gymnasium_bridge.is_gymnasium_id(id):
        return TaskSpec(
            id, gymnasium_bridge.environment_maker(id), "dqn", f"Gymnasium's {id}.",
            {"default": Preset(f"Gymnasium's settings and the agent's own defaults, "
                               f"{GYMNASIUM_STEPS:,} steps (--steps N for another budget).",
                               steps=GYMNASIUM_STEPS)},
            evaluation=GYMNASIUM_EVALUATION,
            reward_threshold=gymnasium_bridge.reward_threshold(id),
        )
    raise unknown("task", id, registry, f"{HOW_TO_LIST} Gymnasium's ids work too"
                  f"{gymnasium_bridge.close_ids(id)}", plugins.failures_note())


def agent_spec(name: str) -> AgentSpec:
    """The `AgentSpec` registered as `name` ("module:name" imports `module` first)."""
    name = resolve(name)
    if name not in agent_registry:
        raise unknown("agent", name, agent_registry, HOW_TO_LIST, plugins.failures_note())
    return agent_registry[name]


def resolve(name: str) -> str:
    """`name` without its "module:" part, once that module is imported; any name that is not
    registered makes the installed plugins load (`tfzoo.plugins.load_plugins`), once."""
    if not isinstance(name, str):
        raise ConfigError(f"{name!r} is not a task id or agent name; pass a string, e.g. "
                          f"'linear-regression'. {HOW_TO_LIST}")
    module, colon, bare = name.rpartition(":")
    if colon:
        plugins.import_module(module, what=repr(name))
        if not (_registered_task(bare) or bare in agent_registry
                or gymnasium_bridge.is_gymnasium_id(bare)):
            raise unknown("task or agent", bare, [*registry, *agent_registry], HOW_TO_LIST,
                          f" (module {module!r} was imported, but nothing registered {bare!r})")
        return bare
    if not (_registered_task(name) or name in agent_registry):
        plugins.load_plugins()
    return name


def _registered_task(id: str) -> TaskSpec | None:
    return registry.get(id) or registry.get(gymnasium_bridge.tfzoo_id(id) or "")


def make(id: str, *, preset: str | None = None, **overrides: Any) -> gymnasium.Env:
    """Builds the task `id` (or Gymnasium's environment `id`) with the settings of `preset`
    (the default when None) and `overrides`, constructor arguments checked against its hints."""
    task_spec = spec(id)
    entry = load(task_spec.entry_point)
    settings = {**task_spec.kwargs, **task_spec.preset(preset).task, **overrides}
    kwargs = check_overrides(entry, settings, f"task {id!r}")
    task = entry(**kwargs)
    if task_spec.id not in registry:
        return task  # A Gymnasium environment, with Gymnasium's own spec.
    return gymnasium_bridge.with_spec(task, task_spec.id, task_spec.entry_point, kwargs,
                                      task_spec.max_episode_steps, task_spec.reward_threshold)


def make_agent(name: str, task: gymnasium.Env, preset: str | None = None,
               **overrides: Any) -> Agent:
    """Builds an agent for `task`: `name` is a task id (its default agent, with the preset's
    settings) or an agent name (its config's defaults); `overrides` are config fields."""
    chosen, config = agent_config(name, preset, **overrides)
    return load(chosen.entry_point)(task, config)


def agent_config(name: str, preset: str | None = None, **overrides: Any) -> tuple[AgentSpec, Any]:
    """The agent spec and the checked config that `make_agent(name, ...)` builds with."""
    name = resolve(name)
    if name in agent_registry:
        if preset is not None:
            raise ConfigError(f"preset={preset!r} was given with agent {name!r}, but presets "
                              f"belong to tasks. Pass a task id instead, or drop preset=.")
        chosen, settings = agent_registry[name], {}
    elif _registered_task(name) or gymnasium_bridge.is_gymnasium_id(name):
        task_spec = spec(name)
        agent_name = resolve(task_spec.agent)  # Its agent may come from a plugin.
        if agent_name not in agent_registry:
            raise unknown("agent", agent_name, agent_registry, HOW_TO_LIST,
                          f" (the default agent of task {name!r}){plugins.failures_note()}")
        chosen = agent_registry[agent_name]
        settings = {**task_spec.agent_kwargs, **task_spec.preset(preset).agent}
    else:
        raise unknown("task or agent", name, [*registry, *agent_registry], HOW_TO_LIST,
                      plugins.failures_note())
    where = f"agent {chosen.name!r}"
    return chosen, build_config(load(chosen.config), {**settings, **overrides}, where)
