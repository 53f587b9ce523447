"""Plugins: packages that add tasks and agents to tfzoo from outside, and where each
registration came from. It finds and imports modules; the registry itself is
`tfzoo.registration`'s.

A package declares a plugin module in the "tfzoo.plugins" entry-point group of its
pyproject.toml, as pytest plugins do:

    [project.entry-points."tfzoo.plugins"]
    reinforce = "tfzoo_reinforce.plugin"

`import tfzoo` imports no plugin. The first time a task or agent name is not found among
those registered, the registry calls `load_plugins`, which imports every plugin module;
their `register(...)` calls do the rest. A plugin that fails to import is reported in one
warning line, naming it, and skipped. `TFZOO_DISABLE_PLUGIN_AUTOLOAD=1` turns the loading
off (as pytest's PYTEST_DISABLE_PLUGIN_AUTOLOAD does), e.g. for a test suite that must not
depend on what is installed. `import_module` imports one module by name (the
`--import MODULE` option and Gymnasium's "module:id" syntax), the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from tfzoo.errors import ConfigError, TfzooWarning
from tfzoo.version import __version__

GROUP = "tfzoo.plugins"
"""The entry-point group a plugin package declares its module in."""
DISABLE_AUTOLOAD = "TFZOO_DISABLE_PLUGIN_AUTOLOAD"
"""An environment variable: set (to anything but "" or "0"), no plugin is loaded by itself."""


class PluginWarning(TfzooWarning):
    """A plugin that could not be imported, and was skipped."""


@dataclass(frozen=True)
class Source:
    """Where a registered task or agent came from: the module that registered it, and the
    plugin and distribution (installed package) it belongs to, when known."""

    module: str
    """The module that was being imported when it registered, or its entry point's module."""
    plugin: str | None = None
    """The plugin's name in the "tfzoo.plugins" group; None when not loaded as a plugin."""
    distribution: str | None = None
    """The installed package that holds `module`, e.g. "tfzoo-reinforce"; None if none does."""
    version: str | None = None
    """That package's version."""

    def describe(self) -> str:
        """In a few words, e.g. "plugin 'reinforce' (tfzoo-reinforce 0.1.0)"."""
        package = f"{self.distribution} {self.version}" if self.distribution else "no package"
        if self.plugin is not None:
            return f"plugin {self.plugin!r} ({package})"
        if self.distribution == "tfzoo":
            return "tfzoo"
        return f"module {self.module!r} ({package})"

    def as_json(self) -> dict[str, Any]:
        """As config.json records it."""
        return asdict(self)


@dataclass
class _Loading:
    """What this process has imported: whether the plugins are loaded, what failed, and the
    source of the module being imported now (registrations made meanwhile come from it)."""

    plugins_loaded: bool = False
    failures: dict[str, str] = field(default_factory=dict)
    importing: Source | None = None
    undo: list[Callable[[], None]] = field(default_factory=list)
    """How to take back each registration made by the module being imported, if it fails."""


_loading = _Loading()


def load_plugins() -> bool:
    """Imports every installed plugin module, once per process.

    Returns:
        True if this call imported them; False if they were imported before, or loading
        them is turned off (`DISABLE_AUTOLOAD`).
    """
    if _loading.plugins_loaded or os.environ.get(DISABLE_AUTOLOAD, "0") not in ("", "0"):
        return False
    _loading.plugins_loaded = True  # First: a plugin that looks a name up loads none again.
    try:
        _import_plugins()
    except BaseException:  # Ctrl-C: the next lookup tries them all again.
        _loading.plugins_loaded = False
        raise
    return True


def _import_plugins() -> None:
    """Imports each installed plugin (in order of package and plugin name, so that which of
    two claiming one name gets it does not depend on how the file system lists them); one
    that fails is reported and skipped, and what it registered is taken back."""
    for source in installed_plugins():
        try:
            with _importing(source):
                importlib.import_module(source.module)
        except Exception as error:  # noqa: BLE001  Any error of a plugin must not break tfzoo.
            message = (f"{source.describe()}, module {source.module!r}, failed to import and "
                       f"was skipped: {type(error).__name__}: {error}")
            _loading.failures[f"{source.distribution}:{source.plugin}"] = message
            warnings.warn(PluginWarning(
                f"{message}. Fix or reinstall {source.distribution or source.module}, or "
                f"uninstall it."), stacklevel=4)


def installed_plugins() -> list[Source]:
    """The plugins installed here, in the order they load, without importing them."""
    return [Source(entry_point.module, entry_point.name, *_package(entry_point))
            for entry_point in sorted(importlib.metadata.entry_points(group=GROUP),
                                      key=_package_order)]


