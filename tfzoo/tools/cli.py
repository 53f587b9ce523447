"""The `tfzoo` command: its arguments, and its errors as one-paragraph messages.

This module only parses. Each command names its handler as a "module:function" entry point,
loaded once the arguments are parsed (`tfzoo.config.load`, as the registry loads tasks), so
that `tfzoo --help` and `tfzoo list` answer without importing TensorFlow, which takes
seconds. The handlers are in `tfzoo.tools.run_commands` (train, eval, export),
`tfzoo.tools.serve_check` (serve-check),
`tfzoo.tools.play_commands` (play, generate) and `tfzoo.tools.inspect_commands` (verify,
plot, compare, check, whose arguments `tfzoo.tools.inspect_parsers` declares); those of list
and doctor are in `tfzoo.tools.listing` and `tfzoo.tools.doctor`, which import no TensorFlow
(the doctor must also work when TensorFlow is broken). Before the other handlers,
`tfzoo.tools.preflight` checks the names `train` was given, and `tfzoo.tools.startup`
imports TensorFlow with its start-up chatter held back.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from tfzoo.config import load
from tfzoo.errors import RunInterrupted, TfzooError, TfzooWarning
from tfzoo.text import CHAPTER_TEMPERATURES
from tfzoo.tools.inspect_parsers import add_inspect_parsers
from tfzoo.tools.preflight import import_modules
from tfzoo.tools.startup import chatter_held_back, import_tensorflow_quietly
from tfzoo.version import __version__

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `tfzoo` command with `argv` (default: the process's arguments).

    Returns:
        The exit status: the handler's (0, or 1 for a failed check), 2 for a mistake in what
        was asked, 130 when interrupted.
    """
    arguments = parser().parse_args(argv)
    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    show_warning = warnings.showwarning
    warnings.showwarning = functools.partial(_show_warning, show_warning)
    quiet = not (arguments.verbose or os.environ.get("TFZOO_TF_LOGS"))
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's info and warnings.
    try:
        # Modules and plugins may import TensorFlow: its start-up chatter is held back.
        with chatter_held_back() if quiet else contextlib.nullcontext():
            import_modules(arguments)
            if arguments.preflight is not None:  # Checks that need no TensorFlow: at once.
                load(arguments.preflight)(arguments)
        if arguments.tensorflow and quiet:
            import_tensorflow_quietly()  # Without its start-up chatter on stderr.
        return load(arguments.handler)(arguments)
    except (TfzooError, OSError) as error:  # OSError: a file the command could not use.
        print(f"tfzoo: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RunInterrupted as interrupted:
        print(
            f"\nInterrupted. A checkpoint was saved in {interrupted.path}; continue with:\n"
            f"  tfzoo train --resume {interrupted.path}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("\nInterrupted before the run started; nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        warnings.showwarning = show_warning


def parser() -> argparse.ArgumentParser:
    """The parser of the `tfzoo` command; each command sets `handler`, its entry point."""
    tfzoo = argparse.ArgumentParser(
        prog="tfzoo", description="Train and evaluate the chapter's programs as tfzoo tasks."
    )
    tfzoo.add_argument("--version", action="version", version=f"tfzoo {__version__}")
    tfzoo.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log "
                       "lines too (as does TFZOO_TF_LOGS=1)")
    commands = tfzoo.add_subparsers(required=True, metavar="COMMAND")
    _command(commands, "list", "tfzoo.tools.listing:list_command", tensorflow=False,
             help="list every task, its agent and presets")
    for add_parser in (_add_train_parser, _add_tune_parser, _add_eval_parser,
                       _add_export_parsers,
                       _add_generate_parser, _add_play_parser):
        add_parser(commands)
    add_inspect_parsers(commands, _command)  # verify, plot, compare, check
    _add_doctor_parser(commands)
    return tfzoo


def _command(commands: Any, name: str, handler: str, *, help: str,
             description: str | None = None, tensorflow: bool = True,
             preflight: str | None = None) -> argparse.ArgumentParser:
    """Adds the command `name`; `main` hands its arguments to `handler` ("module:function"),
    after `preflight`'s checks (which need no TensorFlow) and after importing TensorFlow
    quietly, unless the command runs without it (`tensorflow`)."""
    command = commands.add_parser(name, help=help, description=description)
    command.set_defaults(handler=handler, tensorflow=tensorflow, preflight=preflight)
    command.add_argument(
        "--import", dest="imports", action="append", default=[], metavar="MODULE",
        help="import MODULE first, a module of yours (in the current directory or installed) "
        "whose register(...) calls add tasks or agents; repeatable. Installed plugins need "
        "no --import: they load when a name is not found",
    )
    return command


def _add_tune_parser(commands: Any) -> None:
    tune = _command(
        commands, "tune", "tfzoo.tools.tune_commands:tune",
        help="search a task's settings with Optuna, then re-check the winner on fresh seeds",
        description="Run an Optuna study (TPE, median pruning) whose trials are run "
        "directories scored on a validation split or on evaluation episodes of their own, "
        "never on the test split; then train the best settings again on seeds no trial used, "
        "write them as best_preset.json, and report both scores. Needs tfzoo[tune]. See "
        "docs/tuning.md.",
    )
    tune.add_argument("task", nargs="?", metavar="ID", help="a task id from `tfzoo list`")
    tune.add_argument("--preset", help="the preset the search starts from (default: the "
                      "task's default)")
    tune.add_argument("--trials", type=int, help="trials this command runs")
    tune.add_argument("--study-dir", metavar="DIR", help="the study's directory (default: "
                      "studies/ID-PRESET)")
    tune.add_argument("--study", metavar="NAME", help="the study's name in the storage "
                      "(default: the directory's name)")
    tune.add_argument("--storage", metavar="URL", help="an Optuna storage URL shared by "
                      "tuners, e.g. sqlite:///study.db or postgresql://host/db, or "
                      "journal:PATH for Optuna's journal file (default: a SQLite file in the "
                      "study directory)")
    tune.add_argument("--jobs", type=int, default=1, metavar="K", help="worker processes "
                      "on this machine (default 1)")
    tune.add_argument("--seeds-per-trial", type=int, default=1, metavar="S",
                      help="runs per trial; the score is their mean (default 1)")
    tune.add_argument("--max-seconds-per-trial", type=float, metavar="T",
                      help="a wall-clock budget per trial (default: the preset's budget)")
    tune.add_argument("--space", metavar="FILE", help="a search space (YAML or JSON) that "
                      "extends the task's own")
    tune.add_argument("--replace-space", action="store_true",
                      help="search only --space, not the task's own space")
    tune.add_argument("--resume", action="store_true", help="continue the study in "
                      "--study-dir after its tuner stopped, to its number of trials")
    tune.add_argument("--join", action="store_true", help="work on the study in --study-dir "
                      "beside tuners still running (a worker, e.g. on another machine)")
    tune.add_argument("--recheck-seeds", type=int, default=5, metavar="N",
                      help="fresh seeds the winner is trained on at the end (default 5)")
    tune.add_argument("--no-recheck", action="store_true",
                      help="only run trials (e.g. a worker of a study run by many)")
    tune.add_argument("--recheck", metavar="STUDY_DIR",
                      help="only re-check the best trial of the study in STUDY_DIR")
    tune.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_eval_parser(commands: Any) -> None:
    evaluation = _command(commands, "eval", "tfzoo.tools.run_commands:evaluate",
                          help="re-evaluate a saved run")
    evaluation.add_argument("run_dir", metavar="DIR", help="a run directory")
    evaluation.add_argument("--episodes", type=int, help="episodes (default: the task's)")
    evaluation.add_argument("--seed", type=int, help="seed (default: the run's)")
    evaluation.add_argument("--best", action="store_true",
                            help="evaluate the best policy seen during training")


def _add_export_parsers(commands: Any) -> None:
    """`tfzoo export` and `tfzoo serve-check`, which checks what export wrote."""
    export = _command(
        commands, "export", "tfzoo.tools.run_commands:export",
        help="write a finished run's policy as a TensorFlow artifact that runs without tfzoo",
        description="Write a finished run's policy or model as a SavedModel (TF Serving, "
        "tf.saved_model.load), a .keras file or a LiteRT .tflite file, and print how to load "
        "it. PATH must not exist: nothing is ever written over.",
    )
    export.add_argument("run_dir", metavar="RUN_DIR", help="a finished run directory")
    export.add_argument("-o", "--output", required=True, metavar="PATH",
                        help="where to write the artifact (a .keras or .tflite file name for "
                        "those formats)")
    # tfzoo.exporting.FORMATS, written out: importing it would import TensorFlow to parse.
    export.add_argument("--format", default="saved_model",
                        choices=["saved_model", "keras", "litert"],
                        help="the artifact's format (default: saved_model)")
    policy = export.add_mutually_exclusive_group()
    policy.add_argument("--best", action="store_true", help="the best policy the run's "
                        "evaluations kept (the default, where the run kept one)")
    policy.add_argument("--last", action="store_true", help="the run's last checkpoint")
    check = _command(
        commands, "serve-check", "tfzoo.tools.serve_check:serve_check", tensorflow=False,
        help="load an exported artifact without tfzoo and time each signature",
        description="Load an artifact that `tfzoo export` wrote (a SavedModel, a .tflite or "
        "a .keras file) in a fresh Python process where tfzoo and gymnasium cannot be "
        "imported, call each signature on a sample input, and print the signatures with "
        "their inputs, outputs and p50/p99 latency per call.",
    )
    check.add_argument("path", metavar="PATH", help="what `tfzoo export -o PATH` wrote")
    check.add_argument("--calls", type=int, default=1000, help="timed calls per signature "
                       "(default 1000)")


def _add_train_parser(commands: Any) -> None:
    train = _command(
        commands, "train", "tfzoo.tools.run_commands:train",
        preflight="tfzoo.tools.preflight:train",
        help="train a task's agent in a new run directory, or resume one",
        description="Train a task's default agent, evaluate it, and write a run directory.",
    )
    train.add_argument("task", nargs="?", metavar="ID", help="a task id from `tfzoo list`")
    train.add_argument("--preset", help="the task's preset (default: its tuned default)")
    train.add_argument("--preset-file", metavar="FILE", help="the settings of a `tfzoo tune` "
                       "study's best_preset.json (the run's config.json records their origin)")
    train.add_argument(
        "--agent", help="an agent to train instead of the task's own, e.g. dqn for a "
        "Gymnasium id such as MountainCar-v0",
    )
    train.add_argument("--seed", type=int, help="seed of everything (default: drawn, recorded)")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="training budget in steps")
    budget.add_argument("--episodes", type=int, help="training budget in episodes")
    train.add_argument("--max-seconds", type=float, help="stop training after S seconds")
    train.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a task or agent setting, e.g. --set learning_rate=0.1 "
        "(prefix task. or agent. when both have the key)",
    )
    train.add_argument(
        "--data-dir", metavar="DIR", help="where the task's dataset is (same as --set data_dir=DIR)"
    )
    train.add_argument("--logdir", help="the run directory to create (default: under runs/)")
    train.add_argument("--resume", metavar="DIR", help="continue the unfinished run in DIR")
    train.add_argument(
        "--checkpoint-seconds", type=float, default=60.0,
        help="seconds between checkpoints, saved at episode ends (default: 60)",
    )
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_execution_arguments(train)


