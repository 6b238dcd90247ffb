"""Accounts: the namespaces the connection can act in, a user's or organization's profile, the image search."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from dockerhub_mcp.errors import DockerHubError
from dockerhub_mcp.models import (
    HubAccount,
    ImageSearchPage,
    ImageSummary,
    NamespacePage,
    NamespaceProfile,
    NamespaceSummary,
)
from dockerhub_mcp.tools.base import AppState, Namespace, Page, PageSize, hub_errors, next_page, state_of

__all__ = ["get_namespace", "list_namespaces", "search_images"]


async def list_namespaces(ctx: Context[AppState], page: Page = 1, page_size: PageSize = 25) -> NamespacePage:
    """List the namespaces this account can act in: its own and its organizations (role, teams)."""
    state = state_of(ctx)
    settings = state.settings
    with hub_errors():
        if settings.token_kind == "oat":  # an organization's token acts in that organization only
            org = await state.client.get_org(settings.username)
            return NamespacePage(count=1, page=page, namespaces=[NamespaceSummary.from_wire(org)] if page == 1 else [])
        orgs = await state.client.list_user_orgs(page=page, page_size=page_size)
        own = [NamespaceSummary.from_wire(await state.client.get_user(settings.username))] if page == 1 else []
    return NamespacePage(
        count=orgs.count + 1,
        page=page,
        next_page=next_page(orgs.next, page),
        namespaces=own + [NamespaceSummary.from_wire(o) for o in orgs.results],
    )


async def get_namespace(ctx: Context[AppState], namespace: Namespace = None) -> NamespaceProfile:
    """Get a user's or organization's profile and repository count."""
    state = state_of(ctx)
    name = state.namespace(namespace)
    with hub_errors():
        account: HubAccount = await state.client.get_account(name)
        try:
            repositories = (await state.client.list_repositories(name, page=1, page_size=1)).count
        except DockerHubError:
            repositories = None
    summary = NamespaceSummary.from_wire(account)
    return NamespaceProfile(**summary.model_dump(), repositories=repositories)


async def search_images(
    ctx: Context[AppState],
    query: Annotated[str, Field(min_length=1, max_length=200, description="e.g. 'postgres'")],
    official_only: Annotated[bool, Field(description="Docker Official Images only.")] = False,
    page: Page = 1,
    page_size: PageSize = 25,
) -> ImageSearchPage:
    """Search Docker Hub's public images, best match first."""
    state = state_of(ctx)
    with hub_errors():
        found = await state.client.search_images(query, official_only=official_only, page=page, page_size=page_size)
    return ImageSearchPage(
        query=query,
        total=found.total,
        page=page,
        next_page=page + 1 if page * page_size < found.total else None,
        images=[ImageSummary.from_wire(r) for r in found.results],
    )
