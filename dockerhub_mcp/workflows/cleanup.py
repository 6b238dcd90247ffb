"""Tag retention cleanup, step one: a plan of exactly which tags to delete and why the rest are kept.

A plan names every tag to delete with the digest, push and pull times and size it had when planned,
and every kept tag with the rule that keeps it. It is sealed at birth (`plans.seal`): its `plan_id` is an
HMAC over the whole plan, the connection it was made for and its expiry, so neither an edited plan nor
one made elsewhere can be applied. Applying it is `apply.apply_plan`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.errors import DockerHubError
from dockerhub_mcp.models import HubTag, Result, Timestamp
from dockerhub_mcp.operations import check_glob, check_namespace, check_repository, is_protected
from dockerhub_mcp.workflows.common import Progress, bounded_map, no_progress
from dockerhub_mcp.workflows.seal import seal

__all__ = [
    "KEEP_REASONS",
    "CleanupPlan",
    "CleanupRules",
    "KeepReason",
    "KeptTag",
    "PlannedTag",
    "RepositoryPlan",
    "ScanFailure",
    "plan_cleanup",
]

logger = logging.getLogger(__name__)

KeepReason = Literal["protected", "keep_latest", "too_recent", "pulled_recently", "pulled", "unknown_age", "no_digest"]
KEEP_REASONS: tuple[KeepReason, ...] = (
    "protected",
    "keep_latest",
    "too_recent",
    "pulled_recently",
    "pulled",
    "unknown_age",
    "no_digest",
)
MAX_DAYS = 36_500  # a century: anything longer is a typo, and would overflow date arithmetic


class CleanupRules(Result):
    """What the plan deletes: tags pushed before the window, minus everything the rules keep."""

    older_than_days: int = Field(ge=0, le=MAX_DAYS)
    keep_latest: int = Field(default=0, ge=0, le=1_000_000)
    keep: list[str] = Field(default_factory=lambda: ["latest"])
    only_never_pulled: bool = False
    unpulled_for_days: int | None = Field(default=None, ge=0, le=MAX_DAYS)

    @property
    def depend_on_pulls(self) -> bool:
        """Whether a pull since planning can change what the rules decide."""
        return self.only_never_pulled or self.unpulled_for_days is not None


class PlannedTag(Result):
    """A tag the plan deletes, as it was when planned."""

    tag: str
    digest: str
    pushed: Timestamp | None = None
    pulled: Timestamp | None = None
    size: int | None = None


class KeptTag(Result):
    """A tag the plan keeps, and the rule that keeps it."""

    tag: str
    reason: KeepReason


class RepositoryPlan(Result):
    """The plan for one repository."""

    repository: str
    bytes: int = Field(description="Storage freed: deleted digests no kept tag still uses.")
    delete: list[PlannedTag]
    kept: list[KeptTag]


class ScanFailure(Result):
    """A repository the plan could not read (nothing of it is planned)."""

    repository: str
    reason: str


class CleanupPlan(Result):
    """A sealed cleanup plan: every tag to delete and every tag kept, for one connection, until it expires."""

    plan_id: str = Field(description="HMAC-SHA256 seal over everything else in the plan.")
    namespace: str
    username: str
    api_url: str
    rules: CleanupRules
    allow_protected: bool
    protect: list[str] = Field(description="Tag globs kept: the rules' plus the server's protected tags.")
    as_of: Timestamp
    expires_at: Timestamp
    tags: int
    bytes: int
    repositories: list[RepositoryPlan]
    failures: list[ScanFailure]

    def body(self) -> dict[str, object]:
        """What the seal covers: everything but the seal itself."""
        return self.model_dump(mode="json", exclude={"plan_id"})

    def repository(self, name: str) -> RepositoryPlan | None:
        """The plan for repository `name`, if the plan covers it."""
        return next((r for r in self.repositories if r.repository == name), None)


@dataclass(frozen=True, slots=True)
class _Facts:
    """The fields of a tag the plan needs, and nothing more (20,000 tags add up)."""

    name: str
    digest: str | None
    pushed: datetime | None
    pulled: datetime | None
    size: int | None

    @classmethod
    def of(cls, tag: HubTag) -> _Facts:
        return cls(tag.name, tag.effective_digest, tag.pushed_at, tag.tag_last_pulled, tag.full_size)


def _reason(  # noqa: PLR0911 - one return per rule reads as the rule list it is
    t: _Facts, rules: CleanupRules, protect: Sequence[str], newest: set[str], now: datetime
) -> KeepReason | None:
    """Why `t` is kept, or None when the rules delete it (the first rule that keeps it wins)."""
    pulled_cutoff = None if rules.unpulled_for_days is None else now - timedelta(days=rules.unpulled_for_days)
    if is_protected(t.name, protect):
        return "protected"
    if t.name in newest:
        return "keep_latest"
    if t.pushed is None:
        return "unknown_age"
    if t.pushed >= now - timedelta(days=rules.older_than_days):
        return "too_recent"
    if rules.only_never_pulled and t.pulled is not None:
        return "pulled"
    if pulled_cutoff is not None and t.pulled is not None and t.pulled >= pulled_cutoff:
        return "pulled_recently"
    if t.digest is None:
        return "no_digest"  # without a digest a re-push could not be detected at apply time
    return None


def _decide(
    repository: str, tags: list[_Facts], rules: CleanupRules, protect: Sequence[str], now: datetime
) -> RepositoryPlan:
    by_push = sorted((t for t in tags if t.pushed is not None), key=lambda t: t.pushed or now, reverse=True)
    newest = {t.name for t in by_push[: rules.keep_latest]}
    delete: list[PlannedTag] = []
    kept: list[KeptTag] = []
    for t in sorted(tags, key=lambda t: t.name):
        reason = _reason(t, rules, protect, newest, now)
        if reason is None and t.digest is not None:
            delete.append(PlannedTag(tag=t.name, digest=t.digest, pushed=t.pushed, pulled=t.pulled, size=t.size))
        elif reason is not None:
            kept.append(KeptTag(tag=t.name, reason=reason))
    kept_names = {k.tag for k in kept}
    kept_digests = {t.digest for t in tags if t.name in kept_names}
    freed = {d.digest: d.size or 0 for d in delete if d.digest not in kept_digests}
    return RepositoryPlan(repository=repository, bytes=sum(freed.values()), delete=delete, kept=kept)


async def plan_cleanup(
    client: DockerHubClient,
    namespace: str,
    rules: CleanupRules,
    *,
    repositories: Sequence[str] | None = None,
    allow_protected: bool = False,
    progress: Progress = no_progress,
) -> CleanupPlan:
    """Plan a retention cleanup of `namespace` (all its repositories unless `repositories` names some).

    Reads each repository's tags in one pass (100 a page, a few repositories at once) and deletes nothing.
    Tags matching the server's protected patterns are kept too, unless `allow_protected`. The plan comes
    back sealed for this connection, expiring after `settings.plan_ttl`.

    Raises:
        InvalidInputError: a bad name or glob (nothing is read).
        DockerHubError: the repository list itself could not be read.
    """
    check_namespace(namespace)
    settings = client.settings
    protected = () if allow_protected else settings.protected_tags
    protect = list(dict.fromkeys(check_glob(p) for p in [*rules.keep, *protected]))
    now = client.now().replace(microsecond=0)
    if repositories is None:
        names = sorted([r.name async for r in client.iter_repositories(namespace)])
    else:
        names = sorted({check_repository(r) for r in repositories})
    scanned = 0

    async def scan(name: str) -> RepositoryPlan | ScanFailure:
        nonlocal scanned
        try:
            tags = [_Facts.of(t) async for t in client.iter_tags(namespace, name)]
            result: RepositoryPlan | ScanFailure = _decide(name, tags, rules, protect, now)
        except DockerHubError as exc:
            result = ScanFailure(repository=name, reason=str(exc))
        except Exception as exc:
            logger.exception("planning %s/%s failed unexpectedly", namespace, name)
            result = ScanFailure(repository=name, reason=f"Unexpected error: {type(exc).__name__}")
        scanned += 1
        await progress(scanned, len(names), f"scanned {namespace}/{name}")
        return result

    scans = await bounded_map(scan, names, concurrency=client.settings.concurrency)
    plans = [s for s in scans if isinstance(s, RepositoryPlan)]
    unsealed = CleanupPlan(
        plan_id="",
        namespace=namespace,
        username=settings.username,
        api_url=settings.api_url,
        rules=rules,
        allow_protected=allow_protected,
        protect=protect,
        as_of=now,
        expires_at=now + timedelta(seconds=settings.plan_ttl),
        tags=sum(len(p.delete) for p in plans),
        bytes=sum(p.bytes for p in plans),
        repositories=plans,
        failures=[s for s in scans if isinstance(s, ScanFailure)],
    )
    return unsealed.model_copy(update={"plan_id": seal(unsealed.body(), settings)})
