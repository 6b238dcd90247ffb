"""Hub's failures reach the model as short, actionable messages from one error tree."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from mcp import Client

from dockerhub_mcp.sandbox import Fault, Sandbox
from helpers import error_text

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]
PAT_REFUSED = "token issued from personal access token is not allowed"


async def test_a_403_refusing_a_pat_names_the_level_needed_or_an_organization_token(
    client: Client, sandbox: Sandbox
) -> None:
    """Hub's 'personal access token is not allowed' on a PAT operation names the PAT level, or an OAT."""
    body = {"errinfo": {}, "detail": PAT_REFUSED, "message": PAT_REFUSED}
    sandbox.faults.add(Fault("status", status=403, method="POST", path="/groups/$", body=body))

    text = error_text(
        await client.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "group_id": 102, "permission": "read"}
        )
    )

    assert "Docker Hub refused grant a team access to a repository ('acme/tools') for this personal access" in text
    assert "admin permission on the repository" in text
    assert "organization access token" in text


async def test_a_pat_below_delete_level_gets_a_permission_message(connect: Connect, sandbox: Sandbox) -> None:
    """A Read & Write PAT cannot update descriptions; the error names the access level to check."""
    sandbox.state.add_pat("demo", "dckr_pat_read_write_only_0000", level="repo:write")

    async with connect(token="dckr_pat_read_write_only_0000") as c:
        text = error_text(await c.call_tool("update_description", {"repository": "web", "description": "x"}))

    assert "Permission denied for update a repository's description ('demo/web')" in text
    assert "Read, Write & Delete" in text
    assert "insufficient scope" in text
    assert "web" in {r.name for r in sandbox.state.repositories("demo")}
    repo = sandbox.state.repository("demo", "web")
    assert repo is not None and "x" != repo.description


async def test_a_429_says_when_to_retry(client: Client, sandbox: Sandbox) -> None:
    """A rate-limited answer names the wait Hub asked for."""
    sandbox.faults.add(Fault("rate_limit", retry_after=42, times=None, path="^/v2/namespaces/"))

    text = error_text(await client.call_tool("list_repositories", {}))

    assert "rate limit" in text and "retry after 42 s" in text


async def test_a_5xx_is_an_upstream_failure(client: Client, sandbox: Sandbox) -> None:
    """A server error is reported as Hub failing, with the status."""
    sandbox.faults.add(Fault("status", status=503, times=None, path="^/v2/namespaces/"))

    text = error_text(await client.call_tool("get_tag", {"repository": "web", "tag": "latest"}))

    assert "Docker Hub failed on get a tag ('demo/web:latest') with HTTP 503" in text


async def test_an_html_error_page_is_never_echoed(client: Client, sandbox: Sandbox) -> None:
    """An HTML body (a load balancer's page) stays out of the message."""
    sandbox.faults.add(Fault("status", status=502, html=True, times=None, path="^/v2/namespaces/"))

    text = error_text(await client.call_tool("list_repositories", {}))

    assert "<" not in text
    assert "HTTP 502" in text


async def test_a_dropped_connection_is_a_transport_error(client: Client, sandbox: Sandbox) -> None:
    """A connection cut mid-answer is reported as Hub being unreachable, not as a crash."""
    sandbox.faults.add(Fault("drop", times=None, path="^/v2/namespaces/"))

    text = error_text(await client.call_tool("list_repositories", {}))

    assert "Could not reach Docker Hub for list repositories ('demo')" in text


async def test_long_hub_messages_are_cut_short(client: Client, sandbox: Sandbox) -> None:
    """Hub's own wording is quoted, but never more than a short excerpt."""
    body = {"message": "m" * 5000, "errinfo": {}}
    sandbox.faults.add(Fault("status", status=400, body=body, path="^/v2/namespaces/"))

    text = error_text(await client.call_tool("list_repositories", {}))

    assert "Docker Hub rejected list repositories ('demo')" in text
    assert len(text) < 400
