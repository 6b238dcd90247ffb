"""Checks of request bodies against the spec's limits, worded as Hub's 400s."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockerhub_mcp.sandbox import errors
from dockerhub_mcp.sandbox.model import Permission

__all__ = [
    "DESCRIPTION_MAX",
    "FULL_DESCRIPTION_MAX",
    "GRANT_PERMISSIONS",
    "NewRepository",
    "descriptions",
    "grant_permission",
    "group_grant",
    "new_repository",
]

DESCRIPTION_MAX = 100  # repo_creation_request.description maxLength
FULL_DESCRIPTION_MAX = 25_000  # repo_creation_request.full_description maxLength
GRANT_PERMISSIONS: tuple[Permission, ...] = ("read", "write", "admin")
_REPO_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")  # the spec's CreateRepository pattern


@dataclass(frozen=True)
class NewRepository:
    """A valid `repo_creation_request`."""

    name: str
    is_private: bool
    description: str
    full_description: str


def descriptions(body: dict[str, object]) -> tuple[str | None, str | None]:
    """`(description, full_description)` from a PATCH or create body; None where absent.

    Raises:
        HubError: 400 for a non-string or too long field.
    """
    found: list[str | None] = []
    for field, limit in (("description", DESCRIPTION_MAX), ("full_description", FULL_DESCRIPTION_MAX)):
        value = body.get(field)
        if value is not None and not isinstance(value, str):
            raise errors.bad_request(f"{field} must be a string", field=field)
        # Hub counts bytes of UTF-8, not characters (a 99-character tagline of 101 bytes was refused).
        if value is not None and len(value.encode("utf-8", errors="surrogatepass")) > limit:
            raise errors.bad_request(
                f"{field}: ensure this field has no more than {limit} bytes", field=field, max_length=str(limit)
            )
        found.append(value)
    return found[0], found[1]


def new_repository(body: dict[str, object], namespace: str) -> NewRepository:
    """Check a `repo_creation_request` for `namespace` (from the path).

    Raises:
        HubError: 400 naming the first bad field.
    """
    name, body_ns, is_private = body.get("name"), body.get("namespace"), body.get("is_private", False)
    if not isinstance(name, str) or not 2 <= len(name) <= 255 or not _REPO_NAME.match(name):
        raise errors.bad_request(
            "name must be 2-255 lowercase letters, digits and single '.', '_' or '-' separators", field="name"
        )
    if not isinstance(body_ns, str) or body_ns.lower() != namespace:
        raise errors.bad_request("namespace is required and must match the path", field="namespace")
    if not isinstance(is_private, bool):
        raise errors.bad_request("is_private must be a boolean", field="is_private")
    description, full_description = descriptions(body)
    return NewRepository(name, is_private, description or "", full_description or "")


def grant_permission(body: dict[str, object]) -> Permission:
    """`permission` of a grant change (`PATCH .../groups/{id}/`).

    Raises:
        HubError: 400 for a missing or unknown permission.
    """
    value = body.get("permission")
    if value not in GRANT_PERMISSIONS:
        raise errors.bad_request("permission must be one of: read, write, admin", field="permission")
    return value


def group_grant(body: dict[str, object]) -> tuple[int, Permission]:
    """`(group_id, permission)` from a `RepositoryGroupCreationRequest`.

    Raises:
        HubError: 400 for a missing or mistyped field.
    """
    group_id = body.get("group_id")
    if isinstance(group_id, bool) or not isinstance(group_id, int):
        raise errors.bad_request("group_id is required and must be an integer", field="group_id")
    return group_id, grant_permission(body)
