"""docs/extending.md works as written: its files, in an empty folder, make a plugin that
`pip install -e .` installs and `tfzoo` then trains, evaluates and tests.

The commands run in a virtual environment of their own that sees this one's packages (a
`.pth` file), so installing the tutorial's package leaves this environment as it was.
`pip` installs offline, without build isolation (the setuptools here builds it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "extending.md"
SECTION = "## From an empty folder to a trained task"


def tutorial() -> tuple[dict[str, str], str]:
    """The tutorial's files ({path: text}, each named in backticks just above its block) and
    its shell commands (its one bash block)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    files, commands = {}, None
    for match in re.finditer(r"([^\n]*(?:\n[^\n]+)*)\n\n```(\w+)\n(.*?)```", section, re.S):
        paragraph, language, body = match.groups()
        named = re.match(r"`(my-tfzoo-tasks/[^`]+)`", paragraph.strip())
        if named:
            files[named.group(1)] = body
        elif language == "bash":
            commands = body
    return files, commands


def environment_beside_this_one(root: Path) -> dict[str, str]:
    """A virtual environment in `root/venv` that imports this one's packages, with `pip` and
    `tfzoo` as commands of its Python; returns the environment variables that use it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
                   check=True)
    bin_dir = root / "venv" / "bin"
    site = subprocess.run([str(bin_dir / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # An `import` line of a .pth runs; addsitedir also reads that folder's own .pth files,
    # where an editable install of tfzoo puts its import hook.
    Path(site, "this-environment.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    for command, module in (("pip", "pip"), ("tfzoo", "tfzoo")):
        shim = bin_dir / command
        shim.write_text(f'#!/bin/sh\nexec "{bin_dir / "python"}" -m {module} "$@"\n')
        shim.chmod(0o755)
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("TFZOO_DISABLE_PLUGIN_AUTOLOAD", "PYTHONPATH", "VIRTUAL_ENV")}
    environment.update(PATH=f"{bin_dir}{os.pathsep}{environment['PATH']}", PIP_NO_INDEX="1",
                       PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return environment


def test_the_tutorial_goes_from_an_empty_folder_to_a_trained_plugin_task(tmp_path):
    files, commands = tutorial()
    assert set(files) == {"my-tfzoo-tasks/my_tasks/tasks.py", "my-tfzoo-tasks/my_tasks/plugin.py",
                          "my-tfzoo-tasks/pyproject.toml",
                          "my-tfzoo-tasks/tests/test_my_tasks.py"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=tmp_path,
                            env=environment_beside_this_one(tmp_path), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    listed = next(line for line in result.stdout.splitlines() if line.startswith("my-task"))
    assert "[from plugin 'my-tasks' (my-tfzoo-tasks 0.1.0)]" in listed
    assert '"eval_return"' in result.stdout and "2 passed" in result.stdout
    assert (tmp_path / "my-tfzoo-tasks" / "runs" / "first" / "summary.json").exists()
