"""The sandbox's accounts and organizations: profiles, members, teams, invites, audit logs and the public
image search. Who may see or change what is decided here, worded as Hub's errors."""

from __future__ import annotations

from dockerhub_mcp.sandbox import errors
from dockerhub_mcp.sandbox.accounts import HubAccounts
from dockerhub_mcp.sandbox.model import AuditEvent, Group, Invite, Org, OrgRole, Principal, Repository, User

__all__ = ["OAT_NOT_ALLOWED", "HubOrganizations"]

OAT_NOT_ALLOWED = "token issued from organization access token is not allowed"
SEARCH_BADGES = ("official", "verified_publisher", "open_source")


class HubOrganizations(HubAccounts):
    """Organization rules on top of the stored accounts."""

    # -- who is asking ------------------------------------------------------------------------------

    def _signed_in_user(self, principal: Principal) -> User:
        """The user behind a PAT or password session; an OAT is refused as Hub refuses it on user routes."""
        if principal.source == "anonymous":
            raise errors.unauthenticated()
        if principal.source == "oat" or principal.username is None:
            raise errors.error(403, "forbidden", OAT_NOT_ALLOWED)
        return self.users[principal.username]

    def _org(self, name: str) -> Org:
        org = self.orgs.get(name.lower())
        if org is None:
            raise errors.not_found(f"organization '{name}' not found", org_name=name)
        return org

    def role_in(self, principal: Principal, org: Org) -> OrgRole | None:
        """What `principal` is in `org`: an organization's own token counts as an owner."""
        if principal.source == "oat":
            return "owner" if principal.org == org.name else None
        return org.roles.get(principal.username or "")

    def _member_org(self, principal: Principal, name: str, *, owner: bool = False) -> Org:
        """`name`, checked: the caller belongs to it (and is an owner, where `owner`)."""
        if principal.source == "anonymous":
            raise errors.unauthenticated()
        org = self._org(name)
        role = self.role_in(principal, org)
        if role is None:
            raise errors.permission_denied(f"not a member of {org.name}", org_name=org.name)
        if owner and role != "owner":
            raise errors.permission_denied(f"only owners of {org.name} can do this", org_name=org.name)
        return org

    def _team(self, org: Org, name: str) -> Group:
        group = org.group(name)
        if group is None:
            raise errors.not_found(f"team '{name}' not found in organization '{org.name}'", group_name=name)
        return group

    # -- profiles -----------------------------------------------------------------------------------

    def user_orgs(self, principal: Principal) -> list[tuple[Org, OrgRole]]:
        """`GET /v2/user/orgs`: the organizations the signed-in user belongs to, by name."""
        user = self._signed_in_user(principal)
        return sorted(
            ((org, org.roles[user.username]) for org in self.orgs.values() if user.username in org.roles),
            key=lambda pair: pair[0].name,
        )

    def org_profile(self, name: str) -> Org:
        """`GET /v2/orgs/{org}`: a public profile."""
        return self._org(name)

    def user_profile(self, name: str) -> User:
        """`GET /v2/users/{username}`: a public profile (404 for organizations and unknown names)."""
        user = self.users.get(name.lower())
        if user is None:
            raise errors.not_found(f"user '{name}' not found", username=name)
        return user

    # -- members, teams, invites ----------------------------------------------------------------------

    def members(
        self, principal: Principal, org_name: str, *, search: str | None = None, role: str | None = None
    ) -> list[tuple[User, OrgRole, list[str]]]:
        """`GET /v2/orgs/{org}/members`: members with role and teams; `search` matches username, name, email."""
        org = self._member_org(principal, org_name)
        if role is not None and role not in ("owner", "editor", "member"):
            raise errors.value_error("role", "Select a valid choice.")
        found: list[tuple[User, OrgRole, list[str]]] = []
        needle = (search or "").lower()
        for username, member_role in sorted(org.roles.items()):
            user = self.users[username]
            if role is not None and member_role != role:
                continue
            if needle and not any(needle in text.lower() for text in (user.username, user.full_name, user.email)):
                continue
            teams = sorted(g.name for g in org.groups.values() if username in g.members)
            found.append((user, member_role, teams))
        return found

    def shows_emails(self, principal: Principal, org_name: str) -> bool:
        """Owners (and the organization's own token) see members' email addresses; others do not."""
        return self.role_in(principal, self._org(org_name)) == "owner"

    def list_groups(self, principal: Principal, org_name: str) -> list[Group]:
        """`GET /v2/orgs/{org}/groups` for OAT or password sessions (PATs are refused before this)."""
        return sorted(self._member_org(principal, org_name).groups.values(), key=lambda g: g.name)

    def get_group(self, principal: Principal, org_name: str, team: str) -> Group:
        """`GET /v2/orgs/{org}/groups/{team}`."""
        return self._team(self._member_org(principal, org_name), team)

    def group_members(self, principal: Principal, org_name: str, team: str) -> list[User]:
        """`GET /v2/orgs/{org}/groups/{team}/members`."""
        group = self._team(self._member_org(principal, org_name), team)
        return [self.users[name] for name in sorted(group.members)]

    def add_group_member(self, principal: Principal, org_name: str, team: str, body: dict[str, object]) -> None:
        """`POST /v2/orgs/{org}/groups/{team}/members` with `{member}`: an owner adds a member of the org."""
        org = self._member_org(principal, org_name, owner=True)
        group = self._team(org, team)
        member = body.get("member")
        if not isinstance(member, str) or not member:
            raise errors.bad_request("member is required", field="member")
        name = member.lower()
        if name not in org.roles:
            raise errors.not_found(f"user '{member}' is not a member of {org.name}", username=member)
        if name not in group.members:
            group.members.add(name)
            self.record(
                org.name, "org.team.member.add", name, self._actor(principal), f"added {name} to the team {group.name}",
                team=group.name,
            )  # fmt: skip

    def remove_group_member(self, principal: Principal, org_name: str, team: str, username: str) -> None:
        """`DELETE /v2/orgs/{org}/groups/{team}/members/{username}`."""
        org = self._member_org(principal, org_name, owner=True)
        group = self._team(org, team)
        name = username.lower()
        if name not in group.members:
            raise errors.not_found(f"user '{username}' is not in the team '{group.name}'", username=username)
        group.members.discard(name)
        self.record(
            org.name, "org.team.member.remove", name, self._actor(principal),
            f"removed {name} from the team {group.name}", team=group.name,
        )  # fmt: skip

    def pending_invites(self, principal: Principal, org_name: str) -> list[Invite]:
        """`GET /v2/orgs/{org}/invites`: owners only."""
        return list(self._member_org(principal, org_name, owner=True).invites)

    # -- audit log ----------------------------------------------------------------------------------

    def audit_events(
        self,
        principal: Principal,
        account: str,
        *,
        action: str | None = None,
        name: str | None = None,
        actor: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[AuditEvent]:
        """`GET /v2/auditlogs/{account}`: the organization's events in the window, newest first (owners only)."""
        org = self._member_org(principal, account, owner=True)
        return [
            e
            for e in sorted(self.audit, key=lambda e: -e.timestamp)
            if e.account == org.name
            and (action is None or e.action == action)
            and (name is None or e.name == name)
            and (actor is None or e.actor == actor)
            and (since is None or e.timestamp >= since)
            and (until is None or e.timestamp <= until)
        ]

    def _actor(self, principal: Principal) -> str:
        return principal.username or principal.org or "anonymous"

    # -- the public image search ----------------------------------------------------------------------

    def search(self, query: str, *, badges: list[str]) -> list[Repository]:
        """`GET /api/search/v4`: public repositories whose name or description holds `query`, best match first."""
        wanted = query.strip().lower()
        if not wanted:
            raise errors.value_error("query", "This field is required.")
        unknown = [b for b in badges if b not in SEARCH_BADGES]
        if unknown:
            raise errors.value_error("badges", f"Unknown badge {unknown[0]!r}.")
        found = [
            repo
            for repos in self.namespaces.values()
            for repo in repos.values()
            if not repo.is_private
            and (wanted in repo.name.lower() or wanted in repo.description.lower())
            and (not badges or self.badge(repo) in badges)
        ]
        found.sort(key=lambda r: (r.name.lower() != wanted, -r.pull_count, r.namespace, r.name))
        return found

    def badge(self, repo: Repository) -> str | None:
        """Docker's badge for a repository: the `library` namespace holds the official images."""
        return "official" if repo.namespace == "library" else None
