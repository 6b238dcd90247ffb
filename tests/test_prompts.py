"""Prompts for the four jobs: listed with their arguments, rendered as short messages that name the tools to call
and ask for a ticket-ready summary, bad arguments refused, and read-only mode respected."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from mcp import Client, MCPError
from mcp.types import INVALID_PARAMS, GetPromptResult, TextContent

from dockerhub_mcp.sandbox import SANDBOX_OAT, SANDBOX_TOKEN

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]
SNAPSHOTS = Path(__file__).parent / "snapshots"
OAT = {"username": "acme", "token": SANDBOX_OAT, "token_kind": "oat"}
TICKET = "Then give me a markdown summary to paste into a ticket:"


def text_of(result: GetPromptResult) -> str:
    """The text of a prompt that renders as one user message."""
    (message,) = result.messages
    assert "user" == message.role
    assert isinstance(message.content, TextContent)
    return message.content.text


async def test_prompts_list_shows_the_four_jobs_with_their_arguments(client: Client) -> None:
    """Each prompt is listed with a title, a description and its arguments, required or not."""
    prompts = (await client.list_prompts()).prompts

    assert {
        "scheduled_cleanup": [("namespace", True), ("older_than_days", True), ("keep_latest", False)],
        "oncall_audit": [("namespace", True), ("hours", False)],
        "rebrand_descriptions": [("namespace", True), ("find", True), ("replace", True)],
        "ticket_summary": [("namespace", True), ("repository", False)],
    } == {p.name: [(a.name, a.required) for a in p.arguments or ()] for p in prompts}
    assert all(p.title and p.description for p in prompts)
    assert all(a.description for p in prompts for a in p.arguments or ())


@pytest.mark.parametrize("read_only", [False, True], ids=["full", "read-only"])
async def test_prompts_list_matches_the_committed_snapshot(connect: Connect, read_only: bool) -> None:
    """Names, titles, descriptions and arguments equal the snapshot (UPDATE_SNAPSHOTS=1 rewrites it)."""
    async with connect(read_only=read_only) as c:
        prompts = (await c.list_prompts()).prompts
    actual = [p.model_dump(mode="json", by_alias=True, exclude_none=True) for p in prompts]
    path = SNAPSHOTS / ("prompts_read_only.json" if read_only else "prompts.json")
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    expected = json.loads(path.read_text(encoding="utf-8"))

    assert expected == actual


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_cleanup_prompt_plans_then_applies_by_plan_id(connect: Connect, mode: str) -> None:
    """scheduled_cleanup leads to plan_tag_cleanup with the arguments, a review, then apply_tag_cleanup by plan_id,
    in both protocol eras."""
    async with connect(mode=mode) as c:
        result = await c.get_prompt(
            "scheduled_cleanup", {"namespace": "acme", "older_than_days": "90", "keep_latest": "10"}
        )

    assert (
        "Clean up the Docker Hub namespace `acme`: delete tags pushed more than 90 days ago, keeping the 10 newest "
        "of each repository.\n"
        '1. Call plan_tag_cleanup with namespace="acme", older_than_days=90, keep_latest=10. It deletes nothing.\n'
        "2. Show me its totals and the repositories that free the most; its plan_uri resource lists every tag.\n"
        "3. Only when I approve, call apply_tag_cleanup with its plan_id and confirm=true.\n"
        f"{TICKET} namespace, rules, tags deleted, skipped and failed, space freed, plan_id."
    ) == text_of(result)


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("scheduled_cleanup", {"namespace": "demo", "older_than_days": "30"}, ["older_than_days=30. It"]),
        ("oncall_audit", {"namespace": "acme"}, ["audit_recent_pushes", 'namespace="acme", since_hours=24']),
        ("oncall_audit", {"namespace": "acme", "hours": "6"}, ["audit_recent_pushes", "since_hours=6", "6 hours"]),
        (
            "rebrand_descriptions",
            {"namespace": "demo", "find": 'Acme "Corp"', "replace": "Apex"},
            ["bulk_update_descriptions", r'find="Acme \"Corp\"", replace="Apex"', "dry run", "dry_run=false"],
        ),
        (
            "ticket_summary",
            {"namespace": "demo"},
            ["get_namespace", "list_repositories", 'ordering="-last_updated"', 'namespace="demo"'],
        ),
        (
            "ticket_summary",
            {"namespace": "demo", "repository": "web"},
            ["get_repository", "list_tags", "`demo/web`", 'namespace="demo", repository="web"'],
        ),
    ],
)
async def test_each_prompt_names_its_tools_and_arguments(
    client: Client, name: str, arguments: dict[str, str], expected: list[str]
) -> None:
    """The rendered message names the tools to call with the given arguments (quoted exactly) and asks for a
    markdown summary for a ticket."""
    text = text_of(await client.get_prompt(name, arguments))

    assert [] == [part for part in expected if part not in text]
    assert TICKET in text


async def test_every_tool_a_prompt_names_is_registered(client: Client) -> None:
    """Together the prompts name these eight tools, every one of them registered, and nothing else that could
    be taken for a tool."""
    tools = {t.name for t in (await client.list_tools()).tools}
    texts = [
        text_of(await client.get_prompt("scheduled_cleanup", {"namespace": "demo", "older_than_days": "1"})),
        text_of(await client.get_prompt("oncall_audit", {"namespace": "demo"})),
        text_of(await client.get_prompt("rebrand_descriptions", {"namespace": "demo", "find": "a", "replace": "b"})),
        text_of(await client.get_prompt("ticket_summary", {"namespace": "demo"})),
        text_of(await client.get_prompt("ticket_summary", {"namespace": "demo", "repository": "web"})),
    ]
    named = {name for text in texts for name in re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text)}

    assert {
        "plan_tag_cleanup",
        "apply_tag_cleanup",
        "audit_recent_pushes",
        "bulk_update_descriptions",
        "get_namespace",
        "list_repositories",
        "get_repository",
        "list_tags",
    } == named & tools
    # Everything else spelled like a tool is an argument or a result field, so no prompt names a missing tool.
    assert {"older_than_days", "plan_id", "plan_uri", "since_hours", "dry_run", "page_size", "last_updated"} == (
        named - tools
    )


async def test_prompts_are_short(client: Client) -> None:
    """Each rendered prompt stays under 700 characters and prompts/list under 2,500 bytes: they cost context."""
    listed = await client.session.list_prompts()
    size = len(json.dumps(listed.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")))
    texts = [
        text_of(await client.get_prompt("scheduled_cleanup", {"namespace": "demo", "older_than_days": "90"})),
        text_of(await client.get_prompt("oncall_audit", {"namespace": "demo"})),
        text_of(await client.get_prompt("rebrand_descriptions", {"namespace": "demo", "find": "a", "replace": "b"})),
        text_of(await client.get_prompt("ticket_summary", {"namespace": "demo", "repository": "web"})),
    ]

    assert size <= 2_500
    assert [] == [t for t in texts if len(t) > 700]


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("scheduled_cleanup", {"namespace": "Bad!", "older_than_days": "9"}, "Invalid namespace 'Bad!'"),
        ("scheduled_cleanup", {"namespace": "", "older_than_days": "9"}, "Invalid namespace ''"),
        ("scheduled_cleanup", {"namespace": "demo", "older_than_days": "0"}, "Invalid older_than_days '0'"),
        ("scheduled_cleanup", {"namespace": "demo", "older_than_days": "36501"}, "Invalid older_than_days '36501'"),
        ("scheduled_cleanup", {"namespace": "demo", "older_than_days": "ninety"}, "valid integer"),
        ("scheduled_cleanup", {"namespace": "demo", "older_than_days": "9", "keep_latest": "-1"}, "keep_latest"),
        ("scheduled_cleanup", {"namespace": "demo"}, "Missing required argument: older_than_days."),
        ("oncall_audit", {"namespace": "demo", "hours": "0"}, "Invalid hours '0'"),
        ("oncall_audit", {"namespace": "demo", "hours": "2161"}, "Invalid hours '2161'"),
        ("oncall_audit", {"namespace": "demo", "hours": "1.5"}, "Invalid hours '1.5'"),
        ("rebrand_descriptions", {"namespace": "demo", "find": "", "replace": "b"}, "Invalid find ''"),
        ("rebrand_descriptions", {"namespace": "demo", "find": "a" * 501, "replace": "b"}, "Invalid find"),
        ("rebrand_descriptions", {"namespace": "demo", "find": "a"}, "Missing required argument: replace."),
        ("ticket_summary", {"namespace": "demo", "repository": "demo/web"}, "Invalid repository name 'demo/web'"),
        ("ticket_summary", {"namespace": "demo", "tag": "v1"}, "Invalid tag 'v1': Unexpected keyword argument."),
    ],
)
async def test_bad_arguments_are_refused_with_a_clear_message(
    client: Client, name: str, arguments: dict[str, str], message: str
) -> None:
    """A missing, malformed or out-of-range argument is an invalid-params error that names it."""
    with pytest.raises(MCPError) as raised:
        await client.get_prompt(name, arguments)

    assert -32602 == raised.value.error.code
    assert message in raised.value.error.message


async def test_a_token_pasted_into_an_argument_is_not_sent_back(client: Client) -> None:
    """The connection's token, pasted into an argument by mistake, is scrubbed from the refusal and from the
    rendered prompt, as from every tool result."""
    with pytest.raises(MCPError) as refused:
        await client.get_prompt("oncall_audit", {"namespace": "demo", "hours": SANDBOX_TOKEN})
    rendered = text_of(
        await client.get_prompt("rebrand_descriptions", {"namespace": "demo", "find": SANDBOX_TOKEN, "replace": "b"})
    )

    assert SANDBOX_TOKEN not in refused.value.error.message
    assert "Invalid hours" in refused.value.error.message
    assert SANDBOX_TOKEN not in rendered
    assert "bulk_update_descriptions" in rendered


async def test_an_empty_optional_argument_counts_as_left_out(client: Client) -> None:
    """Hosts send empty form fields for optional arguments: they render as if omitted."""
    empty = await client.get_prompt("ticket_summary", {"namespace": "demo", "repository": ""})
    omitted = await client.get_prompt("ticket_summary", {"namespace": "demo"})

    assert text_of(omitted) == text_of(empty)


async def test_read_only_mode_plans_without_applying_and_drops_the_rebrand(connect: Connect) -> None:
    """Read-only: the cleanup prompt plans and says nothing can be deleted here; the rebrand prompt, whose dry run
    is a write tool's, is not offered; the others stay."""
    async with connect(read_only=True) as c:
        names = {p.name for p in (await c.list_prompts()).prompts}
        tools = {t.name for t in (await c.list_tools()).tools}
        text = text_of(await c.get_prompt("scheduled_cleanup", {"namespace": "demo", "older_than_days": "90"}))
        with pytest.raises(MCPError) as refused:
            await c.get_prompt("rebrand_descriptions", {"namespace": "demo", "find": "a", "replace": "b"})

    assert {"scheduled_cleanup", "oncall_audit", "ticket_summary"} == names
    assert "This server is read-only: plan and report, nothing can be deleted here." in text
    assert "apply_tag_cleanup" not in text
    assert INVALID_PARAMS == refused.value.error.code
    assert "Unknown prompt: 'rebrand_descriptions'" in refused.value.error.message
    assert {"plan_tag_cleanup", "audit_recent_pushes", "get_namespace", "list_tags"} <= tools


async def test_an_organization_token_gets_the_same_prompts(connect: Connect) -> None:
    """The four prompts do not depend on the token kind."""
    async with connect(**OAT) as c:
        names = {p.name for p in (await c.list_prompts()).prompts}
        text = text_of(await c.get_prompt("oncall_audit", {"namespace": "acme"}))

    assert {"scheduled_cleanup", "oncall_audit", "rebrand_descriptions", "ticket_summary"} == names
    assert 'namespace="acme", since_hours=24' in text
