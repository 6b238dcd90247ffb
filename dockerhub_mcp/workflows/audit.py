"""On-call audit: what was pushed to a namespace in the last hours, newest first.

`audit_pushes` reads everything in the window (the CLI's `--json` prints all of it); `audit_summary` is the
bounded view a tool returns: totals for the whole window and the newest tags in full.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import Field

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.errors import DockerHubError, InvalidInputError
from dockerhub_mcp.models import HubTag, Result, Timestamp
from dockerhub_mcp.operations import check_namespace
from dockerhub_mcp.workflows.common import (
    Progress,
    bounded_map,
    clip,
    markdown_table,
    no_progress,
)

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "AuditReport", "AuditSummary", "audit_pushes", "audit_summary"]

MAX_HOURS = 24 * 90
PUSHED, DELETED = "repo.tag.push", "repo.tag.delete"  # the audit log's action names
MAX_ROWS = 20  # the markdown is for a ticket: the structured result and the CLI's --json hold more
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
LISTED_REPOSITORIES = 50
LISTED_ERRORS = 20


class PushedTag(Result):
    """A tag pushed in the window."""

    name: str
    digest: str | None = None
    pushed_at: Timestamp
    pushed_by: str | None = Field(default=None, description="Docker Hub username of the last pusher, where Hub says.")
    platforms: list[str]


class RepositoryPushes(Result):
    """A repository updated in the window, with the tags pushed in it."""

    repository: str
    last_updated: Timestamp | None = None
    tags: list[PushedTag]
    error: str | None = None


class Deletion(Result):
    """A tag deleted in the window, as the organization's audit log records it."""

    repository: str
    tag: str
    deleted_at: Timestamp | None = None
    deleted_by: str | None = None


class AuditReport(Result):
    """Repositories and tags pushed in `[since, until]`, newest first; with an organization access token also
    who pushed each tag and the tags deleted, from the organization's audit log."""

    namespace: str
    since: Timestamp
    until: Timestamp
    repositories: list[RepositoryPushes]
    tags: int
    deletions: list[Deletion] | None = Field(default=None, description="Only with the audit log (OAT).")
    audit_log_error: str | None = None
    summary_markdown: str


class Push(Result):
    """A tag pushed in the window, with its repository."""

    repository: str
    tag: str
    digest: str | None = None
    pushed_at: Timestamp
    pushed_by: str | None = None
    platforms: list[str]


class RepositoryActivity(Result):
    """How much was pushed to one repository in the window."""

    repository: str
    tags: int
    last_pushed: Timestamp | None = None


class ReadError(Result):
    """A repository whose tags could not be read."""

    repository: str
    reason: str


class AuditTotals(Result):
    """Everything in the window, however much of it is listed."""

    repositories: int
    tags: int
    deletions: int | None = Field(default=None, description="Tags deleted, from the audit log (OAT only).")


class AuditSummary(Result):
    """Pushes in `[since, until]`, bounded: totals for the window, the newest tags in full."""

    namespace: str
    since: Timestamp
    until: Timestamp
    totals: AuditTotals
    tags: list[Push] = Field(description="The newest pushes, at most `limit`.")
    truncated: bool = Field(description="More pushes happened than are listed (the CLI's --json lists all).")
    repositories: list[RepositoryActivity] = Field(description="The repositories pushed to most recently.")
    deletions: list[Deletion] | None = Field(default=None, description="The newest tag deletions (OAT only).")
    errors: list[ReadError]
    audit_log_error: str | None = None
    summary_markdown: str


D = TypeVar("D")


def past_window(when: Callable[[D], datetime | None], since: datetime) -> Callable[[list[D]], bool]:
    """A page-stop test: the page is newest-first and its oldest entry is older than `since`.

    Order is checked on the page itself, never assumed, so a Hub that ignores `ordering` costs pages,
    not results.
    """

    def stop(page: list[D]) -> bool:
        stamps = [when(item) for item in page]
        if not stamps or any(s is None for s in stamps):
            return False
        dated = [s for s in stamps if s is not None]
        newest_first = all(a >= b for a, b in itertools.pairwise(dated))
        return newest_first and dated[-1] < since

    return stop


