"""The Hub's stored data and the methods that build it (used by `seed.py` and by tests)."""

from __future__ import annotations

import enum
import random
import uuid
from collections.abc import Iterable, Sequence
from typing import Final

from dockerhub_mcp.sandbox.clock import Clock
from dockerhub_mcp.sandbox.model import (
    PAT_LEVELS,
    AuditEvent,
    Group,
    Image,
    Invite,
    Oat,
    Org,
    OrgRole,
    Pat,
    PatLevel,
    RepoGrant,
    Repository,
    Tag,
    User,
)

__all__ = ["AUTO", "INDEX_MEDIA_TYPE", "MANIFEST_MEDIA_TYPE", "HubData"]

INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


class _Auto(enum.Enum):
    AUTO = "auto"


# Default for `add_tag(digest=...)`: make one up. `None` means "no tag-level digest", like old Hub images.
AUTO: Final = _Auto.AUTO


class HubData:
    """Users, PATs, organizations, groups, OATs, namespaces, repositories and tags."""

    clock: Clock

    def _clear_data(self, rng: random.Random) -> None:
        """Forget every record and restart ids and generated digests from `rng`."""
        self.users: dict[str, User] = {}
        self.pats: dict[str, Pat] = {}
        self.oats: dict[str, Oat] = {}
        self.orgs: dict[str, Org] = {}
        self.audit: list[AuditEvent] = []  # oldest first; organizations' namespaces only, as on Hub
        # namespace -> repository name -> repository; users and organizations share the name space.
        self.namespaces: dict[str, dict[str, Repository]] = {}
        self._rng = rng
        self._next_ids = {"user": 1000, "org": 5000, "group": 1000, "repo": 100, "tag": 10_000}

    def _new_id(self, kind: str) -> int:
        self._next_ids[kind] += 1
        return self._next_ids[kind]

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _digest(self) -> str:
        return f"sha256:{self._rng.getrandbits(256):064x}"

    # -- accounts -----------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        pat: str | None = None,
        level: PatLevel = "repo:admin",
        *,
        password: str | None = None,
        two_factor: bool = False,
        email: str | None = None,
        full_name: str = "",
        company: str = "",
        location: str = "",
    ) -> User:
        """Create a Docker ID (and its namespace), optionally with a PAT of `level` and a password.

        Raises:
            ValueError: the name is already a user or organization.
        """
        name = username.lower()
        if name in self.namespaces:
            raise ValueError(f"namespace {name!r} already exists")
        user = User(
            username=name,
            id=self._new_id("user"),
            uuid=self._uuid(),
            email=email or f"{name}@sandbox.hub.local",
            password=password,
            two_factor=two_factor,
            full_name=full_name,
            company=company,
            location=location,
            joined=self.clock.now(),
        )
        self.users[name] = user
        self.namespaces[name] = {}
        if pat is not None:
            self.add_pat(name, pat, level)
        return user

    def add_pat(self, username: str, pat: str, level: PatLevel = "repo:admin") -> Pat:
        """Give `username` another PAT with permission `level`.

        Raises:
            ValueError: unknown user, unknown level, or a secret already in use.
        """
        name = username.lower()
        if name not in self.users:
            raise ValueError(f"unknown user {name!r}")
        if level not in PAT_LEVELS:
            raise ValueError(f"unknown PAT level {level!r}; expected one of {PAT_LEVELS}")
        if pat in self.pats or pat in self.oats:
            raise ValueError("that secret is already in use")
        record = Pat(secret=pat, username=name, level=level)
        self.pats[pat] = record
        return record

    def revoke_pat(self, pat: str) -> None:
        """Revoke a PAT: no more exchanges, and JWTs minted from it answer 401 from now on.

        Raises:
            KeyError: the PAT is unknown.
        """
        self.pats[pat].revoked = True

    def add_org(
        self,
        name: str,
        *,
        owners: Iterable[str] = (),
        members: Iterable[str] = (),
        full_name: str = "",
        company: str = "",
        location: str = "",
    ) -> Org:
        """Create an organization (and its namespace) with `owners` and plain `members`.

        Raises:
            ValueError: the name is taken, or an owner/member is not a user.
        """
        key = name.lower()
        if key in self.namespaces:
            raise ValueError(f"namespace {key!r} already exists")
        org = Org(
            name=key,
            id=self._new_id("org"),
            uuid=self._uuid(),
            full_name=full_name,
            company=company,
            location=location,
            joined=self.clock.now(),
        )
        self.orgs[key] = org
        self.namespaces[key] = {}
        for user in owners:
            self.add_org_member(key, user, owner=True)
        for user in members:
            self.add_org_member(key, user)
        return org

    def add_org_member(self, org: str, username: str, *, owner: bool = False, role: OrgRole | None = None) -> None:
        """Make `username` a member of `org` with `role` (`owner=True` is role owner; default member)."""
        name = username.lower()
        if name not in self.users:
            raise ValueError(f"unknown user {name!r}")
        self.orgs[org.lower()].roles[name] = role or ("owner" if owner else "member")

    def add_invite(self, org: str, invitee: str, *, inviter: str, team: str = "", at: float | None = None) -> Invite:
        """Invite a Docker ID or an email address to `org` (and to `team`)."""
        record = self.orgs[org.lower()]
        invite = Invite(
            id=self._uuid(),
            org=record.name,
            invitee=invitee,
            inviter=inviter,
            team=team,
            created_at=self.clock.now() if at is None else at,
        )
        record.invites.append(invite)
        return invite

    def record(
        self,
        account: str,
        action: str,
        name: str,
        actor: str,
        description: str,
        *,
        at: float | None = None,
        **data: str,
    ) -> None:
        """Add an event to `account`'s audit log, if `account` is an organization (users have none)."""
        if account.lower() in self.orgs:
            when = self.clock.now() if at is None else at
            self.audit.append(AuditEvent(account.lower(), action, name, actor, when, dict(data), description))

    def add_group(
        self, org: str, name: str, *, group_id: int | None = None, description: str = "", members: Iterable[str] = ()
    ) -> Group:
        """Create a team in `org`; `group_id` is what `POST …/groups` takes (auto-assigned if omitted).

        Raises:
            ValueError: the id or name is taken in that organization.
        """
        record = self.orgs[org.lower()]
        gid = group_id if group_id is not None else self._new_id("group")
        if gid in record.groups or any(g.name == name for g in record.groups.values()):
            raise ValueError(f"group {name!r} (id {gid}) already exists in {record.name!r}")
        group = Group(id=gid, name=name, org=record.name, uuid=self._uuid(), description=description)
        group.members.update(m.lower() for m in members)
        record.groups[gid] = group
        return group

    def add_oat(self, org: str, secret: str) -> Oat:
        """Give `org` an organization access token (exchange it with identifier = org name)."""
        key = org.lower()
        if key not in self.orgs:
            raise ValueError(f"unknown organization {key!r}")
        if secret in self.pats or secret in self.oats:
            raise ValueError("that secret is already in use")
        record = Oat(secret=secret, org=key)
        self.oats[secret] = record
        return record

    # -- repositories and tags ----------------------------------------------------------------------

    def add_repository(
        self,
        namespace: str,
        name: str,
        *,
        description: str = "",
        full_description: str = "",
        is_private: bool = False,
        pull_count: int = 0,
        star_count: int = 0,
        registered_at: float | None = None,
        categories: Sequence[dict[str, str]] = (),
    ) -> Repository:
        """Create an empty repository in an existing namespace.

        Raises:
            ValueError: unknown namespace, or the repository exists.
        """
        ns = namespace.lower()
        repos = self.namespaces.get(ns)
        if repos is None:
            raise ValueError(f"unknown namespace {ns!r}")
        if name in repos:
            raise ValueError(f"repository {ns}/{name} already exists")
        at = self.clock.now() if registered_at is None else registered_at
        repo = Repository(
            id=self._new_id("repo"),
            namespace=ns,
            name=name,
            description=description,
            full_description=full_description,
            is_private=is_private,
            star_count=star_count,
            pull_count=pull_count,
            registered_at=at,
            last_updated=at,
            last_modified=at,
            categories=[dict(c) for c in categories],
        )
        repos[name] = repo
        return repo

    def add_tag(
        self,
        namespace: str,
        repository: str,
        name: str,
        *,
        pushed_at: float | None = None,
        pulled_at: float | None = None,
        digest: str | _Auto | None = AUTO,
        archs: Sequence[str] = ("amd64",),
        size: int | None = None,
        image_digests: Sequence[str] | None = None,
        updater: str | None = None,
    ) -> Tag:
        """Push (or re-push) a tag with one image per architecture in `archs` (all `linux`).

        `digest` is the tag-level digest: AUTO makes one up (the image digest for one arch, an index
        digest for several); None leaves it out, as Hub does for old images. `size` is the first image's
        size in bytes (made up if omitted); other architectures get a size within ±10 % of it.

        Raises:
            ValueError: unknown repository, or `archs` empty / not matching `image_digests`.
        """
        repo = self.namespaces.get(namespace.lower(), {}).get(repository)
        if repo is None:
            raise ValueError(f"unknown repository {namespace}/{repository}")
        if not archs or (image_digests is not None and len(image_digests) != len(archs)):
            raise ValueError("archs must be non-empty and match image_digests one to one")
        pushed = self.clock.now() if pushed_at is None else pushed_at
        base = size if size is not None else self._rng.randint(50, 300) * 1_000_000
        images: list[Image] = []
        for i, arch in enumerate(archs):
            image_size = base if i == 0 else int(base * self._rng.uniform(0.9, 1.1))
            image_digest = image_digests[i] if image_digests is not None else self._digest()
            images.append(Image(arch, "linux", image_digest, image_size, pushed, pulled_at))
        if digest is AUTO:
            tag_digest: str | None = images[0].digest if len(images) == 1 else self._digest()
        else:
            tag_digest = digest
        owner = self.users.get(repo.namespace)
        if owner is None and repo.namespace in self.orgs:
            # An organization's tags are pushed by one of its owners.
            owners = sorted(self.orgs[repo.namespace].owners)
            owner = self.users[owners[0]] if owners else None
        pusher = updater or (owner.username if owner is not None else repo.namespace)
        tag = Tag(
            id=self._new_id("tag"),
            name=name,
            repository_id=repo.id,
            pushed_at=pushed,
            pulled_at=pulled_at,
            digest=tag_digest,
            images=images,
            creator_id=owner.id if owner is not None else 0,
            updater=pusher,
            media_type=INDEX_MEDIA_TYPE if len(images) > 1 else MANIFEST_MEDIA_TYPE,
        )
        repo.tags[name] = tag
        repo.last_updated = max(repo.last_updated, pushed)
        where = f"{repo.namespace}/{repo.name}"
        short = (tag_digest or images[0].digest)[:19]
        self.record(
            repo.namespace,
            "repo.tag.push",
            where,
            pusher,
            f"pushed the tag {name} with the digest {short} to the repository {where}",
            at=pushed,
            tag=name,
            digest=tag_digest or images[0].digest,
        )
        return tag

    def add_aged_repositories(self, namespace: str, *, repositories: int, tags: int, at: float) -> None:
        """A namespace at scale, for tests and benchmarks: `repositories` repositories `repo-000`, `repo-001`…
        of `tags` tags each, `t000`, `t001`…, where `t<i>` was pushed i + 0.5 days before `at`, is 1,000
        bytes, and when i is a multiple of 4 was pulled a day before `at`."""
        day = 86_400.0
        for r in range(repositories):
            repository = f"repo-{r:03d}"
            self.add_repository(namespace, repository, registered_at=at - (tags + 1) * day)
            for i in range(tags):
                pulled = at - day if i % 4 == 0 else None
                self.add_tag(
                    namespace, repository, f"t{i:03d}", pushed_at=at - (i + 0.5) * day, pulled_at=pulled, size=1_000
                )

    def repository(self, namespace: str, name: str) -> Repository | None:
        """The repository `namespace/name`, or None (no permission checks: a test helper)."""
        return self.namespaces.get(namespace.lower(), {}).get(name)

    def tag(self, namespace: str, repository: str, name: str) -> Tag | None:
        """The tag `namespace/repository:name`, or None (no permission checks: a test helper)."""
        repo = self.repository(namespace, repository)
        return repo.tags.get(name) if repo is not None else None

    def repositories(self, namespace: str) -> list[Repository]:
        """Every repository in `namespace` by name, private ones included ([] for an unknown namespace)."""
        return sorted(self.namespaces.get(namespace.lower(), {}).values(), key=lambda r: r.name)

    def tags(self, namespace: str, repository: str) -> list[Tag]:
        """Every tag of `namespace/repository`, newest push first ([] for an unknown repository)."""
        repo = self.repository(namespace, repository)
        found = list(repo.tags.values()) if repo is not None else []
        return sorted(found, key=lambda t: (-t.pushed_at, t.name))

    def audit_log(self, account: str) -> list[AuditEvent]:
        """`account`'s audit events, newest first (a test helper)."""
        return sorted((e for e in self.audit if e.account == account.lower()), key=lambda e: -e.timestamp)

    @property
    def repo_grants(self) -> list[RepoGrant]:
        """Every team grant recorded so far, by namespace, repository and group id."""
        grants: list[RepoGrant] = []
        for repos in self.namespaces.values():
            for repo in repos.values():
                for group_id, permission in sorted(repo.grants.items()):
                    group = self.orgs[repo.namespace].groups[group_id]
                    grants.append(RepoGrant(repo.namespace, repo.name, group_id, group.name, permission))
        return grants
