"""The benchmark suite still runs: a quick pass over the parts that take seconds (the README's figures come
from the full run, `python -m benchmarks`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_quick_benchmark_run_prints_its_table_and_meets_its_targets() -> None:
    """Token exchanges, pacing on virtual time and the bytes a model reads, at small sizes."""
    only = ["--only", "exchanges", "--only", "pacing", "--only", "context"]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", *only],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert 0 == result.returncode, result.stdout + result.stderr[-2000:]
    assert "| token exchanges, 100 concurrent calls, JWT revoked | 1 | 1 | yes |" in result.stdout
    assert "tools/list bytes, PAT (18 tools)" in result.stdout
