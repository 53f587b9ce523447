"""Search spaces for `tfzoo tune`, written as data and checked before any trial runs.

A space maps a setting, `agent.<field>` or `task.<argument>`, to one distribution:

    {"agent.learning_rate": {"float": [1e-4, 1e-2], "log": true},
     "agent.units": {"int": [64, 512], "step": 64},
     "agent.optimizer": {"categorical": ["adam", "sgd"]}}

A task's default space is its registration's `search_space`; `--space FILE` (YAML or JSON)
adds to it or replaces it. This module parses and checks spaces and turns an Optuna trial's
suggestions into settings; it does not run trials (that is `tfzoo.runs.tuning`).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfzoo.config import describe, load, matches, parameter_hints, takes_any_keyword
from tfzoo.errors import ConfigError, unknown
from tfzoo.registration import agent_spec, spec

KINDS = ("float", "int", "categorical")
OPTIONS = {"float": {"log", "step"}, "int": {"log", "step"}, "categorical": set()}
HOW_TO_WRITE = ('write e.g. {"agent.learning_rate": {"float": [0.0001, 0.01], "log": true}}, '
                '{"agent.units": {"int": [64, 512], "step": 64}} or {"agent.optimizer": '
                '{"categorical": ["adam", "sgd"]}}')


@dataclass(frozen=True)
class Dimension:
    """One setting's distribution: a float or int range (`low`, `high`, `log`, `step`), or
    the `choices` of a categorical one."""

    where: str
    """"agent" or "task": whose setting it is."""
    name: str
    """The setting's name."""
    kind: str
    """"float", "int" or "categorical"."""
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any) -> Any:
        """The value an Optuna trial suggests for this setting."""
        key = f"{self.where}.{self.name}"
        if self.kind == "categorical":
            if all(choice is None or isinstance(choice, (bool, int, float, str))
                   for choice in self.choices):
                return trial.suggest_categorical(key, list(self.choices))
            # Optuna stores only plain choices: others (e.g. layer sizes) go as JSON text.
            text = trial.suggest_categorical(key, [json.dumps(choice) for choice in self.choices])
            return json.loads(text)
        if self.kind == "int":
            return trial.suggest_int(key, int(self.low), int(self.high), log=self.log,
                                     step=int(self.step or 1))
        return trial.suggest_float(key, self.low, self.high, log=self.log, step=self.step)


