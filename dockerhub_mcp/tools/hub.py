"""The Docker Hub tools: thin calls into the client that return trimmed models."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from dockerhub_mcp.client import not_stored
from dockerhub_mcp.models import (
    Connection,
    DeletedTag,
    DescriptionUpdate,
    HubResponse,
    RepositoryDetails,
    RepositoryPage,
    RepositorySummary,
    TagDetails,
    TagPage,
    TagSummary,
)
from dockerhub_mcp.operations import RepositoryOrdering, TagOrdering
from dockerhub_mcp.redaction import scrub
from dockerhub_mcp.tools.base import (
    AppState,
    NameFilter,
    Namespace,
    Page,
    PageSize,
    Repository,
    Tag,
    hub_errors,
    next_page,
    state_of,
)

__all__ = [
    "MAX_RAW_BODY",
    "create_repository",
    "delete_tag",
    "get_connection",
    "get_repository",
    "get_tag",
    "hub_read_request",
    "hub_request",
    "list_repositories",
    "list_tags",
    "update_description",
]

MAX_RAW_BODY = 20 * 1024


async def list_repositories(
    ctx: Context[AppState],
    namespace: Namespace = None,
    name: NameFilter = None,
    ordering: Annotated[
        RepositoryOrdering | None,
        Field(description="'-' for descending."),
    ] = None,
    page: Page = 1,
    page_size: PageSize = 25,
) -> RepositoryPage:
    """List a namespace's repositories, a page at a time."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        result = await state.client.list_repositories(ns, page=page, page_size=page_size, name=name, ordering=ordering)
    return RepositoryPage(
        namespace=ns,
        count=result.count,
        page=page,
        next_page=next_page(result.next, page),
        repositories=[RepositorySummary.from_wire(r) for r in result.results],
    )


async def get_repository(
    ctx: Context[AppState], repository: Repository, namespace: Namespace = None
) -> RepositoryDetails:
    """Get a repository's details, including its full description."""
    state = state_of(ctx)
    with hub_errors():
        repo = await state.client.get_repository(state.namespace(namespace), repository)
    return RepositoryDetails.from_wire(repo)


async def list_tags(
    ctx: Context[AppState],
    repository: Repository,
    namespace: Namespace = None,
    name: NameFilter = None,
    ordering: Annotated[
        TagOrdering | None,
        Field(description="'-' for descending."),
    ] = None,
    page: Page = 1,
    page_size: PageSize = 25,
) -> TagPage:
    """List a repository's tags, a page at a time (newest first by default)."""
    state = state_of(ctx)
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
        next_page=next_page(result.next, page),
        tags=[TagSummary.from_wire(t) for t in result.results],
    )


async def get_tag(ctx: Context[AppState], repository: Repository, tag: Tag, namespace: Namespace = None) -> TagDetails:
    """Get a tag with its platform images (digest, size, push and pull times)."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        result = await state.client.get_tag(ns, repository, tag)
    return TagDetails.from_wire_in(ns, repository, result)


async def update_description(
    ctx: Context[AppState],
    repository: Repository,
    namespace: Namespace = None,
    description: Annotated[str | None, Field(description="At most 100 bytes.")] = None,
    full_description: Annotated[str | None, Field(description="Markdown, at most 25,000 bytes.")] = None,
) -> DescriptionUpdate:
    """Replace a repository's short and/or full (markdown) description."""
    state = state_of(ctx)
    with hub_errors():
        repo = await state.client.update_description(
            state.namespace(namespace), repository, description=description, full_description=full_description
        )
    sent = {k: v for k, v in (("description", description), ("full_description", full_description)) if v is not None}
    differs = not_stored(repo, sent)
    note = f"Docker Hub answered with another {' and '.join(differs)} than was sent." if differs else None
    return DescriptionUpdate(**RepositorySummary.from_wire(repo).model_dump(), stored_as_sent=not differs, note=note)


async def delete_tag(
    ctx: Context[AppState],
    repository: Repository,
    tag: Tag,
    namespace: Namespace = None,
    allow_protected: Annotated[bool, Field(description="Needed for tags matching DOCKERHUB_PROTECTED_TAGS.")] = False,
) -> DeletedTag:
    """Delete one tag; cannot be undone."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        await state.client.delete_tag(ns, repository, tag, allow_protected=allow_protected)
    return DeletedTag(namespace=ns, repository=repository, tag=tag, deleted=True)


async def create_repository(
    ctx: Context[AppState],
    name: Annotated[str, Field(description="e.g. 'web': lowercase letters, digits, '.', '_', '-'.")],
    namespace: Namespace = None,
    description: Annotated[str | None, Field(description="At most 100 bytes.")] = None,
    full_description: Annotated[str | None, Field(description="Markdown, at most 25,000 bytes.")] = None,
    is_private: Annotated[bool, Field()] = False,
) -> RepositoryDetails:
    """Create a repository."""
    state = state_of(ctx)
    with hub_errors():
        repo = await state.client.create_repository(
            state.namespace(namespace),
            name,
            description=description,
            full_description=full_description,
            is_private=is_private,
        )
    return RepositoryDetails.from_wire(repo)


async def hub_request(
    ctx: Context[AppState],
    method: Annotated[Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], Field()],
    path: Annotated[str, Field(description="e.g. '/v2/namespaces/demo/repositories/web/immutabletags'")],
    query: Annotated[dict[str, str | int] | None, Field()] = None,
    body: Annotated[dict[str, Any] | list[Any] | None, Field()] = None,
) -> HubResponse:
    """Call any other Docker Hub /v2 operation the token may use; prefer the dedicated tools."""
    state = state_of(ctx)
    with hub_errors():
        answer = await state.client.raw(method, path, query=query, body=body)
    # Scrubbed before it is cut: a secret cut in half would no longer be recognised.
    scrubbed = scrub(answer.body, state.client.secrets())
    text = json.dumps(scrubbed)
    if len(text) > MAX_RAW_BODY:
        return HubResponse(
            status=answer.status,
            body=text[:MAX_RAW_BODY],
            note=f"Body truncated to {MAX_RAW_BODY} of {len(text)} characters"
            "; narrow the request (page_size, filters).",
        )
    return HubResponse(status=answer.status, body=scrubbed)


async def hub_read_request(
    ctx: Context[AppState],
    method: Annotated[Literal["GET", "HEAD"], Field()],
    path: Annotated[str, Field(description="e.g. '/v2/namespaces/demo/repositories/web/tags'")],
    query: Annotated[dict[str, str | int] | None, Field()] = None,
) -> HubResponse:
    """Read another operation of Docker Hub's /v2 API: GET or HEAD; prefer the
    dedicated tools."""
    return await hub_request(ctx, method, path, query)


async def get_connection(ctx: Context[AppState]) -> Connection:
    """Show the account (or organization), token kind and API this server uses. No API call."""
    state = state_of(ctx)
    settings = state.settings
    return Connection(
        username=settings.username,
        warning=state.client.owner_mismatch(),
        label=settings.label,
        api_url=settings.api_url,
        read_only=settings.read_only,
        token_kind=settings.token_kind,
        sandbox=settings.sandbox,
        protected_tags=list(settings.protected_tags),
    )
