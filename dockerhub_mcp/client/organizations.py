"""Hub calls for accounts and organizations: profiles, members, teams, invites, audit logs, team access.

Members, teams, invites and audit logs are served only to organization access tokens; the operation
table declines them before sending for a personal access token, and declines `/v2/user/orgs` for an OAT.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import TypeAdapter, ValidationError

from dockerhub_mcp.client.base import MAX_PAGE_SIZE, HubCalls, check_page, json_or_none, walk
from dockerhub_mcp.errors import DockerHubError, InvalidInputError, NotFoundError, TransportError, UpstreamError
from dockerhub_mcp.models import HubAccount, HubAuditEvent, HubGroup, HubInvite, HubPage, HubRepoGroup
from dockerhub_mcp.operations import PERMISSIONS, operation
from dockerhub_mcp.session import describe

__all__ = ["MEMBER_ROLES", "Change", "OrganizationCalls"]

MEMBER_ROLES = ("owner", "editor", "member")
Change = Literal["granted", "changed", "unchanged"]
MAX_SEARCH = 100
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
T = TypeVar("T")


def _check_permission(permission: str) -> str:
    if permission not in PERMISSIONS:
        raise InvalidInputError(f"permission must be one of {', '.join(PERMISSIONS)}.")
    return permission


def _check_group_id(group_id: int) -> int:
    if isinstance(group_id, bool) or not isinstance(group_id, int) or group_id < 1:
        raise InvalidInputError(f"group_id must be a positive integer (got {group_id!r}).")
    return group_id


@functools.cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    """A validator for `shape`, built on first use (the models it holds build theirs lazily too)."""
    return TypeAdapter(shape)


def _validated(adapter: TypeAdapter[T], data: Any, what: str) -> T:
    """`data` as `adapter`'s type, or an UpstreamError naming the call when Hub answered something else."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise UpstreamError(f"Docker Hub's answer to {what} was not in the expected shape.") from exc


def _under(data: Any, key: str) -> Any:
    """What an answer holds under `key` (or the answer itself, where Hub sends a bare list)."""
    return data.get(key) if isinstance(data, dict) else data


