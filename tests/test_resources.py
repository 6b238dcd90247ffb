"""Resource templates: namespace summaries and repository details, and not-found for the rest."""

from __future__ import annotations

import json

import pytest
from mcp import Client, MCPError
from mcp.types import ReadResourceResult, TextResourceContents

from dockerhub_mcp.sandbox import Clock, Sandbox, build_sandbox
from helpers import TEST_NOW, open_client, read_json, structured

pytestmark = pytest.mark.anyio


def text_of(result: ReadResourceResult) -> str:
    """The text of a single-content resource read."""
    (content,) = result.contents
    assert isinstance(content, TextResourceContents)
    return content.text


async def test_the_templates_are_listed(client: Client) -> None:
    """The namespace, repository and cleanup plan templates are advertised."""
    templates = (await client.list_resource_templates()).resource_templates

    assert {
        "dockerhub://namespaces/{namespace}",
        "dockerhub://namespaces/{namespace}/repositories/{repository}",
        "dockerhub://plans/{plan_id}",
        "dockerhub://plans/{plan_id}/repositories/{repository}{?page}",
        "dockerhub://plans/{plan_id}/outcomes",
    } == {t.uri_template for t in templates}


async def test_a_namespace_summary_lists_repositories_newest_first(client: Client, sandbox: Sandbox) -> None:
    """The summary has the repository count and the repositories by last update, newest first."""
    summary = json.loads(text_of(await client.read_resource("dockerhub://namespaces/demo")))

    updated = [r["last_updated"] for r in summary["repositories"] if r.get("last_updated")]
    assert len(sandbox.state.repositories("demo")) == summary["repository_count"]
    assert sorted(updated, reverse=True) == updated
    assert {r.name for r in sandbox.state.repositories("demo")} == {r["name"] for r in summary["repositories"]}
    assert summary["truncated"] is False


async def test_a_repository_resource_has_its_details(client: Client) -> None:
    """The repository template returns the same details as get_repository."""
    details = json.loads(text_of(await client.read_resource("dockerhub://namespaces/demo/repositories/web")))

    assert ("demo", "web") == (details["namespace"], details["name"])
    assert details["full_description"]


@pytest.mark.parametrize(
    "uri",
    [
        "dockerhub://namespaces/nobody-here",
        "dockerhub://namespaces/demo/repositories/nope",
        "dockerhub://namespaces/Bad!",
        "dockerhub://elsewhere/demo",
    ],
)
async def test_unknown_resources_are_not_found(client: Client, uri: str) -> None:
    """Unknown namespaces, repositories, invalid names and other URIs are resource-not-found errors."""
    with pytest.raises(MCPError) as raised:
        await client.read_resource(uri)

    assert -32602 == raised.value.error.code


async def test_a_repository_of_a_big_plan_is_read_a_thousand_tags_a_page() -> None:
    """1,150 planned tags in one repository: the index says 2 pages; page 1 has 1,000 and names the next,
    page 2 the other 150 and no next; page 0 is refused."""
    clock = Clock()
    clock.freeze(TEST_NOW)
    sandbox = build_sandbox(seed=0, clock=clock, demo=False)
    sandbox.state.add_aged_repositories("demo", repositories=1, tags=1200, at=TEST_NOW)
    async with open_client(sandbox) as client:
        plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 50, "keep": []}))
        (entry,) = (await read_json(client, plan["plan_uri"]))["repositories"]
        first = await read_json(client, entry["uri"])
        second = await read_json(client, first["next_uri"])
        with pytest.raises(MCPError, match="pages count from 1"):
            await client.read_resource(f"{entry['uri']}?page=0")

    assert (1150, 50, 2) == (entry["delete"], entry["kept"], entry["pages"])
    assert (1000, 50, f"{entry['uri']}?page=2") == (len(first["delete"]), len(first["kept"]), first["next_uri"])
    assert (150, 0, None) == (len(second["delete"]), len(second["kept"]), second.get("next_uri"))
    assert {t["tag"] for t in first["delete"]}.isdisjoint(t["tag"] for t in second["delete"])


@pytest.mark.parametrize("read_only", [False, True])
async def test_a_plan_index_says_whether_this_connection_can_apply_it(read_only: bool) -> None:
    """`applicable` is false on a read-only server, which has no apply_tag_cleanup (the MCP Apps view reads it
    to disable Apply); the tool's result does not carry it."""
    sandbox = build_sandbox(seed=0)
    async with open_client(sandbox, read_only=read_only) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 90}))
        index = await read_json(client, plan["plan_uri"])

    assert (not read_only, not read_only) == (index["applicable"], "apply_tag_cleanup" in tools)
    assert "applicable" not in plan
