"""CI smoke-tests the built wheel before the suite, and still ends in exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_ci_smoke_tests_the_wheel_then_runs_exactly_the_readme_test_command() -> None:
    """.ci/run builds with `python -m build`, drives the wheel with .ci/smoke.py, then runs the README command."""
    script = [line for line in (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines() if line.strip()]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (test_command,) = re.findall(r"^python3 -m venv \.venv && .* -m pytest\b.*$", readme, re.MULTILINE)
    commands = [line for line in script if not line.lstrip().startswith("#")]
    build = next(i for i, line in enumerate(commands) if "-m build" in line)
    smoke = next(i for i, line in enumerate(commands) if ".ci/smoke.py" in line)

    assert test_command == commands[-1]
    assert build < smoke < len(commands) - 1
    assert '"$work/dist"' in commands[build] and '"$work/wheel/bin/python" .ci/smoke.py' in commands[smoke]
