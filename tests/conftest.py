"""Shared fixtures: a fresh sandbox Hub per test, settings for it, and in-memory MCP clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager

import httpx2
import pytest
import stamina
from mcp import Client

from dockerhub_mcp.sandbox import Sandbox, build_sandbox
from dockerhub_mcp.server import build_server
from helpers import clock_sleep, fixed_clock, make_settings


@pytest.fixture(autouse=True, scope="session")
def instant_retries() -> Iterator[None]:
    """Retries happen at once in tests (stamina testing mode), capped at the attempts each call configures."""
    with stamina.set_testing(True, attempts=4, cap=True):
        yield


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio."""
    return "asyncio"


@pytest.fixture
def sandbox() -> Sandbox:
    """A freshly seeded sandbox Hub whose clock starts at the tests' fixed date and runs from there."""
    return build_sandbox(seed=0, clock=fixed_clock())


@pytest.fixture
def connect(sandbox: Sandbox) -> Callable[..., AbstractAsyncContextManager[Client]]:
    """Open an in-memory MCP client on a server wired to the sandbox; keyword arguments override settings."""

    def _connect(*, mode: str = "auto", **overrides: object) -> AbstractAsyncContextManager[Client]:
        server = build_server(
            make_settings(**overrides),
            transport=httpx2.ASGITransport(app=sandbox.app),
            clock=sandbox.clock.now,
            sleep=clock_sleep(sandbox),
        )
        return Client(server, mode=mode)

    return _connect


@pytest.fixture
async def client(connect: Callable[..., AbstractAsyncContextManager[Client]]) -> AsyncIterator[Client]:
    """An in-memory MCP client on a read-write server over the sandbox."""
    async with connect() as c:
        yield c
