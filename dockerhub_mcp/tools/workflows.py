"""The workflow tools: retention cleanup (plan, then approve and apply), push audit, bulk descriptions.

The logic lives in `dockerhub_mcp.workflows`, shared with the CLI; these only adapt it to MCP:
arguments, progress notifications and the user's confirmation before deleting.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

import anyio
from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from pydantic import Field

from dockerhub_mcp.errors import DockerHubError
from dockerhub_mcp.tools.base import (
    Approval,
    AppState,
    Confirm,
    NameFilter,
    Namespace,
    accepted,
    ask,
    hub_errors,
    state_of,
    why_not,
)
from dockerhub_mcp.workflows import (
    CleanupPlan,
    CleanupRules,
    ItemOutcome,
    Progress,
    apply_plan,
    audit_pushes,
    bulk_descriptions,
    chosen,
    plan_cleanup,
    report_of,
)
from dockerhub_mcp.workflows.audit import DEFAULT_LIMIT, MAX_LIMIT, AuditSummary, audit_summary
from dockerhub_mcp.workflows.common import human_bytes
from dockerhub_mcp.workflows.descriptions import DescriptionSummary, description_summary
from dockerhub_mcp.workflows.summaries import ApplySummary, PlanSummary, apply_summary, plan_summary

__all__ = ["apply_tag_cleanup", "audit_recent_pushes", "bulk_update_descriptions", "plan_tag_cleanup"]

PROMPT_TAGS = 20

AllowProtected = Annotated[bool, Field(description="Also delete tags matching DOCKERHUB_PROTECTED_TAGS.")]
Repositories = Annotated[list[str] | None, Field(description="Default: all.")]
PlanId = Annotated[str, Field()]


def _progress(ctx: Context[AppState]) -> Progress:
    async def report(done: float, total: float | None, message: str | None) -> None:
        await ctx.report_progress(done, total, message)

    return report


async def plan_tag_cleanup(
    ctx: Context[AppState],
    older_than_days: Annotated[
        int, Field(ge=0, le=36_500, description="Delete tags pushed more than this many days ago.")
    ],
    namespace: Namespace = None,
    repositories: Repositories = None,
    keep_latest: Annotated[int, Field(ge=0, description="Newest tags kept per repository.")] = 0,
    keep: Annotated[list[str], Field(description="Tag globs to keep, e.g. 'v*'.")] = ["latest"],  # noqa: B006 - the SDK copies defaults into the schema, never mutates them
    only_never_pulled: Annotated[bool, Field(description="Delete only never-pulled tags.")] = False,
    unpulled_for_days: Annotated[
        int | None, Field(ge=0, le=36_500, description="Keep tags pulled within this many days.")
    ] = None,
    allow_protected: AllowProtected = False,
) -> PlanSummary:
    """Plan deleting old tags (retention); deletes nothing. Returns a plan_id for apply_tag_cleanup, totals and
    a sample; every tag is at plan_uri."""
    state = state_of(ctx)
    with hub_errors():
        rules = CleanupRules(
            older_than_days=older_than_days,
            keep_latest=keep_latest,
            keep=keep,
            only_never_pulled=only_never_pulled,
            unpulled_for_days=unpulled_for_days,
        )
        plan = await plan_cleanup(
            state.client,
            state.namespace(namespace),
            rules,
            repositories=repositories,
            allow_protected=allow_protected,
            progress=_progress(ctx),
        )
    state.plans.add(plan)
    return plan_summary(plan)


def deletion_prompt(plan: CleanupPlan, repositories: list[str] | None) -> str | None:
    """What the user is asked before `plan` is applied (None when there is nothing to delete)."""
    targets = chosen(plan, repositories)
    tags = [f"{r.repository}:{t.tag}" for r in targets for t in r.delete]
    if not tags:
        return None
    counts = Counter({r.repository: len(r.delete) for r in targets})
    listed = ", ".join(f"{name} ({count})" for name, count in counts.most_common(10))
    more_repos = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    freed = sum(r.bytes for r in targets)
    named = ", ".join(tags[:PROMPT_TAGS]) + (f" and {len(tags) - PROMPT_TAGS} more" if len(tags) > PROMPT_TAGS else "")
    protected = " Tags matching DOCKERHUB_PROTECTED_TAGS are included." if plan.allow_protected else ""
    return (
        f"Delete {len(tags)} tags from {len(counts)} repositories of {plan.namespace}, freeing about "
        f"{human_bytes(freed)}? Repositories: {listed}{more_repos}. Tags: {named}. This cannot be undone.{protected} "
        f"(plan {plan.plan_id[:12]})"
    )


async def ask_approval(
    ctx: Context[AppState], plan_id: str, repositories: list[str] | None = None, confirm: bool = False
) -> Approval | Elicit[Approval]:
    """Ask the user to confirm where the host can ask; elsewhere the `confirm` argument decides.

    A plan that cannot be applied (unknown, expired, foreign, narrowed wrongly) is never shown to the
    user: the tool refuses it unasked.
    """
    state = state_of(ctx)
    try:
        prompt = deletion_prompt(state.plans.get(plan_id, state.settings, state.client.now()), repositories)
    except DockerHubError:
        return Approval(confirm=False)
    return Approval(confirm=confirm) if prompt is None else ask(ctx, prompt, confirm)


async def apply_tag_cleanup(
    ctx: Context[AppState],
    plan_id: PlanId,
    approval: Annotated[ElicitationResult[Approval], Resolve(ask_approval)],
    repositories: Annotated[list[str] | None, Field(description="Only these of the plan.")] = None,
    confirm: Confirm = False,
) -> ApplySummary:
    """Delete exactly the tags of a plan from plan_tag_cleanup, skipping any re-pushed, pulled or protected since.
    Asks the user first. Every outcome is at outcomes_uri."""
    state = state_of(ctx)
    with hub_errors():
        plan = state.plans.get(plan_id, state.settings, state.client.now())
        chosen(plan, repositories)  # refuses names outside the plan before anything else
        if not accepted(approval) and deletion_prompt(plan, repositories):
            return apply_summary(report_of(plan, [], applied=False, why=why_not(ctx, approval)), kept_outcomes=False)
        so_far: list[ItemOutcome] = []
        try:
            report = await apply_plan(
                state.client, plan, repositories=repositories, progress=_progress(ctx), on_outcome=so_far.append
            )
        except anyio.get_cancelled_exc_class():
            # The host cancelled: keep what was done, so the outcomes resource tells the whole story.
            partial = report_of(plan, so_far, applied=True, interrupted=True)
            state.plans.keep_outcomes(plan_id, partial.model_dump_json(exclude_none=True))
            raise
    state.plans.keep_outcomes(plan_id, report.model_dump_json(exclude_none=True))
    return apply_summary(report, kept_outcomes=True)


async def audit_recent_pushes(
    ctx: Context[AppState],
    namespace: Namespace = None,
    since_hours: Annotated[float, Field(gt=0, le=2160, description="Window in hours.")] = 24,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Pushes listed in full.")] = DEFAULT_LIMIT,
) -> AuditSummary:
    """Audit recent pushes: totals and the newest tags (digest, time, pusher, platforms)."""
    state = state_of(ctx)
    with hub_errors():
        report = await audit_pushes(
            state.client, state.namespace(namespace), since_hours=since_hours, progress=_progress(ctx)
        )
        return audit_summary(report, limit=limit)


async def bulk_update_descriptions(
    ctx: Context[AppState],
    find: Annotated[str, Field(min_length=1, description="Literal text, not a regex.")],
    replace: Annotated[str, Field()],
    namespace: Namespace = None,
    repositories: Repositories = None,
    name_filter: NameFilter = None,
    field: Annotated[Literal["description", "full_description", "both"], Field()] = "description",
    dry_run: Annotated[bool, Field(description="Only report what would change.")] = True,
) -> DescriptionSummary:
    """Find and replace text in many repositories' descriptions. Dry run by default; checks Hub's limits for all
    before writing any."""
    state = state_of(ctx)
    with hub_errors():
        report = await bulk_descriptions(
            state.client,
            state.namespace(namespace),
            find=find,
            replace=replace,
            field=field,
            repositories=repositories,
            name_filter=name_filter,
            dry_run=dry_run,
            progress=_progress(ctx),
        )
    return description_summary(report)
