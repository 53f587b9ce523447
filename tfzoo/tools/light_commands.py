"""The handlers of the `tfzoo` commands that never import TensorFlow: `list`, which must
answer at once, and `doctor`, which must work even when TensorFlow itself is broken.

Keep everything this module imports light: `tfzoo.tools.cli` loads it for these two
commands, and TensorFlow takes seconds to import (or fails, which is the doctor's business).
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from tfzoo.tools.doctor import examine, format_report
from tfzoo.tools.listing import pprint_registry


def list_tasks(arguments: argparse.Namespace) -> int:
    """`tfzoo list`: every task with its agent, presets and the figures its card expects."""
    pprint_registry()
    return 0


def doctor(arguments: argparse.Namespace) -> int:
    """`tfzoo doctor`: what this installation has and the traps found (as JSON with --json);
    1 if a finding would make tfzoo fail."""
    examined = examine(arguments.data_dir)
    findings = examined["findings"]
    if arguments.json:
        print(json.dumps({**examined, "findings": [dataclasses.asdict(finding)
                                                   for finding in findings]}, indent=2))
    else:
        print(format_report(examined))
    return 1 if any(finding.severity == "error" for finding in findings) else 0
