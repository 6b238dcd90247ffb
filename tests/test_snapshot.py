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


async def test_every_tool_sets_all_four_hints_and_an_output_schema(
    connect: Callable[..., AbstractAsyncContextManager[Client]],
) -> None:
    """Each tool states read-only, destructive, idempotent and open-world explicitly, and has an output schema."""
    async with connect() as c:
        tools = (await c.list_tools()).tools

    for tool in tools:
        hints = tool.annotations
        assert hints is not None, tool.name
        assert None not in (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        ), tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.title, tool.name
