"""The workflow tools: retention cleanup (plan, then approve and apply), push audit, bulk descriptions.

The logic lives in `dockerhub_mcp.workflows`, shared with the CLI; these only adapt it to MCP:
arguments, progress notifications and the user's confirmation before deleting.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from mcp.server.mcpserver import AcceptedElicitation, CancelledElicitation, Context, Elicit, ElicitationResult, Resolve
from pydantic import BaseModel, Field

from dockerhub_mcp.errors import InvalidInputError
from dockerhub_mcp.tools.base import AppState, NameFilter, Namespace, hub_errors, state_of
from dockerhub_mcp.workflows import (
    AuditReport,
    CleanupPlan,
    CleanupReport,
    CleanupRules,
    DescriptionReport,
    PlanItem,
    Progress,
    apply_cleanup,
    audit_pushes,
    bulk_descriptions,
    plan_cleanup,
    unconfirmed_report,
)
from dockerhub_mcp.workflows.cleanup import check_items
from dockerhub_mcp.workflows.common import human_bytes

__all__ = ["apply_tag_cleanup", "audit_recent_pushes", "bulk_update_descriptions", "plan_tag_cleanup"]

MAX_REMEMBERED_PLANS = 64

AllowProtected = Annotated[
    bool, Field(description="Also delete tags matching the server's protected patterns (DOCKERHUB_PROTECTED_TAGS).")
]
Repositories = Annotated[
    list[str] | None, Field(description="Repository names; omitted means every repository of the namespace.")
]


def _progress(ctx: Context[AppState]) -> Progress:
    async def report(done: float, total: float | None, message: str | None) -> None:
        await ctx.report_progress(done, total, message)

    return report


async def plan_tag_cleanup(
    ctx: Context[AppState],
    older_than_days: Annotated[int, Field(ge=0, description="Delete tags last pushed more than this many days ago.")],
    namespace: Namespace = None,
    repositories: Repositories = None,
    keep_latest: Annotated[int, Field(ge=0, description="Always keep this many newest tags per repository.")] = 0,
    keep: Annotated[list[str], Field(description="Tag globs never deleted, e.g. 'latest', 'v*'.")] = ["latest"],  # noqa: B006 - the SDK copies defaults into the schema, never mutates them
    only_never_pulled: Annotated[bool, Field(description="Delete only tags never pulled.")] = False,
    unpulled_for_days: Annotated[int | None, Field(ge=0, description="Keep tags pulled within this many days.")] = None,
    allow_protected: AllowProtected = False,
) -> CleanupPlan:
    """Plan a tag retention cleanup; deletes nothing. Returns the tags to delete and keep (with reasons),
    totals, a markdown summary, and the plan_id and items that apply_tag_cleanup needs. Tags matching
    DOCKERHUB_PROTECTED_TAGS are kept unless allow_protected is true."""
    state = state_of(ctx)
    rules = CleanupRules(
        older_than_days=older_than_days,
        keep_latest=keep_latest,
        keep=keep,
        only_never_pulled=only_never_pulled,
        unpulled_for_days=unpulled_for_days,
    )
    with hub_errors():
        plan = await plan_cleanup(
            state.client,
            state.namespace(namespace),
            rules,
            repositories=repositories,
            allow_protected=allow_protected,
            progress=_progress(ctx),
        )
    if len(state.planned_bytes) >= MAX_REMEMBERED_PLANS:
        state.planned_bytes.pop(next(iter(state.planned_bytes)))
    state.planned_bytes[plan.plan_id] = plan.bytes
    return plan


class Approval(BaseModel):
    """The user's answer to the deletion prompt."""

    confirm: bool = Field(description="Delete these tags?")


