"""Plain records the simulated Hub keeps: accounts, credentials, repositories, tags, the request log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ACTIVE_WINDOW",
    "EXCHANGE_PATHS",
    "PAT_LEVELS",
    "AuditEvent",
    "AuthKind",
    "Group",
    "Image",
    "Invite",
    "Oat",
    "Org",
    "OrgRole",
    "Pat",
    "PatLevel",
    "Permission",
    "Principal",
    "Quirks",
    "RecordedRequest",
    "RepoGrant",
    "Repository",
    "Tag",
    "User",
    "level_at_least",
]

PatLevel = Literal["repo:public_read", "repo:read", "repo:write", "repo:admin"]
PAT_LEVELS: tuple[PatLevel, ...] = ("repo:public_read", "repo:read", "repo:write", "repo:admin")
Permission = Literal["none", "read", "write", "admin"]
OrgRole = Literal["owner", "editor", "member"]
AuthKind = Literal["none", "pat", "jwt", "invalid"]
Source = Literal["anonymous", "pat", "password", "oat"]

# The two token-exchange routes; `Sandbox.exchanges` counts requests to them.
EXCHANGE_PATHS: frozenset[str] = frozenset({"/v2/auth/token", "/v2/users/login"})
# Hub calls a tag or image "active" when pushed or pulled within the past month.
ACTIVE_WINDOW = 30 * 86400.0


def level_at_least(level: PatLevel, needed: PatLevel) -> bool:
    """Whether PAT level `level` includes everything `needed` allows."""
    return PAT_LEVELS.index(level) >= PAT_LEVELS.index(needed)


@dataclass
class User:
    """A Docker ID; its username is also a namespace."""

    username: str
    id: int
    uuid: str
    email: str
    password: str | None = field(default=None, repr=False)
    two_factor: bool = False
    full_name: str = ""
    company: str = ""
    location: str = ""
    joined: float = 0.0


@dataclass
class Pat:
    """A personal access token: one level for every repository the account reaches."""

    secret: str = field(repr=False)  # kept out of reprs, so a logged record never shows it
    username: str
    level: PatLevel
    revoked: bool = False


@dataclass
class Oat:
    """An organization access token (identifier = org name)."""

    secret: str = field(repr=False)
    org: str
    revoked: bool = False


@dataclass
class Group:
    """An organization team; repositories are granted to it by numeric id."""

    id: int
    name: str
    org: str
    uuid: str
    description: str = ""
    members: set[str] = field(default_factory=set[str])


@dataclass
class Invite:
    """A pending invite to an organization (by Docker ID or email), optionally to a team."""

    id: str
    org: str
    invitee: str
    inviter: str
    team: str
    created_at: float


@dataclass
class Org:
    """An organization; its name is also a namespace. `roles` names every member and their role."""

    name: str
    id: int
    uuid: str
    roles: dict[str, OrgRole] = field(default_factory=dict[str, OrgRole])
    groups: dict[int, Group] = field(default_factory=dict[int, Group])
    invites: list[Invite] = field(default_factory=list[Invite])
    full_name: str = ""
    company: str = ""
    location: str = ""
    joined: float = 0.0

    @property
    def members(self) -> set[str]:
        """Every member's username."""
        return set(self.roles)

    @property
    def owners(self) -> set[str]:
        """The owners' usernames."""
        return {name for name, role in self.roles.items() if role == "owner"}

    def group(self, name: str) -> Group | None:
        """The team called `name` (case-insensitive, as Hub matches team names)."""
        return next((g for g in self.groups.values() if g.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class AuditEvent:
    """One event of an organization's audit log."""

    account: str
    action: str
    name: str
    actor: str
    timestamp: float
    data: dict[str, str]
    description: str


@dataclass
class Image:
    """One platform image inside a tag."""

    architecture: str
    os: str
    digest: str
    size: int
    pushed_at: float
    pulled_at: float | None
    variant: str | None = None


@dataclass
class Tag:
    """A tag; `digest` is the tag-level (index or manifest) digest, None when Hub omits it."""

    id: int
    name: str
    repository_id: int
    pushed_at: float
    pulled_at: float | None
    digest: str | None
    images: list[Image]
    creator_id: int
    updater: str
    media_type: str
    content_type: str = "image"


@dataclass
class Repository:
    """A repository and its tags, keyed by tag name."""

    id: int
    namespace: str
    name: str
    description: str
    full_description: str
    is_private: bool
    star_count: int
    pull_count: int
    registered_at: float
    last_updated: float
    last_modified: float
    categories: list[dict[str, str]] = field(default_factory=list[dict[str, str]])
    tags: dict[str, Tag] = field(default_factory=dict[str, Tag])
    grants: dict[int, Permission] = field(default_factory=dict[int, Permission])


@dataclass(frozen=True)
class RepoGrant:
    """A team's permission on a repository, as recorded by the groups route."""

    namespace: str
    repository: str
    group_id: int
    group_name: str
    permission: Permission


@dataclass(frozen=True)
class Principal:
    """Who a request acts as, once its bearer has been checked."""

    source: Source
    level: PatLevel
    username: str | None = None
    org: str | None = None


@dataclass
class Quirks:
    """Ways real Hub has been seen to behave that a test switches on (`HubState.reset()` switches them off)."""

    ignore_descriptions: bool = False  # answer a description PATCH with 200 but keep the old text
    canonical_writes: Literal["served", "405", "html_404"] = "served"  # canonical PATCH / tag DELETE missing
    any_identifier: bool = False  # exchange a PAT whatever username comes with it
    refuse_jwts: bool = False  # answer every JWT, even a fresh one, with 401
    retry_after_timestamp: bool = False  # a 429's Retry-After is the reset's unix time, not seconds
    ignore_tag_name_filter: bool = False  # the canonical tags route does not document `name`
    stale_next: bool = False  # the last page of a list still links a `next` page, which then 404s
    clock_ahead: float = 0.0  # Hub's clock (rate windows, `Date`) runs this many seconds ahead of the client's


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox saw it: the kind of credential, never its value.

    `status` is 0 when a `drop` fault cut the connection instead of answering; `at` is the sandbox time it
    arrived.
    """

    method: str
    path: str
    query: dict[str, str]
    auth: AuthKind
    status: int
    at: float = 0.0
