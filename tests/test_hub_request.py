"""The raw request tool: what it sends, and everything it declines before sending."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from dockerhub_mcp.operations import OPERATIONS, Operation
from dockerhub_mcp.sandbox import Sandbox
from helpers import error_text, structured

pytestmark = pytest.mark.anyio

OAT_ONLY = [op for op in OPERATIONS if op.kind == "oat_only"]
SAMPLE_VALUES = {
    "account": "acme",
    "org_name": "acme",
    "group_name": "developers",
    "username": "someone",
    "id": "1234",
}


def sample_path(template: str) -> str:
    """Fill a path template with plausible values."""
    path = template
    for name, value in SAMPLE_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_the_token_kind_table_lists_every_oat_only_operation_of_the_issue() -> None:
    """Audit logs, members, invites, teams and team members are all marked organization-token-only."""
    expected = {
        ("GET", "/v2/auditlogs/{account}"),
        ("GET", "/v2/auditlogs/{account}/actions"),
        ("GET", "/v2/orgs/{org_name}/members"),
        ("GET", "/v2/orgs/{org_name}/members/export"),
        ("PUT", "/v2/orgs/{org_name}/members/{username}"),
        ("DELETE", "/v2/orgs/{org_name}/members/{username}"),
        ("GET", "/v2/orgs/{org_name}/invites"),
        ("DELETE", "/v2/invites/{id}"),
        ("PATCH", "/v2/invites/{id}/resend"),
        ("POST", "/v2/invites/bulk"),
        ("GET", "/v2/orgs/{org_name}/groups"),
        ("POST", "/v2/orgs/{org_name}/groups"),
        ("GET", "/v2/orgs/{org_name}/groups/{group_name}"),
        ("PUT", "/v2/orgs/{org_name}/groups/{group_name}"),
        ("PATCH", "/v2/orgs/{org_name}/groups/{group_name}"),
        ("DELETE", "/v2/orgs/{org_name}/groups/{group_name}"),
        ("GET", "/v2/orgs/{org_name}/groups/{group_name}/members"),
        ("POST", "/v2/orgs/{org_name}/groups/{group_name}/members"),
        ("DELETE", "/v2/orgs/{org_name}/groups/{group_name}/members/{username}"),
    }

    assert expected == {(op.method, op.template) for op in OAT_ONLY}


@pytest.mark.parametrize("op", OAT_ONLY, ids=lambda op: op.key)
async def test_every_oat_only_operation_is_declined_with_no_request_sent(
    client: Client, sandbox: Sandbox, op: Operation
) -> None:
    """Each organization-token-only operation is refused up front, naming it and the token it needs."""
    body = {"x": 1} if op.method in ("POST", "PUT", "PATCH") else None
    args: dict[str, Any] = {"method": op.method, "path": sample_path(op.template)}
    if body:
        args["body"] = body

    text = error_text(await client.call_tool("hub_request", args))

    assert "organization access token" in text
    assert op.summary.lower() in text.lower()
    assert [] == sandbox.requests


@pytest.mark.parametrize(
    ("method", "path", "canonical"),
    [
        ("GET", "/v2/repositories/demo", "GET /v2/namespaces/{namespace}/repositories"),
        ("GET", "/v2/repositories/demo/web", "GET /v2/namespaces/{namespace}/repositories/{repository}"),
        ("GET", "/v2/repositories/demo/web/tags", "GET /v2/namespaces/{namespace}/repositories/{repository}/tags"),
        ("GET", "/v2/user/", "DOCKERHUB_USERNAME"),
    ],
)
async def test_deprecated_paths_are_declined_naming_the_canonical_one(
    client: Client, sandbox: Sandbox, method: str, path: str, canonical: str
) -> None:
    """Legacy paths are never sent; the error says what to use instead."""
    text = error_text(await client.call_tool("hub_request", {"method": method, "path": path}))

    assert canonical in text
    assert [] == sandbox.requests


@pytest.mark.parametrize("path", ["/v2/namespaces/demo/repositories/web", "/v2/repositories/demo/web/"])
async def test_deleting_a_repository_is_refused(client: Client, sandbox: Sandbox, path: str) -> None:
    """Whole-repository deletion is refused in either path form."""
    text = error_text(await client.call_tool("hub_request", {"method": "DELETE", "path": path}))

    assert "refused" in text.lower()
    assert [] == sandbox.requests
    assert "web" in {r.name for r in sandbox.state.repositories("demo")}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v2/access-tokens", "will not manage personal access tokens: the server manages its own credentials"),
        ("/v2/scim/2.0/Users", "SCIM routes need a separate SCIM token"),
        ("/v2/auth/token", "will not create an access token"),
        ("/v1/repositories/demo/web/tags", "Invalid path"),
        ("/v2/nothing", "not a known Docker Hub API operation"),
    ],
)
async def test_credential_scim_and_unknown_routes_are_declined(
    client: Client, sandbox: Sandbox, path: str, expected: str
) -> None:
    """Token management, SCIM, token routes and anything outside the table are never sent."""
    method = "POST" if path == "/v2/auth/token" else "GET"

    text = error_text(await client.call_tool("hub_request", {"method": method, "path": path}))

    assert expected in text
    assert [] == sandbox.requests


async def test_a_get_is_sent_authenticated_and_answered(client: Client, sandbox: Sandbox) -> None:
    """An allowed GET goes to the canonical path with query parameters and returns Hub's JSON."""
    result = structured(
        await client.call_tool(
            "hub_request",
            {"method": "GET", "path": "/v2/namespaces/demo/repositories/web/tags", "query": {"page_size": 2}},
        )
    )

    assert 200 == result["status"]
    assert 2 == len(result["body"]["results"])
    sent = sandbox.api_requests()
    assert [("GET", "/v2/namespaces/demo/repositories/web/tags", "jwt")] == [(r.method, r.path, r.auth) for r in sent]
    assert "2" == sent[0].query["page_size"]


async def test_large_bodies_are_truncated_with_a_note(client: Client) -> None:
    """An answer over 20 KB comes back cut, with a note saying so."""
    result = structured(
        await client.call_tool(
            "hub_request",
            {"method": "GET", "path": "/v2/namespaces/demo/repositories/web/tags", "query": {"page_size": 100}},
        )
    )

    assert 20 * 1024 == len(result["body"])
    assert "truncated" in result["note"]


async def test_a_get_with_a_body_is_refused(client: Client, sandbox: Sandbox) -> None:
    """GET, HEAD and DELETE take no body."""
    result = await client.call_tool(
        "hub_request", {"method": "GET", "path": "/v2/namespaces/demo/repositories", "body": {"a": 1}}
    )

    assert "no body" in error_text(result)
    assert [] == sandbox.requests