def _updated(tag: HubTag) -> datetime | None:
    # The field the listing is ordered by, so the order check and the stop agree.
    return tag.last_updated or tag.pushed_at


async def audit_pushes(
    client: DockerHubClient,
    namespace: str,
    *,
    since_hours: float = 24,
    progress: Progress = no_progress,
) -> AuditReport:
    """Report the repositories of `namespace` updated in the last `since_hours` and the tags pushed in them.

    Raises:
        InvalidInputError: a bad namespace or window.
        DockerHubError: the repository list could not be read.
    """
    check_namespace(namespace)
    if not 0 < since_hours <= MAX_HOURS:
        raise InvalidInputError(f"since_hours must be more than 0 and at most {MAX_HOURS}.")
    until = client.now()
    since = until - timedelta(hours=since_hours)
    repos = [
        r
        async for r in client.iter_repositories(
            namespace, ordering="-last_updated", stop=past_window(lambda r: r.last_updated, since)
        )
        if r.last_updated is not None and r.last_updated >= since
    ]
    done = 0

    async def scan(repo_name: str, last_updated: datetime | None) -> RepositoryPushes:
        nonlocal done
        try:
            tags = [
                t
                async for t in client.iter_tags(
                    namespace, repo_name, ordering="-last_updated", stop=past_window(_updated, since)
                )
                if t.pushed_at is not None and since <= t.pushed_at <= until
            ]
            error = None
        except DockerHubError as exc:
            tags, error = [], str(exc)
        done += 1
        await progress(done, len(repos), f"read {namespace}/{repo_name}")
        pushed = [
            PushedTag(
                name=t.name,
                digest=t.effective_digest,
                pushed_at=t.pushed_at,
                pushed_by=t.last_updater_username,
                platforms=t.architectures,
            )
            for t in tags
            if t.pushed_at is not None
        ]
        pushed.sort(key=lambda t: t.pushed_at, reverse=True)
        return RepositoryPushes(repository=repo_name, last_updated=last_updated, tags=pushed, error=error)

    results = await bounded_map(lambda r: scan(r.name, r.last_updated), repos, concurrency=client.settings.concurrency)
    results.sort(key=lambda r: (r.last_updated is not None, r.last_updated), reverse=True)
    deletions, log_error = await _from_audit_log(client, namespace, since, until, results)
    return AuditReport(
        namespace=namespace,
        since=since,
        until=until,
        repositories=results,
        tags=sum(len(r.tags) for r in results),
        deletions=deletions,
        audit_log_error=log_error,
        summary_markdown=_markdown(namespace, since_hours, _newest(results), MAX_ROWS, results, deletions),
    )


async def _from_audit_log(
    client: DockerHubClient, namespace: str, since: datetime, until: datetime, results: list[RepositoryPushes]
) -> tuple[list[Deletion] | None, str | None]:
    """With the organization's own access token, who pushed each tag (set on `results`) and what was deleted.

    Without one there is no audit log to read: (None, None). A log that cannot be read is said, not fatal.
    """
    settings = client.settings
    if settings.token_kind != "oat" or namespace != settings.username:
        return None, None
    try:
        pushes = [e async for e in client.iter_audit_logs(namespace, since=since, until=until, action=PUSHED)]
        deleted = [e async for e in client.iter_audit_logs(namespace, since=since, until=until, action=DELETED)]
    except DockerHubError as exc:
        return None, f"The audit log could not be read: {exc}"
    actors: dict[tuple[str, str], str] = {}
    for event in pushes:  # newest first: the first event of a tag is its last push
        tag = str(event.data.get("tag", ""))
        if event.name and event.actor and tag:
            actors.setdefault((event.name, tag), event.actor)
    for repo in results:
        for pushed in repo.tags:
            actor = actors.get((f"{namespace}/{repo.repository}", pushed.name))
            if actor is not None:
                pushed.pushed_by = actor
    deletions = [
        Deletion(
            repository=(e.name or "").split("/", 1)[-1],
            tag=str(e.data.get("tag", "")),
            deleted_at=e.timestamp,
            deleted_by=e.actor,
        )
        for e in deleted
    ]
    return deletions, None


