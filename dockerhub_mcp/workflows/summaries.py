"""What a model reads of a cleanup plan or its apply: bounded summaries, whatever the namespace's size.

The full plan and every outcome stay on the server as resources (`dockerhub://plans/{plan_id}` and below)
and in the CLI's `--json`; a tool result carries totals, the largest repositories, a sample of the tags and
a markdown summary for a ticket, and never grows with the number of tags.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from dockerhub_mcp.errors import InvalidInputError
from dockerhub_mcp.models import Result, Timestamp
from dockerhub_mcp.workflows.apply import CleanupReport, ItemOutcome, Outcome
from dockerhub_mcp.workflows.cleanup import CleanupPlan, CleanupRules, KeepReason, RepositoryPlan, ScanFailure
from dockerhub_mcp.workflows.common import clip, human_bytes, markdown_table
from dockerhub_mcp.workflows.plans import plan_uri

__all__ = [
    "PAGE_TAGS",
    "ApplySummary",
    "PlanIndex",
    "PlanSummary",
    "RepositoryPage",
    "apply_summary",
    "outcomes_uri",
    "plan_index",
    "plan_summary",
    "repository_page",
    "repository_uri",
    "sample",
]

TOP_REPOSITORIES = 50
SAMPLE_TAGS = 50
LISTED_FAILURES = 20
TABLE_ROWS = 10
LISTED_FAILURES_APPLIED = 50
PAGE_TAGS = 1_000  # tags to delete (and tags kept) in one page of a repository's resource: about 200 KB


def repository_uri(plan_id: str, repository: str) -> str:
    """The resource holding one repository's part of a plan."""
    return f"{plan_uri(plan_id)}/repositories/{repository}"


def outcomes_uri(plan_id: str) -> str:
    """The resource holding every outcome of a plan's last apply."""
    return f"{plan_uri(plan_id)}/outcomes"


class PlanTotals(Result):
    """What the whole plan deletes."""

    tags: int
    bytes: int
    repositories: int = Field(description="Repositories with tags to delete.")


class RepositoryTotal(Result):
    """Tags and bytes a plan deletes in one repository (or in several, aggregated)."""

    repository: str | None = None
    repositories: int | None = Field(default=None, description="How many repositories an aggregate covers.")
    tags: int
    bytes: int


class SampleTag(Result):
    """A tag the plan deletes."""

    repository: str
    tag: str
    pushed: Timestamp | None = None
    size: int | None = None


class _PlanHeader(Result):
    plan_id: str
    plan_uri: str
    namespace: str
    as_of: Timestamp
    expires_at: Timestamp
    rules: CleanupRules
    allow_protected: bool
    totals: PlanTotals
    kept: dict[KeepReason, int] = Field(description="Tags kept, by the rule that keeps them.")


class PlanSummary(_PlanHeader):
    """A cleanup plan, bounded: the whole plan is the resource at `plan_uri`. Apply it by `plan_id`."""

    repositories: list[RepositoryTotal] = Field(description="The largest, by bytes freed.")
    other_repositories: RepositoryTotal | None = None
    sample: list[SampleTag] = Field(description="Tags to delete, the most recently pushed first.")
    failures: list[ScanFailure] = Field(description="Repositories that could not be read, so are not planned.")
    summary_markdown: str


class RepositoryIndexEntry(Result):
    """One repository of a plan, and where its tags are."""

    repository: str
    delete: int
    kept: int
    bytes: int
    uri: str
    pages: int | None = Field(default=None, description="Pages of its resource (`?page=N`), when more than one.")


class PlanIndex(_PlanHeader):
    """A plan's summary and every repository it covers (resource `dockerhub://plans/{plan_id}`)."""

    repositories: list[RepositoryIndexEntry]
    failures: list[ScanFailure]
    applicable: bool = Field(
        description="Whether apply_tag_cleanup can apply it on this connection: false when the server is read-only."
    )


class RepositoryPage(RepositoryPlan):
    """One repository's part of a plan: every tag to delete and every tag kept, with its reason."""

    plan_id: str
    namespace: str
    next_uri: str | None = Field(default=None, description="The next page, when more tags follow.")


class ApplySummary(Result):
    """What applying a plan did, bounded: every outcome is the resource at `outcomes_uri`."""

    plan_id: str
    namespace: str
    applied: bool
    totals: dict[Outcome, int]
    failures: list[ItemOutcome] = Field(description="At most 50 failed tags, with reasons.")
    outcomes_uri: str | None = None
    summary_markdown: str


def _header(plan: CleanupPlan) -> dict[str, Any]:
    """The fields every view of a plan starts with."""
    kept = Counter(k.reason for r in plan.repositories for k in r.kept)
    totals = PlanTotals(tags=plan.tags, bytes=plan.bytes, repositories=sum(1 for r in plan.repositories if r.delete))
    header = _PlanHeader(
        plan_id=plan.plan_id,
        plan_uri=plan_uri(plan.plan_id),
        namespace=plan.namespace,
        as_of=plan.as_of,
        expires_at=plan.expires_at,
        rules=plan.rules,
        allow_protected=plan.allow_protected,
        totals=totals,
        kept=dict(sorted(kept.items())),
    )
    return header.model_dump()


def _largest(plan: CleanupPlan) -> list[RepositoryPlan]:
    touched = [r for r in plan.repositories if r.delete]
    return sorted(touched, key=lambda r: (-r.bytes, -len(r.delete), r.repository))


def sample(plan: CleanupPlan, count: int) -> list[SampleTag]:
    """The `count` most recently pushed tags the plan deletes: those nearest the cutoff, most worth a look."""
    tags = [
        SampleTag(repository=r.repository, tag=t.tag, pushed=t.pushed, size=t.size)
        for r in plan.repositories
        for t in r.delete
    ]
    tags.sort(key=lambda t: (t.pushed is not None, t.pushed, t.repository, t.tag), reverse=True)
    return tags[:count]


