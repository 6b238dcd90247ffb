"""The container image: its Dockerfile lints clean, and the commands it runs work, tried in a fresh venv.

No Docker daemon runs here, so the Dockerfile is read as data: the builder's RUN command runs as written with
`$VIRTUAL_ENV` pointing at a temporary venv and the COPY sources laid out as the build context would hold them,
then the final stage's ENTRYPOINT runs with the PATH its ENV gives.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockerhub_mcp import __version__

ROOT = Path(__file__).parent.parent
DOCKERFILE = ROOT / "Dockerfile"
UID = "10001"


@dataclass
class Stage:
    """One stage of the Dockerfile: its base, name and instructions in order, as (keyword, arguments)."""

    base: str
    name: str | None
    steps: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        """The arguments of every `keyword` instruction, in order."""
        return [args for key, args in self.steps if key == keyword]

    def env(self, start: dict[str, str], pinned: dict[str, str] | None = None) -> dict[str, str]:
        """`start` updated by the stage's ENV instructions in order, each expanded with the values before it;
        the `pinned` names keep their given values (a venv somewhere else than in the image)."""
        values = dict(start) | (pinned or {})
        for args in self.all("ENV"):
            pairs = [word.partition("=") for word in shlex.split(args)]
            values |= {key: expand(value, values) for key, _, value in pairs}
            values |= pinned or {}
        return values


def expand(text: str, env: dict[str, str]) -> str:
    """Docker's substitution of `$NAME` and `${NAME}` (unset names become empty)."""
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), ""), text)


def stages() -> tuple[dict[str, str], list[Stage]]:
    """The Dockerfile's global ARG defaults and its stages, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    args: dict[str, str] = {}
    found: list[Stage] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, rest = line.strip().partition(" ")
        keyword, rest = keyword.upper(), " ".join(rest.split())
        if keyword == "FROM":
            base, _, name = rest.partition(" AS ")
            found.append(Stage(expand(base, args), name or None))
        elif found:
            found[-1].steps.append((keyword, rest))
        elif keyword == "ARG":
            key, _, default = rest.partition("=")
            args[key] = default
    return args, found


def run_flags_removed(command: str) -> str:
    """A RUN instruction's shell command without its Docker flags (`--mount=…`), which the shell never sees."""
    return re.sub(r"^(--[a-z]+=\S+\s+)+", "", command)


@pytest.mark.subprocess
def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    """hadolint reports no finding at any level, style included."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint"

    result = subprocess.run(
        [hadolint, "--no-color", "--format", "json", "--failure-threshold", "style", str(DOCKERFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert [] == json.loads(result.stdout or "null"), result.stdout + result.stderr
    assert 0 == result.returncode


def test_the_image_is_two_stages_on_one_slim_python_pinned_by_tag() -> None:
    """A builder and a final stage share one slim Python base with an explicit version tag."""
    _, (builder, final) = stages()

    assert ("builder", None) == (builder.name, final.name)
    assert builder.base == final.base
    assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim(-\w+)?", final.base), final.base


def test_the_final_stage_holds_the_venv_only_and_runs_as_a_fixed_non_root_user() -> None:
    """Only the builder's venv is copied in, no package manager runs, the user is UID/GID 10001, entry dockerhub-mcp."""
    _, (builder, final) = stages()
    venv = builder.env({})["VIRTUAL_ENV"]
    runs = " ".join(final.all("RUN"))

    assert venv == final.env({})["VIRTUAL_ENV"]
    assert [f"--from=builder {venv} {venv}"] == [expand(c, final.env({})) for c in final.all("COPY")]
    assert not re.search(r"\b(apt-get|apt|apk|pip|gcc|make)\b", runs), runs
    assert f"--uid {UID}" in runs and f"--gid {UID}" in runs
    assert [f"{UID}:{UID}"] == final.all("USER")
    assert ['["dockerhub-mcp"]'] == final.all("ENTRYPOINT")
    assert f"{venv}/bin" == final.env({"PATH": "/usr/bin"})["PATH"].split(":")[0]


def test_the_image_labels_name_the_registry_entry_and_the_version() -> None:
    """The MCP Registry's ownership label is server.json's name; the OCI labels carry the version and licence."""
    _, (_, final) = stages()
    labels = {key: value for key, _, value in (w.partition("=") for w in shlex.split(" ".join(final.all("LABEL"))))}
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    (oci,) = [p for p in server["packages"] if p["registryType"] == "oci"]
    image = oci["identifier"].rpartition(":")[0]

    assert server["name"] == labels["io.modelcontextprotocol.server.name"]
    assert (__version__, "MIT", "dockerhub-mcp") == (
        labels["org.opencontainers.image.version"],
        labels["org.opencontainers.image.licenses"],
        labels["org.opencontainers.image.title"],
    )
    assert server["repository"]["url"] == labels["org.opencontainers.image.source"]
    assert image == "ghcr.io/" + labels["org.opencontainers.image.source"].removeprefix("https://github.com/")


def test_the_build_context_holds_exactly_what_the_builder_copies() -> None:
    """.dockerignore excludes everything but the builder's COPY sources (no .git, .venv or tests reach the daemon)."""
    _, (builder, _) = stages()
    sources = {src for args in builder.all("COPY") for src in args.split()[:-1]}
    lines = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if line.strip()]
    patterns = [line for line in lines if not line.startswith("#")]

    assert "*" == patterns[0]
    assert sources == {p.removeprefix("!") for p in patterns if p.startswith("!")}


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_dockerfile_install_and_entry_commands_work_in_a_fresh_venv(tmp_path: Path) -> None:
    """The builder's RUN installs the package (not editable) into a new venv; the ENTRYPOINT then checks the sandbox."""
    _, (builder, final) = stages()
    context = tmp_path / "src"
    for args in builder.all("COPY"):
        *sources, destination = args.split()
        target = context / destination
        target.mkdir(parents=True, exist_ok=True)
        for source in sources:
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(ROOT / source, target)
    venv = tmp_path / "venv"
    # The host's environment (pip's cache and index settings), with python3 the tests' interpreter and no
    # trace of the source tree on the import path.
    host = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    host["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{host.get('PATH', '/usr/bin:/bin')}"
    pinned = {"VIRTUAL_ENV": str(venv)}
    build_env = builder.env(host, pinned)
    (install,) = builder.all("RUN")

    built = subprocess.run(
        ["/bin/sh", "-c", run_flags_removed(install)],
        cwd=context,
        env=build_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert 0 == built.returncode, built.stdout[-3000:] + built.stderr[-3000:]

    # The final stage sees only its own ENV (the image's base PATH), with the venv where the builder made it.
    run_env = final.env({"PATH": "/usr/local/bin:/usr/bin:/bin"}, pinned)
    (entrypoint,) = final.all("ENTRYPOINT")
    command, *entry_args = json.loads(entrypoint)
    resolved = shutil.which(command, path=run_env["PATH"])
    empty = tmp_path / "empty"
    empty.mkdir()
    checked = subprocess.run(
        [str(resolved), *entry_args, "--sandbox", "--check"],
        cwd=empty,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    installed = list(venv.glob("lib/python3*/site-packages/dockerhub_mcp/__init__.py"))

    assert str(venv / "bin" / "dockerhub-mcp") == resolved
    assert 1 == len(installed)  # a real copy in site-packages, not an editable link to the source
    assert not list(venv.glob("lib/python3*/site-packages/__editable__*"))
    assert (0, "ok: signed in to http://sandbox.hub.local as demo with a personal access token\n") == (
        checked.returncode,
        checked.stdout,
    ), checked.stderr
