"""The typed tools against the sandbox: results, pagination and real state changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from mcp import Client

from dockerhub_mcp.sandbox import Sandbox
from helpers import error_text, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]


async def test_list_repositories_defaults_to_the_connected_user(client: Client) -> None:
    """Without a namespace, the demo user's repositories come back, trimmed to the summary fields."""
    page = structured(await client.call_tool("list_repositories", {"ordering": "name"}))

    assert "demo" == page["namespace"]
    names = [r["name"] for r in page["repositories"]]
    assert sorted(names) == names
    assert {"web", "api", "worker"} <= set(names)
    assert {"name", "description", "is_private", "last_updated", "pull_count", "star_count"} == set(
        page["repositories"][0]
    )


async def test_list_repositories_filters_by_name(client: Client) -> None:
    """The name filter is a substring match, passed to Hub."""
    page = structured(await client.call_tool("list_repositories", {"name": "we"}))

    assert ["web"] == [r["name"] for r in page["repositories"]]
    assert 1 == page["count"]


async def test_pagination_reaches_every_tag_of_a_large_repository(client: Client, sandbox: Sandbox) -> None:
    """Following next_page walks all 150+ tags of `web` exactly once."""
    names: list[str] = []
    page: int | None = 1
    while page is not None:
        result = structured(await client.call_tool("list_tags", {"repository": "web", "page": page, "page_size": 40}))
        names.extend(t["name"] for t in result["tags"])
        page = result.get("next_page")

    expected = sorted(t.name for t in sandbox.state.tags("demo", "web"))
    assert len(expected) >= 150
    assert expected == sorted(names)
    assert len(names) == len(set(names))


async def test_get_repository_returns_the_full_description(client: Client) -> None:
    """get_repository includes the markdown overview and registration details."""
    repo = structured(await client.call_tool("get_repository", {"repository": "web"}))

    assert "web" == repo["name"]
    assert "demo" == repo["namespace"]
    assert repo["full_description"]
    assert repo["date_registered"]


async def test_get_tag_lists_its_platform_images(client: Client) -> None:
    """get_tag returns the tag with architecture, os, digest and size per image."""
    tag = structured(await client.call_tool("get_tag", {"repository": "web", "tag": "latest"}))

    assert "latest" == tag["name"]
    assert tag["images"]
    assert (
        {"platform", "digest", "size", "last_pushed"}
        <= set(tag["images"][0])
        <= {
            "platform",
            "digest",
            "size",
            "last_pushed",
            "last_pulled",
        }
    )
    assert all(i["digest"].startswith("sha256:") for i in tag["images"])


async def test_update_description_changes_the_sandbox_state(client: Client) -> None:
    """The new description is what Hub has afterwards."""
    result = structured(
        await client.call_tool(
            "update_description", {"repository": "web", "description": "New words", "full_description": "# Web"}
        )
    )
    after = structured(await client.call_tool("get_repository", {"repository": "web"}))

    assert "New words" == result["description"]
    assert ("New words", "# Web") == (after["description"], after["full_description"])


async def test_update_description_needs_one_of_the_two_fields(client: Client, sandbox: Sandbox) -> None:
    """Calling it with neither field is refused without a request."""
    result = await client.call_tool("update_description", {"repository": "web"})

    assert "description" in error_text(result)
    assert [] == sandbox.api_requests(method="PATCH")


async def test_a_description_over_100_bytes_is_refused_before_sending(client: Client, sandbox: Sandbox) -> None:
    """Hub's 100-byte limit is checked locally."""
    result = await client.call_tool("update_description", {"repository": "web", "description": "x" * 101})

    assert "100" in error_text(result)
    assert [] == sandbox.api_requests(method="PATCH")


async def test_delete_tag_removes_the_tag(client: Client, sandbox: Sandbox) -> None:
    """After delete_tag the tag is gone from Hub."""
    before = {t.name for t in sandbox.state.tags("demo", "worker")}
    victim = sorted(before - {"latest"})[0]

    result = structured(await client.call_tool("delete_tag", {"repository": "worker", "tag": victim}))

    assert {"namespace": "demo", "repository": "worker", "tag": victim, "deleted": True} == result
    assert before - {victim} == {t.name for t in sandbox.state.tags("demo", "worker")}


async def test_deleting_a_missing_tag_is_a_clear_not_found_error(client: Client) -> None:
    """A tag that does not exist yields an error naming it."""
    result = await client.call_tool("delete_tag", {"repository": "worker", "tag": "no-such-tag"})

    text = error_text(result)
    assert "Not found" in text
    assert "demo/worker:no-such-tag" in text