def failures_note() -> str:
    """' (plugin ... failed to import ...; ...)' for the plugins that failed to import in this
    process, to follow an error about a name that is not registered; '' if none failed."""
    failures = list(_loading.failures.values())
    return f" ({'; '.join(failures)})" if failures else ""


def import_module(name: str, *, what: str = "--import") -> None:
    """Imports the module `name`, whose `register(...)` calls add tasks and agents, recording
    it as their source.

    Args:
        name: A module's dotted name, e.g. "my_package.tasks".
        what: What asked for it, for the error (e.g. "--import", or a "module:id").

    Raises:
        ConfigError: No module `name` can be found, or it raised while it was imported (the
            error names the exception and where it was raised).
    """
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise ConfigError(f"{what}: {name!r} is not a module's dotted name, e.g. "
                          f"'my_package.tasks'.")
    if name in sys.modules:
        return  # Imported before: its registrations are there already.
    distribution = distribution_of(name)
    source = Source(name, None, *(distribution or (None, None)))
    try:
        with _importing(source):
            importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and not _is_part_of(error.name, name):
            raise _failed(name, what, error) from error  # Something `name` imports is missing.
        hint = f" Drop the '.py': --import {name[:-3]}." if name.endswith(".py") else ""
        raise ConfigError(
            f"{what}: no module named {name!r} can be imported here (from the current folder "
            f"{os.getcwd()!r}, {sys.path[0] or '.'!r} and the installed packages). Install the "
            f"package that holds it (pip install -e PATH), or check the name.{hint}") from None
    except Exception as error:  # noqa: BLE001  The user's module: said in one paragraph.
        raise _failed(name, what, error) from error


def _failed(name: str, what: str, error: Exception) -> ConfigError:
    """The error for module `name` raising `error` while it was imported."""
    where = traceback.extract_tb(error.__traceback__)[-1]
    return ConfigError(
        f"{what}: importing {name!r} raised {type(error).__name__}: {error} (at "
        f"{where.filename}:{where.lineno}). Fix the module; `python -c 'import {name}'` shows "
        f"the whole traceback.")


def source_of(entry_point: str | Callable[..., Any]) -> Source:
    """Where a registration with `entry_point` comes from: the module being imported by
    `load_plugins` or `import_module`, or else the entry point's own module."""
    if _loading.importing is not None:
        return _loading.importing
    module = (entry_point.partition(":")[0] if isinstance(entry_point, str)
              else getattr(entry_point, "__module__", None) or "__main__")
    return Source(module)


def with_distribution(source: Source) -> Source:
    """`source` with its distribution and version looked up, if it has none yet."""
    if source.distribution is not None:
        return source
    distribution = distribution_of(source.module)
    return source if distribution is None else Source(source.module, source.plugin, *distribution)


def distribution_of(module: str) -> tuple[str, str] | None:
    """The installed package (name, version) that holds `module`, or None."""
    top = module.partition(".")[0]
    if top == "tfzoo":  # Quicker, and an editable install may not list its package.
        return "tfzoo", __version__
    for name in importlib.metadata.packages_distributions().get(top, []):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return name, importlib.metadata.version(name)
    return None


def installed_version(distribution: str) -> str | None:
    """The version of the installed package `distribution`, or None if it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _package(entry_point: importlib.metadata.EntryPoint) -> tuple[str | None, str | None]:
    """The (name, version) of the installed package that declares `entry_point`."""
    distribution = getattr(entry_point, "dist", None)
    return (distribution.name, distribution.version) if distribution else (None, None)


def _package_order(entry_point: importlib.metadata.EntryPoint) -> tuple[str, str]:
    return (_package(entry_point)[0] or "", entry_point.name)


def undo_if_import_fails(undo: Callable[[], None]) -> None:
    """Has `undo` run if the plugin or module being imported now fails, so that a module that
    raises halfway leaves none of its registrations behind (the registry calls this)."""
    if _loading.importing is not None:
        _loading.undo.append(undo)


@contextlib.contextmanager
def _importing(source: Source) -> Iterator[None]:
    """Registrations made inside come from `source`; all are taken back if it raises."""
    outer = _loading.importing, _loading.undo
    _loading.importing, _loading.undo = source, []
    try:
        yield
    except BaseException:
        for undo in reversed(_loading.undo):
            undo()
        raise
    finally:
        _loading.importing, _loading.undo = outer


def _is_part_of(missing: str, name: str) -> bool:
    """Whether the missing module `missing` is `name` or one of its parent packages."""
    return name == missing or name.startswith(f"{missing}.")
