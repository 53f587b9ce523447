"""Plugins: tasks and agents of other packages, found through entry points, "module:id" and
--import, recorded in run directories, and every way that can go wrong.

Installed packages are faked as a folder on the path holding a module and a `*.dist-info`
with its `entry_points.txt`, which is all `importlib.metadata` reads. Their module is the
README's example, which registers the task "doubling" and the agent "mean".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import gymnasium
import pytest
from conftest import readme_example, tfzoo_command

import tfzoo
from tfzoo.tools.cli import main


def fake_distribution(root, name: str, version: str, plugins: dict[str, str],
                      modules: dict[str, str]) -> None:
    """Writes an installed package `name` into `root`: its `modules` ({dotted name: source})
    and a dist-info declaring `plugins` ({plugin name: module}) in the "tfzoo.plugins" group."""
    for module, source in modules.items():
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        for package in list(path.parents)[: module.count(".")]:
            (package / "__init__.py").touch()
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(
        "[tfzoo.plugins]\n" + "".join(f"{plugin} = {module}\n"
                                      for plugin, module in plugins.items()))
    tops = sorted({module.partition(".")[0] for module in modules})
    (info / "top_level.txt").write_text("".join(f"{top}\n" for top in tops))


def run_tfzoo(root, *arguments: str) -> subprocess.CompletedProcess:
    """The `tfzoo` command with the fake packages in `root` installed and plugins turned on."""
    environment = {key: value for key, value in os.environ.items()
                   if key != "TFZOO_DISABLE_PLUGIN_AUTOLOAD"}
    environment["PYTHONPATH"] = os.pathsep.join([str(root), environment.get("PYTHONPATH", "")])
    return subprocess.run(tfzoo_command(*arguments), capture_output=True, text=True,
                          env=environment, timeout=300)


@pytest.fixture
def installed(tmp_path):
    """A folder of fake installed packages: "fake-tasks" with a working plugin."""
    fake_distribution(tmp_path, "fake-tasks", "1.2.0", {"fake": "fake_tasks.plugin"},
                      {"fake_tasks.plugin": readme_example("fake_tasks.plugin")})
    return tmp_path


def test_tfzoo_list_shows_plugins_and_one_line_for_each_broken_or_clashing_one(installed):
    fake_distribution(installed, "broken-plugin", "0.3", {"broken": "broken_plugin"},
                      {"broken_plugin": "x = 1 / 0\n"})
    fake_distribution(installed, "other-tasks", "0.1", {"other": "other_tasks"},
                      {"other_tasks": readme_example("other_tasks")})  # "doubling" again.
    listed = run_tfzoo(installed, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert any(line.startswith("mnist-cnn") for line in lines)  # The built-ins are all there.
    doubling = next(line for line in lines if line.startswith("doubling"))
    mean = next(line for line in lines if line.strip().startswith("mean "))
    for line in (doubling, mean):
        assert "[from plugin 'fake' (fake-tasks 1.2.0)]" in line
    ours = [line for line in listed.stderr.splitlines() if "'broken'" in line or "'other'" in line]
    broken, clashing = sorted(ours, key=lambda line: "other" in line)
    assert broken.startswith("tfzoo: warning: plugin 'broken' (broken-plugin 0.3)")
    assert "ZeroDivisionError" in broken
    assert clashing.startswith("tfzoo: warning: plugin 'other' (other-tasks 0.1)")
    assert "already registered" in clashing and "fake-tasks 1.2.0" in clashing


def test_plugins_load_only_when_a_name_is_not_found(tmp_path):
    fake_distribution(tmp_path, "light-tasks", "0.1", {"light": "light_tasks"}, {
        "light_tasks": "import tfzoo\ntfzoo.register('line', 'light_tasks:Line', agent='mean')\n"})
    probe = ("import sys, tfzoo; loaded = lambda: 'light_tasks' in sys.modules; "
             "assert not loaded(); tfzoo.spec('linear-regression'); assert not loaded(); "
             "tfzoo.spec('line'); assert loaded(); print('ok')")
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}
    environment.pop("TFZOO_DISABLE_PLUGIN_AUTOLOAD", None)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=environment, timeout=300)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.fixture
def user_module(tmp_path, monkeypatch, request):
    """A module of the user's, on the path but in no package, registering doubling and mean."""
    name = f"user_tasks_{request.node.name[:20].replace('[', '_').replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(readme_example(name), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_module_colon_id_imports_the_module_then_makes_the_task(user_module):
    task = tfzoo.make(f"{user_module}:doubling", batch_size=4)
    assert task.spec.id == "doubling" and task.batch_size == 4
    assert tfzoo.spec("doubling").source.module == user_module


def test_an_unknown_module_colon_id_says_which_part_was_not_found(user_module):
    with pytest.raises(tfzoo.ConfigError, match=r"no module named 'no_such_package\.tasks'"):
        tfzoo.make("no_such_package.tasks:doubling")
    with pytest.raises(tfzoo.UnknownNameError,
                       match=rf"'doublin' \(module '{user_module}' was imported, but nothing "
                             rf"registered 'doublin'\)\. Did you mean 'doubling'\?"):
        tfzoo.make(f"{user_module}:doublin")


