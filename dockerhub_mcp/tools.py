"""The MCP tools: thin calls into the client that return trimmed models; Hub errors become `ToolError`.

Read-only mode is applied at registration, from each tool's annotations: a tool not annotated
read-only is never registered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.config import Settings
from dockerhub_mcp.errors import DockerHubError
from dockerhub_mcp.models import (
    Connection,
    DeletedTag,
    HubResponse,
    RepositoryDetails,
    RepositoryPage,
    RepositorySummary,
    TagDetails,
    TagPage,
    TagSummary,
    TeamAccess,
)

__all__ = ["MAX_RAW_BODY", "AppState", "register_tools"]

MAX_RAW_BODY = 20 * 1024


@dataclass(frozen=True, slots=True)
class AppState:
    """What the lifespan hands every tool and resource."""

    settings: Settings
    client: DockerHubClient

    def namespace(self, namespace: str | None) -> str:
        """The given namespace, or the configured username when omitted."""
        return self.settings.username if namespace is None else namespace


@contextmanager
def hub_errors() -> Iterator[None]:
    """Turn the client's errors into `ToolError`, whose message the model sees."""
    try:
        yield
    except DockerHubError as exc:
        raise ToolError(str(exc)) from exc


def _state(ctx: Context[AppState]) -> AppState:
    return ctx.request_context.lifespan_context


def _next_page(next_url: str | None, page: int) -> int | None:
    return page + 1 if next_url else None


Namespace = Annotated[str | None, Field(description="Docker Hub user or organization; defaults to the connected user.")]
Repository = Annotated[str, Field(description="Repository name, without namespace, e.g. 'web'.")]
Tag = Annotated[str, Field(description="Tag name, e.g. 'v1.2.0'.")]
Page = Annotated[int, Field(ge=1, description="Page number, from 1.")]
PageSize = Annotated[int, Field(ge=1, le=100, description="Results per page, at most 100.")]
NameFilter = Annotated[str | None, Field(description="Only names containing this text.")]

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)


