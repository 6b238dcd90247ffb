"""Organization tools, registered only with an organization access token: members, teams, team
membership, invites and the audit log of the organization the token belongs to."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AwareDatetime, Field

from dockerhub_mcp.models import (
    AuditEvent,
    AuditLogPage,
    Invite,
    InviteList,
    Member,
    MemberPage,
    Team,
    TeamMemberPage,
    TeamMembership,
    TeamPage,
)
from dockerhub_mcp.tools.base import (
    Approval,
    AppState,
    Confirm,
    Page,
    PageSize,
    accepted,
    ask,
    hub_errors,
    next_page,
    state_of,
    why_not,
)

__all__ = [
    "add_team_member",
    "get_audit_log",
    "list_invites",
    "list_org_members",
    "list_team_members",
    "list_teams",
    "remove_team_member",
]

LISTED_INVITES = 100

TeamName = Annotated[str, Field(min_length=1, max_length=255, description="e.g. 'developers'")]
Username = Annotated[str, Field(min_length=2, max_length=255, description="Docker ID.")]


def _org(ctx: Context[AppState]) -> tuple[AppState, str]:
    state = state_of(ctx)
    return state, state.settings.username


async def list_org_members(
    ctx: Context[AppState],
    search: Annotated[str | None, Field(max_length=100, description="Part of a username, name or email.")] = None,
    role: Annotated[Literal["owner", "editor", "member"] | None, Field()] = None,
    page: Page = 1,
    page_size: PageSize = 25,
) -> MemberPage:
    """List the organization's members with role, email and teams."""
    state, org = _org(ctx)
    with hub_errors():
        found = await state.client.list_org_members(org, search=search, role=role, page=page, page_size=page_size)
    return MemberPage(
        organization=org,
        count=found.count,
        page=page,
        next_page=next_page(found.next, page),
        members=[Member.from_wire(m) for m in found.results],
    )


async def list_teams(ctx: Context[AppState], page: Page = 1, page_size: PageSize = 25) -> TeamPage:
    """List the organization's teams."""
    state, org = _org(ctx)
    with hub_errors():
        found = await state.client.list_teams(org, page=page, page_size=page_size)
    return TeamPage(
        organization=org,
        count=found.count,
        page=page,
        next_page=next_page(found.next, page),
        teams=[Team.from_wire(g) for g in found.results],
    )


async def list_team_members(
    ctx: Context[AppState], team: TeamName, page: Page = 1, page_size: PageSize = 25
) -> TeamMemberPage:
    """List a team's members."""
    state, org = _org(ctx)
    with hub_errors():
        found = await state.client.list_team_members(org, team, page=page, page_size=page_size)
    return TeamMemberPage(
        organization=org,
        team=team,
        count=found.count,
        page=page,
        next_page=next_page(found.next, page),
        members=[Member.from_wire(m) for m in found.results],
    )


async def list_invites(ctx: Context[AppState]) -> InviteList:
    """List the organization's pending invites."""
    state, org = _org(ctx)
    with hub_errors():
        found = await state.client.list_invites(org)
    return InviteList(
        organization=org,
        count=len(found),
        invites=[
            Invite(id=i.id, invitee=i.invitee, team=i.team, inviter=i.inviter_username, created_at=i.created_at)
            for i in found[:LISTED_INVITES]
        ],
    )


async def get_audit_log(
    ctx: Context[AppState],
    since: Annotated[AwareDatetime | None, Field(description="ISO 8601 with offset.")] = None,
    until: Annotated[AwareDatetime | None, Field(description="ISO 8601 with offset.")] = None,
    action: Annotated[str | None, Field(max_length=100, description="e.g. 'repo.tag.push'")] = None,
    actor: Annotated[str | None, Field(max_length=255, description="Username.")] = None,
    page: Page = 1,
    page_size: PageSize = 25,
) -> AuditLogPage:
    """Read the organization's audit log, newest first: who did what (pushes, deletes, teams, members) and when."""
    state, org = _org(ctx)
    with hub_errors():
        events = await state.client.audit_logs(
            org, since=since, until=until, action=action, actor=actor, page=page, page_size=page_size
        )
    return AuditLogPage(
        account=org,
        page=page,
        next_page=page + 1 if len(events) >= page_size else None,
        events=[AuditEvent.from_wire(e) for e in events[:page_size]],
    )


async def add_team_member(ctx: Context[AppState], team: TeamName, username: Username) -> TeamMembership:
    """Add an organization member to a team."""
    state, org = _org(ctx)
    with hub_errors():
        await state.client.add_team_member(org, team, username)
    return TeamMembership(organization=org, team=team, username=username, member=True)


async def ask_remove(
    ctx: Context[AppState], team: str, username: str, confirm: bool = False
) -> Approval | Elicit[Approval]:
    """Ask before removing someone from a team."""
    org = state_of(ctx).settings.username
    return ask(ctx, f"Remove {username} from team {team!r} of {org}? They lose what the team gives them.", confirm)


async def remove_team_member(
    ctx: Context[AppState],
    team: TeamName,
    username: Username,
    approval: Annotated[ElicitationResult[Approval], Resolve(ask_remove)],
    confirm: Confirm = False,
) -> TeamMembership:
    """Remove someone from a team (not from the organization). Asks the user first."""
    state, org = _org(ctx)
    if not accepted(approval):
        raise ToolError(f"Not removed ({why_not(ctx, approval)}): nothing was sent.")
    with hub_errors():
        await state.client.remove_team_member(org, team, username)
    return TeamMembership(organization=org, team=team, username=username, member=False)
