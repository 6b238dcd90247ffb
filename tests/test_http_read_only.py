"""Read-only mode over streamable HTTP: the real command on loopback hides every write tool and reads only."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from helpers import INIT, MCP_HEADERS, error_text, structured, subprocess_on_a_port

pytestmark = [pytest.mark.anyio, pytest.mark.subprocess]  # every test here starts the server

KEY = "read-only-http-key-0123456789abcdef"
READ_ONLY_TOOLS = {
    "get_connection",
    "list_namespaces",
    "get_namespace",
    "search_images",
    "get_repository_access",
    "list_repositories",
    "get_repository",
    "list_tags",
    "get_tag",
    "hub_request",
    "plan_tag_cleanup",
    "audit_recent_pushes",
}
MODES = pytest.mark.parametrize("mode", ["auto", "legacy"])


@dataclass(frozen=True)
class Served:
    """The running server: its MCP URL and the file its stderr goes to."""

    url: str
    stderr: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`dockerhub-mcp --sandbox --read-only --transport http -v` on a free loopback port, behind a bearer key."""
    workdir = tmp_path_factory.mktemp("http-read-only")
    stderr = workdir / "stderr.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOCKERHUB_MCP_HTTP_KEY": KEY}
    command = ["--sandbox", "--read-only", "--transport", "http", "--verbose"]
    with (
        stderr.open("w", encoding="utf-8") as errors,
        subprocess_on_a_port(command, env=env, cwd=workdir, stderr=errors) as (url, _),
    ):
        yield Served(url + "/mcp", stderr)


@asynccontextmanager
async def connected(url: str, mode: str) -> AsyncIterator[Client]:
    """An MCP client over streamable HTTP that sends the bearer key."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"})
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client


@MODES
async def test_read_only_mode_lists_only_tools_annotated_read_only(served: Served, mode: str) -> None:
    """Over HTTP the read-only server lists exactly the eight read-only tools, each with readOnlyHint set."""
    with anyio.fail_after(30):
        async with connected(served.url, mode) as client:
            tools = (await client.list_tools()).tools

    assert READ_ONLY_TOOLS == {t.name for t in tools}
    assert [] == [t.name for t in tools if t.annotations is None or t.annotations.read_only_hint is not True]


@MODES
async def test_hub_request_offers_only_get_and_head_and_takes_no_body(served: Served, mode: str) -> None:
    """In read-only mode hub_request's schema allows the methods GET and HEAD and has no body parameter."""
    with anyio.fail_after(30):
        async with connected(served.url, mode) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
    schema: dict[str, Any] = tools["hub_request"].input_schema

    assert ["GET", "HEAD"] == schema["properties"]["method"]["enum"]
    assert ["method", "path", "query"] == sorted(schema["properties"])


@MODES
async def test_hub_request_refuses_writes_and_hub_keeps_its_state(served: Served, mode: str) -> None:
    """POST, PATCH and DELETE through hub_request are refused; the repository and the tag are still there after."""
    writes: list[dict[str, Any]] = [
        {
            "method": "POST",
            "path": "/v2/namespaces/demo/repositories",
            "body": {"namespace": "demo", "name": "made-over-http"},
        },
        {"method": "PATCH", "path": "/v2/namespaces/demo/repositories/web", "body": {"description": "changed"}},
        {"method": "DELETE", "path": "/v2/namespaces/demo/repositories/web/tags/latest"},
    ]
    with anyio.fail_after(30):
        async with connected(served.url, mode) as client:
            refused = [await client.call_tool("hub_request", arguments) for arguments in writes]
            created = await client.call_tool("get_repository", {"repository": "made-over-http"})
            web = structured(await client.call_tool("get_repository", {"repository": "web"}))
            latest = await client.call_tool("get_tag", {"repository": "web", "tag": "latest"})

    assert [True, True, True] == [r.is_error for r in refused]
    assert all("Input should be 'GET' or 'HEAD'" in error_text(r) for r in refused)
    assert "Not found" in error_text(created)
    assert "changed" != web["description"]
    assert not latest.is_error


@MODES
async def test_hub_request_reads_with_get_and_head(served: Served, mode: str) -> None:
    """A GET returns Hub's answer and a HEAD its status, through the read-only hub_request."""
    path = "/v2/namespaces/demo/repositories/web/tags"
    with anyio.fail_after(30):
        async with connected(served.url, mode) as client:
            got = structured(
                await client.call_tool("hub_request", {"method": "GET", "path": path, "query": {"page_size": 2}})
            )
            head = structured(await client.call_tool("hub_request", {"method": "HEAD", "path": path}))

    assert (200, 2) == (got["status"], len(got["body"]["results"]))
    assert 200 == head["status"]


@MODES
async def test_write_tools_are_unknown_when_called_by_name(served: Served, mode: str) -> None:
    """Calling a hidden write tool by name is an unknown-tool error, not a write."""
    with anyio.fail_after(30):
        async with connected(served.url, mode) as client:
            deleted = await client.call_tool("delete_tag", {"repository": "web", "tag": "latest"})
            updated = await client.call_tool("update_description", {"repository": "web", "description": "x"})
            latest = await client.call_tool("get_tag", {"repository": "web", "tag": "latest"})

    assert ["Unknown tool: delete_tag", "Unknown tool: update_description"] == [
        error_text(deleted),
        error_text(updated),
    ]
    assert not latest.is_error


async def test_a_request_without_the_key_gets_401(served: Served) -> None:
    """The read-only server still requires the bearer key: without it, or with a wrong one, 401."""
    with anyio.fail_after(30):
        async with httpx2.AsyncClient() as http:
            missing = await http.post(served.url, json=INIT, headers=MCP_HEADERS)
            wrong = await http.post(served.url, json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer nope"})

    assert (401, 401) == (missing.status_code, wrong.status_code)


async def test_the_bearer_key_never_reaches_the_server_log(served: Served) -> None:
    """With verbose logging on, the server's stderr never shows the HTTP bearer key."""
    with anyio.fail_after(30):
        async with connected(served.url, "auto") as client:
            await client.call_tool("list_tags", {"repository": "web", "page_size": 1})
    log = served.stderr.read_text(encoding="utf-8")

    assert "DEBUG" in log  # verbose logging did reach the file
    assert KEY not in log