class OrganizationCalls(HubCalls):
    """User and organization profiles, members, teams, invites, audit logs and team access to repositories."""

    # Profiles (any token).

    async def list_user_orgs(self, *, page: int = 1, page_size: int = 25) -> HubPage[HubAccount]:
        """One page of the organizations the signed-in user belongs to (`GET /v2/user/orgs`, PAT only)."""
        return await self._list(HubPage[HubAccount], "list_user_orgs", {}, page=page, page_size=page_size)

    async def get_org(self, name: str) -> HubAccount:
        """An organization's profile."""
        return await self._get_model(HubAccount, "get_org", {"org_name": name})

    async def get_user(self, name: str) -> HubAccount:
        """A user's public profile."""
        return await self._get_model(HubAccount, "get_user", {"username": name})

    async def get_account(self, name: str) -> HubAccount:
        """A namespace's profile, whichever it is: an organization's, else a user's.

        Raises:
            NotFoundError: neither an organization nor a user has that name.
        """
        try:
            return await self.get_org(name)
        except NotFoundError:
            pass
        try:
            return await self.get_user(name)
        except NotFoundError as exc:
            raise NotFoundError(f"Not found: no user or organization is named {name!r}.") from exc

    # Members, teams and invites (organization access tokens only).

    async def list_org_members(
        self,
        org: str,
        *,
        search: str | None = None,
        role: str | None = None,
        page: int = 1,
        page_size: int = 25,
    ) -> HubPage[HubAccount]:
        """One page of an organization's members, optionally searched (username, name, email) or by role."""
        if role is not None and role not in MEMBER_ROLES:
            raise InvalidInputError(f"role must be one of {', '.join(MEMBER_ROLES)}.")
        if search is not None and len(search) > MAX_SEARCH:
            raise InvalidInputError(f"search must be at most {MAX_SEARCH} characters.")
        check_page(page, page_size)
        params = {"org_name": org}
        query: dict[str, str | int] = {"page": page, "page_size": page_size, "type": "member"}
        query |= {k: v for k, v in (("search", search), ("role", role)) if v}
        response = await self.send(operation("list_org_members"), params, query=query)
        data = json_or_none(response)
        # The spec declares an array of pages; Hub sends one page object. Take either.
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        return _validated(_adapter(HubPage[HubAccount]), data, describe(operation("list_org_members"), params))

    async def list_teams(self, org: str, *, page: int = 1, page_size: int = 25) -> HubPage[HubGroup]:
        """One page of an organization's teams."""
        return await self._list(HubPage[HubGroup], "list_teams", {"org_name": org}, page=page, page_size=page_size)

    async def get_team(self, org: str, team: str) -> HubGroup:
        """One team of an organization, by name (how a team name becomes the id grants take)."""
        return await self._get_model(HubGroup, "get_team", {"org_name": org, "group_name": team})

    async def list_team_members(
        self, org: str, team: str, *, page: int = 1, page_size: int = 25
    ) -> HubPage[HubAccount]:
        """One page of a team's members."""
        params = {"org_name": org, "group_name": team}
        return await self._list(HubPage[HubAccount], "list_team_members", params, page=page, page_size=page_size)

    async def add_team_member(self, org: str, team: str, username: str) -> None:
        """Add `username` (already a member or invitee of the organization) to a team."""
        params = {"org_name": org, "group_name": team}
        await self.send(operation("add_team_member"), params, body={"member": username})

    async def remove_team_member(self, org: str, team: str, username: str) -> None:
        """Remove `username` from a team (not from the organization)."""
        params = {"org_name": org, "group_name": team, "username": username}
        await self.send(operation("remove_team_member"), params)

    async def list_invites(self, org: str) -> list[HubInvite]:
        """An organization's pending invites (`{data: [...]}`, not paginated)."""
        params = {"org_name": org}
        response = await self.send(operation("list_invites"), params)
        return _validated(
            _adapter(list[HubInvite]),
            _under(json_or_none(response), "data"),
            describe(operation("list_invites"), params),
        )

    async def audit_logs(
        self,
        account: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        action: str | None = None,
        actor: str | None = None,
        page: int = 1,
        page_size: int = 25,
    ) -> list[HubAuditEvent]:
        """One page of an account's audit log (`{logs: [...]}`: no count, no links), newest first."""
        check_page(page, page_size)
        query: dict[str, str | int] = {"page": page, "page_size": page_size}
        if since is not None:
            query["from"] = since.astimezone(UTC).strftime(_STAMP)
        if until is not None:  # to the second, rounded up: an event in the last second of the window counts
            later = until.astimezone(UTC) + timedelta(microseconds=(1_000_000 - until.microsecond) % 1_000_000)
            query["to"] = later.strftime(_STAMP)
        query |= {k: v for k, v in (("action", action), ("actor", actor)) if v}
        params = {"account": account}
        response = await self.send(operation("list_audit_logs"), params, query=query)
        what = describe(operation("list_audit_logs"), params)
        return _validated(_adapter(list[HubAuditEvent]), _under(json_or_none(response), "logs"), what)

    async def iter_audit_logs(
        self, account: str, *, since: datetime, until: datetime, action: str, max_pages: int = 20
    ) -> AsyncIterator[HubAuditEvent]:
        """Every event of `action` in `[since, until]`, 100 a page, at most `max_pages` pages."""
        for page in range(1, max_pages + 1):
            events = await self.audit_logs(
                account, since=since, until=until, action=action, page=page, page_size=MAX_PAGE_SIZE
            )
            for event in events:
                yield event
            if len(events) < MAX_PAGE_SIZE:
                return

    # Team access to repositories.

    async def set_team_access(
        self, namespace: str, repository: str, group_id: int, permission: str
    ) -> tuple[HubRepoGroup, Change]:
        """Give team `group_id` `permission` on a repository, whatever it has now, and say what changed.

        A team without access is granted it (`POST .../groups/`); one with another level is changed
        (`PATCH .../groups/{id}/`), as Docker's terraform provider does. When the write fails so that it
        may or may not have happened (a timeout, a 5xx), the grant is read back and what Hub holds decides.

        Raises:
            DockerHubError: the write failed, and Hub does not hold the permission asked for.
        """
        _check_group_id(group_id)
        _check_permission(permission)
        try:
            now: HubRepoGroup | None = await self.get_repository_group(namespace, repository, group_id)
        except NotFoundError:
            now = None
        if now is not None and now.permission == permission:
            return now, "unchanged"
        try:
            if now is None:
                return await self._grant(namespace, repository, group_id, permission), "granted"
            return await self.update_repository_group(namespace, repository, group_id, permission), "changed"
        except (TransportError, UpstreamError) as exc:
            # The write may or may not have reached Hub: what Hub holds now says which.
            try:
                held = await self._read_back(namespace, repository, group_id)
            except DockerHubError:
                exc.message += " Reading the grant back failed too: check the team's access in Docker Hub."
                raise exc from None
            if held is not None and held.permission == permission:
                return held, "granted" if now is None else "changed"
            holds = f"{held.permission} access" if held is not None else "no access"
            exc.message = (
                f"{exc.message.split(' It may or may not')[0]} Read back afterwards, Docker Hub holds {holds} for "
                f"team {group_id} on {namespace}/{repository}: the change did not take effect."
            )
            raise

    async def _grant(self, namespace: str, repository: str, group_id: int, permission: str) -> HubRepoGroup:
        params = {"namespace": namespace, "repository": repository}
        body = {"group_id": group_id, "permission": permission}
        response = await self.send(operation("grant_team_access"), params, body=body)
        try:
            return HubRepoGroup.model_validate(json_or_none(response))
        except ValidationError:
            return HubRepoGroup(group_id=group_id, permission=permission)

    async def _read_back(self, namespace: str, repository: str, group_id: int) -> HubRepoGroup | None:
        try:
            return await self.get_repository_group(namespace, repository, group_id)
        except NotFoundError:
            return None

    def iter_repository_groups(self, namespace: str, repository: str) -> AsyncIterator[HubRepoGroup]:
        """Every team with access to a repository, and its permission."""
        params = {"namespace": namespace, "repository": repository}
        return walk(
            lambda page: self._list(
                HubPage[HubRepoGroup], "list_repository_groups", params, page=page, page_size=MAX_PAGE_SIZE
            )
        )

    async def get_repository_group(self, namespace: str, repository: str, group_id: int) -> HubRepoGroup:
        """A team's permission on a repository (404 when the team has none)."""
        params = {"namespace": namespace, "repository": repository, "group_id": str(_check_group_id(group_id))}
        return await self._get_model(HubRepoGroup, "get_repository_group", params)

    async def update_repository_group(
        self, namespace: str, repository: str, group_id: int, permission: str
    ) -> HubRepoGroup:
        """Change the permission of a team that already has access (`PATCH .../groups/{id}/`)."""
        params = {"namespace": namespace, "repository": repository, "group_id": str(_check_group_id(group_id))}
        body = {"permission": _check_permission(permission)}
        response = await self.send(operation("update_repository_group"), params, body=body)
        try:
            return HubRepoGroup.model_validate_json(response.content)
        except ValidationError:
            return await self.get_repository_group(namespace, repository, group_id)

    async def revoke_repository_group(self, namespace: str, repository: str, group_id: int) -> None:
        """Take a team's access to a repository away (`DELETE .../groups/{id}/`)."""
        params = {"namespace": namespace, "repository": repository, "group_id": str(_check_group_id(group_id))}
        await self.send(operation("revoke_repository_group"), params)
