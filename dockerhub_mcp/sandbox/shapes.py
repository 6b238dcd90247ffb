"""Hub-shaped JSON for the sandbox's records (the spec's shapes, and the real tag shape where they differ)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dockerhub_mcp.sandbox.model import (
    ACTIVE_WINDOW,
    AuditEvent,
    Group,
    Image,
    Invite,
    Org,
    OrgRole,
    Permission,
    RepoGrant,
    Repository,
    Tag,
    User,
)

__all__ = [
    "audit_json",
    "group_json",
    "invite_json",
    "iso",
    "member_json",
    "org_json",
    "repo_group_json",
    "repository_info",
    "repository_list_entry",
    "search_json",
    "storage_size",
    "tag_json",
    "user_json",
]

_RANK: dict[Permission, int] = {"none": 0, "read": 1, "write": 2, "admin": 3}


def iso(ts: float | None) -> str | None:
    """Unix seconds as Hub writes timestamps, e.g. `2021-01-05T21:06:53.506400Z`."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _status(pushed: float, pulled: float | None, now: float) -> str:
    latest = max(pushed, pulled or 0.0)
    return "active" if now - latest <= ACTIVE_WINDOW else "inactive"


def storage_size(repo: Repository) -> int:
    """Bytes stored: each distinct image counted once, however many tags point at it."""
    sizes = {image.digest: image.size for tag in repo.tags.values() for image in tag.images}
    return sum(sizes.values())


def _media_types(repo: Repository) -> list[str]:
    return sorted({tag.media_type for tag in repo.tags.values()})


def repository_list_entry(repo: Repository) -> dict[str, Any]:
    """`repository_list_entry`, as in `GET /v2/namespaces/{ns}/repositories` results."""
    return {
        "name": repo.name,
        "namespace": repo.namespace,
        "repository_type": "image",
        "status": 1,
        "status_description": "active",
        "description": repo.description,
        "is_private": repo.is_private,
        "star_count": repo.star_count,
        "pull_count": repo.pull_count,
        "last_updated": iso(repo.last_updated),
        "last_modified": iso(repo.last_modified),
        "date_registered": iso(repo.registered_at),
        "affiliation": "",
        "media_types": _media_types(repo),
        "content_types": ["image"] if repo.tags else [],
        "categories": [dict(c) for c in repo.categories],
        "storage_size": storage_size(repo),
    }


def repository_info(repo: Repository, permission: Permission) -> dict[str, Any]:
    """`repository_info` (every required field, plus `full_description`) for a caller holding `permission`."""
    rank = _RANK[permission]
    return {
        "user": repo.namespace,
        "name": repo.name,
        "namespace": repo.namespace,
        "repository_type": "image",
        "status": 1,
        "status_description": "active",
        "description": repo.description,
        "is_private": repo.is_private,
        "is_automated": False,
        "star_count": repo.star_count,
        "pull_count": repo.pull_count,
        "last_updated": iso(repo.last_updated),
        "last_modified": iso(repo.last_modified),
        "date_registered": iso(repo.registered_at),
        "collaborator_count": 0,
        "affiliation": None,
        "hub_user": repo.namespace,
        "has_starred": False,
        "full_description": repo.full_description,
        "permissions": {"read": rank >= 1, "write": rank >= 2, "admin": rank >= 3},
        "media_types": _media_types(repo),
        "content_types": ["image"] if repo.tags else [],
        "categories": [dict(c) for c in repo.categories],
        "immutable_tags_settings": {"enabled": False, "rules": []},
        "storage_size": storage_size(repo),
        "source": None,
    }


def _image_json(image: Image, now: float) -> dict[str, Any]:
    # List answers on real Hub omit `layers`; `variant`/`os_version` are usually null.
    return {
        "architecture": image.architecture,
        "features": "",
        "variant": image.variant,
        "digest": image.digest,
        "os": image.os,
        "os_features": "",
        "os_version": None,
        "size": image.size,
        "status": _status(image.pushed_at, image.pulled_at, now),
        "last_pulled": iso(image.pulled_at),
        "last_pushed": iso(image.pushed_at),
    }


