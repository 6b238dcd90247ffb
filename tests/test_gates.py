"""The house gates run with the tests: ruff (lint and format) and mypy strict over package, tests, benchmarks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "dockerhub_mcp", "tests", "benchmarks"],
        ["ruff", "format", "--check", "dockerhub_mcp", "tests", "benchmarks"],
        ["mypy", "dockerhub_mcp", "tests", "benchmarks"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_the_code_passes_the_gate(command: list[str]) -> None:
    """Lint, formatting and strict typing are clean."""
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )

    assert 0 == result.returncode, result.stdout[-3000:] + result.stderr[-2000:]
