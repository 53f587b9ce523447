"""Settings: overrides checked against the type hints of a task's constructor or an agent's
config dataclass, `--set` values parsed, and `"module:attribute"` entry points loaded.

Building tasks and agents from them is `tfzoo.registration`'s job.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import numbers
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tfzoo.errors import ConfigError, RegistrationError, unknown


def parameter_hints(target: Callable[..., Any]) -> dict[str, Any]:
    """Returns {name: type hint} of the keyword arguments `target` accepts.

    `target` is a config dataclass (its fields) or a callable such as a task class (the
    parameters of its constructor). Parameters without a hint map to `typing.Any`.
    """
    if dataclasses.is_dataclass(target):
        hints = typing.get_type_hints(target)
        return {field.name: hints.get(field.name, Any) for field in dataclasses.fields(target)}
    function = target.__init__ if inspect.isclass(target) else target
    hints = typing.get_type_hints(function)
    return {
        name: hints.get(name, Any)
        for name, parameter in inspect.signature(function).parameters.items()
        if name != "self"
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    }


def check_overrides(
    target: Callable[..., Any], values: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """Checks every name and type in `values` against `target`; returns them with ints widened.

    Args:
        target: A config dataclass or a callable (see `parameter_hints`).
        values: The keyword arguments to check.
        where: Names the thing being configured in error messages, e.g. "task 'mnist-cnn'".

    Raises:
        UnknownNameError: A name `target` does not accept.
        ConfigError: A value whose type does not match the hint.
    """
    hints = parameter_hints(target)
    open_ended = takes_any_keyword(target)
    checked = {}
    for name, value in values.items():
        if name not in hints and open_ended:
            checked[name] = value  # Passed on to a **kwargs that can't be checked here.
            continue
        if name not in hints:
            raise unknown(
                "override", name, hints, "Those are all the names it takes.", f" for {where}"
            )
        hint = hints[name]
        if not matches(value, hint):
            raise ConfigError(
                f"Override {name}={value!r} for {where} has type {type(value).__name__}, "
                f"but {name} takes {describe(hint)}. Pass a value of that type."
            )
        is_float_only = hint is float or (
            _is_union(hint) and float in typing.get_args(hint) and int not in typing.get_args(hint)
        )
        is_whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        checked[name] = float(value) if is_float_only and is_whole else value
    return checked


def full_kwargs(target: Callable[..., Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` completed with the defaults of every other parameter `target` takes."""
    function = target.__init__ if inspect.isclass(target) else target
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    return {**defaults, **values}


def build_config(config_class: type, values: Mapping[str, Any], where: str) -> Any:
    """Builds `config_class(**values)` after `check_overrides`; dataclass defaults fill the rest."""
    return config_class(**check_overrides(config_class, values, where))


def matches(value: Any, hint: Any) -> bool:
    """True when `value` fits the type hint `hint` (ints fit `float`; bools fit only `bool`)."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if _is_union(hint):
        return any(matches(value, arm) for arm in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if origin in (tuple, list, Sequence):
        if not isinstance(value, (tuple, list)):
            return False
        arms = [arm for arm in typing.get_args(hint) if arm is not Ellipsis]
        return all(matches(item, arms[0]) for item in value) if len(arms) == 1 else True
    if origin is not None:
        return isinstance(value, origin) if isinstance(origin, type) else True
    return isinstance(value, hint) if isinstance(hint, type) else True


def describe(hint: Any) -> str:
    """A short readable name for a type hint, e.g. 'float', 'one of 'a', 'b'', 'int or None'."""
    if _is_union(hint):
        return " or ".join(describe(arm) for arm in typing.get_args(hint))
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(repr(choice) for choice in typing.get_args(hint))
    if hint is type(None):
        return "None"
    return getattr(hint, "__name__", str(hint))


def parse_value(text: str) -> Any:
    """Parses a command-line value: a Python literal (1, 0.5, True, None, [1, 2]), else a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parses `key=value` from `--set`; raises ConfigError naming the bad text."""
    key, separator, value = text.partition("=")
    if not separator or not key.strip():
        raise ConfigError(
            f"--set {text!r} is not of the form key=value; write e.g. --set learning_rate=0.01."
        )
    return key.strip(), parse_value(value.strip())


def takes_any_keyword(target: Callable[..., Any]) -> bool:
    """Whether `target` (a callable, not a config dataclass) takes **kwargs."""
    if dataclasses.is_dataclass(target):
        return False
    function = target.__init__ if inspect.isclass(target) else target
    return any(
        parameter.kind is parameter.VAR_KEYWORD
        for parameter in inspect.signature(function).parameters.values()
    )


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


def config_fields(config: Any) -> dict[str, Any]:
    """An agent config as a plain dict (for config.json and `tfzoo list`)."""
    return {item.name: getattr(config, item.name) for item in dataclasses.fields(config)}


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def declared_names(entry_point: str | Callable[..., Any]) -> set[str] | None:
    """The keyword names a config dataclass or a task's constructor (an entry point
    `"module:Name"`) takes, as `parameter_hints` gives them, but read from the module's
    source without importing it: the command line checks `--set` names before TensorFlow
    is imported. None when the source does not tell: a callable rather than an entry point,
    `**kwargs`, a base class or constructor it cannot follow, or no source."""
    if not isinstance(entry_point, str) or ":" not in entry_point:
        return None
    module_name, _, name = entry_point.partition(":")
    try:
        found = importlib.util.find_spec(module_name)
        tree = ast.parse(Path(found.origin).read_text(encoding="utf-8"))
    except (ImportError, AttributeError, TypeError, OSError, SyntaxError, ValueError):
        return None  # Not found, not a file of source, or source that does not parse.
    definitions = {node.name: node for node in tree.body
                   if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    imported = {alias.asname or alias.name: f"{node.module}:{alias.name}" for node in tree.body
                if isinstance(node, ast.ImportFrom) and node.level == 0 for alias in node.names}
    return _declared(definitions.get(name), definitions, imported)


def _declared(node: ast.AST | None, definitions: dict[str, Any],
              imported: dict[str, str]) -> set[str] | None:
    """The names the class or function `node` takes (see `declared_names`), or None."""
    if isinstance(node, ast.FunctionDef):
        arguments = node.args
        return None if arguments.kwarg else {
            argument.arg for argument in [*arguments.args, *arguments.kwonlyargs]
            if argument.arg != "self"}
    if not isinstance(node, ast.ClassDef):
        return None
    if not any("dataclass" in ast.unparse(decorator) for decorator in node.decorator_list):
        constructor = next((item for item in node.body if isinstance(item, ast.FunctionDef)
                            and item.name == "__init__"), None)
        return _declared(constructor, definitions, imported)
    names = {item.target.id for item in node.body if isinstance(item, ast.AnnAssign)
             and isinstance(item.target, ast.Name) and "ClassVar" not in ast.unparse(item)}
    for base in node.bases:  # A dataclass has its bases' fields too.
        base_name = base.id if isinstance(base, ast.Name) else None
        inherited = (_declared(definitions[base_name], definitions, imported)
                     if base_name in definitions else
                     declared_names(imported[base_name]) if base_name in imported else None)
        if inherited is None:
            return None
        names |= inherited
    return names