def _add_execution_arguments(train: argparse.ArgumentParser) -> None:
    """How `tfzoo train` runs: eagerly or with XLA, deterministically, on several devices."""
    modes = train.add_mutually_exclusive_group()
    modes.add_argument("--eager", action="store_const", const="eager", dest="execution",
                       help="run everything eagerly (for print and pdb; slow)")
    modes.add_argument("--jit", action="store_const", const="jit", dest="execution",
                       help="compile every agent function with XLA")
    train.add_argument(
        "--deterministic", action="store_true",
        help="TensorFlow's op determinism: the same seed gives bit-identical metrics",
    )
    train.add_argument(
        "--strategy", choices=["default", "mirrored", "multiworker"],
        help="train a supervised agent on several devices: mirrored (this machine's GPUs or "
        "logical CPUs) or multiworker (the machines TF_CONFIG names); docs/scaling-out.md",
    )
    train.add_argument(
        "--num-envs", type=int, default=1, metavar="N",
        help="collect experience from N copies of the environment at once (DQN; default 1)",
    )
    train.add_argument(
        "--cpu-devices", type=int, metavar="N",
        help="split the CPU into N logical devices first (for --strategy mirrored without GPUs)",
    )


def _add_play_parser(commands: Any) -> None:
    playing = _command(
        commands, "play", "tfzoo.tools.play_commands:play",
        help="watch a saved run's greedy policy: returns, and a gallery",
        description="Run a saved run's greedy policy and print each episode's return; "
        "with --record, also write a gallery of what it does (a GIF, an image grid or text).",
    )
    playing.add_argument("run_dir", metavar="DIR", help="a run directory")
    playing.add_argument("--episodes", type=int, default=1, help="episodes to play (1)")
    playing.add_argument(
        "--record", metavar="FILE", help="write a gallery: for RL tasks the first episode as "
        "a GIF (.gif), for MNIST a grid of test images, mistakes first (.png), for char-rnn "
        "the text written at temperatures 0.2, 0.5, 1.0, 1.2 (.txt)",
    )
    playing.add_argument("--seed", type=int, help="seed of the episodes (default: drawn)")
    playing.add_argument("--last", action="store_true",
                         help="play the last checkpoint, not the best policy seen")


