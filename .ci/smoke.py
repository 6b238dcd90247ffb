"""Smoke-test a built distribution: run it with the Python of a fresh venv that has only the wheel installed.

    <venv>/bin/python .ci/smoke.py DIST_DIR

Checks that the sdist and the wheel in DIST_DIR both carry LICENSE, that `dockerhub_mcp` is imported from the
venv (not from a source tree), then starts `<venv>/bin/dockerhub-mcp --sandbox` over stdio as a host would:
initialize, list the tools, call `get_connection` and `list_repositories`, and read back the MCP Apps views the
tools link to (package data: a wheel without them would list links that 404). Prints one line and exits 0, or
exits 1 with the reason.
"""

from __future__ import annotations

import sys
import tarfile
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

import dockerhub_mcp

EXPECTED_TOOLS = {"get_connection", "list_repositories", "list_tags", "delete_tag", "plan_tag_cleanup"}
APP_MIME_TYPE = "text/html;profile=mcp-app"


def check_artefacts(dist: Path) -> None:
    """Both artefacts exist once each and carry LICENSE (the wheel under dist-info/licenses, per PEP 639)."""
    (sdist,) = dist.glob("dockerhub_mcp-*.tar.gz")
    (wheel,) = dist.glob("dockerhub_mcp-*.whl")
    with tarfile.open(sdist) as archive:
        in_sdist = [name for name in archive.getnames() if name.endswith("/LICENSE")]
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = [name for name in archive.namelist() if name.endswith(".dist-info/licenses/LICENSE")]
    if len(in_sdist) != 1 or len(in_wheel) != 1:
        raise SystemExit(f"smoke: LICENSE missing: sdist {in_sdist}, wheel {in_wheel}")


def check_installed() -> str:
    """The package comes from this venv's site-packages, installed from a wheel; returns its version."""
    location = Path(dockerhub_mcp.__file__).resolve()
    if not location.is_relative_to(Path(sys.prefix).resolve()):
        raise SystemExit(f"smoke: dockerhub_mcp imported from {location}, not from the venv {sys.prefix}")
    distribution = metadata.distribution("dockerhub-mcp")
    direct = distribution.read_text("direct_url.json") or ""
    if '"editable": true' in direct:
        raise SystemExit("smoke: dockerhub-mcp is an editable install")
    if not any(str(f).endswith("licenses/LICENSE") for f in distribution.files or []):
        raise SystemExit("smoke: the installed distribution has no LICENSE")
    return distribution.version


async def drive(command: Path, version: str) -> str:
    """Initialize over stdio (the handshake era real hosts speak), list tools, call two; a one-line summary."""
    with tempfile.TemporaryDirectory() as cwd, anyio.fail_after(60):
        params = StdioServerParameters(command=str(command), args=["--sandbox"], env={}, cwd=cwd)
        async with Client(params, mode="legacy") as client:
            info = client.server_info
            listed = (await client.list_tools()).tools
            tools = {tool.name for tool in listed}
            links = sorted({(t.meta or {}).get("ui", {}).get("resourceUri") for t in listed} - {None})
            views = [(await client.read_resource(uri)).contents[0] for uri in links]
            connection = await client.call_tool("get_connection", {})
            repositories = await client.call_tool("list_repositories", {"ordering": "name"})
    problems = []
    if info is None or (info.name, info.version) != ("dockerhub-mcp", version):
        problems.append(f"server info {info!r}, expected dockerhub-mcp {version}")
    if not EXPECTED_TOOLS <= tools:
        problems.append(f"tools missing: {sorted(EXPECTED_TOOLS - tools)}")
    found = connection.structured_content or {}
    if connection.is_error or (found.get("username"), found.get("sandbox")) != ("demo", True):
        problems.append(f"get_connection answered {connection.content!r}")
    names = [r.get("name") for r in (repositories.structured_content or {}).get("repositories", [])]
    if repositories.is_error or "web" not in names:
        problems.append(f"list_repositories answered {repositories.content!r}")
    if len(links) != 2:
        problems.append(f"MCP Apps view links {links}, expected two")
    for uri, view in zip(links, views, strict=True):
        if view.mime_type != APP_MIME_TYPE or not getattr(view, "text", "").startswith("<!doctype html>"):
            problems.append(f"{uri} read back as {view.mime_type!r}, not an MCP Apps HTML document")
    if problems:
        raise SystemExit("smoke: " + "; ".join(problems))
    return f"{len(tools)} tools, {len(names)} repositories, {len(views)} views"


def main() -> None:
    """Run every check; exits non-zero with the reason on the first failure."""
    started = time.monotonic()
    check_artefacts(Path(sys.argv[1]))
    version = check_installed()
    command = Path(sys.prefix) / "bin" / "dockerhub-mcp"
    summary = anyio.run(drive, command, version)
    print(f"smoke: wheel {version} ok over stdio ({summary}) in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
