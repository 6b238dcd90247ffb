"""Which Docker Hub operations exist, which credential each needs, and the naming rules for paths.

The table `OPERATIONS` is the only place that decides what a personal access token (PAT) or an
organization access token (OAT) may be sent to: the client consults it before every request, and
`hub_request` accepts nothing outside it. It holds every operation of Docker's OpenAPI spec plus the
routes real clients use outside it (`../shared/docs/hub-facts.md` §2-3, §10).

Kinds: `any` (either token), `pat_only` (user routes an OAT cannot use), `oat_only` (organization
routes Hub refuses to PAT-derived JWTs), `not_sent` (credentials and SCIM: this server never sends them),
`deprecated` (named with their canonical replacement), `fallback` (the legacy form of a write the client
falls back to when Hub does not serve the canonical one; never sent by `hub_request`) and `refused`
(deleting a repository).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal, get_args
from urllib.parse import quote

from dockerhub_mcp.errors import InvalidInputError

__all__ = [
    "OPERATIONS",
    "PERMISSIONS",
    "REPOSITORY_ORDERINGS",
    "TAG_ORDERINGS",
    "Kind",
    "Operation",
    "Permission",
    "RepositoryOrdering",
    "TagOrdering",
    "build_path",
    "byte_length",
    "check_description",
    "check_full_description",
    "check_glob",
    "check_namespace",
    "check_repository",
    "check_tag",
    "is_protected",
    "match_path",
    "operation",
]

Kind = Literal["any", "pat_only", "oat_only", "not_sent", "deprecated", "fallback", "refused"]
RepositoryOrdering = Literal["last_updated", "-last_updated", "name", "-name", "pull_count", "-pull_count"]
TagOrdering = Literal["last_updated", "-last_updated", "name", "-name"]
Permission = Literal["read", "write", "admin"]
REPOSITORY_ORDERINGS: tuple[str, ...] = get_args(RepositoryOrdering)
TAG_ORDERINGS: tuple[str, ...] = get_args(TagOrdering)
PERMISSIONS: tuple[str, ...] = get_args(Permission)
PatLevel = Literal["public_read", "read", "write", "delete", "admin", "none"]

NAMESPACE_RE = re.compile(r"[a-z0-9_-]{2,255}")
# One path segment on Hub: lowercase components joined by `.`, `_`, `__` or runs of `-`.
REPOSITORY_RE = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# Other path variables (ids, uuids, org and team names, usernames) of the raw request tool.
SEGMENT_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,254}")
GROUP_ID_RE = re.compile(r"[1-9][0-9]{0,18}")
MAX_DESCRIPTION = 100
MAX_FULL_DESCRIPTION = 25_000
MAX_GLOB = 128
GLOB_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-*?[]!")


@dataclass(frozen=True, slots=True)
class Operation:
    """One Hub operation: method, path template and what a PAT-derived JWT may do with it."""

    key: str
    method: str
    template: str
    kind: Kind
    read_only: bool
    pat_level: PatLevel
    summary: str
    replacement: str | None = None
    reason: str | None = None
    idempotent: bool = False
    slash: bool = False  # sent with a trailing slash, as the clients that prove the route do
    public: bool = False  # sent without credentials: the public image search takes none

    @property
    def segments(self) -> tuple[str, ...]:
        """The template's path segments."""
        return tuple(self.template.strip("/").split("/"))


def _op(
    key: str,
    method: str,
    template: str,
    kind: Kind,
    level: PatLevel,
    summary: str,
    *,
    replacement: str | None = None,
    reason: str | None = None,
    idempotent: bool | None = None,
    slash: bool = False,
    public: bool = False,
) -> Operation:
    # Safe to send twice: HTTP's idempotent methods, unless a row says otherwise (PATCH of set values can be).
    repeatable = method in ("GET", "HEAD", "PUT", "DELETE") if idempotent is None else idempotent
    return Operation(
        key,
        method,
        template,
        kind,
        method in ("GET", "HEAD"),
        level,
        summary,
        replacement,
        reason,
        repeatable,
        slash,
        public,
    )


_NS = "/v2/namespaces/{namespace}/repositories"
_REPO = _NS + "/{repository}"
_ORG_GROUP = "/v2/orgs/{org_name}/groups/{group_name}"
_REPO_GROUPS = "/v2/repositories/{namespace}/{repository}/groups"
_NO_CREDENTIALS = "the server manages its own credentials; a model must not mint or read tokens"


