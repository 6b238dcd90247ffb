"""The simulated Hub's backend: accounts, credentials, repositories, tags, and the rules Hub enforces.

Routes in `app.py` only parse and render; every decision (who may see or change what, which token kind a
route takes, what an error says) is made here, moto-style, and `reset()` puts it all back to the seed.
"""

from __future__ import annotations

import functools
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import anyio

from dockerhub_mcp.sandbox import bodies, errors
from dockerhub_mcp.sandbox.clock import Clock
from dockerhub_mcp.sandbox.faults import Faults
from dockerhub_mcp.sandbox.model import (
    Org,
    PatLevel,
    Permission,
    Principal,
    Quirks,
    RecordedRequest,
    RepoGrant,
    Repository,
    Tag,
    level_at_least,
)
from dockerhub_mcp.sandbox.orgs import OAT_NOT_ALLOWED, HubOrganizations
from dockerhub_mcp.sandbox.tokens import TokenIssuer

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_TOKEN_LIFETIME",
    "OAT_ONLY_ROUTES",
    "PAT_ONLY_ROUTES",
    "REPOSITORY_ORDERINGS",
    "TAG_ORDERINGS",
    "HubState",
    "RateWindow",
    "RouteRule",
]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN_LIFETIME = 600  # seconds; the spec: the access token "expires in 10 minutes"
DEFAULT_RATE_LIMIT = 180  # requests per minute window, as a real 429 reported (hub-facts §10)
REPOSITORY_ORDERINGS = ("name", "-name", "last_updated", "-last_updated", "pull_count", "-pull_count")
TAG_ORDERINGS = ("last_updated", "-last_updated", "name", "-name")
_RANK: dict[Permission, int] = {"none": 0, "read": 1, "write": 2, "admin": 3}


@dataclass(frozen=True)
class RouteRule:
    """One row of the token-kind table: methods and a path template (`{name}` = one segment)."""

    methods: frozenset[str]
    template: str
    kind: Literal["oat_only", "pat_only"] = "oat_only"

    def matches(self, method: str, path: str) -> bool:
        """Whether `method path` falls under this rule."""
        return method.upper() in self.methods and _template_regex(self.template).match(path) is not None


@functools.cache
def _template_regex(template: str) -> re.Pattern[str]:
    # `{name}` stands for exactly one path segment; a trailing slash is tolerated like everywhere else.
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$")


def _rule(methods: str, template: str, kind: Literal["oat_only", "pat_only"] = "oat_only") -> RouteRule:
    return RouteRule(frozenset(methods.split("|")), template, kind)


# Operations a PAT-derived JWT is refused on (project policy, hub-facts §2): the spec's OAT-labelled set.
OAT_ONLY_ROUTES: tuple[RouteRule, ...] = (
    _rule("GET", "/v2/auditlogs/{account}"),
    _rule("GET", "/v2/auditlogs/{account}/actions"),
    _rule("GET", "/v2/orgs/{org_name}/members"),
    _rule("GET", "/v2/orgs/{org_name}/members/export"),
    _rule("PUT|DELETE", "/v2/orgs/{org_name}/members/{username}"),
    _rule("GET", "/v2/orgs/{org_name}/invites"),
    _rule("DELETE", "/v2/invites/{id}"),
    _rule("PATCH", "/v2/invites/{id}/resend"),
    _rule("POST", "/v2/invites/bulk"),
    _rule("GET|POST", "/v2/orgs/{org_name}/groups"),
    _rule("GET|PUT|PATCH|DELETE", "/v2/orgs/{org_name}/groups/{group_name}"),
    _rule("GET|POST", "/v2/orgs/{org_name}/groups/{group_name}/members"),
    _rule("DELETE", "/v2/orgs/{org_name}/groups/{group_name}/members/{username}"),
)
# User routes an organization's token is refused on (hub-facts §10: user-scoped, PAT or password only).
PAT_ONLY_ROUTES: tuple[RouteRule, ...] = (_rule("GET", "/v2/user/orgs", "pat_only"),)


