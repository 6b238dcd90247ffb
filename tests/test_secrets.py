"""A canary token must never appear in tool results, error messages, log records or reprs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from mcp import Client, MCPError

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.config import Settings
from dockerhub_mcp.sandbox import Fault, Sandbox
from helpers import make_settings

pytestmark = pytest.mark.anyio

CANARY = "dckr_pat_CANARY_c4n4ry_5ecret_0123456789"
JWT_PREFIX = "eyJ"  # every JWT (a base64url JSON header) starts so

SCENARIOS: list[tuple[str, dict[str, Any]]] = [
    ("get_connection", {}),
    ("list_repositories", {}),
    ("list_tags", {"repository": "web", "page": 2}),
    ("get_tag", {"repository": "web", "tag": "latest"}),
    ("get_repository", {"repository": "nope"}),
    ("update_description", {"repository": "worker", "description": "canary run"}),
    ("delete_tag", {"repository": "worker", "tag": "missing-tag"}),
    ("grant_team_access", {"namespace": "acme", "repository": "platform", "group_id": 999, "permission": "read"}),
    ("hub_request", {"method": "GET", "path": "/v2/orgs/acme/members"}),
    ("hub_request", {"method": "GET", "path": "/v2/namespaces/demo/repositories/web/tags"}),
    ("hub_request", {"method": "POST", "path": "/v2/auth/token", "body": {"identifier": "demo"}}),
    ("get_repository", {"repository": "../x"}),
]


async def test_the_canary_token_never_leaks_into_results_or_logs(
    connect: Callable[..., AbstractAsyncContextManager[Client]],
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Across successes, failures, 401 re-exchanges and a revoked token, neither the PAT nor a JWT shows."""
    sandbox.state.add_pat("demo", CANARY, level="repo:admin")
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    async with connect(token=CANARY) as c:
        for name, args in SCENARIOS:
            seen.append((await c.call_tool(name, args)).model_dump_json())
        seen.append((await c.read_resource("dockerhub://namespaces/demo")).model_dump_json())
        sandbox.state.revoke_jwts()
        seen.append((await c.call_tool("list_repositories", {})).model_dump_json())
        sandbox.faults.add(Fault("status", status=500, times=1))
        seen.append((await c.call_tool("list_repositories", {})).model_dump_json())
        sandbox.state.revoke_jwts()
        sandbox.state.revoke_pat(CANARY)
        seen.append((await c.call_tool("list_repositories", {})).model_dump_json())
        with pytest.raises(MCPError) as raised:
            await c.read_resource("dockerhub://namespaces/demo")
        seen.append(repr(raised.value.error))

    logged = [caplog.text, *(repr(r.__dict__) for r in caplog.records)]
    assert sandbox.exchanges >= 3
    assert any("rejected" in s for s in seen)  # the revoked token did produce an error
    for text in seen + logged:
        assert CANARY not in text
        assert JWT_PREFIX not in text


def test_reprs_of_settings_and_client_hide_the_token() -> None:
    """Settings, client and auth reprs mask the token."""
    settings: Settings = make_settings(token=CANARY)
    client = DockerHubClient(settings)

    for text in (repr(settings), str(settings), repr(client), repr(client.auth), repr(settings.model_dump())):
        assert CANARY not in text