async def list_repositories(
    ctx: Context[AppState],
    namespace: Namespace = None,
    name: NameFilter = None,
    ordering: Annotated[
        Literal["last_updated", "-last_updated", "name", "-name", "pull_count", "-pull_count"] | None,
        Field(description="Sort key; '-' for descending."),
    ] = None,
    page: Page = 1,
    page_size: PageSize = 25,
) -> RepositoryPage:
    """List a namespace's repositories, one page at a time."""
    state = _state(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        result = await state.client.list_repositories(ns, page=page, page_size=page_size, name=name, ordering=ordering)
    return RepositoryPage(
        namespace=ns,
        count=result.count,
        page=page,
        next_page=_next_page(result.next, page),
        repositories=[RepositorySummary.from_wire(r) for r in result.results],
    )


async def get_repository(
    ctx: Context[AppState], repository: Repository, namespace: Namespace = None
) -> RepositoryDetails:
    """Get a repository's details, including its full description."""
    state = _state(ctx)
    with hub_errors():
        repo = await state.client.get_repository(state.namespace(namespace), repository)
    return RepositoryDetails.from_wire(repo)


async def list_tags(
    ctx: Context[AppState],
    repository: Repository,
    namespace: Namespace = None,
    name: NameFilter = None,
    ordering: Annotated[
        Literal["last_updated", "-last_updated", "name", "-name"] | None,
        Field(description="Sort key; '-' for descending. Hub's default is newest first."),
    ] = None,
    page: Page = 1,
    page_size: PageSize = 25,
) -> TagPage:
    """List a repository's tags, one page at a time."""
    state = _state(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        result = await state.client.list_tags(
            ns, repository, page=page, page_size=page_size, name=name, ordering=ordering
        )
    return TagPage(
        namespace=ns,
        repository=repository,
        count=result.count,
        page=page,
        next_page=_next_page(result.next, page),
        tags=[TagSummary.from_wire(t) for t in result.results],
    )


async def get_tag(ctx: Context[AppState], repository: Repository, tag: Tag, namespace: Namespace = None) -> TagDetails:
    """Get a tag and its platform images (architecture, os, digest, size, push and pull times)."""
    state = _state(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        result = await state.client.get_tag(ns, repository, tag)
    return TagDetails.from_wire_in(ns, repository, result)


async def update_description(
    ctx: Context[AppState],
    repository: Repository,
    namespace: Namespace = None,
    description: Annotated[str | None, Field(description="Short description, at most 100 characters.")] = None,
    full_description: Annotated[str | None, Field(description="Markdown overview, at most 25,000 characters.")] = None,
) -> RepositorySummary:
    """Set a repository's short description and/or full (markdown) description."""
    state = _state(ctx)
    with hub_errors():
        repo = await state.client.update_description(
            state.namespace(namespace), repository, description=description, full_description=full_description
        )
    return RepositorySummary.from_wire(repo)


async def delete_tag(
    ctx: Context[AppState], repository: Repository, tag: Tag, namespace: Namespace = None
) -> DeletedTag:
    """Delete one tag from a repository. Cannot be undone."""
    state = _state(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        await state.client.delete_tag(ns, repository, tag)
    return DeletedTag(namespace=ns, repository=repository, tag=tag, deleted=True)


async def grant_team_access(
    ctx: Context[AppState],
    repository: Repository,
    group_id: Annotated[int, Field(ge=1, description="Numeric team (group) id.")],
    permission: Annotated[Literal["read", "write", "admin"], Field(description="Access level to grant.")],
    namespace: Namespace = None,
) -> TeamAccess:
    """Grant an organization team access to a repository, replacing its current level.
    The team id comes from the organization's teams, which only an organization access token can list."""
    state = _state(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        answer = await state.client.grant_team_access(ns, repository, group_id, permission)
    group_name = answer.get("group_name")
    return TeamAccess(
        namespace=ns,
        repository=repository,
        group_id=group_id,
        group_name=group_name if isinstance(group_name, str) else None,
        permission=str(answer.get("permission") or permission),
    )


async def hub_request(
    ctx: Context[AppState],
    method: Annotated[Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], Field(description="HTTP method.")],
    path: Annotated[str, Field(description="API path, e.g. '/v2/namespaces/demo/repositories/web/immutabletags'.")],
    query: Annotated[dict[str, str | int] | None, Field(description="Query parameters.")] = None,
    body: Annotated[dict[str, Any] | list[Any] | None, Field(description="JSON body.")] = None,
) -> HubResponse:
    """Call another operation of Docker Hub's documented /v2 API that a personal access token may use.
    Prefer the dedicated tools. Organization-token-only, deprecated and repository-delete operations are refused."""
    state = _state(ctx)
    with hub_errors():
        answer = await state.client.raw(method, path, query=query, body=body)
    text = json.dumps(answer.body)
    if len(text) > MAX_RAW_BODY:
        return HubResponse(
            status=answer.status,
            body=text[:MAX_RAW_BODY],
            note=f"Body truncated to {MAX_RAW_BODY} of {len(text)} characters"
            "; narrow the request (page_size, filters).",
        )
    return HubResponse(status=answer.status, body=answer.body)


async def hub_read_request(
    ctx: Context[AppState],
    method: Annotated[Literal["GET", "HEAD"], Field(description="HTTP method.")],
    path: Annotated[str, Field(description="API path, e.g. '/v2/namespaces/demo/repositories/web/tags'.")],
    query: Annotated[dict[str, str | int] | None, Field(description="Query parameters.")] = None,
) -> HubResponse:
    """Read from another operation of Docker Hub's documented /v2 API (read-only mode: GET and HEAD only).
    Prefer the dedicated tools. Organization-token-only and deprecated operations are refused."""
    return await hub_request(ctx, method, path, query)


async def get_connection(ctx: Context[AppState]) -> Connection:
    """Show which Docker Hub account and API this server is connected as. Makes no API call."""
    settings = _state(ctx).settings
    return Connection(
        username=settings.username,
        label=settings.label,
        api_url=settings.api_url,
        read_only=settings.read_only,
        sandbox=settings.sandbox,
    )


def _hints(read_only: bool, destructive: bool, idempotent: bool, open_world: bool = True) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=idempotent, open_world_hint=open_world
    )


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as registered: its function, title and hints, and its variant for read-only mode, if any."""

    fn: Callable[..., Any]
    title: str
    annotations: ToolAnnotations
    read_only_fn: Callable[..., Any] | None = None


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(get_connection, "Get connection", _hints(True, False, True, open_world=False)),
    ToolSpec(list_repositories, "List repositories", READ),
    ToolSpec(get_repository, "Get repository", READ),
    ToolSpec(list_tags, "List tags", READ),
    ToolSpec(get_tag, "Get tag", READ),
    ToolSpec(update_description, "Update description", _hints(False, False, True)),
    ToolSpec(delete_tag, "Delete tag", _hints(False, True, True)),
    ToolSpec(grant_team_access, "Grant team access", _hints(False, True, True)),
    ToolSpec(hub_request, "Docker Hub API request", _hints(False, True, False), read_only_fn=hub_read_request),
)


def register_tools(mcp: MCPServer[AppState], *, read_only: bool) -> None:
    """Register every tool; in read-only mode only those annotated read-only, or their read-only variant."""
    for spec in TOOLS:
        if not read_only or spec.annotations.read_only_hint:
            fn, annotations = spec.fn, spec.annotations
        elif spec.read_only_fn is not None:
            fn, annotations = spec.read_only_fn, READ
        else:
            continue
        # One line, no docstring indentation: every byte of a description is paid on every request.
        description = " ".join((fn.__doc__ or "").split())
        mcp.add_tool(fn, name=spec.fn.__name__, title=spec.title, description=description, annotations=annotations)