def _add_generate_parser(commands: Any) -> None:
    writing = _command(
        commands, "generate", "tfzoo.tools.play_commands:generate",
        help="write text with a saved char-rnn run",
        description="Continue a prompt with a saved run's character model, one block per "
        "temperature, printing characters as they are drawn.",
    )
    writing.add_argument("run_dir", metavar="DIR", help="a char-rnn run directory")
    writing.add_argument(
        "--prompt", help="the text to continue (default: a random window of the text)"
    )
    writing.add_argument("--length", type=int, default=400, help="characters to write (400)")
    writing.add_argument(
        "--temperature", type=float, nargs="+", default=list(CHAPTER_TEMPERATURES), metavar="T",
        help="one or more temperatures > 0 (default: the chapter's 0.2 0.5 1.0 1.2)",
    )
    writing.add_argument("--seed", type=int, help="seed of the sampling (default: drawn, printed)")


def _add_doctor_parser(commands: Any) -> None:
    doctor = _command(
        commands, "doctor", "tfzoo.tools.doctor:doctor_command", tensorflow=False,
        help="versions, devices, where datasets come from, and known traps",
        description="Print versions, devices and where each dataset would be read or downloaded "
        "from, then every known trap found here with its fix. Exits 1 if one would make tfzoo "
        "fail.",
    )
    doctor.add_argument("--data-dir", metavar="DIR", help="also look for datasets in DIR")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")


def _show_warning(show_others: Any, message: Warning | str, category: type[Warning],
                  *arguments: Any, **keywords: Any) -> None:
    """Prints tfzoo's own warnings as one line each, and others as Python would."""
    if issubclass(category, TfzooWarning):
        print(f"tfzoo: warning: {message}", file=sys.stderr)
    else:
        show_others(message, category, *arguments, **keywords)


def _raise_keyboard_interrupt(number: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