def plan_summary(plan: CleanupPlan) -> PlanSummary:
    """The bounded summary of `plan` a tool returns."""
    largest = _largest(plan)
    top, rest = largest[:TOP_REPOSITORIES], largest[TOP_REPOSITORIES:]
    other = (
        RepositoryTotal(repositories=len(rest), tags=sum(len(r.delete) for r in rest), bytes=sum(r.bytes for r in rest))
        if rest
        else None
    )
    return PlanSummary(
        **_header(plan),
        repositories=[RepositoryTotal(repository=r.repository, tags=len(r.delete), bytes=r.bytes) for r in top],
        other_repositories=other,
        sample=sample(plan, SAMPLE_TAGS),
        failures=[_clipped(f) for f in plan.failures[:LISTED_FAILURES]],
        summary_markdown=plan_markdown(plan),
    )


def plan_index(plan: CleanupPlan, *, applicable: bool) -> PlanIndex:
    """The plan's summary with every repository it covers, for the `dockerhub://plans/{plan_id}` resource;
    `applicable` says whether this connection can apply it (false on a read-only server, which has no
    apply_tag_cleanup)."""
    return PlanIndex(
        **_header(plan),
        repositories=[
            RepositoryIndexEntry(
                repository=r.repository,
                delete=len(r.delete),
                kept=len(r.kept),
                bytes=r.bytes,
                uri=repository_uri(plan.plan_id, r.repository),
                pages=pages if (pages := _pages(r)) > 1 else None,
            )
            for r in plan.repositories
        ],
        failures=plan.failures,
        applicable=applicable,
    )


def _pages(repository: RepositoryPlan) -> int:
    return max(1, -(-max(len(repository.delete), len(repository.kept)) // PAGE_TAGS))


def repository_page(plan: CleanupPlan, repository: RepositoryPlan, page: int = 1) -> RepositoryPage:
    """Page `page` of one repository's part of `plan`, for its resource: PAGE_TAGS tags to delete and as many
    kept (a page past the end has none of either).

    Raises:
        InvalidInputError: `page` is not a positive number.
    """
    if page < 1:
        raise InvalidInputError(f"Page {page} does not exist: pages count from 1.")
    window = slice((page - 1) * PAGE_TAGS, page * PAGE_TAGS)
    more = page < _pages(repository)
    return RepositoryPage(
        plan_id=plan.plan_id,
        namespace=plan.namespace,
        repository=repository.repository,
        bytes=repository.bytes,
        delete=repository.delete[window],
        kept=repository.kept[window],
        next_uri=f"{repository_uri(plan.plan_id, repository.repository)}?page={page + 1}" if more else None,
    )


def _clipped(failure: ScanFailure) -> ScanFailure:
    return ScanFailure(repository=failure.repository, reason=clip(failure.reason))


def plan_markdown(plan: CleanupPlan) -> str:
    """A markdown summary of `plan` for a ticket, of bounded length."""
    largest = _largest(plan)
    rules = plan.rules
    kept = Counter(k.reason for r in plan.repositories for k in r.kept)
    lines = [
        f"**Tag cleanup plan** `{plan.plan_id[:12]}` for `{plan.namespace}`: delete {plan.tags} tags in "
        f"{len(largest)} repositories, freeing {human_bytes(plan.bytes)}. "
        f"Made {plan.as_of:%Y-%m-%d %H:%M} UTC, valid until {plan.expires_at:%Y-%m-%d %H:%M} UTC.",
        "",
        f"Rules: pushed over {rules.older_than_days} days ago; keep the newest {rules.keep_latest} per repository; "
        f"keep {', '.join(f'`{p}`' for p in plan.protect) or 'no patterns'}"
        + ("; only tags never pulled" if rules.only_never_pulled else "")
        + (f"; keep tags pulled in the last {rules.unpulled_for_days} days" if rules.unpulled_for_days else "")
        + ".",
    ]
    if largest:
        rows = [(r.repository, len(r.delete), len(r.kept), human_bytes(r.bytes)) for r in largest[:TABLE_ROWS]]
        lines += ["", markdown_table(("repository", "delete", "keep", "frees"), rows)]
        if len(largest) > TABLE_ROWS:
            lines += ["", f"… and {len(largest) - TABLE_ROWS} more repositories with tags to delete."]
    if kept:
        lines += [
            "",
            "Kept: " + ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(kept.items())) + ".",
        ]
    if plan.failures:
        names = [f.repository for f in plan.failures[:TABLE_ROWS]]
        more = f" and {len(plan.failures) - TABLE_ROWS} more" if len(plan.failures) > TABLE_ROWS else ""
        lines += ["", f"Not planned (could not be read): {', '.join(names)}{more}."]
    lines += ["", f"Every tag: `{plan_uri(plan.plan_id)}`."]
    return "\n".join(lines)


def apply_summary(report: CleanupReport, *, kept_outcomes: bool) -> ApplySummary:
    """The bounded summary of an apply a tool returns (`kept_outcomes`: the outcomes resource exists)."""
    failed: Sequence[ItemOutcome] = [o for o in report.outcomes if o.outcome == "failed"]
    return ApplySummary(
        plan_id=report.plan_id,
        namespace=report.namespace,
        applied=report.applied,
        totals=report.totals,
        failures=[o.model_copy(update={"reason": clip(o.reason or "")}) for o in failed[:LISTED_FAILURES_APPLIED]],
        outcomes_uri=outcomes_uri(report.plan_id) if kept_outcomes else None,
        summary_markdown=report.summary_markdown,
    )
