"""Streamable HTTP sized for a personal server: capped sessions, a header-read deadline, a connection limit.

Each case runs the real command on loopback with small limits, and probes it with raw sockets and requests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx2
import pytest

from helpers import INIT, MCP_HEADERS, free_port, measured, subprocess_on_a_port

pytestmark = [pytest.mark.anyio, pytest.mark.subprocess]  # every test here starts the server


def serve(tmp: os.PathLike[str], **limits: str) -> Iterator[tuple[str, int]]:
    """Run `dockerhub-mcp --sandbox --transport http` with DOCKERHUB_MCP_* `limits`; yield its URL and port."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **{f"DOCKERHUB_MCP_{k.upper()}": v for k, v in limits.items()},
    }
    with subprocess_on_a_port(["--sandbox", "--transport", "http"], env=env, cwd=tmp) as (url, port):
        yield url + "/mcp", port


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """Two sessions at most, half a second to send request headers."""
    yield from serve(tmp_path_factory.mktemp("tight"), max_sessions="2", header_timeout="0.5")


@pytest.fixture(scope="module")
def few_connections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """Two connections at most, with the usual header deadline."""
    yield from serve(tmp_path_factory.mktemp("few"), max_connections="2")


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes `sock` within `seconds` (reading end-of-file)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False


async def test_sessions_beyond_the_cap_are_refused_with_503(tight: tuple[str, int]) -> None:
    """With DOCKERHUB_MCP_MAX_SESSIONS=2 a third session is refused; the open two are unaffected."""
    url, _ = tight
    async with httpx2.AsyncClient() as http:
        answers = [await http.post(url, json=INIT, headers=MCP_HEADERS) for _ in range(3)]
        first = answers[0].headers["mcp-session-id"]
        again = await http.post(
            url,
            json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
            headers={**MCP_HEADERS, "mcp-session-id": first, "mcp-protocol-version": "2025-06-18"},
        )

    assert [200, 200, 503] == [a.status_code for a in answers]
    assert 200 == again.status_code


def test_a_connection_that_sends_no_headers_is_closed(tight: tuple[str, int]) -> None:
    """A socket that connects and says nothing is closed after DOCKERHUB_MCP_HEADER_TIMEOUT (0.5 s here)."""
    _, port = tight
    with socket.create_connection(("127.0.0.1", port)) as idle:
        assert closed_within(idle, 5)


def test_connections_beyond_the_limit_are_closed_at_once(few_connections: tuple[str, int]) -> None:
    """With DOCKERHUB_MCP_MAX_CONNECTIONS=2, a third connection is closed as it arrives; the two stay open."""
    _, port = few_connections
    with (
        socket.create_connection(("127.0.0.1", port)) as one,
        socket.create_connection(("127.0.0.1", port)) as two,
        socket.create_connection(("127.0.0.1", port)) as three,
    ):
        assert closed_within(three, 2)
        assert not closed_within(one, 0.2) and not closed_within(two, 0.2)


def test_bad_limits_exit_2_naming_the_variable(tmp_path: os.PathLike[str]) -> None:
    """A limit that is not a number in range stops the server at once, saying which variable."""
    env = measured({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOCKERHUB_MCP_MAX_SESSIONS": "lots"})
    result = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp", "--sandbox", "--transport", "http", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert 2 == result.returncode
    assert "DOCKERHUB_MCP_MAX_SESSIONS" in result.stderr