async def test_grant_team_access_records_the_grant(client: Client, sandbox: Sandbox) -> None:
    """Granting a team without access is a POST to the groups route (with its slash), answered with the name."""
    result = structured(
        await client.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "group_id": 102, "permission": "write"}
        )
    )

    assert {
        "namespace": "acme",
        "repository": "tools",
        "group_id": 102,
        "group_name": "ops",
        "permission": "write",
        "change": "granted",
    } == result
    assert ["/v2/repositories/acme/tools/groups/"] == [r.path for r in sandbox.api_requests(method="POST")]
    assert ("ops", "write") in [
        (g.group_name, g.permission) for g in sandbox.state.repo_grants if g.repository == "tools"
    ]


async def test_grant_team_access_rejects_an_unknown_permission(client: Client, sandbox: Sandbox) -> None:
    """The permission is one of read, write, admin; anything else fails schema validation."""
    result = await client.call_tool(
        "grant_team_access", {"namespace": "acme", "repository": "platform", "group_id": 101, "permission": "owner"}
    )

    assert result.is_error
    assert [] == sandbox.api_requests()


async def test_get_connection_reports_configuration_without_any_request(client: Client, sandbox: Sandbox) -> None:
    """get_connection answers from configuration: no exchange, no API call, no token."""
    result = structured(await client.call_tool("get_connection", {}))

    assert {
        "username": "demo",
        "token_kind": "pat",
        "label": "Test",
        "api_url": "http://hub.sandbox.test",
        "read_only": False,
        "sandbox": False,
        "protected_tags": ["latest"],
    } == result
    assert [] == sandbox.requests


async def test_read_only_mode_registers_only_read_tools(connect: Connect, sandbox: Sandbox) -> None:
    """With read_only, write tools are absent and hub_request takes only GET and HEAD."""
    async with connect(read_only=True) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        refused = await c.call_tool(
            "hub_request", {"method": "POST", "path": "/v2/namespaces/demo/repositories", "body": {"name": "x"}}
        )
        allowed = await c.call_tool("hub_request", {"method": "GET", "path": "/v2/namespaces/demo/repositories"})

    assert {
        "get_connection",
        "list_namespaces",
        "get_namespace",
        "search_images",
        "list_repositories",
        "get_repository",
        "list_tags",
        "get_tag",
        "get_repository_access",
        "hub_request",
        "plan_tag_cleanup",
        "audit_recent_pushes",
    } == set(tools)
    assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())
    assert refused.is_error
    assert 200 == structured(allowed)["status"]
    assert [] == sandbox.api_requests(method="POST")


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("list_repositories", {"namespace": "nobody-here"}),
        ("get_repository", {"repository": "nope"}),
        ("list_tags", {"repository": "nope"}),
        ("get_tag", {"repository": "web", "tag": "nope"}),
    ],
)
async def test_missing_things_are_not_found_errors(client: Client, tool: str, args: dict[str, Any]) -> None:
    """Hub's 404s come back as short not-found messages."""
    text = error_text(await client.call_tool(tool, args))

    assert text.startswith(f"Error executing tool {tool}: Not found")
    assert len(text) < 400


async def test_the_handshake_era_used_by_real_hosts_works_too(connect: Connect) -> None:
    """Hosts on the 2025 handshake protocol list the same tools and get the same structured results."""
    async with connect(mode="legacy") as legacy, connect() as modern:
        legacy_tools = [t.name for t in (await legacy.list_tools()).tools]
        modern_tools = [t.name for t in (await modern.list_tools()).tools]
        legacy_page = structured(await legacy.call_tool("list_tags", {"repository": "api", "page_size": 5}))
        modern_page = structured(await modern.call_tool("list_tags", {"repository": "api", "page_size": 5}))

    assert modern_tools == legacy_tools
    assert modern_page == legacy_page


async def test_list_results_are_lean_and_sent_once(client: Client, sandbox: Sandbox) -> None:
    """A page of 100 tags or repositories costs at most 300 bytes an entry, and the text block is the same
    compact JSON (no pretty-printed second copy)."""
    for i in range(120):
        sandbox.state.add_repository("demo", f"service-{i:03d}", description="A service of the storefront " * 3)
    tags = await client.call_tool("list_tags", {"repository": "web", "page_size": 100})
    repositories = await client.call_tool("list_repositories", {"page_size": 100})

    for result, key in ((tags, "tags"), (repositories, "repositories")):
        content = structured(result)
        compact = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
        (text,) = result.content
        assert 100 == len(content[key])
        assert len(compact.encode()) <= 300 * 100, key
        assert compact == getattr(text, "text", None), key
        assert "null" not in compact, key  # nothing sent just to say it is empty
