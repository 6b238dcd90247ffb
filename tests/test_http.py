"""Streamable HTTP: the real command on loopback, behind a bearer key, with DNS-rebinding checks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from helpers import INIT, MCP_HEADERS, RawSession, free_port, measured, subprocess_on_a_port, wait_until_up

pytestmark = [pytest.mark.anyio, pytest.mark.subprocess]  # every test here starts the server

KEY = "http-key-for-tests-0123456789abcdef"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dockerhub-mcp --sandbox --transport http` on a free loopback port, with a bearer key."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOCKERHUB_MCP_HTTP_KEY": KEY}
    cwd = tmp_path_factory.mktemp("http")
    with subprocess_on_a_port(["--sandbox", "--transport", "http"], env=env, cwd=cwd) as (url, _):
        yield url + "/mcp"


async def post(url: str, headers: dict[str, str]) -> httpx2.Response:
    """POST an initialize request with the given extra headers."""
    async with httpx2.AsyncClient() as http:
        return await http.post(url, json=INIT, headers={**MCP_HEADERS, **headers})


@pytest.mark.parametrize(("mode", "scheme"), [("auto", "Bearer"), ("legacy", "bearer")])
async def test_a_client_with_the_key_lists_and_calls_tools(server_url: str, mode: str, scheme: str) -> None:
    """With the bearer key (scheme in any case), both protocol eras list tools and call one over HTTP."""
    http = httpx2.AsyncClient(headers={"Authorization": f"{scheme} {KEY}"})
    with anyio.fail_after(30):
        async with http, Client(streamable_http_client(server_url, http_client=http), mode=mode) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("list_tags", {"repository": "web", "page_size": 3})

    assert {"list_tags", "delete_tag", "hub_request"} <= tools
    assert 3 == len(result.structured_content["tags"])


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}, {"Authorization": f"Bearer {KEY}x"}],
    ids=["no-key", "wrong-key", "no-scheme", "longer-key"],
)
async def test_requests_without_the_right_key_get_401(server_url: str, headers: dict[str, str]) -> None:
    """Missing or wrong keys are refused before MCP sees the request."""
    assert 401 == (await post(server_url, headers)).status_code


async def test_dns_rebinding_checks_refuse_foreign_host_and_origin(server_url: str) -> None:
    """A wrong Host header gets 421 and a foreign Origin 403, even with the key."""
    key = {"Authorization": f"Bearer {KEY}"}

    wrong_host = await post(server_url, {**key, "Host": "evil.example"})
    foreign_origin = await post(server_url, {**key, "Origin": "http://evil.example"})

    assert (421, 403) == (wrong_host.status_code, foreign_origin.status_code)


@pytest.mark.slow
def test_a_non_loopback_host_without_a_key_is_refused(tmp_path: Path) -> None:
    """Binding beyond loopback needs DOCKERHUB_MCP_HTTP_KEY: exit 2 before serving."""
    result = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp", "--sandbox", "--transport", "http", "--host", "0.0.0.0"],
        env=measured({"PATH": os.environ.get("PATH", "/usr/bin:/bin")}),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )

    assert 2 == result.returncode
    assert "DOCKERHUB_MCP_HTTP_KEY" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("host", "key"), [("127.0.0.2", None), ("127.0.0.2", KEY)], ids=["no-key", "with-key"])
async def test_dns_rebinding_checks_hold_on_any_loopback_address(
    tmp_path_factory: pytest.TempPathFactory, host: str, key: str | None
) -> None:
    """Bound to another loopback address, a foreign Host or Origin is still refused; the bound name works."""
    port = free_port()
    env = measured(
        {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **({"DOCKERHUB_MCP_HTTP_KEY": key} if key else {})}
    )
    command = [sys.executable, "-m", "dockerhub_mcp", "--sandbox", "--transport", "http", "--host", host]
    process = await anyio.open_process(
        [*command, "--port", str(port)],
        env=env,
        cwd=tmp_path_factory.mktemp("rebind"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{host}:{port}/mcp"
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        await wait_until_up(f"http://{host}:{port}")
        statuses = [
            (await post(url, {**auth, "Host": "evil.example"})).status_code,
            (await post(url, {**auth, "Origin": "http://evil.example"})).status_code,
            (await post(url, auth)).status_code,
        ]
    finally:
        process.terminate()
        with anyio.fail_after(10):
            await process.wait()

    assert [421, 403, 200] == statuses


def test_a_wildcard_bind_needs_the_allowed_host_names(tmp_path: Path) -> None:
    """0.0.0.0 with a key still needs DOCKERHUB_MCP_ALLOWED_HOSTS, or Host checks would have nothing to check."""
    result = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp", "--sandbox", "--transport", "http", "--host", "0.0.0.0"],
        env=measured({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOCKERHUB_MCP_HTTP_KEY": KEY}),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )

    assert 2 == result.returncode
    assert "DOCKERHUB_MCP_ALLOWED_HOSTS" in result.stderr


async def test_a_host_with_url_elicitation_only_is_not_asked_and_confirm_decides(server_url: str) -> None:
    """A host that can open URLs but not show forms gets no form prompt (no -32021): confirm=true applies."""
    capabilities: dict[str, Any] = {"elicitation": {"url": {}}}
    init = {"protocolVersion": "2025-11-25", "capabilities": capabilities, "clientInfo": {"name": "t", "version": "1"}}
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as http:
        session = RawSession(http, server_url)
        await session.request("initialize", init)
        await session.notify("notifications/initialized")
        planned = await session.request(
            "tools/call",
            {"name": "plan_tag_cleanup", "arguments": {"older_than_days": 365, "repositories": ["worker"]}},
        )
        plan = planned["result"]["structuredContent"]
        applied = await session.request(
            "tools/call", {"name": "apply_tag_cleanup", "arguments": {"plan_id": plan["plan_id"], "confirm": True}}
        )

    assert "error" not in applied, applied
    result = applied["result"]
    assert isinstance(result, dict) and not result.get("isError"), result
    assert (True, plan["totals"]["tags"]) == (
        result["structuredContent"]["applied"],
        result["structuredContent"]["totals"]["deleted"],
    )
