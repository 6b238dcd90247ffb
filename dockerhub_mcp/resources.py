"""Resource templates: a namespace's summary and a repository's details, as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from pydantic import BaseModel

from dockerhub_mcp.errors import DockerHubError, InvalidInputError, NotFoundError
from dockerhub_mcp.models import RepositoryDetails, RepositorySummary
from dockerhub_mcp.tools import AppState

__all__ = ["NAMESPACE_LIMIT", "NamespaceSummary", "register_resources"]

NAMESPACE_LIMIT = 100


class NamespaceSummary(BaseModel):
    """A namespace: how many repositories it has, and the most recently updated of them."""

    namespace: str
    repository_count: int
    repositories: list[RepositorySummary]
    truncated: bool


@contextmanager
def _resource_errors(uri: str) -> Iterator[None]:
    try:
        yield
    except (NotFoundError, InvalidInputError) as exc:
        raise ResourceNotFoundError(f"{uri}: {exc}") from exc
    except DockerHubError as exc:
        raise ResourceError(f"{uri}: {exc}") from exc


def register_resources(mcp: MCPServer[AppState]) -> None:
    """Register the namespace and repository templates."""

    @mcp.resource(
        "dockerhub://namespaces/{namespace}",
        name="namespace",
        title="Docker Hub namespace",
        description="A namespace's repository count and its 100 most recently updated repositories.",
        mime_type="application/json",
    )
    async def namespace_summary(namespace: str, ctx: Context[AppState]) -> str:
        state = ctx.request_context.lifespan_context
        with _resource_errors(f"dockerhub://namespaces/{namespace}"):
            page = await state.client.list_repositories(
                namespace, page=1, page_size=NAMESPACE_LIMIT, ordering="-last_updated"
            )
        repositories = sorted(
            (RepositorySummary.from_wire(r) for r in page.results),
            key=lambda r: (r.last_updated is not None, r.last_updated),
            reverse=True,
        )
        summary = NamespaceSummary(
            namespace=namespace,
            repository_count=page.count,
            repositories=repositories,
            truncated=page.count > len(repositories),
        )
        return summary.model_dump_json(indent=1)

    @mcp.resource(
        "dockerhub://namespaces/{namespace}/repositories/{repository}",
        name="repository",
        title="Docker Hub repository",
        description="A repository's details, including its full description.",
        mime_type="application/json",
    )
    async def repository_details(namespace: str, repository: str, ctx: Context[AppState]) -> str:
        state = ctx.request_context.lifespan_context
        with _resource_errors(f"dockerhub://namespaces/{namespace}/repositories/{repository}"):
            repo = await state.client.get_repository(namespace, repository)
        return RepositoryDetails.from_wire(repo).model_dump_json(indent=1)