def test_import_option_registers_a_users_module_for_any_command(user_module, capsys):
    assert main(["list", "--import", user_module]) == 0
    doubling = next(line for line in capsys.readouterr().out.splitlines()
                    if line.startswith("doubling"))
    assert f"[from module '{user_module}' (no package)]" in doubling
    assert main(["list", "--import", "no_such_module_here"]) == 2
    assert "--import: no module named 'no_such_module_here'" in capsys.readouterr().err


def test_a_run_records_where_its_task_came_from_and_names_what_to_install(installed, tmp_path,
                                                                         monkeypatch):
    monkeypatch.syspath_prepend(str(installed))
    tfzoo.plugins.import_module("fake_tasks.plugin")
    run = tmp_path / "run"
    summary = tfzoo.start_run("doubling", seed=0, path=run, progress=False)
    config_path = run / "config.json"
    sources = json.loads(config_path.read_text())["sources"]
    expected = {"module": "fake_tasks.plugin", "plugin": None, "distribution": "fake-tasks",
                "version": "1.2.0"}
    assert sources == {"task": expected, "agent": expected}
    assert tfzoo.evaluate_run(run) == summary["eval_return"]

    # On a machine without the package: the run names it, and imports nothing itself.
    for name in ("doubling", "mean"):
        (tfzoo.registry if name == "doubling" else tfzoo.agent_registry).pop(name)
    sys.modules.pop("fake_tasks.plugin")
    monkeypatch.setattr(sys, "path", [path for path in sys.path if path != str(installed)])
    with pytest.raises(tfzoo.RunDirectoryError,
                       match=r"trained the task 'doubling', which is not registered here\. It "
                             r"came from the package fake-tasks 1\.2\.0\. Install fake-tasks "
                             r".*and pass --import fake_tasks\.plugin"):
        tfzoo.evaluate_run(run)
    assert "fake_tasks.plugin" not in sys.modules

    config = json.loads(config_path.read_text())
    config["sources"]["task"]["plugin"] = "fake"
    config_path.write_text(json.dumps(config))
    with pytest.raises(tfzoo.RunDirectoryError, match=r"It came from plugin 'fake' of the "
                                                      r"package fake-tasks 1\.2\.0\. Install"):
        tfzoo.load_run(run)


def test_tfzoo_doctor_lists_the_installed_plugins_without_importing_them(installed,
                                                                          monkeypatch):
    from tfzoo.tools.doctor import examine, format_report

    monkeypatch.syspath_prepend(str(installed))
    examined = examine()
    assert {"module": "fake_tasks.plugin", "plugin": "fake", "distribution": "fake-tasks",
            "version": "1.2.0"} in examined["plugins"]
    assert "fake_tasks.plugin" not in sys.modules
    assert "  fake        fake_tasks.plugin from fake-tasks 1.2.0" in format_report(examined)


def test_a_run_never_imports_a_module_its_config_names(installed, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(installed))
    (installed / "fake_tasks" / "evil.py").write_text("raise SystemExit('imported!')\n")
    run = tmp_path / "run"
    tfzoo.start_run("linear-regression", seed=0, steps=2, path=run, progress=False)
    config = json.loads((run / "config.json").read_text())
    for key in ("task", "agent"):
        crafted = {**config, key: f"fake_tasks.evil:{config[key]}"}
        (run / "config.json").write_text(json.dumps(crafted))
        with pytest.raises(tfzoo.RunDirectoryError, match=rf"'{key}' is 'fake_tasks\.evil:.*a "
                                                          rf"module and a name"):
            tfzoo.evaluate_run(run)
    assert "fake_tasks.evil" not in sys.modules

    # Where the task came from is shown only if it looks like names: nothing to paste.
    config["sources"]["task"] = {"module": "os", "plugin": None, "version": "1",
                                 "distribution": "x'; rm -rf ~; echo '"}
    config["task"] = "gone"
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(tfzoo.RunDirectoryError, match=r"does not say where it came from") as error:
        tfzoo.evaluate_run(run)
    assert "rm -rf" not in str(error.value)


def test_a_module_that_fails_halfway_leaves_nothing_registered(tmp_path, monkeypatch):
    source = readme_example("half_tasks") + "\nraise ValueError('broken at the end')\n"
    (tmp_path / "half_tasks.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    for _ in range(2):  # The second attempt fails the same way, not as a duplicate.
        with pytest.raises(tfzoo.ConfigError, match=r"'half_tasks:doubling': importing "
                                                    r"'half_tasks' raised ValueError: broken at "
                                                    r"the end \(at .*half_tasks\.py:\d+\)"):
            tfzoo.make("half_tasks:doubling")
    assert "doubling" not in tfzoo.registry and "mean" not in tfzoo.agent_registry
    assert "tfzoo/doubling" not in gymnasium.registry


def test_a_module_colon_id_typed_on_the_command_line_is_found_in_the_current_folder(
        tmp_path, monkeypatch, capsys):
    (tmp_path / "here_tasks.py").write_text(readme_example("here_tasks"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [path for path in sys.path if path not in ("", ".")])
    assert main(["train", "here_tasks:doubling", "--steps", "8", "--seed", "0", "--logdir",
                 "run", "--no-progress"]) == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["task"] == "doubling"
    sys.modules.pop("here_tasks", None)


def test_tfzoo_list_works_with_stderr_closed():
    listed = subprocess.run(["bash", "-c", " ".join(tfzoo_command("list")) + " 2>&-"],
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "mnist-cnn" in listed.stdout
