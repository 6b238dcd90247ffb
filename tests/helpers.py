"""Helpers shared by the tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

import anyio
import anyio.lowlevel
import httpx2
from mcp import Client
from mcp.client.session import ElicitationFnT
from mcp.types import CallToolResult

from dockerhub_mcp.cli import main
from dockerhub_mcp.config import Settings
from dockerhub_mcp.sandbox import SANDBOX_TOKEN, SANDBOX_USERNAME, Clock, Sandbox
from dockerhub_mcp.server import build_server

SANDBOX_URL = "http://hub.sandbox.test"
# A bare MCP initialize request, for probing the HTTP transport below the client.
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _test_now() -> float:
    at = datetime.fromisoformat(os.environ.get("DOCKERHUB_MCP_TEST_NOW") or "2026-06-15T09:30:00")
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


# The sandbox's "now" in tests: a fixed date, so no test depends on the day it runs. Set
# DOCKERHUB_MCP_TEST_NOW (an ISO date) to run the suite on another day, e.g. to sweep a year of days.
TEST_NOW = _test_now()


def fixed_clock() -> Clock:
    """A sandbox clock that reads TEST_NOW when made and runs on from there."""
    return Clock.starting_at(TEST_NOW)


def clock_sleep(sandbox: Sandbox) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves the sandbox's clock (which the client shares) instead of waiting."""

    async def sleep(seconds: float) -> None:
        sandbox.clock.advance(seconds)
        await anyio.lowlevel.checkpoint()

    return sleep


def open_client(
    sandbox: Sandbox,
    *,
    mode: str = "auto",
    elicitation_callback: ElicitationFnT | None = None,
    **overrides: object,
) -> Client:
    """An in-memory client on a server over `sandbox`; with `elicitation_callback` the host can ask the user."""
    server = build_server(
        make_settings(**overrides),
        transport=httpx2.ASGITransport(app=sandbox.app),
        clock=sandbox.clock.now,
        sleep=clock_sleep(sandbox),
    )
    return Client(server, mode=mode, elicitation_callback=elicitation_callback)


def make_settings(**overrides: object) -> Settings:
    """Settings for the sandbox's demo account."""
    values: dict[str, object] = {
        "username": SANDBOX_USERNAME,
        "token": SANDBOX_TOKEN,
        "api_url": SANDBOX_URL,
        "label": "Test",
    }
    values.update(overrides)
    return Settings.model_validate(values)


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful tool result."""
    assert not result.is_error, result.content
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


async def read_json(client: Client, uri: str) -> dict[str, Any]:
    """A JSON resource's content."""
    (content,) = (await client.read_resource(uri)).contents
    data: dict[str, Any] = json.loads(getattr(content, "text", ""))
    return data


async def planned_tags(client: Client, plan: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (repository, tag) a plan deletes, read from its resources, in plan order."""
    index = await read_json(client, plan["plan_uri"])
    found: list[tuple[str, str]] = []
    for entry in index["repositories"]:
        part = await read_json(client, entry["uri"])
        found += [(part["repository"], t["tag"]) for t in part["delete"]]
    return found


def error_text(result: CallToolResult) -> str:
    """The text of an error result."""
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


# What coverage needs to follow a child process: `patch = ["subprocess"]` sets it in this process's environment
# when the suite is measured. Tests that give a child a clean environment pass it on with `measured`.
COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def measured(env: dict[str, str]) -> dict[str, str]:
    """`env` plus coverage's variable when the suite runs under coverage, so the child is measured too."""
    return env | {name: os.environ[name] for name in COVERAGE_VARIABLES if name in os.environ}


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until_up(url: str) -> None:
    """Poll the sandbox Hub until it answers (bounded)."""
    with anyio.fail_after(20):
        async with httpx2.AsyncClient() as http:
            while True:
                try:
                    await http.get(url + "/v2/namespaces/demo/repositories")
                    return
                except httpx2.TransportError:
                    await anyio.sleep(0.05)


def run(argv: list[str], sandbox: Sandbox | None = None) -> int:
    """Run the command line in process (against `sandbox` if given); argparse's exits come back as codes."""
    transport = httpx2.ASGITransport(app=sandbox.app) if sandbox is not None else None
    try:
        return main(argv, transport=transport)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


@contextmanager
def subprocess_on_a_port(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: os.PathLike[str] | None = None,
    stderr: IO[str] | None = None,
) -> Iterator[tuple[str, int]]:
    """`python -m dockerhub_mcp <args> --port N` on a free loopback port; its base URL and port inside the block."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dockerhub_mcp", *args, "--port", str(port)],
        env=None if env is None else measured(env),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr if stderr is not None else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with anyio.from_thread.start_blocking_portal() as portal:
            portal.call(wait_until_up, url)
        yield url, port
    finally:
        process.terminate()
        process.wait(timeout=10)


class RawSession:
    """A bare JSON-RPC session over streamable HTTP, so a test can declare exactly the capabilities it wants."""

    def __init__(self, http: httpx2.AsyncClient, url: str) -> None:
        self.http, self.url, self.headers, self.next_id = http, url, {**MCP_HEADERS}, 1

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one request; its JSON-RPC response (from JSON or from the SSE stream)."""
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        answer = await self.http.post(self.url, json=message, headers=self.headers)
        if "mcp-session-id" in answer.headers:
            self.headers |= {"mcp-session-id": answer.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        if answer.headers["content-type"].startswith("application/json"):
            found: dict[str, Any] = answer.json()
            return found
        for line in answer.text.splitlines():
            if line.startswith("data: ") and f'"id":{self.next_id}' in line.replace(" ", ""):
                data: dict[str, Any] = json.loads(line[len("data: ") :])
                return data
        raise AssertionError(answer.text)

    async def notify(self, method: str) -> None:
        """Send a notification."""
        await self.http.post(self.url, json={"jsonrpc": "2.0", "method": method}, headers=self.headers)
