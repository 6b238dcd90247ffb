"""Token exchange through the MCP surface: single flight, expiry, 401 re-exchange, fallback, failures."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import anyio
import pytest
from mcp import Client

from dockerhub_mcp.sandbox import Fault, Sandbox
from helpers import error_text, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]


def bearer_kinds(sandbox: Sandbox) -> set[str]:
    """The kinds of credential the sandbox saw on API (non-exchange) requests."""
    return {r.auth for r in sandbox.requests if not r.path.startswith(("/v2/auth/", "/v2/users/login"))}


async def test_fifty_concurrent_tool_calls_cause_exactly_one_token_exchange(client: Client, sandbox: Sandbox) -> None:
    """However many calls start at once, they wait for a single exchange."""
    # The exchange yields to the event loop, as it does over a network, so the calls really overlap it.
    sandbox.faults.add(Fault("slow", delay=0, times=None, path=r"^/v2/auth/"))
    results: list[bool] = []

    async def call(i: int) -> None:
        result = await client.call_tool("list_tags", {"repository": "web", "page": 1 + i % 3})
        results.append(not result.is_error)

    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(call, i)

    assert [True] * 50 == results
    assert 1 == sandbox.exchanges
    assert {"jwt"} == bearer_kinds(sandbox)


async def test_an_expired_jwt_causes_exactly_one_re_exchange(client: Client, sandbox: Sandbox) -> None:
    """A cached JWT is reused until shortly before `exp`, then exchanged once more."""
    await client.call_tool("get_repository", {"repository": "web"})
    sandbox.clock.advance(500)  # still 100 s before exp: reused
    await client.call_tool("get_repository", {"repository": "web"})
    assert 1 == sandbox.exchanges

    sandbox.clock.advance(60)  # 40 s before exp: inside the 60 s margin, refreshed before use
    for _ in range(3):
        assert not (await client.call_tool("get_repository", {"repository": "web"})).is_error

    assert 2 == sandbox.exchanges
    assert [] == [r for r in sandbox.requests if r.status == 401]


async def test_a_401_causes_one_re_exchange_and_one_retry(client: Client, sandbox: Sandbox) -> None:
    """When Hub stops accepting the JWT, the client exchanges once more and the call succeeds."""
    await client.call_tool("get_repository", {"repository": "web"})
    sandbox.state.revoke_jwts()

    result = await client.call_tool("get_repository", {"repository": "web"})

    assert "web" == structured(result)["name"]
    assert 2 == sandbox.exchanges
    assert 1 == len([r for r in sandbox.requests if r.status == 401])


async def test_a_revoked_token_yields_a_clear_error_after_one_retry(client: Client, sandbox: Sandbox) -> None:
    """A PAT revoked mid-session: one re-exchange is tried, then the call fails saying so."""
    from dockerhub_mcp.sandbox import SANDBOX_TOKEN

    await client.call_tool("get_repository", {"repository": "web"})
    sandbox.state.revoke_jwts()
    sandbox.state.revoke_pat(SANDBOX_TOKEN)

    result = await client.call_tool("get_repository", {"repository": "web"})

    text = error_text(result)
    assert "rejected the username or access token" in text
    assert SANDBOX_TOKEN not in text
    assert 2 == sandbox.exchanges


async def test_a_second_401_says_the_token_was_rejected_or_revoked(client: Client, sandbox: Sandbox) -> None:
    """When even a fresh JWT is refused, the error says the token was rejected or revoked."""
    await client.call_tool("get_repository", {"repository": "web"})
    sandbox.faults.add(Fault("status", status=401, times=2, path=r"^/v2/namespaces/"))

    result = await client.call_tool("get_repository", {"repository": "web"})

    assert "rejected or revoked" in error_text(result)
    assert 2 == sandbox.exchanges


async def test_the_client_falls_back_to_users_login_when_auth_token_is_missing(
    client: Client, sandbox: Sandbox
) -> None:
    """Where /v2/auth/token answers 404, /v2/users/login is used, remembered for an hour, then retried."""
    sandbox.faults.auth_token_route_missing = True

    for _ in range(2):
        assert not (await client.call_tool("list_repositories", {})).is_error
    sandbox.clock.advance(600)  # the JWT expired: exchange again, straight on the fallback route
    assert not (await client.call_tool("list_repositories", {})).is_error
    sandbox.clock.advance(3600)  # an hour on: the documented route is tried first again
    sandbox.faults.auth_token_route_missing = False
    assert not (await client.call_tool("list_repositories", {})).is_error

    exchanges = [(r.path, r.status) for r in sandbox.requests if r.method == "POST"]
    assert [
        ("/v2/auth/token", 404),
        ("/v2/users/login", 200),
        ("/v2/users/login", 200),
        ("/v2/auth/token", 200),
    ] == exchanges


async def test_a_wrong_token_is_reported_without_echoing_it(connect: Connect, sandbox: Sandbox) -> None:
    """Bad credentials give an actionable error that never contains the secret."""
    async with connect(token="dckr_pat_wrong_wrong_wrong") as c:
        result = await c.call_tool("list_repositories", {})

    text = error_text(result)
    assert "DOCKERHUB_USERNAME" in text and "DOCKERHUB_TOKEN" in text
    assert "dckr_pat_wrong_wrong_wrong" not in text
    assert 1 == sandbox.exchanges
    assert [] == sandbox.api_requests()


async def test_the_pat_itself_is_never_sent_as_a_bearer(client: Client, sandbox: Sandbox) -> None:
    """Every API request carries a JWT, never the raw PAT."""
    for tool, args in [
        ("list_repositories", {}),
        ("list_tags", {"repository": "api"}),
        ("get_tag", {"repository": "web", "tag": "latest"}),
    ]:
        assert not (await client.call_tool(tool, args)).is_error

    assert {"jwt"} == bearer_kinds(sandbox)


async def test_fifty_calls_with_a_refused_token_cause_one_exchange(connect: Connect, sandbox: Sandbox) -> None:
    """A refused exchange is not repeated by the calls that waited for it, nor by the next ones for a while."""
    sandbox.faults.add(Fault("slow", delay=0, times=None, path=r"^/v2/auth/"))
    errors: list[str] = []

    async def call() -> None:
        errors.append(error_text(await c.call_tool("list_repositories", {})))

    async with connect(token="dckr_pat_not_the_right_one") as c:
        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(call)
        sandbox.clock.advance(30)
        errors.append(error_text(await c.call_tool("list_repositories", {})))
        sandbox.clock.advance(31)  # past the cool-down: one more try
        errors.append(error_text(await c.call_tool("list_repositories", {})))

    assert 52 == len(errors)
    assert all("rejected the username or access token" in e for e in errors)
    assert 2 == sandbox.exchanges
