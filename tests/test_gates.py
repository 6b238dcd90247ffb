"""The house gates run with the tests: ruff (lint and format), mypy strict over package, tests and benchmarks, and
the import-linter contracts that keep the layers of docs/style.md."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import dockerhub_mcp

ROOT = Path(__file__).parent.parent
# The MCP layer: it hands names to the client and never spells a Hub path itself.
MCP_LAYER = ["tools", "resources.py", "prompts.py", "completions.py", "views.py"]


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "dockerhub_mcp", "tests", "benchmarks", "noxfile.py"],
        ["ruff", "format", "--check", "dockerhub_mcp", "tests", "benchmarks", "noxfile.py"],
        pytest.param(["mypy", "dockerhub_mcp", "tests", "benchmarks"], marks=pytest.mark.slow),  # 15 s from cold
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_the_code_passes_the_gate(command: list[str]) -> None:
    """Lint, formatting and strict typing are clean."""
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )

    assert 0 == result.returncode, result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.subprocess
def test_the_imports_keep_the_layer_contracts() -> None:
    """lint-imports finds every contract of [tool.importlinter] kept: one-way layers, a sandbox that imports
    nothing of the product, no mcp below the MCP layer, no HTTP client or session in it."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert 0 == result.returncode, result.stdout[-5000:] + result.stderr[-2000:]


def test_the_layer_contracts_name_every_module_of_the_package() -> None:
    """A new module has to take its place in the layers and be forbidden to the sandbox, or this test fails."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers, sandbox = config["contracts"][0], config["contracts"][1]
    modules = {m.name for m in pkgutil.iter_modules(dockerhub_mcp.__path__)}
    layered = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    forbidden = {name.removeprefix("dockerhub_mcp.") for name in sandbox["forbidden_modules"]}

    assert (modules - {"sandbox"}, modules - {"sandbox"}) == (layered, forbidden)


def hub_paths(source: str) -> list[str]:
    """String literals in Python `source` that spell a Hub API path: they start with /v2, or an f-string has /v2/."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/v2"):
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr) and "/v2/" in ast.unparse(node):
            found.append(ast.unparse(node))
    return found


def test_the_mcp_layer_spells_no_hub_path() -> None:
    """Tools, resources, prompts, completions and views call client methods; no Hub path is written there (examples in
    parameter descriptions start with 'e.g.', so they are not paths)."""
    package = Path(dockerhub_mcp.__file__).parent
    files = sorted(
        f for name in MCP_LAYER for f in ([package / name] if name.endswith(".py") else (package / name).glob("*.py"))
    )
    paths = {str(f.relative_to(package)): hub_paths(f.read_text(encoding="utf-8")) for f in files}

    assert {} == {name: found for name, found in paths.items() if found}
    assert 4 < len(files)


def test_the_path_scan_finds_a_path_built_in_a_tool() -> None:
    """The scan above sees a path written as a constant and one built with an f-string."""
    source = 'URL = "/v2/namespaces/demo"\ndef f(ns):\n    return f"https://hub.docker.com/v2/namespaces/{ns}"\n'

    assert ["/v2/namespaces/demo", "f'https://hub.docker.com/v2/namespaces/{ns}'"] == hub_paths(source)
