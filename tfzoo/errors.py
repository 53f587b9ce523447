"""The exceptions tfzoo raises for bad input; not for bugs, which stay ordinary tracebacks."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TfzooError(Exception):
    """A mistake in what the user asked for; its message says what was wrong and how to fix it.

    The `tfzoo` command prints these as one paragraph instead of a traceback.
    """


class UnknownNameError(TfzooError, KeyError):
    """An unknown task id, agent name, preset, model or override."""

    def __str__(self) -> str:
        # KeyError would quote the message; show it as written.
        return str(self.args[0])


class RegistrationError(TfzooError, ValueError):
    """A task or agent that cannot be registered as asked (for example a duplicate id)."""


class ConfigError(TfzooError, ValueError):
    """An override or configuration value of the wrong type or out of range."""


class RunDirectoryError(TfzooError):
    """A run directory that is missing, damaged, or not a tfzoo run."""


class TfzooWarning(UserWarning):
    """Something tfzoo did differently from what was asked, and says so (the command prints
    these as one line each)."""


class RunDirectoryWarning(TfzooWarning):
    """Something in a run directory was damaged and passed over, e.g. a checkpoint skipped."""


class ExportError(TfzooError):
    """An agent, run or destination that `tfzoo export` cannot write an artifact from or to."""


class TrainingDivergedError(TfzooError):
    """Training produced a non-finite loss; the message says which setting to lower."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a run after it saved a checkpoint in `path`."""

    def __init__(self, path: object) -> None:
        super().__init__(str(path))
        self.path = path


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Returns ' Did you mean 'x'?' for the closest choices to `name`, or '' if none is close."""
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    quoted = " or ".join(repr(choice) for choice in close)
    return f" Did you mean {quoted}?"


def unknown(
    kind: str, name: str, choices: Iterable[str], how_to_list: str, context: str = ""
) -> UnknownNameError:
    """Builds the error for an unknown name: the bad value, the closest valid ones, how to list all.

    Example: `Unknown task 'mnist-cn'. Did you mean 'mnist-cnn'? Valid: ... Run `tfzoo list`.`
    """
    choices = sorted(choices)
    message = f"Unknown {kind} {name!r}{context}.{did_you_mean(name, choices)}"
    if choices:
        message += f" Valid: {', '.join(choices)}."
    return UnknownNameError(f"{message} {how_to_list}")
