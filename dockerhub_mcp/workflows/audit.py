"""On-call audit: what was pushed to a namespace in the last hours, newest first."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import Field

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.errors import DockerHubError, InvalidInputError
from dockerhub_mcp.models import HubTag, Result
from dockerhub_mcp.operations import check_namespace
from dockerhub_mcp.workflows.common import (
    DEFAULT_CONCURRENCY,
    Progress,
    bounded_map,
    markdown_table,
    no_progress,
)

__all__ = ["AuditReport", "audit_pushes"]

MAX_HOURS = 24 * 90
MAX_ROWS = 30  # the summary is for a ticket: the full list is in the structured result


class PushedTag(Result):
    """A tag pushed in the window."""

    name: str
    digest: str | None
    pushed_at: datetime
    pushed_by: str | None = Field(description="Docker Hub username of the last pusher, where Hub says.")
    architectures: list[str]


class RepositoryPushes(Result):
    """A repository updated in the window, with the tags pushed in it."""

    repository: str
    last_updated: datetime | None
    tags: list[PushedTag]
    error: str | None = None


class AuditReport(Result):
    """Repositories and tags pushed in `[since, until]`, newest first."""

    namespace: str
    since: datetime
    until: datetime
    repositories: list[RepositoryPushes]
    tags: int
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
    concurrency: int = DEFAULT_CONCURRENCY,
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
                architectures=t.architectures,
            )
            for t in tags
            if t.pushed_at is not None
        ]
        pushed.sort(key=lambda t: t.pushed_at, reverse=True)
        return RepositoryPushes(repository=repo_name, last_updated=last_updated, tags=pushed, error=error)

    results = await bounded_map(lambda r: scan(r.name, r.last_updated), repos, concurrency=concurrency)
    results.sort(key=lambda r: (r.last_updated is not None, r.last_updated), reverse=True)
    return AuditReport(
        namespace=namespace,
        since=since,
        until=until,
        repositories=results,
        tags=sum(len(r.tags) for r in results),
        summary_markdown=_markdown(namespace, since_hours, results),
    )


def _markdown(namespace: str, hours: float, results: Sequence[RepositoryPushes]) -> str:
    count = sum(len(r.tags) for r in results)
    head = f"**Pushes to `{namespace}` in the last {hours:g} h**: {count} tags in {len(results)} repositories."
    rows = [
        (
            f"{r.repository}:{t.name}",
            t.pushed_at.strftime("%Y-%m-%d %H:%M UTC"),
            t.pushed_by or "?",
            ", ".join(t.architectures) or "?",
            (t.digest or "?")[:19],
        )
        for r in results
        for t in r.tags
    ]
    rows.sort(key=lambda row: row[1], reverse=True)
    lines = [head]
    if rows:
        lines += ["", markdown_table(("tag", "pushed", "by", "platforms", "digest"), rows[:MAX_ROWS])]
    if len(rows) > MAX_ROWS:
        lines += ["", f"… and {len(rows) - MAX_ROWS} more tags (see `repositories`)."]
    failed = [r for r in results if r.error]
    if failed:
        lines += ["", f"Could not read: {', '.join(r.repository for r in failed)}."]
    return "\n".join(lines)