@dataclass(frozen=True)
class RateWindow:
    """The rate-limit window a request fell in, after counting it."""

    limit: int
    remaining: int
    reset: int
    exceeded: bool


class HubState(HubOrganizations):
    """Everything the sandbox Hub knows, and the rules it applies to each request.

    Attributes:
        clock: the sandbox clock (JWT `iat`/`exp`, rate windows, tag activity).
        faults: the fault switchboard; `reset()` clears it.
        requests: the request log, oldest first; `reset()` empties it in place.
        token_lifetime: seconds a newly minted JWT lives (default 600).
        rate_limit: requests per minute window reported in `X-RateLimit-Limit` (default 180, as on Hub).
        enforce_rate_limit: answer 429 once a window is used up (default off: headers only).
        latency: seconds each request takes on the wire, half on the way in and half on the way out (default 0).
        sleep: how the sandbox waits (latency, `slow` faults): `anyio.sleep`, or a `VirtualTime`'s.
        in_flight, peak_in_flight: requests being answered now, and the most ever answered at once.
        quirks: ways real Hub behaves that a test switches on (see `Quirks`).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        seeder: Callable[[HubState], None] | None = None,
        faults: Faults | None = None,
    ) -> None:
        """Build the state and populate it with `seeder` (called again on every `reset()`)."""
        self.clock = clock
        self.seed = seed
        self.faults = faults if faults is not None else Faults()
        self.requests: list[RecordedRequest] = []
        self._tokens = TokenIssuer(clock.now)
        # Kept across reset(): a client's cached JWT survives a reset as long as the credential it came
        # from exists again afterwards (the seeded PAT does).
        self._issued = {}
        self._seeder = seeder
        self.reset()

    def reset(self) -> None:
        """Return to the seeded state: data, settings, revocations, faults and the request log."""
        self._clear_data(random.Random(self.seed))
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.rate_limit = DEFAULT_RATE_LIMIT
        self.enforce_rate_limit = False
        self.latency = 0.0
        self.in_flight = 0  # requests being answered now
        self.peak_in_flight = 0  # the most ever answered at once
        self.sleep: Callable[[float], Awaitable[None]] = anyio.sleep
        self.quirks = Quirks()
        self._window_start = 0.0
        self._window_count = 0
        self._revoked_jtis = set()
        self.faults.clear()
        self.requests.clear()
        if self._seeder is not None:
            self._seeder(self)

    def check_route_kind(self, principal: Principal, method: str, path: str) -> None:
        """Apply the token-kind table: PAT-derived JWTs are refused on OAT-only routes, OAT-derived JWTs on
        PAT-only ones.

        Raises:
            HubError: 401 for anonymous callers, 403 `token issued from personal (or organization) access token
                is not allowed`.
        """
        oat_only = any(rule.matches(method, path) for rule in OAT_ONLY_ROUTES)
        pat_only = any(rule.matches(method, path) for rule in PAT_ONLY_ROUTES)
        if not (oat_only or pat_only):
            return
        if principal.source == "anonymous":
            raise errors.unauthenticated()
        if oat_only and principal.source == "pat":
            raise errors.pat_not_allowed()
        if pat_only and principal.source == "oat":
            raise errors.error(403, "forbidden", OAT_NOT_ALLOWED)

    # -- who may do what ----------------------------------------------------------------------------

    def permission(self, principal: Principal, repo: Repository) -> Permission:
        """The account's own permission on `repo`, before the PAT level caps it."""
        public: Permission = "none" if repo.is_private else "read"
        if principal.source == "oat":
            return "admin" if principal.org == repo.namespace else public
        user = principal.username
        if user is None:
            return public
        if repo.namespace == user:
            return "admin"
        org = self.orgs.get(repo.namespace)
        if org is None or user not in org.roles:
            return public
        if org.roles[user] in ("owner", "editor"):  # editors manage every repository of the organization
            return "admin"
        best: Permission = "read"
        for group_id, granted in repo.grants.items():
            group = org.groups.get(group_id)
            if group is not None and user in group.members and _RANK[granted] > _RANK[best]:
                best = granted
        return best

    def effective_permission(self, principal: Principal, repo: Repository) -> Permission:
        """The permission a request really has: the account's, capped by the PAT level (what it may do, not
        what `repository_info.permissions` shows: that is the account's own, see `permission`)."""
        cap: Permission = {
            "repo:public_read": "none" if repo.is_private else "read",
            "repo:read": "read",
            "repo:write": "write",
            "repo:admin": "admin",
        }[principal.level]
        have = self.permission(principal, repo)
        return have if _RANK[have] <= _RANK[cap] else cap

    def can_see(self, principal: Principal, repo: Repository) -> bool:
        """Whether `repo` shows up for `principal` (private ones need access and a `repo:read` PAT)."""
        if not repo.is_private:
            return True
        return self.permission(principal, repo) != "none" and level_at_least(principal.level, "repo:read")

    def _require(self, principal: Principal, repo: Repository, needed: Permission) -> None:
        # Anonymous callers may only read public repositories; everything else asks them to log in.
        if principal.source == "anonymous" and (needed != "read" or repo.is_private):
            raise errors.unauthenticated()
        have = self.permission(principal, repo)
        if have == "none":
            # Private repositories are not acknowledged to signed-in callers without access.
            raise errors.repository_not_found(repo.namespace, repo.name)
        if _RANK[have] < _RANK[needed]:
            raise errors.permission_denied(
                f"{needed} access to {repo.namespace}/{repo.name} is required",
                namespace=repo.namespace,
                repository=repo.name,
            )
        level: PatLevel = {
            "read": "repo:read" if repo.is_private else "repo:public_read",
            "write": "repo:write",
            "admin": "repo:admin",
        }[needed]
        if not level_at_least(principal.level, level):
            raise errors.insufficient_scope()

    def _repo(self, namespace: str, name: str) -> Repository:
        repo = self.repository(namespace, name)
        if repo is None:
            raise errors.repository_not_found(namespace, name)
        return repo

    # -- repository and tag operations --------------------------------------------------------------

    def list_repositories(
        self, principal: Principal, namespace: str, *, name: str | None = None, ordering: str | None = None
    ) -> list[Repository]:
        """`GET /v2/namespaces/{ns}/repositories`: the visible repositories, filtered and ordered.

        Raises:
            HubError: 404 for an unknown namespace, 400 (`ValueError` shape) for a bad `ordering`.
        """
        if ordering is not None and ordering not in REPOSITORY_ORDERINGS:
            raise errors.invalid_ordering(REPOSITORY_ORDERINGS)
        repos = self.namespaces.get(namespace.lower())
        if repos is None:
            raise errors.repository_not_found(namespace)
        found = [r for r in repos.values() if self.can_see(principal, r)]
        if name:
            found = [r for r in found if name.lower() in r.name.lower()]
        order = ordering or "-last_updated"
        found.sort(key=lambda r: r.name)  # tie-break, kept by the stable sort below
        # Every ordering names a Repository attribute: name, last_updated, pull_count.
        found.sort(key=lambda r: getattr(r, order.lstrip("-")), reverse=order.startswith("-"))
        return found

    def read_repository(self, principal: Principal, namespace: str, name: str) -> Repository:
        """`GET|HEAD /v2/namespaces/{ns}/repositories/{repo}`."""
        repo = self._repo(namespace, name)
        self._require(principal, repo, "read")
        return repo

    def create_repository(self, principal: Principal, namespace: str, body: dict[str, object]) -> Repository:
        """`POST /v2/namespaces/{ns}/repositories` with a `repo_creation_request` body.

        Raises:
            HubError: 401/403 without write access to the namespace, 404 for an unknown namespace,
                400 for an invalid body or an existing repository.
        """
        if principal.source == "anonymous":
            raise errors.unauthenticated()
        ns = namespace.lower()
        if ns not in self.namespaces:
            raise errors.repository_not_found(namespace)
        org = self.orgs.get(ns)
        allowed = (
            ns == principal.username
            or (principal.source == "oat" and principal.org == ns)
            or (org is not None and principal.username in org.owners)
        )
        if not allowed:
            raise errors.permission_denied(f"cannot create repositories in {ns}", namespace=ns)
        if not level_at_least(principal.level, "repo:write"):
            raise errors.insufficient_scope()
        new = bodies.new_repository(body, ns)
        if new.name in self.namespaces[ns]:
            raise errors.bad_request("Repository with this Name and Namespace already exists.", field="name")
        return self.add_repository(
            ns,
            new.name,
            description=new.description,
            full_description=new.full_description,
            is_private=new.is_private,
        )

    def update_repository(self, principal: Principal, namespace: str, name: str, body: dict[str, object]) -> Repository:
        """`PATCH /v2/namespaces/{ns}/repositories/{repo}` with `{description?, full_description?}`.

        Raises:
            HubError: 401, 403 (`insufficient scope` below `repo:admin`), 404, or 400 for a too-long field.
        """
        repo = self._repo(namespace, name)
        self._require(principal, repo, "admin")
        description, full_description = bodies.descriptions(body)
        if self.quirks.ignore_descriptions:
            return repo  # 200 and the repository as it was: one report of Hub ignoring an update
        if description is not None:
            repo.description = description
        if full_description is not None:
            repo.full_description = full_description
        if description is not None or full_description is not None:
            repo.last_modified = self.clock.now()
            where = f"{repo.namespace}/{repo.name}"
            self.record(
                repo.namespace, "repo.update", where, self._actor(principal), f"updated the description of {where}"
            )
        return repo

    def list_tags(
        self,
        principal: Principal,
        namespace: str,
        name: str,
        *,
        tag_name: str | None = None,
        ordering: str | None = None,
    ) -> list[Tag]:
        """`GET /v2/namespaces/{ns}/repositories/{repo}/tags`: newest push first unless `ordering` says otherwise."""
        if ordering is not None and ordering not in TAG_ORDERINGS:
            raise errors.invalid_ordering(TAG_ORDERINGS)
        repo = self.read_repository(principal, namespace, name)
        tags = list(repo.tags.values())
        if tag_name:
            tags = [t for t in tags if tag_name.lower() in t.name.lower()]
        order = ordering or "-last_updated"
        descending = order.startswith("-")
        if order.lstrip("-") == "name":
            tags.sort(key=lambda t: t.name, reverse=descending)
        else:
            tags.sort(key=lambda t: t.name)  # tie-break, kept by the stable sort below
            tags.sort(key=lambda t: t.pushed_at, reverse=descending)
        return tags

    def read_tag(self, principal: Principal, namespace: str, name: str, tag: str) -> Tag:
        """`GET|HEAD …/tags/{tag}`; 404 worded `httperror 404: tag 'x' not found` when missing."""
        repo = self.read_repository(principal, namespace, name)
        found = repo.tags.get(tag)
        if found is None:
            raise errors.tag_not_found(repo.namespace, repo.name, tag)
        return found

    def delete_tag(self, principal: Principal, namespace: str, name: str, tag: str) -> None:
        """`DELETE …/tags/{tag}`: removes the tag only (images other tags share stay); needs `repo:admin`."""
        repo = self._repo(namespace, name)
        self._require(principal, repo, "admin")
        if repo.tags.pop(tag, None) is None:
            raise errors.tag_not_found(repo.namespace, repo.name, tag)
        logger.info("sandbox deleted tag %s/%s:%s", repo.namespace, repo.name, tag)
        where = f"{repo.namespace}/{repo.name}"
        self.record(
            repo.namespace, "repo.tag.delete", where, self._actor(principal),
            f"deleted the tag {tag} from the repository {where}", tag=tag,
        )  # fmt: skip

    def _grants(self, principal: Principal, namespace: str, name: str) -> tuple[Repository, Org]:
        """The repository and its organization, checked: the caller may manage its team access.

        Owners, editors and the organization's own token may; an admin grant through a team is not enough.
        """
        repo = self._repo(namespace, name)
        self._require(principal, repo, "admin")
        org = self.orgs.get(repo.namespace)
        if org is None:
            raise errors.error(404, "not found", "user namespaces have no teams", namespace=repo.namespace)
        if self.role_in(principal, org) not in ("owner", "editor"):
            raise errors.permission_denied(
                "only organization owners and editors can manage team access", namespace=repo.namespace
            )
        return repo, org

    def _grant(self, repo: Repository, org: Org, group_id: int) -> RepoGrant:
        group = org.groups.get(group_id)
        permission = repo.grants.get(group_id)
        if group is None or permission is None:
            raise errors.not_found(f"team {group_id} has no access to {repo.namespace}/{repo.name}")
        return RepoGrant(repo.namespace, repo.name, group.id, group.name, permission)

    def grant_group(self, principal: Principal, namespace: str, name: str, body: dict[str, object]) -> RepoGrant:
        """`POST /v2/repositories/{ns}/{repo}/groups/`: give an org team a permission (one grant per team).

        Raises:
            HubError: 401, 403 (not an owner or editor, or PAT below `repo:admin`), 404 (repository or group
                unknown; user namespaces have no groups), 400 for a bad body.
        """
        repo, org = self._grants(principal, namespace, name)
        group_id, permission = bodies.group_grant(body)
        group = org.groups.get(group_id)
        if group is None:
            raise errors.error(
                404,
                "group not found",
                f"group {group_id} not found in organization '{repo.namespace}'",
                namespace=repo.namespace,
                group_id=str(group_id),
            )
        self._set_grant(principal, repo, group_id, permission)
        return self._grant(repo, org, group_id)

    def _set_grant(self, principal: Principal, repo: Repository, group_id: int, permission: Permission) -> None:
        repo.grants[group_id] = permission
        group = self.orgs[repo.namespace].groups[group_id]
        where = f"{repo.namespace}/{repo.name}"
        self.record(
            repo.namespace, "repo.update", where, self._actor(principal),
            f"gave the team {group.name} {permission} access to {where}", team=group.name, permission=permission,
        )  # fmt: skip

    def repo_groups(self, principal: Principal, namespace: str, name: str) -> list[RepoGrant]:
        """`GET /v2/repositories/{ns}/{repo}/groups/`: every team's permission on the repository."""
        repo, org = self._grants(principal, namespace, name)
        return [self._grant(repo, org, group_id) for group_id in sorted(repo.grants)]

    def repo_group(self, principal: Principal, namespace: str, name: str, group_id: int) -> RepoGrant:
        """`GET /v2/repositories/{ns}/{repo}/groups/{id}/`: 404 when the team has no access."""
        repo, org = self._grants(principal, namespace, name)
        return self._grant(repo, org, group_id)

    def update_repo_group(
        self, principal: Principal, namespace: str, name: str, group_id: int, body: dict[str, object]
    ) -> RepoGrant:
        """`PATCH /v2/repositories/{ns}/{repo}/groups/{id}/` with `{permission}`: change an existing grant."""
        repo, org = self._grants(principal, namespace, name)
        self._grant(repo, org, group_id)
        permission = bodies.grant_permission(body)
        self._set_grant(principal, repo, group_id, permission)
        return self._grant(repo, org, group_id)

    def revoke_repo_group(self, principal: Principal, namespace: str, name: str, group_id: int) -> None:
        """`DELETE /v2/repositories/{ns}/{repo}/groups/{id}/`."""
        repo, org = self._grants(principal, namespace, name)
        grant = self._grant(repo, org, group_id)
        del repo.grants[group_id]
        where = f"{repo.namespace}/{repo.name}"
        self.record(
            repo.namespace, "repo.update", where, self._actor(principal),
            f"revoked the team {grant.group_name}'s access to {where}", team=grant.group_name,
        )  # fmt: skip

    # -- rate limit ---------------------------------------------------------------------------------

    def count_request(self, now: float) -> RateWindow:
        """Count one request in the current minute window of the sandbox clock."""
        start = now - now % 60
        if start != self._window_start:
            self._window_start, self._window_count = start, 0
        self._window_count += 1
        limit = self.rate_limit
        return RateWindow(
            limit=limit,
            remaining=max(0, limit - self._window_count),
            reset=int(start + 60),
            exceeded=self._window_count > limit,
        )