# One row per operation: the table reads as a table.
# fmt: off
OPERATIONS: tuple[Operation, ...] = (
    # Authentication: the client does this itself.
    _op("login", "POST", "/v2/users/login", "not_sent", "none", "log in (deprecated)", reason=_NO_CREDENTIALS),
    _op("login_2fa", "POST", "/v2/users/2fa-login", "not_sent", "none", "second-factor login", reason=_NO_CREDENTIALS),
    _op("auth_token", "POST", "/v2/auth/token", "not_sent", "none", "create an access token", reason=_NO_CREDENTIALS),
    # Personal and organization access-token management.
    _op("pat_post_0", "POST", "/v2/access-tokens", "not_sent", "none", "manage personal access tokens", reason=_NO_CREDENTIALS),
    _op("pat_get_1", "GET", "/v2/access-tokens", "not_sent", "none", "manage personal access tokens", reason=_NO_CREDENTIALS),
    _op("pat_patch_2", "PATCH", "/v2/access-tokens/{uuid}", "not_sent", "none", "manage personal access tokens", reason=_NO_CREDENTIALS),
    _op("pat_get_3", "GET", "/v2/access-tokens/{uuid}", "not_sent", "none", "manage personal access tokens", reason=_NO_CREDENTIALS),
    _op("pat_delete_4", "DELETE", "/v2/access-tokens/{uuid}", "not_sent", "none", "manage personal access tokens", reason=_NO_CREDENTIALS),
    _op("oat_post_0", "POST", "/v2/orgs/{name}/access-tokens", "not_sent", "none", "manage organization access tokens", reason=_NO_CREDENTIALS),
    _op("oat_get_1", "GET", "/v2/orgs/{name}/access-tokens", "not_sent", "none", "manage organization access tokens", reason=_NO_CREDENTIALS),
    _op("oat_get_2", "GET", "/v2/orgs/{org_name}/access-tokens/{access_token_id}", "not_sent", "none", "manage organization access tokens", reason=_NO_CREDENTIALS),
    _op("oat_patch_3", "PATCH", "/v2/orgs/{org_name}/access-tokens/{access_token_id}", "not_sent", "none", "manage organization access tokens", reason=_NO_CREDENTIALS),
    _op("oat_delete_4", "DELETE", "/v2/orgs/{org_name}/access-tokens/{access_token_id}", "not_sent", "none", "manage organization access tokens", reason=_NO_CREDENTIALS),
    # Repositories and tags (canonical paths).
    _op("list_repositories", "GET", _NS, "any", "public_read", "list repositories"),
    _op("create_repository", "POST", _NS, "any", "write", "create a repository"),
    _op("get_repository", "GET", _REPO, "any", "public_read", "get a repository"),
    _op("check_repository", "HEAD", _REPO, "any", "public_read", "check a repository"),
    _op("update_repository", "PATCH", _REPO, "any", "delete", "update a repository's description", idempotent=True),
    _op("delete_repository", "DELETE", _REPO, "refused", "admin", "delete a repository", reason="deleting a whole repository is refused by this server; delete tags instead"),
    _op("list_tags", "GET", _REPO + "/tags", "any", "public_read", "list tags"),
    _op("check_tags", "HEAD", _REPO + "/tags", "any", "public_read", "check tags"),
    _op("get_tag", "GET", _REPO + "/tags/{tag}", "any", "public_read", "get a tag"),
    _op("check_tag", "HEAD", _REPO + "/tags/{tag}", "any", "public_read", "check a tag"),
    _op("delete_tag", "DELETE", _REPO + "/tags/{tag}", "any", "delete", "delete a tag"),
    _op("update_immutable_tags", "PATCH", _REPO + "/immutabletags", "any", "admin", "update immutable tag rules"),
    _op("verify_immutable_tags", "POST", _REPO + "/immutabletags/verify", "any", "admin", "verify immutable tag rules"),
    # Team access to a repository: the spec's POST, and the forms Docker's terraform provider proves (§10).
    _op("grant_team_access", "POST", _REPO_GROUPS, "any", "admin", "grant a team access to a repository", slash=True),
    _op("list_repository_groups", "GET", _REPO_GROUPS, "any", "admin", "list the teams with access to a repository", slash=True),
    _op("get_repository_group", "GET", _REPO_GROUPS + "/{group_id}", "any", "admin", "read a team's access to a repository", slash=True),
    _op("update_repository_group", "PATCH", _REPO_GROUPS + "/{group_id}", "any", "admin", "change a team's access to a repository", idempotent=True, slash=True),
    _op("revoke_repository_group", "DELETE", _REPO_GROUPS + "/{group_id}", "any", "admin", "revoke a team's access to a repository", slash=True),
    # Accounts: user and organization profiles, and the organizations of the signed-in user (§10).
    _op("list_user_orgs", "GET", "/v2/user/orgs", "pat_only", "public_read", "list the organizations of the signed-in user"),
    _op("get_org", "GET", "/v2/orgs/{org_name}", "any", "public_read", "read an organization's profile"),
    _op("get_user", "GET", "/v2/users/{username}", "any", "public_read", "read a user's profile"),
    # The public image search docker/hub-mcp calls (outside /v2, so hub_request cannot reach it).
    _op("search_images", "GET", "/api/search/v4", "any", "none", "search public images", public=True),
    # Organization settings: owner-only; token kind unverified, so sent and left to Hub.
    _op("get_org_settings", "GET", "/v2/orgs/{name}/settings", "any", "admin", "read organization settings"),
    _op("update_org_settings", "PUT", "/v2/orgs/{name}/settings", "any", "admin", "update organization settings"),
    # Organization access tokens only.
    _op("list_audit_actions", "GET", "/v2/auditlogs/{account}/actions", "oat_only", "none", "list audit log actions"),
    _op("list_audit_logs", "GET", "/v2/auditlogs/{account}", "oat_only", "none", "read audit logs"),
    _op("list_org_members", "GET", "/v2/orgs/{org_name}/members", "oat_only", "none", "list or search organization members"),
    _op("export_org_members", "GET", "/v2/orgs/{org_name}/members/export", "oat_only", "none", "export organization members"),
    _op("update_org_member", "PUT", "/v2/orgs/{org_name}/members/{username}", "oat_only", "none", "update an organization member's role"),
    _op("remove_org_member", "DELETE", "/v2/orgs/{org_name}/members/{username}", "oat_only", "none", "remove an organization member"),
    _op("list_invites", "GET", "/v2/orgs/{org_name}/invites", "oat_only", "none", "list organization invites"),
    _op("cancel_invite", "DELETE", "/v2/invites/{id}", "oat_only", "none", "cancel an invite"),
    _op("resend_invite", "PATCH", "/v2/invites/{id}/resend", "oat_only", "none", "resend an invite"),
    _op("bulk_invite", "POST", "/v2/invites/bulk", "oat_only", "none", "invite members in bulk"),
    _op("list_teams", "GET", "/v2/orgs/{org_name}/groups", "oat_only", "none", "list teams"),
    _op("create_team", "POST", "/v2/orgs/{org_name}/groups", "oat_only", "none", "create a team"),
    _op("get_team", "GET", _ORG_GROUP, "oat_only", "none", "get a team"),
    _op("replace_team", "PUT", _ORG_GROUP, "oat_only", "none", "update a team"),
    _op("update_team", "PATCH", _ORG_GROUP, "oat_only", "none", "update a team"),
    _op("delete_team", "DELETE", _ORG_GROUP, "oat_only", "none", "delete a team"),
    _op("list_team_members", "GET", _ORG_GROUP + "/members", "oat_only", "none", "list team members"),
    _op("add_team_member", "POST", _ORG_GROUP + "/members", "oat_only", "none", "add a team member"),
    _op("remove_team_member", "DELETE", _ORG_GROUP + "/members/{username}", "oat_only", "none", "remove a team member"),
    # SCIM needs its own SCIM token.
    _op("scim_get_0", "GET", "/v2/scim/2.0/ServiceProviderConfig", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_get_1", "GET", "/v2/scim/2.0/ResourceTypes", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_get_2", "GET", "/v2/scim/2.0/ResourceTypes/{name}", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_get_3", "GET", "/v2/scim/2.0/Schemas", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_get_4", "GET", "/v2/scim/2.0/Schemas/{id}", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_get_5", "GET", "/v2/scim/2.0/Users", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_post_6", "POST", "/v2/scim/2.0/Users", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_get_7", "GET", "/v2/scim/2.0/Users/{id}", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    _op("scim_put_8", "PUT", "/v2/scim/2.0/Users/{id}", "not_sent", "none", "SCIM provisioning", reason="SCIM routes need a separate SCIM token"),
    # Deprecated or legacy forms: declined, naming the canonical path.
    _op("legacy_list_repositories", "GET", "/v2/repositories/{namespace}", "deprecated", "none", "list repositories (legacy path)", replacement="GET /v2/namespaces/{namespace}/repositories"),
    _op("legacy_user_repositories", "GET", "/v2/users/{username}/repositories", "deprecated", "none", "list a user's repositories (legacy path)", replacement="GET /v2/namespaces/{namespace}/repositories"),
    _op("legacy_create_repository", "POST", "/v2/repositories", "deprecated", "none", "create a repository (legacy path)", replacement="POST /v2/namespaces/{namespace}/repositories"),
    _op("legacy_create_repository_ns", "POST", "/v2/repositories/{namespace}", "deprecated", "none", "create a repository (legacy path)", replacement="POST /v2/namespaces/{namespace}/repositories"),
    _op("legacy_get_repository", "GET", "/v2/repositories/{namespace}/{repository}", "deprecated", "none", "get a repository (legacy path)", replacement="GET /v2/namespaces/{namespace}/repositories/{repository}"),
    _op("legacy_check_repository", "HEAD", "/v2/repositories/{namespace}/{repository}", "deprecated", "none", "check a repository (legacy path)", replacement="HEAD /v2/namespaces/{namespace}/repositories/{repository}"),
    _op("legacy_update_repository", "PATCH", "/v2/repositories/{namespace}/{repository}", "fallback", "delete", "update a repository's description (legacy path)", replacement="PATCH /v2/namespaces/{namespace}/repositories/{repository}", idempotent=True, slash=True),
    _op("legacy_delete_repository", "DELETE", "/v2/repositories/{namespace}/{repository}", "refused", "none", "delete a repository", reason="deleting a whole repository is refused by this server; delete tags instead"),
    _op("legacy_list_tags", "GET", "/v2/repositories/{namespace}/{repository}/tags", "deprecated", "none", "list tags (legacy path)", replacement="GET /v2/namespaces/{namespace}/repositories/{repository}/tags"),
    _op("legacy_get_tag", "GET", "/v2/repositories/{namespace}/{repository}/tags/{tag}", "deprecated", "none", "get a tag (legacy path)", replacement="GET /v2/namespaces/{namespace}/repositories/{repository}/tags/{tag}"),
    _op("legacy_delete_tag", "DELETE", "/v2/repositories/{namespace}/{repository}/tags/{tag}", "fallback", "delete", "delete a tag (legacy path)", replacement="DELETE /v2/namespaces/{namespace}/repositories/{repository}/tags/{tag}", slash=True),
    _op("current_user", "GET", "/v2/user", "deprecated", "none", "read the current user", replacement="the get_connection tool (the username comes from DOCKERHUB_USERNAME)"),
)
# fmt: on

_BY_KEY = {op.key: op for op in OPERATIONS}


def operation(key: str) -> Operation:
    """Return the operation named `key` (a programming error if absent)."""
    return _BY_KEY[key]


def check_namespace(value: str) -> str:
    """Return `value` if it is a valid namespace (Docker ID or organization), else raise InvalidInputError."""
    if not isinstance(value, str) or not NAMESPACE_RE.fullmatch(value):
        raise InvalidInputError(f"Invalid namespace {value!r}: use 2-255 lowercase letters, digits, '-' or '_'.")
    return value


def check_repository(value: str) -> str:
    """Return `value` if it is a valid repository name, else raise InvalidInputError."""
    if not isinstance(value, str) or not (2 <= len(value) <= 255 and REPOSITORY_RE.fullmatch(value)):
        raise InvalidInputError(
            f"Invalid repository name {value!r}: use lowercase letters and digits, separated by "
            "'.', '_', '__' or '-' (2-255 characters, no '/')."
        )
    return value


def check_tag(value: str) -> str:
    """Return `value` if it is a valid tag, else raise InvalidInputError."""
    if not isinstance(value, str) or not TAG_RE.fullmatch(value):
        raise InvalidInputError(
            f"Invalid tag {value!r}: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'."
        )
    return value


def byte_length(value: str) -> int:
    """The length Docker Hub's description limits count: UTF-8 bytes, not characters."""
    return len(value.encode("utf-8", errors="surrogatepass"))


def check_description(value: str) -> str:
    """Return `value` if it fits Hub's short-description limit (100 UTF-8 bytes)."""
    if byte_length(value) > MAX_DESCRIPTION:
        raise InvalidInputError(
            f"description is {byte_length(value)} bytes in UTF-8 ({len(value)} characters); Docker Hub allows "
            f"{MAX_DESCRIPTION} bytes."
        )
    return value


def check_full_description(value: str) -> str:
    """Return `value` if it fits Hub's full-description limit (25,000 UTF-8 bytes)."""
    if byte_length(value) > MAX_FULL_DESCRIPTION:
        raise InvalidInputError(
            f"full_description is {byte_length(value)} bytes in UTF-8; Docker Hub allows {MAX_FULL_DESCRIPTION} bytes."
        )
    return value


def check_glob(pattern: str) -> str:
    """Return `pattern` if it is a usable tag glob (`*`, `?`, `[...]` over tag characters)."""
    if not pattern or len(pattern) > MAX_GLOB or not set(pattern) <= GLOB_CHARS:
        raise InvalidInputError(
            f"Invalid keep pattern {pattern!r}: use tag characters with the globs '*', '?' and '[...]'."
        )
    return pattern


def is_protected(tag: str, patterns: Sequence[str]) -> bool:
    """Whether `tag` matches any glob in `patterns` (case-sensitive, like tags)."""
    return any(fnmatchcase(tag, pattern) for pattern in patterns)


def _check_group_id(value: str) -> str:
    if not GROUP_ID_RE.fullmatch(value):
        raise InvalidInputError(f"Invalid group_id {value!r}: a team id is a positive whole number.")
    return value


_CHECKS = {
    "namespace": check_namespace,
    "repository": check_repository,
    "tag": check_tag,
    "org_name": check_namespace,
    "group_id": _check_group_id,
}


def _check_segment(name: str, value: str) -> str:
    check = _CHECKS.get(name)
    if check is not None:
        return check(value)
    if not SEGMENT_RE.fullmatch(value) or value in (".", ".."):
        raise InvalidInputError(f"Invalid {name} {value!r} in the path.")
    return value


def build_path(op: Operation, params: dict[str, str]) -> str:
    """Fill `op`'s template with validated, percent-encoded values.

    Raises:
        InvalidInputError: a value breaks the naming rules (nothing is sent).
    """
    out: list[str] = []
    for segment in op.segments:
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            value = _check_segment(name, params[name])
            out.append(quote(value, safe=""))
        else:
            out.append(segment)
    return "/" + "/".join(out) + ("/" if op.slash else "")


def match_path(method: str, path: str) -> tuple[Operation, dict[str, str]]:
    """Find the operation for a raw `method` and `path` (as a model would give it) and its validated values.

    The path must be an absolute `/v2/...` path without query, fragment, percent-escapes or dot segments;
    one trailing slash is tolerated. Raises InvalidInputError when the path is malformed or matches no
    known operation.
    """
    method = method.upper()
    if not path.startswith("/v2/") or any(c in path for c in "?#%\\") or any(c.isspace() for c in path):
        raise InvalidInputError(
            f"Invalid path {path!r}: give an absolute Docker Hub API path such as "
            "'/v2/namespaces/{namespace}/repositories', without query string or escapes (use `query`)."
        )
    trimmed = path[1:-1] if path.endswith("/") else path[1:]  # one trailing slash, as hub-tool sends
    segments = trimmed.split("/")
    if any(s in ("", ".", "..") for s in segments):
        raise InvalidInputError(f"Invalid path {path!r}: empty or dot segments are not allowed.")
    known_path = False
    for op in OPERATIONS:
        if len(op.segments) != len(segments):
            continue
        params: dict[str, str] = {}
        for want, got in zip(op.segments, segments, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            known_path = True
            if op.method != method:
                continue
            for name, value in params.items():
                _check_segment(name, value)
            return op, params
    if known_path:
        raise InvalidInputError(f"{method} is not an operation of Docker Hub's API on {path!r}.")
    raise InvalidInputError(
        f"{method} {path!r} is not a known Docker Hub API operation; this tool accepts only the operations "
        "of Docker Hub's published API."
    )
