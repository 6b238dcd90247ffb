"""`GET /healthz` on the HTTP transport: the version to anyone, before the key, the Host check and the session cap."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx2
import pytest

from dockerhub_mcp import __version__
from dockerhub_mcp.sandbox import SANDBOX_TOKEN, SANDBOX_USERNAME, build_sandbox
from dockerhub_mcp.sandbox.server import serving
from helpers import INIT, MCP_HEADERS, RawSession, subprocess_on_a_port

pytestmark = pytest.mark.anyio

KEY = "health-key-for-tests-0123456789abcdef"
HEALTHY = {"status": "ok", "version": __version__}
CLIENT = {"name": "probe-test", "version": "1"}


@pytest.fixture(scope="module")
def one_session_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dockerhub-mcp --sandbox --transport http` on loopback, with a key and room for one MCP session."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DOCKERHUB_MCP_HTTP_KEY": KEY,
        "DOCKERHUB_MCP_MAX_SESSIONS": "1",
    }
    args = ["--sandbox", "--transport", "http"]
    with subprocess_on_a_port(args, env=env, cwd=tmp_path_factory.mktemp("health")) as (url, _):
        yield url


@pytest.mark.subprocess
async def test_healthz_answers_the_version_without_a_key_and_to_a_probe_naming_the_pod_ip(
    one_session_server: str,
) -> None:
    """No key, a Host the rebinding checks refuse on /mcp (a kubelet names the pod's IP): /healthz still says ok."""
    async with httpx2.AsyncClient(base_url=one_session_server, timeout=30) as http:
        plain = await http.get("/healthz")
        probe = await http.get("/healthz", headers={"Host": "10.1.2.3:8000"})
        head = await http.head("/healthz")
        posted = await http.post("/healthz")
        mcp_from_pod_ip = await http.post(
            "/mcp", json=INIT, headers={**MCP_HEADERS, "Host": "10.1.2.3:8000", "Authorization": f"Bearer {KEY}"}
        )
        mcp_without_key = await http.post("/mcp", json=INIT, headers=MCP_HEADERS)

    assert (200, HEALTHY, "no-store") == (plain.status_code, plain.json(), plain.headers["cache-control"])
    assert (200, HEALTHY) == (probe.status_code, probe.json())
    assert (200, b"") == (head.status_code, head.content)
    assert (405, "GET, HEAD") == (posted.status_code, posted.headers["allow"])
    assert (421, 401) == (mcp_from_pod_ip.status_code, mcp_without_key.status_code)


@pytest.mark.subprocess
async def test_healthz_answers_while_the_session_cap_refuses_new_sessions(one_session_server: str) -> None:
    """With DOCKERHUB_MCP_MAX_SESSIONS=1 taken, a second session gets 503 and /healthz still answers 200."""
    key = {"Authorization": f"Bearer {KEY}"}
    async with httpx2.AsyncClient(base_url=one_session_server, timeout=30) as http:
        sessions = [(await http.post("/mcp", json=INIT, headers={**MCP_HEADERS, **key})).status_code for _ in range(2)]
        health = await http.get("/healthz")

    assert [200, 503] == sessions
    assert (200, HEALTHY) == (health.status_code, health.json())


@pytest.mark.subprocess
async def test_healthz_sends_nothing_to_docker_hub(tmp_path: os.PathLike[str]) -> None:
    """A server connected to a sandbox Hub on loopback answers /healthz without one request to Hub, while the
    first tool call of a session does reach it (so the Hub's request log is really watched)."""
    sandbox = build_sandbox()
    with serving(sandbox.app) as hub:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DOCKERHUB_USERNAME": SANDBOX_USERNAME,
            "DOCKERHUB_TOKEN": SANDBOX_TOKEN,
            "DOCKERHUB_API_URL": hub,
            "DOCKERHUB_MCP_HTTP_KEY": KEY,
        }
        with subprocess_on_a_port(["--transport", "http"], env=env, cwd=tmp_path) as (url, _):
            async with httpx2.AsyncClient(base_url=url, timeout=30) as http:
                probes = [(await http.get("/healthz")).status_code for _ in range(3)]
                after_probes = len(sandbox.state.requests)
                http.headers["Authorization"] = f"Bearer {KEY}"
                session = RawSession(http, f"{url}/mcp")
                await session.request(
                    "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": CLIENT}
                )
                await session.notify("notifications/initialized")
                listed = await session.request("tools/call", {"name": "list_repositories", "arguments": {}})

    assert ([200, 200, 200], 0) == (probes, after_probes)
    assert "result" in listed and sandbox.state.requests