def tag_json(tag: Tag, now: float) -> dict[str, Any]:
    """A tag in the shape real Hub sends (images array, `tag_status`, bool `v2`, optional `digest`)."""
    body: dict[str, Any] = {
        "creator": tag.creator_id,
        "id": tag.id,
        "images": [_image_json(image, now) for image in tag.images],
        "last_updated": iso(tag.pushed_at),
        "last_updater": tag.creator_id,
        "last_updater_username": tag.updater,
        "name": tag.name,
        "repository": tag.repository_id,
        "full_size": tag.images[0].size,
        "v2": True,
        "tag_status": _status(tag.pushed_at, tag.pulled_at, now),
        "tag_last_pulled": iso(tag.pulled_at),
        "tag_last_pushed": iso(tag.pushed_at),
        "media_type": tag.media_type,
        "content_type": tag.content_type,
    }
    if tag.digest is not None:
        # Old images carry no tag-level digest at all (the key is absent, not null).
        body["digest"] = tag.digest
    return body


def group_json(group: Group) -> dict[str, Any]:
    """`org_group` for `GET /v2/orgs/{org}/groups` (served to OAT and password sessions only)."""
    return {
        "id": group.id,
        "uuid": group.uuid,
        "name": group.name,
        "description": group.description,
        "member_count": len(group.members),
    }


def user_json(user: User) -> dict[str, Any]:
    """The spec's `user`, as `GET /v2/users/{username}` and team member lists show it (no email)."""
    return {
        "id": user.uuid.replace("-", ""),
        "uuid": user.uuid,
        "username": user.username,
        "full_name": user.full_name,
        "location": user.location,
        "company": user.company,
        "profile_url": "",
        "date_joined": iso(user.joined),
        "gravatar_email": "",
        "gravatar_url": "",
        "type": "User",
    }


def member_json(user: User, role: OrgRole, teams: list[str], *, email: bool) -> dict[str, Any]:
    """The spec's `org_member`: the user, role (capitalised as Hub writes it), teams, and email for owners."""
    body = {**user_json(user), "role": role.capitalize(), "groups": teams, "is_guest": False}
    if email:
        body["email"] = user.email
    return body


def org_json(org: Org, *, role: OrgRole | None = None, teams: list[str] | None = None) -> dict[str, Any]:
    """An organization as `GET /v2/orgs/{org}` and (with the caller's role and teams) `/v2/user/orgs` show it."""
    body: dict[str, Any] = {
        "id": org.uuid.replace("-", ""),
        "uuid": org.uuid,
        "orgname": org.name,
        "full_name": org.full_name,
        "location": org.location,
        "company": org.company,
        "profile_url": "",
        "date_joined": iso(org.joined),
        "gravatar_email": "",
        "gravatar_url": "",
        "type": "Organization",
        "badge": "",
        "is_active": True,
    }
    if role is not None:
        body |= {
            "user_role": role,
            "user_groups": teams or [],
            "org_groups_count": len(org.groups),
            "plan_name": "team",
            "parent_name": None,
        }
    return body


def invite_json(invite: Invite) -> dict[str, Any]:
    """The spec's `invite`."""
    return {
        "id": invite.id,
        "inviter_username": invite.inviter,
        "invitee": invite.invitee,
        "org": invite.org,
        "team": invite.team,
        "created_at": iso(invite.created_at),
    }


def audit_json(event: AuditEvent) -> dict[str, Any]:
    """The spec's `AuditLog`."""
    return {
        "account": event.account,
        "action": event.action,
        "name": event.name,
        "actor": event.actor,
        "data": dict(event.data),
        "timestamp": datetime.fromtimestamp(event.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "action_description": event.description,
    }


def repo_group_json(grant: RepoGrant) -> dict[str, Any]:
    """The spec's `RepositoryGroup`."""
    return {"group_name": grant.group_name, "permission": grant.permission, "group_id": grant.group_id}


def search_json(repo: Repository, badge: str | None) -> dict[str, Any]:
    """One result of the public search, in the shape docker/hub-mcp reads (`pull_count` is a string)."""
    official = repo.namespace == "library"
    name = repo.name if official else f"{repo.namespace}/{repo.name}"
    return {
        "id": str(repo.id),
        "name": name,
        "slug": name,
        "type": "image",
        "publisher": {"id": "docker" if official else repo.namespace, "name": "Docker" if official else repo.namespace},
        "created_at": iso(repo.registered_at),
        "updated_at": iso(repo.last_updated),
        "short_description": repo.description,
        "badge": badge or "none",
        "star_count": repo.star_count,
        "pull_count": str(repo.pull_count),
        "operating_systems": [{"name": "linux", "label": "Linux"}],
        "architectures": [{"name": "amd64", "label": "x86-64"}],
        "logo_url": None,
        "extension_reviewed": False,
        "categories": [dict(c) for c in repo.categories],
        "archived": False,
    }