def read_space_file(path: str | Path) -> dict[str, Any]:
    """The space in a YAML (.yaml, .yml) or JSON file, as data, not yet checked.

    Raises:
        ConfigError: The file cannot be read or parsed, or is not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            import yaml  # Optuna's own dependency: present wherever `tfzoo tune` runs.

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (OSError, ValueError, ImportError) as error:
        raise ConfigError(f"--space {str(path)!r} cannot be read as "
                          f"{'YAML' if path.suffix in ('.yaml', '.yml') else 'JSON'}: "
                          f"{error}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"--space {str(path)!r} holds a {type(data).__name__}, not a space: "
                          f"{HOW_TO_WRITE}.")
    return dict(data)


def parse_space(task_id: str, agent: str, space: Mapping[str, Any]) -> dict[str, Dimension]:
    """The checked dimensions of `space` for the task and agent: every name is one of their
    settings, every distribution well formed, and every value it can take of the type the
    setting accepts (as `--set` checks them).

    Raises:
        ConfigError: The first bad entry, in one paragraph saying how to write it.
    """
    if not space:
        raise ConfigError(f"The search space is empty; {HOW_TO_WRITE}.")
    task_entry = load(spec(task_id).entry_point)
    hints = {"task": parameter_hints(task_entry),
             "agent": parameter_hints(load(agent_spec(agent).config))}
    open_task = takes_any_keyword(task_entry)
    dimensions = {}
    for key, distribution in space.items():
        where, _, name = str(key).partition(".")
        if where not in hints or not name:
            raise ConfigError(f"Search space entry {key!r}: name it agent.<setting> or "
                              f"task.<setting>, e.g. agent.learning_rate.")
        if name not in hints[where] and not (where == "task" and open_task):
            raise unknown(f"{where} setting", name, hints[where],
                          "Those are all the settings it takes.", " in the search space")
        dimension = _dimension(key, where, name, distribution)
        _check_types(key, dimension, hints[where].get(name))
        dimensions[key] = dimension
    return dimensions


def _dimension(key: str, where: str, name: str, distribution: Any) -> Dimension:
    """The `Dimension` an entry of a space describes, or a ConfigError saying what is wrong."""
    kinds = [kind for kind in KINDS if isinstance(distribution, Mapping) and kind in distribution]
    if len(kinds) != 1:
        raise ConfigError(f"Search space entry {key!r}: {distribution!r} is not one "
                          f"distribution; {HOW_TO_WRITE}.")
    kind = kinds[0]
    extra = set(distribution) - {kind} - OPTIONS[kind]
    if extra:
        raise ConfigError(f"Search space entry {key!r}: {kind} takes "
                          f"{', '.join(sorted(OPTIONS[kind])) or 'no options'}, not "
                          f"{', '.join(sorted(extra))}.")
    values = distribution[kind]
    if kind == "categorical":
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(f"Search space entry {key!r}: categorical takes a list of one or "
                              f"more choices, not {values!r}.")
        return Dimension(where, name, kind, choices=tuple(values))
    return _range(key, where, name, kind, values, distribution)


def _range(key, where, name, kind, values, distribution) -> Dimension:
    """A float or int `Dimension` from [low, high] and its options, checked."""
    number = numbers.Integral if kind == "int" else numbers.Real
    if (not isinstance(values, (list, tuple)) or len(values) != 2
            or not all(isinstance(value, number) and not isinstance(value, bool)
                       and math.isfinite(value) for value in values)):
        raise ConfigError(f"Search space entry {key!r}: {kind} takes [low, high], two "
                          f"{'whole ' if kind == 'int' else ''}numbers, not {values!r}.")
    low, high = values
    log, step = distribution.get("log", False), distribution.get("step")
    if not low <= high:
        raise ConfigError(f"Search space entry {key!r}: low {low!r} is above high {high!r}.")
    if log not in (True, False) or (log and low <= 0):
        raise ConfigError(f"Search space entry {key!r}: log must be true or false, and a log "
                          f"range must be above 0 (got log={log!r}, low={low!r}).")
    if step is not None and (not isinstance(step, number) or isinstance(step, bool)
                             or step <= 0 or log):
        raise ConfigError(f"Search space entry {key!r}: step must be a number above 0, and "
                          f"cannot go with log (got step={step!r}, log={log!r}).")
    return Dimension(where, name, kind, low=low, high=high, log=bool(log), step=step)


def _check_types(key: str, dimension: Dimension, hint: Any) -> None:
    """Refuses a dimension whose values the setting does not accept (as `--set` would)."""
    if hint is None:
        return  # A task that takes **kwargs: its settings cannot be checked here.
    samples = (dimension.choices if dimension.kind == "categorical" else
               (int(dimension.low), int(dimension.high)) if dimension.kind == "int" else
               (float(dimension.low), float(dimension.high)))
    for value in samples:
        if not matches(value, hint):
            raise ConfigError(f"Search space entry {key!r} can give {value!r}, but "
                              f"{dimension.name} takes {describe(hint)}; change its "
                              f"distribution to values of that type.")


def suggested_settings(trial: Any, dimensions: Mapping[str, Dimension]
                       ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (task, agent) settings an Optuna trial suggests for `dimensions`."""
    settings: dict[str, dict[str, Any]] = {"task": {}, "agent": {}}
    for dimension in dimensions.values():
        settings[dimension.where][dimension.name] = dimension.suggest(trial)
    return settings["task"], settings["agent"]
