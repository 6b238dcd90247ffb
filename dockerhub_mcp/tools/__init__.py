"""The MCP tools, registered from one table; read-only mode and the token kind are applied here, from data."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from dockerhub_mcp.config import TokenKind
from dockerhub_mcp.models import Result
from dockerhub_mcp.redaction import scrub
from dockerhub_mcp.tools.accounts import get_namespace, list_namespaces, search_images
from dockerhub_mcp.tools.base import READ, AppState, hints, state_of
from dockerhub_mcp.tools.hub import (
    create_repository,
    delete_tag,
    get_connection,
    get_repository,
    get_tag,
    hub_read_request,
    hub_request,
    list_repositories,
    list_tags,
    update_description,
)
from dockerhub_mcp.tools.orgs import (
    add_team_member,
    get_audit_log,
    list_invites,
    list_org_members,
    list_team_members,
    list_teams,
    remove_team_member,
)
from dockerhub_mcp.tools.teams import get_repository_access, grant_team_access, revoke_team_access
from dockerhub_mcp.tools.workflows import (
    apply_tag_cleanup,
    audit_recent_pushes,
    bulk_update_descriptions,
    plan_tag_cleanup,
)

__all__ = ["TOOLS", "AppState", "ToolSpec", "lean", "register_tools", "view_uri"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as registered: its function, title and hints, its variant for read-only mode if any, and the
    kind of token it needs (`any`, or `oat` for the organization tools), and the MCP Apps view that shows its
    result, if any (`dockerhub_mcp.views`)."""

    fn: Callable[..., Any]
    title: str
    annotations: ToolAnnotations
    read_only_fn: Callable[..., Any] | None = None
    token: Literal["any", "oat"] = "any"
    view: str | None = None


def view_uri(view: str) -> str:
    """The `ui://` resource of an MCP Apps view."""
    return f"ui://dockerhub-mcp/{view}.html"


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(get_connection, "Get connection", hints(True, False, True, open_world=False)),
    ToolSpec(list_namespaces, "List namespaces", READ),
    ToolSpec(get_namespace, "Get namespace", READ),
    ToolSpec(search_images, "Search images", READ),
    ToolSpec(list_repositories, "List repositories", READ),
    ToolSpec(get_repository, "Get repository", READ),
    ToolSpec(create_repository, "Create repository", hints(False, False, False)),
    ToolSpec(list_tags, "List tags", READ),
    ToolSpec(get_tag, "Get tag", READ),
    ToolSpec(update_description, "Update description", hints(False, True, True)),
    ToolSpec(delete_tag, "Delete tag", hints(False, True, True)),
    ToolSpec(get_repository_access, "Get repository access", READ),
    ToolSpec(grant_team_access, "Grant team access", hints(False, True, True)),
    ToolSpec(hub_request, "Docker Hub API request", hints(False, True, False), read_only_fn=hub_read_request),
    ToolSpec(plan_tag_cleanup, "Plan tag cleanup", READ, view="cleanup-plan"),
    ToolSpec(apply_tag_cleanup, "Apply tag cleanup", hints(False, True, True)),
    ToolSpec(audit_recent_pushes, "Audit recent pushes", READ, view="audit"),
    ToolSpec(bulk_update_descriptions, "Bulk update descriptions", hints(False, True, True)),
    ToolSpec(list_org_members, "List organization members", READ, token="oat"),
    ToolSpec(list_teams, "List teams", READ, token="oat"),
    ToolSpec(list_team_members, "List team members", READ, token="oat"),
    ToolSpec(list_invites, "List invites", READ, token="oat"),
    ToolSpec(get_audit_log, "Get audit log", READ, token="oat"),
    ToolSpec(add_team_member, "Add team member", hints(False, False, True), token="oat"),
    ToolSpec(remove_team_member, "Remove team member", hints(False, True, True), token="oat"),
    ToolSpec(revoke_team_access, "Revoke team access", hints(False, True, True), token="oat"),
)


def register_tools(
    mcp: MCPServer[AppState], *, read_only: bool, token_kind: TokenKind = "pat"
) -> dict[str, type[Result]]:
    """Register the tools for this token kind; in read-only mode only those annotated read-only, or their
    read-only variant. Returns each registered tool's result model, for its output schema."""
    outputs: dict[str, type[Result]] = {}
    for spec in TOOLS:
        if spec.token not in ("any", token_kind):
            continue
        if not read_only or spec.annotations.read_only_hint:
            fn, annotations = spec.fn, spec.annotations
        elif spec.read_only_fn is not None:
            fn, annotations = spec.read_only_fn, READ
        else:
            continue
        # One line, no docstring indentation: every byte of a description is paid on every request.
        description = " ".join((fn.__doc__ or "").split())
        signature = inspect.signature(fn, eval_str=True)
        # The MCP Apps link: hosts with the extension render the view with the result; others ignore `_meta`.
        meta = {"ui": {"resourceUri": view_uri(spec.view)}} if spec.view is not None else None
        mcp.add_tool(
            lean(fn, signature),
            name=spec.fn.__name__,
            title=spec.title,
            description=description,
            annotations=annotations,
            meta=meta,
        )
        outputs[spec.fn.__name__] = signature.return_annotation
    return outputs


def lean(
    fn: Callable[..., Awaitable[Result]], signature: inspect.Signature | None = None
) -> Callable[..., Awaitable[CallToolResult]]:
    """The tool `fn`, answering with its result once: structured content without nulls, and as text a short
    summary (the result's `summary_markdown`) or else the same JSON, compact, never a pretty-printed copy.

    Every string is scrubbed of secrets on the way out. The wrapper returns a plain CallToolResult, so the SDK
    builds no output schema or validator of its own: the server lists a lean one (`tools.schema.lean_output`)
    made from the result model, and the model itself has validated the result.
    """
    signature = signature or inspect.signature(fn, eval_str=True)

    @functools.wraps(fn)
    async def tool(*args: Any, **kwargs: Any) -> CallToolResult:
        result = await fn(*args, **kwargs)
        # Every string that leaves the server is scrubbed of secrets, whatever Hub (or a proxy) echoed.
        secrets = state_of(kwargs["ctx"]).client.secrets() if "ctx" in kwargs else ()
        data = scrub(result.model_dump(mode="json", exclude_none=True), secrets)
        summary = data.get("summary_markdown")
        text = summary if isinstance(summary, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)

    tool.__signature__ = signature.replace(return_annotation=CallToolResult)  # type: ignore[attr-defined]
    # The annotations as types, not the module's strings: the SDK reads them several times per tool.
    tool.__annotations__ = {name: p.annotation for name, p in signature.parameters.items()} | {"return": CallToolResult}
    return tool
