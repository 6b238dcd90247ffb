"""The real command over stdio, against the sandbox Hub served on loopback by `dockerhub-mcp sandbox-hub`."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from dockerhub_mcp.sandbox import SANDBOX_TOKEN, SANDBOX_USERNAME
from helpers import measured, subprocess_on_a_port

pytestmark = [pytest.mark.anyio, pytest.mark.subprocess]  # every test here starts the server


@pytest.fixture
def hub_url() -> Iterator[str]:
    """`dockerhub-mcp sandbox-hub` running as a subprocess on loopback."""
    with subprocess_on_a_port(["sandbox-hub"]) as (url, _):
        yield url


@pytest.mark.slow
async def test_the_server_works_over_stdio_and_keeps_the_token_off_stderr(hub_url: str) -> None:
    """A subprocess server lists tags and deletes one through stdio; its stderr never shows the token."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "dockerhub_mcp", "--verbose"],
        env=measured(
            {
                "DOCKERHUB_USERNAME": SANDBOX_USERNAME,
                "DOCKERHUB_TOKEN": f"  {SANDBOX_TOKEN}\n",
                "DOCKERHUB_API_URL": hub_url,
                "DOCKERHUB_LABEL": "Loopback",
            }
        ),
    )
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
        with anyio.fail_after(60):
            async with Client(stdio_client(params, errlog=errlog)) as client:
                connection = await client.call_tool("get_connection", {})
                tags = await client.call_tool("list_tags", {"repository": "worker", "page_size": 5})
                victim = tags.structured_content["tags"][-1]["name"]
                deleted = await client.call_tool("delete_tag", {"repository": "worker", "tag": victim})
                again = await client.call_tool("get_tag", {"repository": "worker", "tag": victim})
        errlog.seek(0)
        stderr = errlog.read()

    assert {
        "username": "demo",
        "label": "Loopback",
        "api_url": hub_url,
        "read_only": False,
        "sandbox": False,
        "token_kind": "pat",
        "protected_tags": ["latest"],
    } == (connection.structured_content)
    assert 5 == len(tags.structured_content["tags"])
    assert deleted.structured_content == {"namespace": "demo", "repository": "worker", "tag": victim, "deleted": True}
    assert again.is_error
    assert "DEBUG" in stderr  # verbose logging did go to stderr
    assert SANDBOX_TOKEN not in stderr
    assert "eyJ" not in stderr


def test_missing_credentials_exit_2_naming_the_variable(tmp_path: Path) -> None:
    """Without DOCKERHUB_TOKEN the server does not start: exit 2 and one line naming it."""
    result = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp"],
        env=measured({"PATH": "/usr/bin:/bin", "DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": "  "}),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )

    assert 2 == result.returncode
    assert "" == result.stdout
    assert 1 == len(result.stderr.strip().splitlines())
    assert "DOCKERHUB_TOKEN" in result.stderr


def test_check_exchanges_the_token_and_prints_one_line(hub_url: str, tmp_path: Path) -> None:
    """`--check` prints ok and exits 0 with good credentials; prints why and exits 1 with bad ones."""
    env = measured({"PATH": "/usr/bin:/bin", "DOCKERHUB_USERNAME": SANDBOX_USERNAME, "DOCKERHUB_API_URL": hub_url})

    good = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp", "--check"],
        env={**env, "DOCKERHUB_TOKEN": SANDBOX_TOKEN},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    bad = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp", "--check"],
        env={**env, "DOCKERHUB_TOKEN": "dckr_pat_bad_bad"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )

    assert (0, 1) == (good.returncode, bad.returncode)
    assert good.stdout.startswith("ok:") and 1 == len(good.stdout.splitlines())
    assert bad.stdout.startswith("not ok:") and "DOCKERHUB_TOKEN" in bad.stdout
    assert "dckr_pat_bad_bad" not in bad.stdout + bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "env"),
    [(["--read-only"], {}), ([], {"DOCKERHUB_READ_ONLY": "true"})],
    ids=["flag", "env"],
)
async def test_sandbox_mode_serves_demo_data_with_no_credentials(args: list[str], env: dict[str, str]) -> None:
    """`dockerhub-mcp --sandbox` needs no credentials; read-only comes from the flag or DOCKERHUB_READ_ONLY."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "dockerhub_mcp", "--sandbox", *args], env=measured(env)
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            connection = await client.call_tool("get_connection", {})
            repos = await client.call_tool("list_repositories", {"ordering": "name"})

    assert "delete_tag" not in tools
    assert connection.structured_content is not None
    assert (True, True, "demo") == (
        connection.structured_content["sandbox"],
        connection.structured_content["read_only"],
        connection.structured_content["username"],
    )
    assert "web" in [r["name"] for r in repos.structured_content["repositories"]]
