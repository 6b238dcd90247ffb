"""The tool surface is a contract: `tools/list` must match the committed snapshots exactly."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from mcp import Client

from dockerhub_mcp.sandbox import SANDBOX_OAT

pytestmark = pytest.mark.anyio

SNAPSHOTS = Path(__file__).parent / "snapshots"


OAT = {"username": "acme", "token": SANDBOX_OAT, "token_kind": "oat"}


@pytest.mark.parametrize("read_only", [False, True], ids=["full", "read-only"])
@pytest.mark.parametrize("token", ["pat", "oat"])
async def test_tools_list_matches_the_committed_snapshot(
    connect: Callable[..., AbstractAsyncContextManager[Client]], read_only: bool, token: str
) -> None:
    """Names, titles, descriptions, schemas and annotations equal the snapshot (UPDATE_SNAPSHOTS=1 rewrites it),
    for a personal and an organization access token, each in full and read-only."""
    async with connect(read_only=read_only, **(OAT if token == "oat" else {})) as c:
        tools = (await c.list_tools()).tools
    actual = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    name = "tools" + ("_oat" if token == "oat" else "") + ("_read_only" if read_only else "")
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    expected = json.loads(path.read_text(encoding="utf-8"))

    assert expected == actual


async def test_every_tool_states_what_it_may_do_and_has_an_output_schema(
    connect: Callable[..., AbstractAsyncContextManager[Client]],
) -> None:
    """A read-only tool says so; a write says whether it is destructive. Hints left out take MCP's defaults,
    which assume the worst (may write, destructive, not idempotent, open world). Each has an output schema."""
    async with connect() as c:
        tools = (await c.list_tools()).tools

    for tool in tools:
        hints = tool.annotations
        assert hints is not None, tool.name
        if hints.read_only_hint:
            assert (None, None) == (hints.destructive_hint, hints.idempotent_hint), tool.name
        else:
            assert hints.destructive_hint is not None, tool.name
        assert hints.open_world_hint in (None, False), tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.title, tool.name


@pytest.mark.parametrize(
    ("token", "read_only", "budget"),
    [("pat", False, 14_700), ("oat", False, 22_000), ("pat", True, 10_000)],
    ids=["pat", "oat", "read-only"],
)
async def test_tools_list_fits_its_byte_budget(
    connect: Callable[..., AbstractAsyncContextManager[Client]], token: str, read_only: bool, budget: int
) -> None:
    """The tools/list result, as compact JSON, costs at most a third of Docker's hub-mcp (44,162 bytes) for a
    PAT, with every tool kept: it is paid in every conversation."""
    async with connect(read_only=read_only, **(OAT if token == "oat" else {})) as c:
        listed = await c.session.list_tools()
    size = len(json.dumps(listed.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")))

    assert size <= budget
