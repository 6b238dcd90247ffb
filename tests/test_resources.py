"""Resource templates: namespace summaries and repository details, and not-found for the rest."""

from __future__ import annotations

import json

import pytest
from mcp import Client, MCPError
from mcp.types import ReadResourceResult, TextResourceContents

from dockerhub_mcp.sandbox import Sandbox

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
        "dockerhub://plans/{plan_id}/repositories/{repository}",
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
