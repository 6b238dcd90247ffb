"""Tag retention cleanup: plan (read-only), then apply exactly the planned tags, re-checking each first.

The plan names every tag to delete with the digest it had when planned; `plan_id` is a hash of that
exact list, so an edited list is refused. Applying re-reads each tag and skips it if it was re-pushed
(digest changed) or is now protected; a tag already gone counts as such, not as a failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import anyio
from pydantic import Field

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.errors import DockerHubError, InvalidInputError, NotFoundError, TransportError, UpstreamError
from dockerhub_mcp.models import HubTag, Result
from dockerhub_mcp.operations import check_glob, check_namespace, check_repository, check_tag, is_protected
from dockerhub_mcp.workflows.common import (
    DEFAULT_CONCURRENCY,
    Progress,
    bounded_map,
    human_bytes,
    markdown_table,
    no_progress,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CleanupPlan",
    "CleanupReport",
    "CleanupRules",
    "ItemOutcome",
    "PlanItem",
    "apply_cleanup",
    "plan_cleanup",
    "plan_id_of",
]

KeepReason = Literal["protected", "keep_latest", "too_recent", "pulled_recently", "pulled", "unknown_age", "no_digest"]
Outcome = Literal["deleted", "skipped_changed", "skipped_protected", "already_gone", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("deleted", "skipped_changed", "skipped_protected", "already_gone", "failed")


class CleanupRules(Result):
    """What the plan deletes: tags pushed before the window, minus everything the rules keep."""

    older_than_days: int = Field(ge=0)
    keep_latest: int = Field(default=0, ge=0)
    keep: list[str] = Field(default_factory=lambda: ["latest"])
    only_never_pulled: bool = False
    unpulled_for_days: int | None = Field(default=None, ge=0)


class PlanItem(Result):
    """One tag to delete, with the digest it had when planned."""

    repository: str
    tag: str
    digest: str


class PlannedTag(Result):
    """A tag the plan deletes."""

    name: str
    digest: str
    last_pushed: datetime | None
    last_pulled: datetime | None
    size: int | None


class RepositoryPlan(Result):
    """The plan for one repository."""

    repository: str
    delete: list[PlannedTag]
    kept: dict[KeepReason, list[str]] = Field(description="Names of the tags kept, by the rule that keeps them.")
    bytes: int = Field(description="Storage freed: deleted digests no kept tag still uses.")


class ScanFailure(Result):
    """A repository the plan could not read (nothing of it is planned)."""

    repository: str
    reason: str


class CleanupPlan(Result):
    """A cleanup plan; pass `plan_id` and `items` unchanged to apply it."""

    namespace: str
    plan_id: str
    as_of: datetime
    rules: CleanupRules
    repositories: list[RepositoryPlan]
    failures: list[ScanFailure]
    items: list[PlanItem]
    tags: int
    bytes: int
    summary_markdown: str


class ItemOutcome(Result):
    """What happened to one planned tag."""

    repository: str
    tag: str
    outcome: Outcome
    reason: str | None = None


class CleanupReport(Result):
    """The outcome of applying a plan: one entry per planned tag, and totals per outcome."""

    namespace: str
    plan_id: str
    applied: bool
    outcomes: list[ItemOutcome]
    totals: dict[str, int]
    summary_markdown: str


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


def plan_id_of(namespace: str, items: Sequence[PlanItem]) -> str:
    """The plan's identity: a hash of the exact namespace/repository/tag/digest list (order-insensitive)."""
    canonical = json.dumps([namespace, sorted([i.repository, i.tag, i.digest] for i in items)], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _decide(
    repository: str, tags: list[_Facts], rules: CleanupRules, protect: Sequence[str], now: datetime
) -> RepositoryPlan:
    by_push = sorted((t for t in tags if t.pushed is not None), key=lambda t: t.pushed or now, reverse=True)
    newest = {t.name for t in by_push[: rules.keep_latest]}
    cutoff = now - timedelta(days=rules.older_than_days)
    pulled_cutoff = None if rules.unpulled_for_days is None else now - timedelta(days=rules.unpulled_for_days)
    delete: list[PlannedTag] = []
    kept: dict[KeepReason, list[str]] = {}
    for t in sorted(tags, key=lambda t: t.name):
        reason: KeepReason | None = None
        if is_protected(t.name, protect):
            reason = "protected"
        elif t.name in newest:
            reason = "keep_latest"
        elif t.pushed is None:
            reason = "unknown_age"
        elif t.pushed >= cutoff:
            reason = "too_recent"
        elif rules.only_never_pulled and t.pulled is not None:
            reason = "pulled"
        elif pulled_cutoff is not None and t.pulled is not None and t.pulled >= pulled_cutoff:
            reason = "pulled_recently"
        elif t.digest is None:
            reason = "no_digest"  # without a digest a re-push could not be detected at apply time
        if reason is None and t.digest is not None:
            delete.append(
                PlannedTag(name=t.name, digest=t.digest, last_pushed=t.pushed, last_pulled=t.pulled, size=t.size)
            )
        elif reason is not None:
            kept.setdefault(reason, []).append(t.name)
    kept_names = {name for names in kept.values() for name in names}
    kept_digests = {t.digest for t in tags if t.name in kept_names}
    freed = {d.digest: d.size or 0 for d in delete if d.digest not in kept_digests}
    return RepositoryPlan(repository=repository, delete=delete, kept=kept, bytes=sum(freed.values()))


async def plan_cleanup(
    client: DockerHubClient,
    namespace: str,
    rules: CleanupRules,
    *,
    repositories: Sequence[str] | None = None,
    allow_protected: bool = False,
    progress: Progress = no_progress,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> CleanupPlan:
    """Plan a retention cleanup of `namespace` (all its repositories unless `repositories` names some).

    Reads each repository's tags in one pass (100 a page, a few repositories at once) and deletes nothing.
    Tags matching the server's protected patterns are kept too, unless `allow_protected`.

    Raises:
        InvalidInputError: a bad name or glob (nothing is read).
        DockerHubError: the repository list itself could not be read.
    """
    check_namespace(namespace)
    protected = () if allow_protected else client.settings.protected_tags
    protect = list(dict.fromkeys(check_glob(p) for p in [*rules.keep, *protected]))
    now = client.now()
    if repositories is None:
        names = sorted([r.name async for r in client.iter_repositories(namespace)])
    else:
        names = sorted({check_repository(r) for r in repositories})
    scanned = 0

    async def scan(name: str) -> RepositoryPlan | ScanFailure:
        nonlocal scanned
        try:
            tags = [_Facts.of(t) async for t in client.iter_tags(namespace, name)]
        except DockerHubError as exc:
            result: RepositoryPlan | ScanFailure = ScanFailure(repository=name, reason=str(exc))
        else:
            result = _decide(name, tags, rules, protect, now)
        scanned += 1
        await progress(scanned, len(names), f"scanned {namespace}/{name}")
        return result

    scans = await bounded_map(scan, names, concurrency=concurrency)
    plans = [s for s in scans if isinstance(s, RepositoryPlan)]
    failures = [s for s in scans if isinstance(s, ScanFailure)]
    items = [PlanItem(repository=p.repository, tag=t.name, digest=t.digest) for p in plans for t in p.delete]
    plan_id = plan_id_of(namespace, items)
    total_bytes = sum(p.bytes for p in plans)
    return CleanupPlan(
        namespace=namespace,
        plan_id=plan_id,
        as_of=now,
        rules=rules,
        repositories=plans,
        failures=failures,
        items=items,
        tags=len(items),
        bytes=total_bytes,
        summary_markdown=_plan_markdown(namespace, plan_id, rules, protect, plans, failures, total_bytes),
    )


def _plan_markdown(
    namespace: str,
    plan_id: str,
    rules: CleanupRules,
    protect: Sequence[str],
    plans: Sequence[RepositoryPlan],
    failures: Sequence[ScanFailure],
    total_bytes: int,
) -> str:
    tags = sum(len(p.delete) for p in plans)
    touched = [p for p in plans if p.delete]
    lines = [
        f"**Tag cleanup plan** `{plan_id}` for `{namespace}`: delete {tags} tags in {len(touched)} repositories, "
        f"freeing {human_bytes(total_bytes)}.",
        "",
        f"Rules: pushed over {rules.older_than_days} days ago; keep the newest {rules.keep_latest} per repository; "
        f"keep {', '.join(f'`{p}`' for p in protect) or 'no patterns'}"
        + ("; only tags never pulled" if rules.only_never_pulled else "")
        + (f"; keep tags pulled in the last {rules.unpulled_for_days} days" if rules.unpulled_for_days else "")
        + ".",
        "",
        markdown_table(
            ("repository", "delete", "keep", "frees"),
            [(p.repository, len(p.delete), sum(map(len, p.kept.values())), human_bytes(p.bytes)) for p in touched],
        ),
    ]
    if len(touched) < len(plans):
        lines += ["", f"{len(plans) - len(touched)} more repositories have nothing to delete."]
    if failures:
        lines += ["", f"Not planned (could not be read): {', '.join(f.repository for f in failures)}."]
    return "\n".join(lines)


def check_items(namespace: str, plan_id: str, items: Sequence[PlanItem]) -> None:
    """Refuse an item list that is not exactly the planned one, or that names anything invalid."""
    check_namespace(namespace)
    for item in items:
        check_repository(item.repository)
        check_tag(item.tag)
    if plan_id_of(namespace, items) != plan_id:
        raise InvalidInputError(
            f"These items do not match plan {plan_id!r}: pass the plan's items unchanged, or make a new plan."
        )
    if len({(i.repository, i.tag) for i in items}) != len(items):
        raise InvalidInputError("The items name a tag twice; pass the plan's items unchanged.")


async def apply_cleanup(
    client: DockerHubClient,
    namespace: str,
    plan_id: str,
    items: Sequence[PlanItem],
    *,
    allow_protected: bool = False,
    progress: Progress = no_progress,
    on_outcome: Callable[[ItemOutcome], None] = lambda _outcome: None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> CleanupReport:
    """Delete the planned tags, re-reading each first; every item gets an outcome.

    `on_outcome` hears of each outcome as it happens (the CLI's --report file), so an interrupted run
    still leaves a record of what it did; a cancelled run also logs its tally before it stops.

    Raises:
        InvalidInputError: the items do not hash to `plan_id` (nothing is deleted).
    """
    check_items(namespace, plan_id, items)
    done: list[ItemOutcome] = []

    async def apply(item: PlanItem) -> ItemOutcome:
        outcome = await _apply_one(client, namespace, item, allow_protected)
        done.append(outcome)
        on_outcome(outcome)
        await progress(len(done), len(items), f"{outcome.outcome}: {item.repository}:{item.tag}")
        return outcome

    try:
        outcomes = await bounded_map(apply, list(items), concurrency=concurrency)
    except anyio.get_cancelled_exc_class():
        tally = Counter(o.outcome for o in done)
        logger.warning(
            "cleanup %s cancelled after %d of %d tags: %s", plan_id, len(done), len(items), dict(tally) or "none"
        )
        raise
    return report_of(namespace, plan_id, outcomes, applied=True)


async def _apply_one(  # noqa: PLR0911 - one return per outcome reads as the decision table it is
    client: DockerHubClient, namespace: str, item: PlanItem, allow_protected: bool
) -> ItemOutcome:
    def outcome(kind: Outcome, reason: str | None = None) -> ItemOutcome:
        return ItemOutcome(repository=item.repository, tag=item.tag, outcome=kind, reason=reason)

    if not allow_protected and is_protected(item.tag, client.settings.protected_tags):
        return outcome("skipped_protected", "matches a protected tag pattern")
    try:
        current = await client.get_tag(namespace, item.repository, item.tag)
    except NotFoundError:
        return outcome("already_gone")
    except DockerHubError as exc:
        return outcome("failed", str(exc))
    if current.effective_digest != item.digest:
        return outcome("skipped_changed", f"digest is now {current.effective_digest}")
    try:
        await client.delete_tag(namespace, item.repository, item.tag, allow_protected=allow_protected)
    except NotFoundError:
        return outcome("already_gone")
    except (TransportError, UpstreamError) as exc:
        # Every try failed, but one may still have been acted on: look, so the report says what Hub has.
        return await _settle(client, namespace, item, outcome, exc)
    except DockerHubError as exc:
        return outcome("failed", str(exc))
    return outcome("deleted")


async def _settle(
    client: DockerHubClient,
    namespace: str,
    item: PlanItem,
    outcome: Callable[[Outcome, str | None], ItemOutcome],
    exc: DockerHubError,
) -> ItemOutcome:
    """The outcome of a delete whose answers were all lost or failed: whatever Hub now shows."""
    try:
        await client.get_tag(namespace, item.repository, item.tag)
    except NotFoundError:
        return outcome("deleted", "confirmed gone after an uncertain answer")
    except DockerHubError:
        return outcome("failed", f"{exc} Whether the tag is gone could not be checked.")
    return outcome("failed", str(exc))


def report_of(namespace: str, plan_id: str, outcomes: Sequence[ItemOutcome], *, applied: bool) -> CleanupReport:
    """Totals and a markdown summary for a list of outcomes."""
    counts = Counter(o.outcome for o in outcomes)
    totals: dict[str, int] = {kind: counts.get(kind, 0) for kind in OUTCOMES}
    head = f"**Tag cleanup** `{plan_id}` for `{namespace}`: " + ", ".join(f"{n} {k}" for k, n in totals.items() if n)
    failed = [o for o in outcomes if o.outcome == "failed"]
    lines = [head + "." if outcomes else head + "nothing to do."]
    if failed:
        lines += [
            "",
            markdown_table(("repository", "tag", "failure"), [(o.repository, o.tag, o.reason) for o in failed]),
        ]
    return CleanupReport(
        namespace=namespace,
        plan_id=plan_id,
        applied=applied,
        outcomes=list(outcomes),
        totals=totals,
        summary_markdown="\n".join(lines),
    )


def unconfirmed_report(namespace: str, plan_id: str, items: Sequence[PlanItem], why: str) -> CleanupReport:
    """The answer when deletion was not confirmed: what would be deleted, and that nothing was."""
    repos = Counter(i.repository for i in items)
    table = markdown_table(("repository", "tags"), sorted(repos.items()))
    summary = f"**Nothing deleted** ({why}). Plan `{plan_id}` would delete {len(items)} tags:\n\n{table}"
    return CleanupReport(
        namespace=namespace,
        plan_id=plan_id,
        applied=False,
        outcomes=[],
        totals=dict.fromkeys(OUTCOMES, 0),
        summary_markdown=summary,
    )
