"""Where a run's task and agent came from (tfzoo, a plugin, a module of the user's), as its
config.json records it, and the check, before a run is rebuilt, that they are here.

What is recorded is only ever shown, never imported: a run directory may come from someone
else. A task or agent that is not registered here gets an error naming the package to
install or the module to `--import`; installed plugins load by themselves (`tfzoo.plugins`).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from typing import Any

from tfzoo.errors import RunDirectoryError, RunDirectoryWarning, UnknownNameError
from tfzoo.plugins import Source, failures_note, installed_version, with_distribution
from tfzoo.registration import agent_spec, spec

OPTIONAL = ("plugin", "distribution", "version")
PATTERNS = {  # What a module, a plugin, a package and a version may be.
    "module": re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*"),
    "plugin": re.compile(r"[\w.-]+"),
    "distribution": re.compile(r"[A-Za-z0-9]([\w.-]*[A-Za-z0-9])?"),
    "version": re.compile(r"[\w.+!-]+"),
}


def sources_record(task_id: str, agent_name: str) -> dict[str, Any]:
    """config.json's "sources": {"task": ..., "agent": ...}, each a `Source` as JSON (None for
    a Gymnasium environment that no module of tfzoo's registered)."""
    return {"task": _as_json(spec(task_id).source),
            "agent": _as_json(agent_spec(agent_name).source)}


def check_sources(config: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Refuses a run whose task or agent is not registered here, saying where it came from and
    what to install; warns when the package that provides it has another version here.

    Raises:
        RunDirectoryError: The task or agent is not registered, even after loading plugins.
    """
    recorded = config.get("sources") if isinstance(config.get("sources"), dict) else {}
    for kind, name in (("task", config["task"]), ("agent", config["agent"])):
        source = _from_json(recorded.get(kind))
        try:
            spec(name) if kind == "task" else agent_spec(name)
        except UnknownNameError:
            raise RunDirectoryError(
                f"The run in {str(path)!r} trained the {kind} {name!r}, which is not registered "
                f"here. {_how_to_get(source)}{failures_note()}") from None
        if source is not None and source.distribution not in (None, "tfzoo") and source.version:
            here = installed_version(source.distribution)
            if here is not None and here != source.version:
                warnings.warn(RunDirectoryWarning(
                    f"{path} trained its {kind} {name!r} with {source.distribution} "
                    f"{source.version}, and {here} is installed here; its figures may differ."),
                    stacklevel=3)


def _how_to_get(source: Source | None) -> str:
    """What to install or import for the task or agent `source` registered."""
    if source is None:
        return ("config.json does not say where it came from (an older run, or it is damaged). "
                "Install the plugin that provides it, or pass --import MODULE, the module that "
                "registers it.")
    if source.module == "__main__":
        return ("It was registered by a script or notebook (__main__): register it there "
                "again first, or move the registration into a module and pass --import MODULE.")
    if source.distribution is not None:
        where = f"plugin {source.plugin!r} of " if source.plugin else ""
        pinned = f"{source.distribution}=={source.version}" if source.version else ""
        fix = (f"Install {source.distribution} (pip install '{pinned or source.distribution}', "
               f"or pip install -e the folder that holds it)")
        then = "" if source.plugin else f" and pass --import {source.module}"
        package = f"{source.distribution} {source.version or ''}".strip()
        return f"It came from {where}the package {package}. {fix}{then}."
    return (f"It was registered by the module {source.module!r}, which is in no installed "
            f"package: pass --import {source.module} (from the folder that holds it).")


def _as_json(source: Source | None) -> dict[str, Any] | None:
    return None if source is None else with_distribution(source).as_json()


def _from_json(recorded: Any) -> Source | None:
    """The `Source` config.json recorded, or None if it records none that may be shown: each
    field must look like what it is (config.json may come from someone else, and the message
    puts the names into commands to run)."""
    if not isinstance(recorded, dict):
        return None
    fields = {name: recorded.get(name) for name in ("module", *OPTIONAL)}
    if not isinstance(fields["module"], str) or not all(
            (value is None and name in OPTIONAL) or
            (isinstance(value, str) and len(value) <= 100 and PATTERNS[name].fullmatch(value))
            for name, value in fields.items()):
        return None
    return Source(**fields)
