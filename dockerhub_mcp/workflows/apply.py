"""Tag retention cleanup, step two: delete exactly the tags of a sealed plan, re-checking each first.

Right before deleting a repository's tags, its tag list is read again (100 a page) and each planned tag is
skipped if it was re-pushed (digest changed), pulled since planning where the rules depend on pulls, or is
now protected; a tag the listing does not show is looked up on its own, and one that is gone counts as
such, not as a failure. Every planned tag gets exactly one outcome.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import anyio
from pydantic import Field

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.errors import (
    AuthenticationError,
    DockerHubError,
    InvalidInputError,
    NotFoundError,
    TransportError,
    UpstreamError,
)
from dockerhub_mcp.models import HubTag, Result
from dockerhub_mcp.operations import check_repository, is_protected
from dockerhub_mcp.workflows.cleanup import CleanupPlan, PlannedTag, RepositoryPlan
from dockerhub_mcp.workflows.common import Progress, bounded_map, markdown_table, no_progress

__all__ = ["OUTCOMES", "CleanupReport", "ItemOutcome", "Outcome", "apply_plan", "chosen", "report_of"]

logger = logging.getLogger(__name__)

Outcome = Literal["deleted", "skipped_changed", "skipped_protected", "already_gone", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("deleted", "skipped_changed", "skipped_protected", "already_gone", "failed")
MAX_FAILURE_ROWS = 20
GRACE = 5.0  # seconds a cancelled run waits for the deletes under way, to record what they did
REPOSITORIES_AT_ONCE = 2  # one repository re-listed while the one before it is being deleted


class ItemOutcome(Result):
    """What happened to one planned tag."""

    repository: str
    tag: str
    outcome: Outcome
    reason: str | None = None


class CleanupReport(Result):
    """The outcome of applying a plan: one entry per planned tag, and totals per outcome."""

    plan_id: str
    namespace: str
    applied: bool
    interrupted: bool = Field(default=False, description="The run was stopped before every tag had an outcome.")
    totals: dict[Outcome, int]
    outcomes: list[ItemOutcome]
    summary_markdown: str


@dataclass(frozen=True, slots=True)
class _Now:
    """What Hub shows of a tag right before it is deleted."""

    digest: str | None
    pulled: datetime | None

    @classmethod
    def of(cls, tag: HubTag) -> _Now:
        return cls(tag.effective_digest, tag.tag_last_pulled)


def chosen(plan: CleanupPlan, repositories: Sequence[str] | None) -> list[RepositoryPlan]:
    """The plan's repositories with tags to delete, narrowed to `repositories` when given.

    Raises:
        InvalidInputError: `repositories` names one the plan does not cover (it may only narrow the plan).
    """
    if repositories is None:
        return [r for r in plan.repositories if r.delete]
    names = {check_repository(r) for r in repositories}
    unknown = sorted(names - {r.repository for r in plan.repositories})
    if unknown:
        raise InvalidInputError(
            f"Not in plan {plan.plan_id[:12]}…: {', '.join(unknown)}. `repositories` can only narrow a plan."
        )
    return [r for r in plan.repositories if r.repository in names and r.delete]


async def apply_plan(
    client: DockerHubClient,
    plan: CleanupPlan,
    *,
    repositories: Sequence[str] | None = None,
    progress: Progress = no_progress,
    on_outcome: Callable[[ItemOutcome], None] = lambda _outcome: None,
) -> CleanupReport:
    """Delete the tags of `plan` (a plan already verified for this connection), re-checking each first.

    At most `settings.concurrency` tags are under way at once. `on_outcome` hears of each outcome as it happens (the
    CLI's --report file), so an interrupted run still leaves a record of what it did; a cancelled run also
    logs its tally before it stops.

    Raises:
        InvalidInputError: `repositories` names one outside the plan (nothing is sent).
    """
    targets = chosen(plan, repositories)
    run = _Run(client, plan, sum(len(r.delete) for r in targets), progress, on_outcome, client.settings.concurrency)
    try:
        batches = await run.every(targets)
    except anyio.get_cancelled_exc_class():
        tally = Counter(o.outcome for o in run.done)
        logger.warning(
            "cleanup %s cancelled after %d of %d tags: %s",
            plan.plan_id[:12],
            len(run.done),
            run.total,
            dict(tally) or "none",
        )
        raise
    return report_of(plan, [o for batch in batches for o in batch], applied=True)


@dataclass
class _Run:
    """One apply under way: the outcomes so far, the work in flight, and whether it must stop sending."""

    client: DockerHubClient
    plan: CleanupPlan
    total: int
    progress: Progress
    on_outcome: Callable[[ItemOutcome], None]
    concurrency: int
    done: list[ItemOutcome] = field(default_factory=list)
    halted: list[str] = field(default_factory=list)  # why the run stopped sending: Hub refused the credentials
    in_flight: set[anyio.CancelScope] = field(default_factory=set)
    stopping: list[float] = field(default_factory=list)  # once cancelled: the deadline of the work under way

    def __post_init__(self) -> None:
        self.slots = anyio.CapacityLimiter(self.concurrency)

    async def every(self, targets: list[RepositoryPlan]) -> list[list[ItemOutcome]]:
        """Every target repository's outcomes, a repository re-listed while the one before it is deleted."""
        async with anyio.create_task_group() as watch:
            watch.start_soon(self._grace_on_cancel)
            batches = await bounded_map(self._repository, targets, concurrency=REPOSITORIES_AT_ONCE)
            watch.cancel_scope.cancel()
        return batches

    async def _grace_on_cancel(self) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            self.stopping.append(anyio.current_time() + GRACE)
            for scope in self.in_flight:
                scope.deadline = min(scope.deadline, self.stopping[0])

    def _keep(self, outcome: ItemOutcome) -> None:
        """Record an outcome at once (no await: even a cancelled run keeps what it learned)."""
        self.done.append(outcome)
        self.on_outcome(outcome)

    async def _told(self, outcome: ItemOutcome) -> ItemOutcome:
        await self.progress(len(self.done), self.total, f"{outcome.outcome}: {outcome.repository}:{outcome.tag}")
        return outcome

    async def _record(self, outcome: ItemOutcome) -> ItemOutcome:
        self._keep(outcome)
        return await self._told(outcome)

    async def _repository(self, target: RepositoryPlan) -> list[ItemOutcome]:
        async with self.slots:
            try:
                if self.halted:
                    raise AuthenticationError(self.halted[0])
                listed = self.client.iter_tags(self.plan.namespace, target.repository)
                seen = {t.name: _Now.of(t) async for t in listed}
            except DockerHubError as exc:
                if isinstance(exc, AuthenticationError) and not self.halted:
                    self.halted.append(str(exc))
                why = _not_attempted(self.halted) or f"The tags could not be re-checked before deleting: {exc}"
                return [await self._record(_outcome(target, item, "failed", why)) for item in target.delete]
        return await bounded_map(
            lambda item: self._one(target, item, seen.get(item.tag)), target.delete, concurrency=self.concurrency
        )

    async def _one(self, target: RepositoryPlan, item: PlannedTag, seen: _Now | None) -> ItemOutcome:
        if self.halted:  # the credentials were refused: nothing more is sent
            return await self._record(_outcome(target, item, "failed", _not_attempted(self.halted)))
        async with self.slots:
            # Work under way finishes even when the run is cancelled, within GRACE seconds of the cancel,
            # so every delete that reached Hub gets its outcome recorded.
            with anyio.CancelScope(shield=True) as shield:
                if self.stopping:
                    shield.deadline = self.stopping[0]
                self.in_flight.add(shield)
                try:
                    outcome = await _guarded(self.client, self.plan, target, item, seen, self.halted)
                finally:
                    self.in_flight.discard(shield)
            if shield.cancelled_caught:
                outcome = _outcome(target, item, "failed", "Interrupted while under way: check it in Docker Hub")
            self._keep(outcome)
        return await self._told(outcome)


async def _guarded(
    client: DockerHubClient,
    plan: CleanupPlan,
    target: RepositoryPlan,
    item: PlannedTag,
    seen: _Now | None,
    halted: list[str],
) -> ItemOutcome:
    """One tag's outcome, whatever happens: refused credentials stop the run (`halted`), and a surprise is
    this tag's failure, never the run's."""
    try:
        return await _apply_one(client, plan, target, item, seen)
    except AuthenticationError as exc:
        halted.append(str(exc))
        return _outcome(target, item, "failed", str(exc))
    except Exception as exc:  # the per-tag boundary: a bug or an odd answer fails this tag only
        logger.exception("cleanup of %s:%s failed unexpectedly", target.repository, item.tag)
        return _outcome(target, item, "failed", f"Unexpected error: {type(exc).__name__}")


def _not_attempted(halted: list[str]) -> str:
    return f"Not attempted: the run stopped when Docker Hub refused the credentials ({halted[0]})" if halted else ""


def _outcome(target: RepositoryPlan, item: PlannedTag, kind: Outcome, reason: str | None = None) -> ItemOutcome:
    return ItemOutcome(repository=target.repository, tag=item.tag, outcome=kind, reason=reason)


def _second(value: datetime | None) -> datetime | None:
    # Plans keep times to the second; Hub's microseconds must not read as a change.
    return None if value is None else value.replace(microsecond=0)


async def _apply_one(  # noqa: PLR0911 - one return per outcome reads as the decision table it is
    client: DockerHubClient, plan: CleanupPlan, target: RepositoryPlan, item: PlannedTag, seen: _Now | None
) -> ItemOutcome:
    namespace, repository = plan.namespace, target.repository
    if not plan.allow_protected and is_protected(item.tag, client.settings.protected_tags):
        return _outcome(target, item, "skipped_protected", "matches a protected tag pattern")
    if seen is None:  # the fresh listing does not show it: ask for the tag itself
        try:
            seen = _Now.of(await client.get_tag(namespace, repository, item.tag))
        except NotFoundError:
            return _outcome(target, item, "already_gone")
        except AuthenticationError:
            raise
        except DockerHubError as exc:
            return _outcome(target, item, "failed", str(exc))
    if seen.digest != item.digest:
        return _outcome(target, item, "skipped_changed", f"re-pushed since planning: digest is now {seen.digest}")
    if plan.rules.depend_on_pulls and _second(seen.pulled) != _second(item.pulled):
        return _outcome(target, item, "skipped_changed", "pulled since planning")
    try:
        await client.delete_tag(namespace, repository, item.tag, allow_protected=plan.allow_protected)
    except NotFoundError:
        return _outcome(target, item, "already_gone")
    except (TransportError, UpstreamError) as exc:
        # Every try failed, but one may still have been acted on: look, so the report says what Hub has.
        return await _settle(client, plan, target, item, exc)
    except AuthenticationError:
        raise
    except DockerHubError as exc:
        return _outcome(target, item, "failed", str(exc))
    return _outcome(target, item, "deleted")


async def _settle(
    client: DockerHubClient, plan: CleanupPlan, target: RepositoryPlan, item: PlannedTag, exc: DockerHubError
) -> ItemOutcome:
    """The outcome of a delete whose answers were all lost or failed: whatever Hub now shows."""
    try:
        await client.get_tag(plan.namespace, target.repository, item.tag)
    except NotFoundError:
        return _outcome(target, item, "deleted", "confirmed gone after an uncertain answer")
    except DockerHubError:
        return _outcome(target, item, "failed", f"{exc} Whether the tag is gone could not be checked.")
    return _outcome(target, item, "failed", str(exc))


def report_of(
    plan: CleanupPlan, outcomes: Sequence[ItemOutcome], *, applied: bool, why: str = "", interrupted: bool = False
) -> CleanupReport:
    """Totals and a bounded markdown summary for a list of outcomes (`why` says why nothing was applied;
    `interrupted`, that the run stopped before every tag had an outcome)."""
    counts = Counter(o.outcome for o in outcomes)
    totals: dict[Outcome, int] = {kind: counts.get(kind, 0) for kind in OUTCOMES}
    short = f"`{plan.plan_id[:12]}`"
    if not applied:
        touched = sum(1 for r in plan.repositories if r.delete)
        head = (
            f"**Nothing deleted** ({why}). Plan {short} would delete {plan.tags} tags in {touched} repositories "
            f"of `{plan.namespace}`."
        )
    else:
        said = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in totals.items() if n) or "nothing to do"
        head = f"**Tag cleanup** {short} for `{plan.namespace}`: {said}."
        if interrupted:
            head += f" **Interrupted** after {len(outcomes)} of {plan.tags} tags."
    lines = [head]
    failed = [o for o in outcomes if o.outcome == "failed"]
    if failed:
        rows = [(o.repository, o.tag, o.reason) for o in failed[:MAX_FAILURE_ROWS]]
        lines += ["", markdown_table(("repository", "tag", "failure"), rows)]
        if len(failed) > MAX_FAILURE_ROWS:
            lines += ["", f"… and {len(failed) - MAX_FAILURE_ROWS} more failures."]
    return CleanupReport(
        plan_id=plan.plan_id,
        namespace=plan.namespace,
        applied=applied,
        interrupted=interrupted,
        totals=totals,
        outcomes=list(outcomes),
        summary_markdown="\n".join(lines),
    )
