"""Bulk description updates: a literal find/replace over a namespace's descriptions, dry run first.

`bulk_descriptions` reports every repository with its whole old and new text (the CLI's `--json`);
`description_summary` is the bounded view a tool returns: totals and a short excerpt around each change.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import Field

from dockerhub_mcp.client import DockerHubClient, not_stored
from dockerhub_mcp.errors import (
    AuthenticationError,
    DockerHubError,
    InvalidInputError,
    TransportError,
    UpstreamError,
)
from dockerhub_mcp.models import HubRepository, Result
from dockerhub_mcp.operations import (
    MAX_DESCRIPTION,
    MAX_FULL_DESCRIPTION,
    byte_length,
    check_namespace,
    check_repository,
)
from dockerhub_mcp.workflows.common import (
    Progress,
    bounded_map,
    clip,
    markdown_table,
    no_progress,
)

__all__ = ["DescriptionReport", "DescriptionSummary", "bulk_descriptions", "description_summary"]

logger = logging.getLogger(__name__)

Field_ = Literal["description", "full_description", "both"]
Status = Literal["unchanged", "would_change", "changed", "failed"]
STATUSES: tuple[Status, ...] = ("unchanged", "would_change", "changed", "failed")
MAX_FIND = 1000
CONTEXT = 30  # characters of an excerpt on each side of the first change
MAX_EXCERPT = 160
LISTED_CHANGES = 50
TABLE_ROWS = 20


class Excerpt(Result):
    """The text around the first change in one field, before and after."""

    field: Literal["description", "full_description"]
    before: str
    after: str


class RepositoryDescriptions(Result):
    """One repository: its description before and after, or a diff of its full description."""

    repository: str
    status: Status
    description_old: str | None = None
    description_new: str | None = None
    full_description_diff: str | None = None
    changes: list[Excerpt] = Field(default_factory=list)
    reason: str | None = None


class DescriptionReport(Result):
    """Per repository what would change (dry run) or changed, and totals per status."""

    namespace: str
    field: Field_
    dry_run: bool
    repositories: list[RepositoryDescriptions]
    totals: dict[Status, int]
    summary_markdown: str


def _diff(repository: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"{repository} (before)", f"{repository} (after)", lineterm=""
    )
    return "".join(line + "\n" for line in lines)


def replaced(text: str, find: str, replace: str) -> str:
    """`text` with `find` replaced literally, left to right like `str.replace`.

    Where `replace` contains `find`, an occurrence of `find` that overlaps an occurrence of `replace`
    already in the text is an earlier replacement and stays, so a second run changes nothing
    (`Acme` -> `Acme Inc` leaves `Acme Inc` as it is).
    """
    if find not in replace:
        return text.replace(find, replace)
    covered = [0] * (len(text) + 1)  # prefix counts of positions inside some occurrence of `replace`
    inside = [False] * len(text)
    start = text.find(replace)
    while start != -1:
        for i in range(start, start + len(replace)):
            inside[i] = True
        start = text.find(replace, start + 1)
    for i, flag in enumerate(inside):
        covered[i + 1] = covered[i] + flag
    out: list[str] = []
    position = 0
    match = text.find(find)
    while match != -1:
        end = match + len(find)
        if covered[end] == covered[match]:  # touches no earlier replacement
            out += [text[position:match], replace]
            position = end
        match = text.find(find, end)
    out.append(text[position:])
    return "".join(out)


async def _targets(
    client: DockerHubClient,
    namespace: str,
    repositories: Sequence[str] | None,
    name_filter: str | None,
    full: bool,
) -> list[HubRepository]:
    """The repositories to consider, with their full descriptions when those are needed."""
    concurrency = client.settings.concurrency
    if repositories is not None:
        names = sorted({check_repository(r) for r in repositories if not name_filter or name_filter in r})
        return await bounded_map(lambda n: client.get_repository(namespace, n), names, concurrency=concurrency)
    listed = [r async for r in client.iter_repositories(namespace, name=name_filter or None)]
    listed = [r for r in listed if not name_filter or name_filter in r.name]
    if not full:
        return sorted(listed, key=lambda r: r.name)
    # The list route carries no full description: read each repository.
    names = sorted(r.name for r in listed)
    return await bounded_map(lambda n: client.get_repository(namespace, n), names, concurrency=concurrency)


async def bulk_descriptions(
    client: DockerHubClient,
    namespace: str,
    *,
    find: str,
    replace: str,
    field: Field_ = "description",
    repositories: Sequence[str] | None = None,
    name_filter: str | None = None,
    dry_run: bool = True,
    progress: Progress = no_progress,
    on_outcome: Callable[[RepositoryDescriptions], None] = lambda _outcome: None,
) -> DescriptionReport:
    """Replace `find` with `replace` (literally) in the chosen descriptions of a namespace's repositories.

    Every new short description is checked against Hub's limit of 100 UTF-8 bytes (and full descriptions
    against 25,000) before anything is written; one over the limit refuses the whole run.

    Raises:
        InvalidInputError: an empty `find`, a bad name, or a result over Hub's limits (nothing is written).
        DockerHubError: the repositories could not be read.
    """
    check_namespace(namespace)
    if not find or len(find) > MAX_FIND or len(replace) > MAX_FULL_DESCRIPTION:
        raise InvalidInputError(f"find must be 1-{MAX_FIND} characters and replace at most {MAX_FULL_DESCRIPTION}.")
    short, full = field in ("description", "both"), field in ("full_description", "both")
    repos = await _targets(client, namespace, repositories, name_filter, full)

    planned: list[tuple[HubRepository, dict[str, str]]] = []
    too_long: list[str] = []
    for repo in repos:
        body: dict[str, str] = {}
        if short and replaced(repo.description or "", find, replace) != (repo.description or ""):
            body["description"] = replaced(repo.description or "", find, replace)
            if byte_length(body["description"]) > MAX_DESCRIPTION:
                too_long.append(f"{repo.name} (description, {byte_length(body['description'])} bytes)")
        if full and replaced(repo.full_description or "", find, replace) != (repo.full_description or ""):
            body["full_description"] = replaced(repo.full_description or "", find, replace)
            if byte_length(body["full_description"]) > MAX_FULL_DESCRIPTION:
                too_long.append(f"{repo.name} (full_description, {byte_length(body['full_description'])} bytes)")
        planned.append((repo, body))
    if too_long:
        raise InvalidInputError(
            f"Nothing written: the replacement would exceed Docker Hub's limits in {', '.join(too_long)}."
        )

    done = 0
    to_write = [(repo, body) for repo, body in planned if body]

    halted: list[str] = []  # why the run stopped sending: Hub refused the credentials

    async def write(entry: tuple[HubRepository, dict[str, str]]) -> RepositoryDescriptions:
        nonlocal done
        repo, body = entry
        if halted:
            reason = f"Not attempted: the run stopped when Docker Hub refused the credentials ({halted[0]})"
            result = _entry(repo, body, "failed", reason=reason)
        else:
            result = await _write(client, namespace, repo, body, halted)
        done += 1
        on_outcome(result)
        await progress(done, len(to_write), f"{result.status}: {namespace}/{repo.name}")
        return result

    writes = [] if dry_run else await bounded_map(write, to_write, concurrency=client.settings.concurrency)
    written = {r.repository: r for r in writes}
    results = [
        written.get(repo.name) or _entry(repo, body, "would_change" if body else "unchanged") for repo, body in planned
    ]
    counts = Counter(r.status for r in results)
    totals: dict[Status, int] = {s: counts.get(s, 0) for s in STATUSES}
    return DescriptionReport(
        namespace=namespace,
        field=field,
        dry_run=dry_run,
        repositories=results,
        totals=totals,
        summary_markdown=_markdown(namespace, find, replace, dry_run, results, totals),
    )


async def _write(
    client: DockerHubClient, namespace: str, repo: HubRepository, body: dict[str, str], halted: list[str]
) -> RepositoryDescriptions:
    """Write one repository's new descriptions; every outcome, even a surprise, is this repository's own."""
    try:
        after = await client.update_description(
            namespace, repo.name, description=body.get("description"), full_description=body.get("full_description")
        )
    except (TransportError, UpstreamError) as exc:
        # Every try failed, but one may have been acted on: look, so the report says what Hub has.
        return await _settle(client, namespace, repo, body, exc)
    except AuthenticationError as exc:
        halted.append(str(exc))
        return _entry(repo, body, "failed", reason=str(exc))
    except DockerHubError as exc:
        return _entry(repo, body, "failed", reason=str(exc))
    except Exception as exc:
        logger.exception("description update of %s failed unexpectedly", repo.name)
        return _entry(repo, body, "failed", reason=f"Unexpected error: {type(exc).__name__}")
    differs = not_stored(after, body)
    if differs:
        return _entry(repo, body, "failed", reason=f"Docker Hub stored another {' and '.join(differs)} than was sent")
    return _entry(repo, body, "changed")


async def _settle(
    client: DockerHubClient, namespace: str, repo: HubRepository, body: dict[str, str], exc: DockerHubError
) -> RepositoryDescriptions:
    """The outcome of a write whose answers were all lost or failed: whatever Hub now shows."""
    try:
        now = await client.get_repository(namespace, repo.name)
    except DockerHubError:
        return _entry(repo, body, "failed", reason=f"{exc} Whether it was written could not be checked.")
    if not not_stored(now, body):
        return _entry(repo, body, "changed", reason="confirmed written after an uncertain answer")
    return _entry(repo, body, "failed", reason=str(exc))


def excerpt(field: Literal["description", "full_description"], old: str, new: str) -> Excerpt:
    """`old` and `new` whole when short, else a window of each around where they differ (`…` where cut)."""
    if max(len(old), len(new)) <= MAX_EXCERPT:
        return Excerpt(field=field, before=old, after=new)
    # Character by character is the point here: these are texts, not paths.
    start = len(os.path.commonprefix([old, new]))  # noqa: RUF071
    tail = len(os.path.commonprefix([old[start:][::-1], new[start:][::-1]]))  # noqa: RUF071

    def window(text: str) -> str:
        left = max(0, start - CONTEXT)
        right = min(len(text), len(text) - tail + CONTEXT, left + MAX_EXCERPT)
        return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")

    return Excerpt(field=field, before=window(old), after=window(new))


def _entry(
    repo: HubRepository, new: dict[str, str], status: Status, reason: str | None = None
) -> RepositoryDescriptions:
    entry = RepositoryDescriptions(repository=repo.name, status=status, reason=reason)
    if "description" in new:
        entry.description_old, entry.description_new = repo.description, new["description"]
        entry.changes.append(excerpt("description", repo.description or "", new["description"]))
    if "full_description" in new:
        entry.full_description_diff = _diff(repo.name, repo.full_description or "", new["full_description"])
        entry.changes.append(excerpt("full_description", repo.full_description or "", new["full_description"]))
    return entry


class Change(Result):
    """What changed (or would) in one repository, as excerpts."""

    repository: str
    status: Status
    changes: list[Excerpt]
    reason: str | None = None


class DescriptionSummary(Result):
    """A bulk description run, bounded: totals, and excerpts of at most 50 changes (the CLI's --json has all)."""

    namespace: str
    field: Field_
    dry_run: bool
    totals: dict[Status, int]
    changes: list[Change]
    truncated: bool
    summary_markdown: str


def description_summary(report: DescriptionReport) -> DescriptionSummary:
    """The bounded view of `report` a tool returns."""
    touched = [r for r in report.repositories if r.status != "unchanged"]
    return DescriptionSummary(
        namespace=report.namespace,
        field=report.field,
        dry_run=report.dry_run,
        totals=report.totals,
        changes=[
            Change(
                repository=r.repository, status=r.status, changes=r.changes, reason=clip(r.reason) if r.reason else None
            )
            for r in touched[:LISTED_CHANGES]
        ],
        truncated=len(touched) > LISTED_CHANGES,
        summary_markdown=report.summary_markdown,
    )


def _markdown(
    namespace: str,
    find: str,
    replace: str,
    dry_run: bool,
    results: Sequence[RepositoryDescriptions],
    totals: dict[Status, int],
) -> str:
    verb = "would change" if dry_run else "changed"
    head = (
        f"**Descriptions in `{namespace}`**: replace `{find}` with `{replace}`: "
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in totals.items() if n)
        + ("." if results else "no repositories.")
    )
    touched = [r for r in results if r.status != "unchanged"]
    rows = [
        (r.repository, r.status, r.description_new if r.description_new is not None else "(full description)")
        for r in touched[:TABLE_ROWS]
    ]
    lines = [head]
    if rows:
        lines += ["", markdown_table(("repository", verb, "new description"), rows)]
    if len(touched) > TABLE_ROWS:
        lines += ["", f"… and {len(touched) - TABLE_ROWS} more repositories."]
    return "\n".join(lines)