def _newest(results: Sequence[RepositoryPushes]) -> list[Push]:
    pushes = [
        Push(
            repository=r.repository,
            tag=t.name,
            digest=t.digest,
            pushed_at=t.pushed_at,
            pushed_by=t.pushed_by,
            platforms=t.platforms,
        )
        for r in results
        for t in r.tags
    ]
    pushes.sort(key=lambda p: (p.pushed_at, p.repository, p.tag), reverse=True)
    return pushes


def audit_summary(report: AuditReport, *, limit: int = DEFAULT_LIMIT) -> AuditSummary:
    """The bounded view of `report` a tool returns: the newest `limit` pushes and totals for all of them."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be between 1 and {MAX_LIMIT}.")
    pushes = _newest(report.repositories)
    active = [
        RepositoryActivity(
            repository=r.repository, tags=len(r.tags), last_pushed=max((t.pushed_at for t in r.tags), default=None)
        )
        for r in report.repositories
        if r.tags
    ]
    active.sort(key=lambda a: (a.last_pushed is not None, a.last_pushed), reverse=True)
    failed = [r for r in report.repositories if r.error]
    hours = (report.until - report.since).total_seconds() / 3600
    return AuditSummary(
        namespace=report.namespace,
        since=report.since,
        until=report.until,
        totals=AuditTotals(
            repositories=len(active),
            tags=len(pushes),
            deletions=None if report.deletions is None else len(report.deletions),
        ),
        tags=pushes[:limit],
        truncated=len(pushes) > limit or len(report.deletions or ()) > limit,
        repositories=active[:LISTED_REPOSITORIES],
        deletions=None if report.deletions is None else report.deletions[:limit],
        errors=[ReadError(repository=r.repository, reason=clip(r.error or "")) for r in failed[:LISTED_ERRORS]]
        + (
            [ReadError(repository="(audit log)", reason=clip(report.audit_log_error))] if report.audit_log_error else []
        ),
        summary_markdown=_markdown(
            report.namespace, hours, pushes, min(limit, MAX_ROWS), report.repositories, report.deletions
        ),
    )


def _markdown(
    namespace: str,
    hours: float,
    pushes: Sequence[Push],
    rows: int,
    results: Sequence[RepositoryPushes],
    deletions: Sequence[Deletion] | None = None,
) -> str:
    repositories = sum(1 for r in results if r.tags)
    head = f"**Pushes to `{namespace}` in the last {hours:g} h**: {len(pushes)} tags in {repositories} repositories."
    table = [
        (
            f"{p.repository}:{p.tag}",
            _when(p.pushed_at),
            p.pushed_by or "?",
            ", ".join(p.platforms) or "?",
            (p.digest or "?")[:19],
        )
        for p in pushes[:rows]
    ]
    lines = [head]
    if table:
        lines += ["", markdown_table(("tag", "pushed", "by", "platforms", "digest"), table)]
    if len(pushes) > rows:
        lines += ["", f"… and {len(pushes) - rows} more tags."]
    if deletions:
        gone = [
            (
                f"{d.repository}:{d.tag}",
                d.deleted_at.strftime("%Y-%m-%d %H:%M UTC") if d.deleted_at else "?",
                d.deleted_by or "?",
            )
            for d in deletions[:rows]
        ]
        lines += ["", f"**Deleted**: {len(deletions)} tags.", "", markdown_table(("tag", "deleted", "by"), gone)]
        if len(deletions) > rows:
            lines += ["", f"… and {len(deletions) - rows} more deletions."]
    failed = [r.repository for r in results if r.error]
    if failed:
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        lines += ["", f"Could not read: {', '.join(failed[:10])}{more}."]
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "?"
