"""Accounts and organizations: wire models of Hub's profiles, members, teams, invites and audit events,
and the trimmed results the tools return."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from dockerhub_mcp.models.repositories import Result, Timestamp, Wire, WireTime

__all__ = [
    "AuditEvent",
    "AuditLogPage",
    "HubAccount",
    "HubAuditEvent",
    "HubGroup",
    "HubInvite",
    "HubRepoGroup",
    "HubSearchPage",
    "HubSearchResult",
    "ImageSearchPage",
    "ImageSummary",
    "Invite",
    "InviteList",
    "Member",
    "MemberPage",
    "NamespacePage",
    "NamespaceProfile",
    "NamespaceSummary",
    "RepositoryAccess",
    "RevokedAccess",
    "Team",
    "TeamGrant",
    "TeamMemberPage",
    "TeamMembership",
    "TeamPage",
]

NamespaceKind = Literal["user", "organization"]


def _text(value: Any) -> Any:
    # Hub fills absent profile fields with "": an empty string says nothing.
    return None if value == "" else value


class HubAccount(Wire):
    """A user or organization as Hub describes it: a profile (`/v2/users/{name}`, `/v2/orgs/{name}`), an entry
    of `/v2/user/orgs`, an organization member or a team member."""

    id: str | None = None
    username: str | None = None
    orgname: str | None = None
    full_name: str | None = None
    company: str | None = None
    location: str | None = None
    profile_url: str | None = None
    date_joined: WireTime | None = None
    type: str | None = None
    email: str | None = None
    role: str | None = None
    groups: list[str] = Field(default_factory=list)
    user_role: str | None = None
    user_groups: list[str] = Field(default_factory=list)

    _blank_is_none = field_validator(
        "full_name", "company", "location", "profile_url", "email", "role", "user_role", "date_joined", mode="before"
    )(_text)

    @property
    def name(self) -> str:
        """The namespace: the username, or the organization's name."""
        return self.username or self.orgname or ""

    @property
    def kind(self) -> NamespaceKind:
        """Whether the account is a user or an organization."""
        org = self.orgname is not None or (self.type or "").lower() in ("org", "organization")
        return "organization" if org else "user"


class HubGroup(Wire):
    """An organization team (`org_group`)."""

    id: int
    name: str
    uuid: str | None = None
    description: str | None = None
    member_count: int | None = None


class HubInvite(Wire):
    """A pending invite to an organization."""

    id: str
    invitee: str
    inviter_username: str | None = None
    org: str | None = None
    team: str | None = None
    created_at: WireTime | None = None


class HubAuditEvent(Wire):
    """One audit log event (`AuditLog`)."""

    account: str | None = None
    action: str
    name: str | None = None
    actor: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    timestamp: WireTime | None = None
    action_description: str | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _data(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}


class HubRepoGroup(Wire):
    """A team's permission on a repository (`RepositoryGroup`)."""

    group_id: int
    group_name: str | None = None
    permission: str


class HubPublisher(Wire):
    """Who publishes an image in Hub's search."""

    id: str | None = None
    name: str | None = None


class HubSearchResult(Wire):
    """One image of Hub's public search (the shape docker/hub-mcp reads)."""

    name: str
    publisher: HubPublisher | None = None
    short_description: str | None = None
    badge: str | None = None
    star_count: int | None = None
    pull_count: str | int | None = None
    updated_at: WireTime | None = None


class HubSearchPage(Wire):
    """A page of Hub's public search: `{total, results}`."""

    total: int = 0
    results: list[HubSearchResult] = Field(default_factory=list)


# Results.


class NamespaceSummary(Result):
    """A user or organization the connection can act in."""

    name: str
    kind: NamespaceKind
    full_name: str | None = None
    company: str | None = None
    location: str | None = None
    joined: Timestamp | None = None
    role: str | None = Field(default=None, description="The connected user's role in this organization.")
    teams: list[str] | None = Field(default=None, description="The connected user's teams in this organization.")

    @classmethod
    def from_wire(cls, account: HubAccount) -> NamespaceSummary:
        """Trim a wire account."""
        return cls(
            name=account.name,
            kind=account.kind,
            full_name=account.full_name,
            company=account.company,
            location=account.location,
            joined=account.date_joined,
            role=account.user_role,
            teams=account.user_groups or None,
        )