async def ask_approval(
    ctx: Context[AppState],
    plan_id: str,
    items: list[PlanItem],
    namespace: str | None = None,
    confirm: bool = False,
    allow_protected: bool = False,
) -> Approval | Elicit[Approval]:
    """Ask the user to confirm where the host can ask; elsewhere the `confirm` argument decides.

    A list that is not exactly the plan's is never shown to the user: the tool refuses it unasked.
    """
    state = state_of(ctx)
    ns = state.namespace(namespace)
    try:
        check_items(ns, plan_id, items)
    except InvalidInputError:
        return Approval(confirm=False)
    if not can_ask(ctx) or not items:
        return Approval(confirm=confirm)
    repos = Counter(i.repository for i in items)
    listed = ", ".join(f"{name} ({count})" for name, count in repos.most_common(5))
    more = f" and {len(repos) - 5} more" if len(repos) > 5 else ""
    planned = state.planned_bytes.get(plan_id)
    size = f", freeing about {human_bytes(planned)}" if planned is not None else ""
    protected = " Protected tags (DOCKERHUB_PROTECTED_TAGS) are included." if allow_protected else ""
    return Elicit(
        f"Delete {len(items)} tags from {len(repos)} repositories of {ns}{size}: {listed}{more}? "
        f"This cannot be undone.{protected} (plan {plan_id})",
        Approval,
    )


async def apply_tag_cleanup(
    ctx: Context[AppState],
    plan_id: Annotated[str, Field(description="plan_id from plan_tag_cleanup.")],
    items: Annotated[list[PlanItem], Field(description="The plan's items, unchanged.")],
    approval: Annotated[ElicitationResult[Approval], Resolve(ask_approval)],
    namespace: Namespace = None,
    confirm: Annotated[
        bool, Field(description="Set true to delete; read only when the host cannot ask the user.")
    ] = False,
    allow_protected: AllowProtected = False,
) -> CleanupReport:
    """Apply a plan from plan_tag_cleanup: delete exactly its tags, skipping any re-pushed since planning
    or now protected (DOCKERHUB_PROTECTED_TAGS, unless allow_protected). Asks the user first. Returns an
    outcome per tag."""
    state = state_of(ctx)
    ns = state.namespace(namespace)
    with hub_errors():
        check_items(ns, plan_id, items)
        if items and not (isinstance(approval, AcceptedElicitation) and approval.data.confirm):
            return unconfirmed_report(ns, plan_id, items, _why_not(ctx, approval))
        return await apply_cleanup(
            state.client, ns, plan_id, items, allow_protected=allow_protected, progress=_progress(ctx)
        )


def can_ask(ctx: Context[AppState]) -> bool:
    """Whether the host declared it can ask the user (elicitation)."""
    capabilities = ctx.client_capabilities
    return capabilities is not None and capabilities.elicitation is not None


def _why_not(ctx: Context[AppState], approval: ElicitationResult[Approval]) -> str:
    if not can_ask(ctx):
        return "confirm=true was not given"
    if isinstance(approval, CancelledElicitation):
        return "the user cancelled"
    return "the user declined"


async def audit_recent_pushes(
    ctx: Context[AppState],
    namespace: Namespace = None,
    since_hours: Annotated[float, Field(gt=0, le=2160, description="Window in hours, up to 90 days.")] = 24,
) -> AuditReport:
    """Audit what was pushed recently: repositories updated in the window and their tags pushed in it
    (digest, time, pusher where Hub says, platforms), newest first, with a markdown summary."""
    state = state_of(ctx)
    with hub_errors():
        return await audit_pushes(
            state.client, state.namespace(namespace), since_hours=since_hours, progress=_progress(ctx)
        )


async def bulk_update_descriptions(
    ctx: Context[AppState],
    find: Annotated[str, Field(min_length=1, description="Literal text to find (not a regex).")],
    replace: Annotated[str, Field(description="Replacement text.")],
    namespace: Namespace = None,
    repositories: Repositories = None,
    name_filter: NameFilter = None,
    field: Annotated[
        Literal["description", "full_description", "both"], Field(description="Which descriptions to edit.")
    ] = "description",
    dry_run: Annotated[bool, Field(description="true: only report what would change.")] = True,
) -> DescriptionReport:
    """Find and replace text in many repositories' descriptions. Dry run by default; checks every new
    description against Hub's limits before writing any. Returns old and new text per repository."""
    state = state_of(ctx)
    with hub_errors():
        return await bulk_descriptions(
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
