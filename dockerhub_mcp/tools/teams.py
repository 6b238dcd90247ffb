"""Team access to repositories: who has which permission, granting it (by team name or id), revoking it.

A team name is resolved to its id through the organization's teams, which only an organization access
token can read; with a personal access token, a name is refused before anything is sent.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from dockerhub_mcp.errors import DockerHubError, InvalidInputError, NotFoundError
from dockerhub_mcp.models import RepositoryAccess, RevokedAccess, TeamAccess, TeamGrant
from dockerhub_mcp.operations import Permission
from dockerhub_mcp.tools.base import (
    Approval,
    AppState,
    Confirm,
    Namespace,
    Repository,
    accepted,
    ask,
    hub_errors,
    state_of,
    why_not,
)

__all__ = ["get_repository_access", "grant_team_access", "revoke_team_access"]

TeamName = Annotated[str | None, Field(description="Needs an organization access token.")]
GroupId = Annotated[int | None, Field(ge=1, description="Team id, instead of team.")]


async def team_id(state: AppState, org: str, team: str | None, group_id: int | None) -> tuple[int, str | None]:
    """The id (and name, when known) of the team given by name or by id.

    Raises:
        InvalidInputError: neither or both given, or a name with a personal access token (nothing is sent).
        NotFoundError: no team of that name in the organization.
    """
    if group_id is not None and team is None:
        return group_id, None
    if team is None or group_id is not None:
        raise InvalidInputError("Give the team by name (team) or by id (group_id), one of the two.")
    if state.settings.token_kind != "oat":
        raise InvalidInputError(
            f"A team name ({team!r}) can be resolved only with an organization access token; this server uses a "
            "personal access token. Give group_id, the team's numeric id, instead."
        )
    try:
        found = await state.client.get_team(org, team)
    except NotFoundError as exc:
        raise NotFoundError(f"Organization {org!r} has no team named {team!r}.") from exc
    return found.id, found.name


async def grant_team_access(
    ctx: Context[AppState],
    repository: Repository,
    permission: Annotated[Permission, Field()],
    team: TeamName = None,
    group_id: GroupId = None,
    namespace: Namespace = None,
) -> TeamAccess:
    """Set a team's permission on a repository, by team name or group_id."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        gid, name = await team_id(state, ns, team, group_id)
        held, change = await state.client.set_team_access(ns, repository, gid, permission)
    return TeamAccess(
        namespace=ns,
        repository=repository,
        group_id=gid,
        group_name=held.group_name or name,
        permission=held.permission,
        change=change,
    )


async def get_repository_access(
    ctx: Context[AppState], repository: Repository, namespace: Namespace = None
) -> RepositoryAccess:
    """List the teams with access to a repository: who can push to it."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        grants = [g async for g in state.client.iter_repository_groups(ns, repository)]
    return RepositoryAccess(
        namespace=ns,
        repository=repository,
        teams=[TeamGrant(group_id=g.group_id, team=g.group_name, permission=g.permission) for g in grants],
    )


async def ask_revoke(
    ctx: Context[AppState],
    repository: str,
    team: str | None = None,
    group_id: int | None = None,
    namespace: str | None = None,
    confirm: bool = False,
) -> Approval | Elicit[Approval]:
    """Ask before revoking; a request that cannot be carried out is refused unasked."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    try:
        gid, name = await team_id(state, ns, team, group_id)
    except DockerHubError:
        return Approval(confirm=False)
    who = f"team {name!r} (id {gid})" if name else f"team {gid}"
    return ask(ctx, f"Revoke {who}'s access to {ns}/{repository}? Its members lose what the team gave them.", confirm)


async def revoke_team_access(
    ctx: Context[AppState],
    repository: Repository,
    approval: Annotated[ElicitationResult[Approval], Resolve(ask_revoke)],
    team: TeamName = None,
    group_id: GroupId = None,
    namespace: Namespace = None,
    confirm: Confirm = False,
) -> RevokedAccess:
    """Remove a team's access to a repository. Asks the user first."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        gid, name = await team_id(state, ns, team, group_id)
        if not accepted(approval):
            raise ToolError(f"Not revoked ({why_not(ctx, approval)}): nothing was sent.")
        await state.client.revoke_repository_group(ns, repository, gid)
    return RevokedAccess(namespace=ns, repository=repository, group_id=gid, team=name, revoked=True)