class NamespacePage(Result):
    """The connected account's own namespace and the organizations it belongs to, one page at a time."""

    count: int
    page: int
    next_page: int | None = None
    namespaces: list[NamespaceSummary]


class NamespaceProfile(NamespaceSummary):
    """A user's or organization's profile and how many repositories it has (where this token can list them)."""

    repositories: int | None = None


class Member(Result):
    """A member of an organization or a team."""

    username: str
    full_name: str | None = None
    email: str | None = None
    role: str | None = None
    teams: list[str] | None = None

    @classmethod
    def from_wire(cls, account: HubAccount) -> Member:
        """Trim a wire member."""
        return cls(
            username=account.name,
            full_name=account.full_name,
            email=account.email,
            role=account.role.lower() if account.role else None,
            teams=account.groups or None,
        )


class MemberPage(Result):
    """One page of an organization's members."""

    organization: str
    count: int
    page: int
    next_page: int | None = None
    members: list[Member]


class Team(Result):
    """An organization team."""

    id: int
    name: str
    description: str | None = None
    members: int | None = None

    @classmethod
    def from_wire(cls, group: HubGroup) -> Team:
        """Trim a wire team."""
        return cls(id=group.id, name=group.name, description=group.description or None, members=group.member_count)


class TeamPage(Result):
    """One page of an organization's teams."""

    organization: str
    count: int
    page: int
    next_page: int | None = None
    teams: list[Team]


class TeamMemberPage(Result):
    """One page of a team's members."""

    organization: str
    team: str
    count: int
    page: int
    next_page: int | None = None
    members: list[Member]


class TeamMembership(Result):
    """A user's membership of a team after adding or removing them."""

    organization: str
    team: str
    username: str
    member: bool


class Invite(Result):
    """A pending invite to the organization."""

    id: str
    invitee: str
    team: str | None = None
    inviter: str | None = None
    created_at: Timestamp | None = None


class InviteList(Result):
    """The organization's pending invites (the first 100; `count` is all of them)."""

    organization: str
    count: int
    invites: list[Invite]


class AuditEvent(Result):
    """One audit log event."""

    timestamp: Timestamp | None = None
    action: str
    actor: str | None = None
    name: str | None = Field(default=None, description="What it happened to: a repository, team member or the org.")
    description: str | None = None
    data: dict[str, str] | None = None

    @classmethod
    def from_wire(cls, event: HubAuditEvent) -> AuditEvent:
        """Trim a wire event (its words and data bounded)."""
        data = {str(k)[:40]: str(v)[:100] for k, v in list(event.data.items())[:8]}
        description = (event.action_description or "").strip()[:200] or None
        return cls(
            timestamp=event.timestamp,
            action=event.action,
            actor=event.actor,
            name=event.name,
            description=description,
            data=data or None,
        )


class AuditLogPage(Result):
    """One page of an account's audit log, newest first."""

    account: str
    page: int
    next_page: int | None = None
    events: list[AuditEvent]


class TeamGrant(Result):
    """A team's permission on a repository."""

    group_id: int
    team: str | None = None
    permission: str


class RepositoryAccess(Result):
    """Which teams have which permission on a repository."""

    namespace: str
    repository: str
    teams: list[TeamGrant]


class RevokedAccess(Result):
    """A team's access to a repository, revoked."""

    namespace: str
    repository: str
    group_id: int
    team: str | None = None
    revoked: bool


class ImageSummary(Result):
    """An image found by the public search."""

    name: str
    publisher: str | None = None
    description: str | None = None
    badge: str | None = Field(default=None, description="official, verified_publisher or open_source.")
    pull_count: str | None = None
    stars: int | None = None
    updated: Timestamp | None = None

    @classmethod
    def from_wire(cls, found: HubSearchResult) -> ImageSummary:
        """Trim a wire search result."""
        badge = found.badge if found.badge not in (None, "", "none") else None
        return cls(
            name=found.name,
            publisher=found.publisher.name if found.publisher else None,
            description=found.short_description or None,
            badge=badge,
            pull_count=None if found.pull_count is None else str(found.pull_count),
            stars=found.star_count,
            updated=found.updated_at,
        )


class ImageSearchPage(Result):
    """One page of the public image search."""

    query: str
    total: int
    page: int
    next_page: int | None = None
    images: list[ImageSummary]
