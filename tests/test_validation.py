"""Bad names are refused with a clear message before any request leaves the process."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from dockerhub_mcp.sandbox import Sandbox
from helpers import error_text

pytestmark = pytest.mark.anyio

BAD_NAMES = ["", "../etc", "a/b", "web?x=1", "web#frag", "we b", " web", "web\n", "..", "WEB", "x", "%2e%2e"]
BAD_TAGS = ["", "../v1", "v1/x", "v1?x", "v1#x", "v 1", ".hidden", "-dash", "a" * 129, "v1\t"]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("tool", ["get_repository", "list_tags", "update_description", "delete_tag"])
async def test_bad_repository_names_are_refused_without_a_request(
    client: Client, sandbox: Sandbox, tool: str, name: str
) -> None:
    """Each malformed repository name gets a validation error naming it; nothing is sent."""
    args: dict[str, Any] = {"repository": name}
    if tool == "update_description":
        args["description"] = "x"
    if tool == "delete_tag":
        args["tag"] = "v1"

    text = error_text(await client.call_tool(tool, args))

    assert "Invalid repository name" in text
    assert [] == sandbox.requests


@pytest.mark.parametrize("namespace", [n for n in BAD_NAMES if n != "x"] + ["x", "a" * 256])
async def test_bad_namespaces_are_refused_without_a_request(client: Client, sandbox: Sandbox, namespace: str) -> None:
    """Each malformed namespace is refused, including an empty one (no silent fallback to the default)."""
    text = error_text(await client.call_tool("list_repositories", {"namespace": namespace}))

    assert "Invalid namespace" in text
    assert [] == sandbox.requests


@pytest.mark.parametrize("tag", BAD_TAGS)
@pytest.mark.parametrize("tool", ["get_tag", "delete_tag"])
async def test_bad_tags_are_refused_without_a_request(client: Client, sandbox: Sandbox, tool: str, tag: str) -> None:
    """Each malformed tag is refused before any request."""
    text = error_text(await client.call_tool(tool, {"repository": "web", "tag": tag}))

    assert "Invalid tag" in text
    assert [] == sandbox.requests


@pytest.mark.parametrize(
    "path",
    [
        "/v2/namespaces/demo/repositories/../../v2/user",
        "/v2/namespaces/demo/repositories/web%2Ftags",
        "v2/namespaces/demo/repositories",
        "/v2/namespaces/demo/repositories?page=2",
        "https://evil.test/v2/x",
        "/v2/namespaces/demo//repositories",
        "/v2/namespaces/DEMO/repositories",
        "/v2/namespaces/demo/repositories/a b",
    ],
)
async def test_malformed_raw_paths_are_refused_without_a_request(client: Client, sandbox: Sandbox, path: str) -> None:
    """Traversal, escapes, query strings, other hosts and bad names never reach Hub."""
    assert (await client.call_tool("hub_request", {"method": "GET", "path": path})).is_error
    assert [] == sandbox.requests


@pytest.mark.parametrize(("page", "page_size"), [(0, 10), (1, 0), (1, 101), (-1, 10)])
async def test_out_of_range_paging_is_refused(client: Client, sandbox: Sandbox, page: int, page_size: int) -> None:
    """Pages start at 1 and hold at most 100 results."""
    result = await client.call_tool("list_tags", {"repository": "web", "page": page, "page_size": page_size})

    assert result.is_error
    assert [] == sandbox.requests


async def test_valid_unusual_names_are_encoded_and_sent(client: Client, sandbox: Sandbox) -> None:
    """Names with dots, double underscores and dashes are valid and reach the canonical path."""
    await client.call_tool("get_tag", {"repository": "my__repo.v2-x", "tag": "V1.0_rc-1"})

    assert ["/v2/namespaces/demo/repositories/my__repo.v2-x/tags/V1.0_rc-1"] == [r.path for r in sandbox.api_requests()]
