"""Resource templates, as compact JSON: a namespace's summary, a repository's details, and the cleanup plans
this server keeps (a plan's summary and repository list, each repository's tags, the outcomes of its apply)."""

from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from pydantic import BaseModel

from dockerhub_mcp.errors import DockerHubError, InvalidInputError, NotFoundError
from dockerhub_mcp.models import RepositoryDetails, RepositorySummary
from dockerhub_mcp.redaction import redacted
from dockerhub_mcp.tools import AppState
from dockerhub_mcp.workflows.summaries import PAGE_TAGS, plan_index, repository_page

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


def _out(state: AppState, model: BaseModel) -> str:
    """A resource's JSON: compact, without nulls, scrubbed of secrets."""
    return redacted(model.model_dump_json(exclude_none=True), state.client.secrets())


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
        return _out(state, summary)

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
        return _out(state, RepositoryDetails.from_wire(repo))

    @mcp.resource(
        "dockerhub://plans/{plan_id}",
        name="cleanup_plan",
        title="Tag cleanup plan",
        description="A cleanup plan this server made: its summary and every repository it covers.",
        mime_type="application/json",
    )
    async def cleanup_plan(plan_id: str, ctx: Context[AppState]) -> str:
        state = ctx.request_context.lifespan_context
        with _resource_errors(f"dockerhub://plans/{plan_id}"):
            plan = state.plans.get(plan_id, state.settings, state.client.now())
        return _out(state, plan_index(plan, applicable=not state.settings.read_only))

    @mcp.resource(
        "dockerhub://plans/{plan_id}/repositories/{repository}{?page}",
        name="cleanup_plan_repository",
        title="Tag cleanup plan: one repository",
        description=(
            "One repository of a cleanup plan: every tag to delete, and every tag kept with its reason, "
            f"{PAGE_TAGS:,} of each a page (`?page=N`; `next_uri` names the next)."
        ),
        mime_type="application/json",
    )
    async def cleanup_plan_repository(plan_id: str, repository: str, ctx: Context[AppState], page: int = 1) -> str:
        state = ctx.request_context.lifespan_context
        uri = f"dockerhub://plans/{plan_id}/repositories/{repository}"
        with _resource_errors(uri):
            plan = state.plans.get(plan_id, state.settings, state.client.now())
            found = plan.repository(repository)
            if found is None:
                raise NotFoundError(f"Plan {plan_id[:12]}… does not cover repository {repository!r}.")
            return _out(state, repository_page(plan, found, page))

    @mcp.resource(
        "dockerhub://plans/{plan_id}/outcomes",
        name="cleanup_plan_outcomes",
        title="Tag cleanup outcomes",
        description="Every outcome of the last apply of a cleanup plan.",
        mime_type="application/json",
    )
    async def cleanup_plan_outcomes(plan_id: str, ctx: Context[AppState]) -> str:
        state = ctx.request_context.lifespan_context
        found = state.plans.outcomes(plan_id)
        if found is None:
            raise ResourceNotFoundError(f"dockerhub://plans/{plan_id}/outcomes: the plan was not applied here.")
        return redacted(found, state.client.secrets())
