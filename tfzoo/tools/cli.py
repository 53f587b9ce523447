"""The `tfzoo` command: list tasks, train (and resume) runs, re-evaluate, play and record
saved runs, write text; the commands that inspect (verify, plot, check, doctor) are in
`tfzoo.tools.cli_inspect`.

A thin layer over `tfzoo.runs.experiment`; every mistake in the arguments is printed as one
paragraph, not a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from tfzoo import __version__
from tfzoo.text import CHAPTER_TEMPERATURES
from tfzoo.tools.cli_inspect import add_inspection_parsers

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `tfzoo` command with `argv` (default: the process's arguments)."""
    arguments = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TensorFlow's start-up chatter out.
    from tfzoo.errors import RunInterrupted, TfzooError

    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return arguments.command(arguments)
    except TfzooError as error:
        print(f"tfzoo: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # A file or directory the command could not read or write.
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfzoo", description="Train and evaluate the chapter's programs as tfzoo tasks."
    )
    parser.add_argument("--version", action="version", version=f"tfzoo {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="list every task, its agent and presets")
    listing.set_defaults(command=_list)

    train = commands.add_parser(
        "train", help="train a task's agent in a new run directory, or resume one",
        description="Train a task's default agent, evaluate it, and write a run directory.",
    )
    train.add_argument("task", nargs="?", metavar="ID", help="a task id from `tfzoo list`")
    train.add_argument("--preset", help="the task's preset (default: its tuned default)")
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
    train.set_defaults(command=_train)

    evaluation = commands.add_parser("eval", help="re-evaluate a saved run")
    evaluation.add_argument("run_dir", metavar="DIR", help="a run directory")
    evaluation.add_argument("--episodes", type=int, help="episodes (default: the task's)")
    evaluation.add_argument("--seed", type=int, help="seed (default: the run's)")
    evaluation.add_argument("--best", action="store_true",
                            help="evaluate the best policy seen during training")
    evaluation.set_defaults(command=_evaluate)
    _add_generate_parser(commands)
    _add_play_parser(commands)
    add_inspection_parsers(commands)
    return parser


def _add_play_parser(commands: Any) -> None:
    playing = commands.add_parser(
        "play", help="watch a saved run's greedy policy: returns, and a gallery",
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
    playing.set_defaults(command=_play)


def _add_generate_parser(commands: Any) -> None:
    writing = commands.add_parser(
        "generate", help="write text with a saved char-rnn run",
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
    writing.set_defaults(command=_generate)


def _list(arguments: argparse.Namespace) -> int:
    import tfzoo

    tfzoo.pprint_registry()
    return 0


def _train(arguments: argparse.Namespace) -> int:
    from tfzoo import distribute
    from tfzoo.errors import ConfigError
    from tfzoo.runs.experiment import resume_run, start_run

    if arguments.cpu_devices is not None:
        distribute.split_cpu(arguments.cpu_devices)  # Before TensorFlow starts its devices.
    if arguments.strategy == "multiworker" or _resumes_multiworker(arguments.resume):
        distribute.make_strategy("multiworker")  # Before anything else runs, as TF requires.
    if arguments.resume is not None:
        given = [flag for flag, value in _run_flags(arguments).items() if value]
        if given:
            raise ConfigError(
                f"--resume continues a run with the settings it started with, so it cannot be "
                f"combined with {', '.join(given)}. Drop those, or start a new run instead."
            )
        summary = resume_run(arguments.resume, progress=not arguments.no_progress)
    elif arguments.task is None:
        raise ConfigError(
            "tfzoo train needs a task id (see `tfzoo list`), e.g. `tfzoo train "
            "linear-regression`, or --resume DIR to continue a run."
        )
    else:
        task_overrides, agent_overrides = _split_overrides(
            arguments.task, arguments.preset, arguments.set, arguments.agent
        )
        if arguments.data_dir is not None:
            task_overrides["data_dir"] = arguments.data_dir
        if arguments.strategy is not None:
            _check_takes_strategy(arguments.task, arguments.agent)
            agent_overrides["strategy"] = arguments.strategy
        summary = start_run(
            arguments.task, path=arguments.logdir, preset=arguments.preset, seed=arguments.seed,
            steps=arguments.steps, episodes=arguments.episodes,
            max_seconds=arguments.max_seconds, task_overrides=task_overrides,
            agent_overrides=agent_overrides, checkpoint_seconds=arguments.checkpoint_seconds,
            progress=not arguments.no_progress, agent=arguments.agent,
            deterministic=arguments.deterministic,
            execution=arguments.execution or "compiled", num_envs=arguments.num_envs,
        )
    print(json.dumps(summary, indent=2))
    return 0


def _check_takes_strategy(task_id: str, agent: str | None) -> None:
    """Refuses --strategy for an agent without a `strategy` setting, saying what it has."""
    import tfzoo
    from tfzoo.config import load, parameter_hints
    from tfzoo.errors import ConfigError

    name = agent or tfzoo.spec(task_id).agent
    config_class = load(tfzoo.agent_registry[name].config) if name in tfzoo.agent_registry \
        else None
    if config_class is not None and "strategy" not in parameter_hints(config_class):
        raise ConfigError(
            f"--strategy splits the batches of supervised agents across devices; the {name!r} "
            f"agent has no batches to split. For the DQN agent, collect experience in parallel "
            f"with --num-envs N instead (docs/scaling-out.md)."
        )


def _resumes_multiworker(path: str | None) -> bool:
    """Whether `path` is a run that trained with strategy='multiworker' (False if no run)."""
    from tfzoo.distribute import resume_path
    from tfzoo.errors import TfzooError
    from tfzoo.runs.directory import RunDirectory

    if path is None:
        return False
    try:
        config = RunDirectory.open(resume_path(path)).config
    except TfzooError:  # Reported, in context, when the run is resumed.
        return False
    return config.get("agent_config", {}).get("strategy") == "multiworker"


def _evaluate(arguments: argparse.Namespace) -> int:
    from tfzoo.runs.experiment import evaluate_run

    score = evaluate_run(arguments.run_dir, episodes=arguments.episodes, seed=arguments.seed,
                         best=arguments.best)
    print(json.dumps({"run_dir": arguments.run_dir, "eval_return": score}, indent=2))
    return 0


def _generate(arguments: argparse.Namespace) -> int:
    import secrets
    import time

    from tfzoo.errors import ConfigError
    from tfzoo.runs.experiment import load_run
    from tfzoo.text import check_temperature, generate

    for temperature in arguments.temperature:  # Before the slow part, so a typo fails fast.
        check_temperature(temperature)
    task, agent, config = load_run(arguments.run_dir)
    if not hasattr(agent, "start_generation"):
        raise ConfigError(
            f"The run in {arguments.run_dir} trained {config['task']!r}, whose agent does not "
            f"write text; `tfzoo generate` takes char-rnn runs."
        )
    seed = secrets.randbelow(2**31) if arguments.seed is None else arguments.seed
    prompt = arguments.prompt
    if prompt is None:
        prompt = _window_prompt(task, agent, seed)
    elif config["task_kwargs"].get("lowercase"):
        prompt = prompt.lower()  # The run learned lower-cased text.
    print(f"seed {seed}, prompt: {prompt!r}")
    start, written = time.perf_counter(), 0
    for temperature in arguments.temperature:
        print(f"\ntemperature {temperature}:")
        text = generate(agent, prompt, arguments.length, temperature, seed,
                        stream=lambda character: print(character, end="", flush=True))
        written += len(text)
        print()
    seconds = time.perf_counter() - start
    print(f"\n{written} characters in {seconds:.2f} s ({written / seconds:.0f} per second)",
          file=sys.stderr)
    return 0


def _play(arguments: argparse.Namespace) -> int:
    import secrets

    from tfzoo.errors import ConfigError
    from tfzoo.loop import evaluation_returns
    from tfzoo.runs.best import BestCheckpoint
    from tfzoo.runs.directory import RunDirectory
    from tfzoo.runs.experiment import checked_seed, load_run, rebuild_evaluation_task

    if arguments.episodes < 1:
        raise ConfigError(f"--episodes {arguments.episodes}: play at least 1.")
    seed = secrets.randbelow(2**31) if arguments.seed is None else checked_seed(arguments.seed)
    best = not arguments.last and (
        BestCheckpoint(RunDirectory.open(arguments.run_dir)).read() is not None)
    task, agent, config = load_run(arguments.run_dir, best=best)
    print(f"{config['task']}, {'best policy' if best else 'last checkpoint'}, seed {seed}")
    returns = []
    if arguments.record is not None:
        returns += _record(arguments.record, task, agent, config, seed)
    remaining = arguments.episodes - len(returns)
    if remaining:
        task = rebuild_evaluation_task(config)
        played = evaluation_returns(agent, task, episodes=remaining, seed=seed + len(returns))
        for number, value in enumerate(played, len(returns) + 1):
            print(f"episode {number}: return {value:g}")
            returns.append(value)
    if len(returns) > 1:
        print(f"mean return {sum(returns) / len(returns):g} over {len(returns)} episodes")
    return 0


def _record(path: str, task: Any, agent: Any, config: dict[str, Any], seed: int) -> list[float]:
    """Writes the run's gallery to `path`; returns the return of the episode it played, if any.

    Text for a char-rnn agent, a grid of test images for a classification task, else a GIF.
    """
    from tfzoo.runs.experiment import rebuild_evaluation_task
    from tfzoo.supervised import SupervisedTask
    from tfzoo.tools import gallery
    from tfzoo.tools.recording import record

    if hasattr(agent, "start_generation"):  # As `tfzoo generate`: a window of the text.
        texts = gallery.text_gallery(agent, path, _window_prompt(task, agent, seed), seed=seed)
        print(f"{len(texts)} temperatures, {sum(map(len, texts.values()))} characters in {path}")
        return []
    evaluation_task = rebuild_evaluation_task(config)
    if isinstance(evaluation_task.unwrapped, SupervisedTask) and \
            evaluation_task.unwrapped.num_classes is not None:
        shown = gallery.classification_gallery(agent, evaluation_task, path, seed=seed)
        print(f"episode 1: return {shown['accuracy']:g} ({shown['shown']} images, "
              f"{shown['mistakes']} mistakes in {shown['samples']}, in {path})")
        return [shown["accuracy"]]
    # Frames are drawn off screen: SDL (pygame) needs no display for that.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    episode_return, frames = record(agent, _render_task(config), path, seed=seed)
    print(f"episode 1: return {episode_return:g} ({frames} frames in {path})")
    return [episode_return]


def _window_prompt(task: Any, agent: Any, seed: int) -> str:
    """As in the chapter: a window of the (training) text, drawn at random from `seed`."""
    import numpy as np

    windows = task.unwrapped.inputs  # (windows, window) ids
    return agent.vocabulary.decode(windows[np.random.default_rng(seed).integers(len(windows))])


def _render_task(config: dict[str, Any]) -> Any:
    """The run's evaluation task drawing frames, or a ConfigError if it cannot."""
    from tfzoo.errors import ConfigError
    from tfzoo.runs.experiment import rebuild_evaluation_task

    try:
        return rebuild_evaluation_task(config, render_mode="rgb_array")
    except (TypeError, ValueError) as error:
        raise ConfigError(f"Task {config['task']!r} cannot draw frames to record ({error}).") \
            from None


def _run_flags(arguments: argparse.Namespace) -> dict[str, Any]:
    return {
        "ID": arguments.task, "--preset": arguments.preset, "--seed": arguments.seed is not None,
        "--agent": arguments.agent, "--deterministic": arguments.deterministic,
        "--eager/--jit": arguments.execution, "--strategy": arguments.strategy,
        "--num-envs": arguments.num_envs != 1,
        "--steps": arguments.steps, "--episodes": arguments.episodes,
        "--max-seconds": arguments.max_seconds, "--set": arguments.set,
        "--logdir": arguments.logdir, "--data-dir": arguments.data_dir,
    }


def _split_overrides(
    task_id: str, preset: str | None, assignments: list[str], agent: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sorts `--set key=value` into task and agent overrides by the names each accepts."""
    from tfzoo.config import load, parameter_hints, parse_assignment, takes_any_keyword
    from tfzoo.errors import ConfigError, unknown
    from tfzoo.registration import agent_registry, spec

    task_entry = load(spec(task_id).entry_point)
    task_keys = parameter_hints(task_entry)
    # A Gymnasium id's task takes whatever its environment's constructor takes.
    open_task = takes_any_keyword(task_entry)
    agent_name = agent or spec(task_id).agent
    if agent_name not in agent_registry:
        raise unknown("agent", agent_name, agent_registry, "Those are all the agents.")
    agent_keys = parameter_hints(load(agent_registry[agent_name].config))
    task_overrides, agent_overrides = {}, {}
    for assignment in assignments:
        key, value = parse_assignment(assignment)
        where, _, name = key.rpartition(".")
        if where not in ("", "task", "agent"):
            raise ConfigError(f"--set {assignment!r}: the prefix must be task. or agent.")
        in_task = name in task_keys and where != "agent"
        in_agent = name in agent_keys and where != "task"
        in_task = in_task or (open_task and not in_agent and where != "agent")
        if in_task and in_agent:
            raise ConfigError(
                f"--set {assignment!r}: both the task and the agent take {name!r}; write "
                f"task.{name}=... or agent.{name}=... to say which."
            )
        if not (in_task or in_agent):
            raise unknown(
                "setting", name, [*task_keys, *agent_keys],
                "Those are all the settings of the task and its agent.",
                f" for task {task_id!r} (--set {assignment})",
            )
        (task_overrides if in_task else agent_overrides)[name] = value
    return task_overrides, agent_overrides


def _raise_keyboard_interrupt(number: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
