"""The registry: tasks and agents by name, built with `make` and `make_agent`.

Like Gymnasium's `envs/registration.py`, the registry is a plain dict of frozen specs whose
entry points are `"module:attribute"` strings, so registering imports nothing heavy.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import gymnasium
from gymnasium.envs.registration import EnvSpec

from tfzoo.cards import Card
from tfzoo.config import build_config, check_overrides
from tfzoo.errors import ConfigError, RegistrationError, did_you_mean, unknown

if TYPE_CHECKING:
    from tfzoo.core import Agent

HOW_TO_LIST_TASKS = "Run `tfzoo list` or tfzoo.pprint_registry() to see every task."
HOW_TO_LIST_AGENTS = "See tfzoo.agent_registry for every agent."


@dataclass(frozen=True)
class Preset:
    """A named set of settings for a task, its agent and its training budget.

    Attributes:
        description: One line saying what the preset is, e.g. "the chapter's program".
        task: Keyword arguments for the task's constructor.
        agent: Fields of the agent's config.
        steps: The training budget in steps, or None.
        episodes: The training budget in episodes, or None.
    """

    description: str
    task: Mapping[str, Any] = field(default_factory=dict)
    agent: Mapping[str, Any] = field(default_factory=dict)
    steps: int | None = None
    episodes: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", MappingProxyType(dict(self.task)))
        object.__setattr__(self, "agent", MappingProxyType(dict(self.agent)))


@dataclass(frozen=True)
class TaskSpec:
    """Everything `make` needs to build a task, and what its presets are."""

    id: str
    entry_point: str | Callable[..., gymnasium.Env]
    agent: str
    description: str = ""
    presets: Mapping[str, Preset] = field(default_factory=dict)
    default_preset: str = "default"
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    agent_kwargs: Mapping[str, Any] = field(default_factory=dict)
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    """Task overrides for evaluation, e.g. {"split": "test"}."""
    eval_episodes: int = 1
    eval_interval: int | None = None
    """Steps between greedy evaluations during training whose best policy a run keeps."""
    eval_interval_episodes: int = 10
    """Episodes of each of those evaluations."""
    max_episode_steps: int | None = None
    reward_threshold: float | None = None
    card: Card | None = None
    """What the presets are expected to reach, and the learning check (`tfzoo check`)."""

    def preset(self, name: str | None = None) -> Preset:
        """Returns the preset `name` (the default preset when None)."""
        name = self.default_preset if name is None else name
        if name not in self.presets:
            raise unknown(
                "preset", name, self.presets, "Run `tfzoo list` to see each task's presets.",
                f" for task {self.id!r}",
            )
        return self.presets[name]


@dataclass(frozen=True)
class AgentSpec:
    """An agent by name: a builder `(task, config) -> Agent` and its config dataclass."""

    name: str
    entry_point: str | Callable[..., Any]
    config: str | type
    description: str = ""


registry: dict[str, TaskSpec] = {}
GYMNASIUM_NAMESPACE = "tfzoo"  # Each task is also Gymnasium's "tfzoo/<id>".
agent_registry: dict[str, AgentSpec] = {}


def register(
    id: str,
    entry_point: str | Callable[..., gymnasium.Env],
    *,
    agent: str,
    description: str = "",
    presets: Mapping[str, Preset] | None = None,
    default_preset: str = "default",
    agent_kwargs: Mapping[str, Any] | None = None,
    evaluation: Mapping[str, Any] | None = None,
    eval_episodes: int = 1,
    eval_interval: int | None = None,
    eval_interval_episodes: int = 10,
    max_episode_steps: int | None = None,
    reward_threshold: float | None = None,
    card: Card | None = None,
    **kwargs: Any,
) -> TaskSpec:
    """Registers a task under `id`, with its default agent and presets.

    The task is registered in Gymnasium's registry as well, as "tfzoo/<id>":
    `gymnasium.make("tfzoo/mnist-cnn", preset="handbook")` calls `make` and then adds
    Gymnasium's usual wrappers (its environment checker and order enforcing).

    Args:
        id: The name `make` takes, e.g. "mnist-cnn".
        entry_point: `"module:Class"` (imported on first `make`) or a callable returning the task.
        agent: The name of the task's default agent in `agent_registry`.
        description: One line for `tfzoo list`.
        presets: Named settings; `default_preset` must be one of them. None gives a single
            empty preset named `default_preset`.
        default_preset: The preset used when none is named.
        agent_kwargs: Agent config fields common to every preset.
        evaluation: Task overrides used by the CLI when it evaluates, e.g. {"split": "test"}.
        eval_episodes: How many episodes the CLI evaluates.
        eval_interval: Run directories evaluate the agent greedily every this many
            training steps, with `eval_interval_episodes` episodes, and keep the best policy.
        eval_interval_episodes: Episodes of each of those evaluations.
        max_episode_steps: Wrap the task in `gymnasium.wrappers.TimeLimit` with this limit.
        reward_threshold: The return at which the task counts as solved.
        card: Its reference card (`tfzoo.cards.Card`): the figures its presets reach and a
            short learning check, which `tfzoo check` runs.
        **kwargs: Task constructor arguments common to every preset.

    Raises:
        RegistrationError: `id` is taken, or `default_preset` is not among `presets`.
    """
    if id in registry:
        raise RegistrationError(
            f"Task {id!r} is already registered (entry point {registry[id].entry_point!r}). "
            f"Choose another id, or remove the old one first with tfzoo.registry.pop({id!r})."
        )
    for name, value in (("eval_episodes", eval_episodes), ("eval_interval", eval_interval),
                        ("eval_interval_episodes", eval_interval_episodes)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise RegistrationError(f"Task {id!r}: {name}={value!r} must be a whole number >= 1"
                                    f"{' or None' if name == 'eval_interval' else ''}.")
    presets = dict(presets) if presets else {default_preset: Preset("Default settings.")}
    if default_preset not in presets:
        raise RegistrationError(
            f"Task {id!r}: default_preset={default_preset!r} is not one of its presets "
            f"{sorted(presets)}. Add it to presets or name one of those."
        )
    if card is not None:
        named = {card.check.preset, *card.expected}
        if not named <= set(presets):
            raise RegistrationError(
                f"Task {id!r}: its card names presets {sorted(named - set(presets))} that it "
                f"does not have ({sorted(presets)})."
            )
    registry[id] = TaskSpec(
        id=id, entry_point=entry_point, agent=agent, description=description,
        presets=MappingProxyType(presets), default_preset=default_preset,
        kwargs=MappingProxyType(dict(kwargs)),
        agent_kwargs=MappingProxyType(dict(agent_kwargs or {})),
        evaluation=MappingProxyType(dict(evaluation or {})), eval_episodes=eval_episodes,
        eval_interval=eval_interval, eval_interval_episodes=eval_interval_episodes,
        max_episode_steps=max_episode_steps, reward_threshold=reward_threshold, card=card,
    )
    # Gymnasium's registry too, so `gymnasium.make("tfzoo/<id>")` and its tools work on it.
    gymnasium.register(f"{GYMNASIUM_NAMESPACE}/{id}", entry_point=functools.partial(make, id),
                       reward_threshold=reward_threshold)
    return registry[id]


def register_agent(
    name: str,
    entry_point: str | Callable[..., Any],
    *,
    config: str | type,
    description: str = "",
) -> AgentSpec:
    """Registers an agent under `name`.

    Args:
        name: The name `make_agent` takes, e.g. "supervised".
        entry_point: `"module:function"` or a callable `(task, config) -> Agent`.
        config: `"module:Class"` or the config dataclass whose fields are the agent's overrides.
        description: One line saying what the agent is.

    Raises:
        RegistrationError: `name` is taken.
    """
    if name in agent_registry:
        raise RegistrationError(
            f"Agent {name!r} is already registered (entry point "
            f"{agent_registry[name].entry_point!r}). Choose another name, or remove the old "
            f"one first with tfzoo.agent_registry.pop({name!r})."
        )
    agent_registry[name] = AgentSpec(name, entry_point, config, description)
    return agent_registry[name]


def spec(id: str) -> TaskSpec:
    """Returns the `TaskSpec` registered as `id`; raises `UnknownNameError` with suggestions.

    "tfzoo/<id>", the task's name in Gymnasium's registry, is the task itself. An id that
    tfzoo does not register but Gymnasium does (e.g. "MountainCar-v0") gets a spec too:
    Gymnasium's environment as it is, the "dqn" agent, and no training budget.
    """
    if id in registry:
        return registry[id]
    namespace, _, name = id.partition("/")
    if namespace == GYMNASIUM_NAMESPACE and name in registry:  # Gymnasium's name for it.
        return registry[name]
    if id in gymnasium.registry:
        return gymnasium_task_spec(id)
    among_gymnasium = did_you_mean(id, gymnasium.registry).replace(" Did you", "; did you")
    raise unknown("task", id, registry, f"{HOW_TO_LIST_TASKS} Gymnasium's ids work too"
                  f"{among_gymnasium or '.'}")


def gymnasium_task_spec(id: str) -> TaskSpec:
    """The `TaskSpec` of a Gymnasium environment that tfzoo does not register itself."""

    def make_environment(**kwargs: Any) -> gymnasium.Env:
        try:
            return gymnasium.make(id, **kwargs)
        except TypeError as error:  # A setting the environment does not take.
            raise ConfigError(f"Gymnasium's {id} cannot be made with {kwargs}: {error}. "
                              f"Pass only arguments its constructor takes.") from None

    return TaskSpec(
        id=id, entry_point=make_environment, agent="dqn",
        description=f"Gymnasium's {id}.",
        presets={"default": Preset("Gymnasium's settings; give a budget (--steps N).")},
        eval_episodes=10, reward_threshold=gymnasium.spec(id).reward_threshold,
    )


def make(id: str, *, preset: str | None = None, **overrides: Any) -> gymnasium.Env:
    """Builds the task registered as `id`.

    Args:
        id: A registered task id, e.g. "linear-regression", or a Gymnasium id that tfzoo
            does not register (e.g. "MountainCar-v0"), made by `gymnasium.make`.
        preset: The preset whose task settings to use (the task's default when None).
        **overrides: Task constructor arguments, checked against its type hints.

    Returns:
        The task, a `gymnasium.Env`; `task.spec` is its Gymnasium `EnvSpec`.
    """
    task_spec = spec(id)
    entry = load(task_spec.entry_point)
    settings = {**task_spec.kwargs, **task_spec.preset(preset).task, **overrides}
    kwargs = check_overrides(entry, settings, f"task {id!r}")
    task = entry(**kwargs)
    if id not in registry:
        return task  # A Gymnasium environment, with Gymnasium's own spec.
    task.unwrapped.spec = EnvSpec(
        id=id, entry_point=task_spec.entry_point, kwargs=kwargs,
        max_episode_steps=task_spec.max_episode_steps,
        reward_threshold=task_spec.reward_threshold,
    )
    if task_spec.max_episode_steps is not None:
        task = gymnasium.wrappers.TimeLimit(task, task_spec.max_episode_steps)
    return task


def make_agent(
    name: str, task: gymnasium.Env, preset: str | None = None, **overrides: Any
) -> Agent:
    """Builds an agent for `task`.

    Args:
        name: A task id (builds that task's default agent with the preset's settings) or an
            agent name from `agent_registry` (builds it with its config defaults).
        task: The task the agent will act in; agents read its spaces.
        preset: With a task id, the preset whose agent settings to use (default when None).
        **overrides: Config fields of the agent, checked against their type hints.
    """
    agent_spec, config = resolve_agent(name, preset, **overrides)
    return load(agent_spec.entry_point)(task, config)


def resolve_agent(
    name: str, preset: str | None = None, **overrides: Any
) -> tuple[AgentSpec, Any]:
    """Returns the agent spec and the checked config that `make_agent` would build with."""
    settings = agent_settings(name, preset)
    agent_spec = agent_registry[settings.pop("agent")]
    config = build_config(
        load(agent_spec.config), {**settings, **overrides}, f"agent {agent_spec.name!r}"
    )
    return agent_spec, config


def resolve_named_agent(name: str, **overrides: Any) -> tuple[AgentSpec, Any]:
    """The agent registered as `name`, with its config's defaults and `overrides`.

    Unlike `resolve_agent`, `name` is only ever an agent name, never a task id (a name such
    as "char-rnn" is both).
    """
    if name not in agent_registry:
        raise unknown("agent", name, agent_registry, HOW_TO_LIST_AGENTS)
    agent_spec = agent_registry[name]
    return agent_spec, build_config(load(agent_spec.config), overrides, f"agent {name!r}")


def agent_settings(name: str, preset: str | None = None) -> dict[str, Any]:
    """Returns {"agent": agent name, **config fields} that `make_agent(name, preset=...)` uses."""
    if name in registry or (name not in agent_registry and name in gymnasium.registry):
        task_spec = spec(name)
        if task_spec.agent not in agent_registry:
            raise unknown(
                "agent", task_spec.agent, agent_registry, HOW_TO_LIST_AGENTS,
                f" (the default agent of task {name!r})",
            )
        return {
            "agent": task_spec.agent,
            **task_spec.agent_kwargs,
            **task_spec.preset(preset).agent,
        }
    if name in agent_registry:
        if preset is not None:
            raise ConfigError(
                f"preset={preset!r} was given with agent {name!r}, but presets belong to "
                f"tasks. Pass a task id (e.g. make_agent('linear-regression', task, "
                f"preset={preset!r})) or drop preset=."
            )
        return {"agent": name}
    raise unknown(
        "task or agent", name, [*registry, *agent_registry],
        f"{HOW_TO_LIST_TASKS} {HOW_TO_LIST_AGENTS}",
    )


def config_fields(config: Any) -> dict[str, Any]:
    """An agent config as a plain dict (for config.json and `tfzoo list`)."""
    return {item.name: getattr(config, item.name) for item in dataclasses.fields(config)}


def load(entry_point: str | Callable[..., Any]) -> Any:
    """Imports `"module:attribute"`; callables pass through unchanged."""
    if not isinstance(entry_point, str):
        return entry_point
    module_name, _, attribute = entry_point.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise RegistrationError(
            f"Entry point {entry_point!r} cannot be loaded ({error}). Write it as "
            f"'package.module:Name' and check that the module is importable."
        ) from error


def pprint_registry(print_fn: Callable[[str], Any] = print) -> None:
    """Prints every task with its default agent, presets and description."""
    if not registry:
        print_fn("No tasks are registered.")
        return
    width = max(len(task_id) for task_id in registry)
    for task_id in sorted(registry):
        task_spec = registry[task_id]
        presets = ", ".join(
            f"{name}*" if name == task_spec.default_preset else name for name in task_spec.presets
        )
        print_fn(
            f"{task_id:<{width}}  agent: {task_spec.agent:<10}  presets: {presets:<20}  "
            f"{task_spec.description}"
        )
    print_fn("(* marks the default preset)")
