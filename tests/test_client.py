"""The client's own guarantees, driven directly: transport failures mapped, read-only enforced, paging edges."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import httpx2
import pytest

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.errors import (
    DockerHubError,
    NotFoundError,
    PermissionDeniedError,
    TransportError,
    UpstreamError,
    parse_retry_after,
)
from dockerhub_mcp.sandbox import SANDBOX_TOKEN, Fault, Sandbox
from helpers import make_settings

pytestmark = pytest.mark.anyio

NOW = 1_800_000_000.0


def failing_transport(exc: Exception) -> httpx2.MockTransport:
    """A transport that grants a token, then raises `exc` on every API request."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/v2/auth/token":
            return httpx2.Response(200, json={"access_token": "not-a-jwt"})
        raise exc

    return httpx2.MockTransport(handler)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: httpx2.ConnectError("refused"), TransportError),
        (lambda: httpx2.ReadTimeout("slow"), TransportError),
        (lambda: httpx2.RemoteProtocolError("cut"), TransportError),
        (lambda: httpx2.DecodingError("garbage"), UpstreamError),
        (lambda: httpx2.TooManyRedirects("loop"), UpstreamError),
    ],
    ids=["connect", "timeout", "protocol", "decoding", "redirects"],
)
async def test_no_httpx2_error_escapes_unmapped(make: Callable[[], Exception], expected: type[DockerHubError]) -> None:
    """Every request failure httpx2 can raise becomes an error of the client's own tree."""
    async with DockerHubClient(make_settings(), transport=failing_transport(make())) as client:
        with pytest.raises(expected) as raised:
            await client.list_repositories("demo")

    assert "list repositories ('demo')" in str(raised.value)


async def test_read_only_mode_refuses_writes_in_the_client_itself(sandbox: Sandbox) -> None:
    """Even a raw POST that passed the tool layer is refused by a read-only client, with nothing sent."""
    transport = httpx2.ASGITransport(app=sandbox.app)
    async with DockerHubClient(make_settings(read_only=True), transport=transport) as client:
        with pytest.raises(PermissionDeniedError, match="read-only"):
            await client.raw("POST", "/v2/namespaces/demo/repositories", body={"name": "x"})
        with pytest.raises(PermissionDeniedError, match="read-only"):
            await client.delete_tag("demo", "web", "v1")

    assert [] == sandbox.requests


async def test_a_page_past_the_end_says_so_rather_than_not_found(sandbox: Sandbox) -> None:
    """Hub's 404 past the last page becomes 'past the last page', not 'repository not found'."""
    async with DockerHubClient(make_settings(), transport=httpx2.ASGITransport(app=sandbox.app)) as client:
        with pytest.raises(NotFoundError, match="Page 99 is past the last page of list tags"):
            await client.list_tags("demo", "web", page=99)


async def test_walking_tags_reads_each_page_once_with_the_largest_page_size(sandbox: Sandbox) -> None:
    """iter_tags follows Hub's pages at 100 a page and yields every tag once."""
    async with DockerHubClient(make_settings(), transport=httpx2.ASGITransport(app=sandbox.app)) as client:
        names = [t.name async for t in client.iter_tags("demo", "web")]

    pages = [(r.query["page"], r.query["page_size"]) for r in sandbox.api_requests(path_prefix="/v2/namespaces/")]
    assert sorted(t.name for t in sandbox.state.tags("demo", "web")) == sorted(names)
    assert [("1", "100"), ("2", "100")] == pages


async def test_hub_echoing_a_credential_never_reaches_the_message(sandbox: Sandbox) -> None:
    """If Hub's error text contains the PAT or a JWT, the client's message has them redacted."""
    body = {"message": f"bad secret {SANDBOX_TOKEN} and eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl", "errinfo": {}}
    sandbox.faults.add(Fault("status", status=400, body=body, path="^/v2/namespaces/"))

    async with DockerHubClient(make_settings(), transport=httpx2.ASGITransport(app=sandbox.app)) as client:
        with pytest.raises(DockerHubError) as raised:
            await client.list_repositories("demo")

    message = str(raised.value)
    assert "bad secret [redacted] and [redacted]" in message
    assert SANDBOX_TOKEN not in message


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "42"}, 42.0),
        ({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"x-retry-after": str(int(NOW) + 7)}, 7.0),
        ({"x-ratelimit-reset": str(int(NOW) + 12)}, 12.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
    ids=["seconds", "http-date", "unix-time", "ratelimit-reset", "garbage", "absent"],
)
def test_retry_after_is_read_in_every_form_hub_has_used(headers: dict[str, str], expected: float | None) -> None:
    """Seconds, HTTP dates, unix timestamps and X-RateLimit-Reset all give the wait in seconds."""
    assert expected == parse_retry_after(headers, now=lambda: NOW)
