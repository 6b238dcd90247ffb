"""Prompts for the four jobs the server exists for: a retention cleanup, an on-call push audit, a rebrand of
descriptions and a summary for a ticket. Each is a short message naming the tools to call, in order, and asking
for a markdown summary a person can paste into a ticket.

A prompt is registered only when the tools it leads to are: in read-only mode the cleanup prompt plans without
applying (and says why), and the rebrand prompt is left out, since even its dry run is a write tool's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any

from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts.base import Message, Prompt
from mcp.types import INVALID_PARAMS, InputRequiredResult, TextContent
from pydantic import AfterValidator, Field, ValidationError

from dockerhub_mcp.errors import InvalidInputError
from dockerhub_mcp.operations import check_namespace, check_repository
from dockerhub_mcp.redaction import redacted
from dockerhub_mcp.tools import AppState

__all__ = ["PROMPTS", "CheckedPrompt", "PromptSpec", "register_prompts"]

MAX_DAYS = 36_500
MAX_HOURS = 2_160  # audit_recent_pushes looks back 90 days at most
MAX_KEEP = 1_000
MAX_TEXT = 500

Namespace = Annotated[str, AfterValidator(check_namespace), Field(description="User or organization, e.g. 'acme'.")]
Repository = Annotated[
    str | None,
    AfterValidator(lambda v: v if v is None else check_repository(v)),
    Field(description="Repository name without namespace, e.g. 'web'; default: the whole namespace."),
]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS, description=f"Whole days, 1-{MAX_DAYS}.")]
KeepLatest = Annotated[
    int | None, Field(ge=0, le=MAX_KEEP, description=f"Newest tags kept per repository, 0-{MAX_KEEP}.")
]
Hours = Annotated[int, Field(ge=1, le=MAX_HOURS, description=f"Whole hours, 1-{MAX_HOURS}; default 24.")]
Find = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, description="Literal text to find.")]
Replace = Annotated[str, Field(max_length=MAX_TEXT, description="Text to put in its place.")]

TICKET = "Then give me a markdown summary to paste into a ticket:"


def _quoted(text: str) -> str:
    """A value as the model should pass it: a JSON string, so quotes and spaces survive exactly."""
    return json.dumps(text, ensure_ascii=False)


def _cleanup_call(namespace: str, older_than_days: int, keep_latest: int | None) -> tuple[str, str]:
    keeping = f", keeping the {keep_latest} newest of each repository" if keep_latest else ""
    goal = f"delete tags pushed more than {older_than_days} days ago{keeping}"
    arguments = f'namespace="{namespace}", older_than_days={older_than_days}'
    if keep_latest is not None:
        arguments += f", keep_latest={keep_latest}"
    return goal, f"Call plan_tag_cleanup with {arguments}. It deletes nothing."


def scheduled_cleanup(namespace: Namespace, older_than_days: Days, keep_latest: KeepLatest = None) -> str:
    """Plan a retention cleanup of old tags, review it, then apply it."""
    goal, plan = _cleanup_call(namespace, older_than_days, keep_latest)
    return (
        f"Clean up the Docker Hub namespace `{namespace}`: {goal}.\n"
        f"1. {plan}\n"
        "2. Show me its totals and the repositories that free the most; its plan_uri resource lists every tag.\n"
        "3. Only when I approve, call apply_tag_cleanup with its plan_id and confirm=true.\n"
        f"{TICKET} namespace, rules, tags deleted, skipped and failed, space freed, plan_id."
    )


def scheduled_cleanup_plan_only(namespace: Namespace, older_than_days: Days, keep_latest: KeepLatest = None) -> str:
    """Plan a retention cleanup of old tags and report it (this server is read-only: nothing is deleted)."""
    goal, plan = _cleanup_call(namespace, older_than_days, keep_latest)
    return (
        f"Plan a cleanup of the Docker Hub namespace `{namespace}`: {goal}. "
        "This server is read-only: plan and report, nothing can be deleted here.\n"
        f"1. {plan}\n"
        "2. Show me its totals and the repositories that free the most; its plan_uri resource lists every tag.\n"
        f"{TICKET} namespace, rules, tags that would be deleted, space they would free, plan_id, and that "
        "applying it needs a connection that is not read-only."
    )


def oncall_audit(namespace: Namespace, hours: Hours = 24) -> str:
    """Audit what was pushed recently, for an on-call handover."""
    return (
        f"On-call check of the Docker Hub namespace `{namespace}`: what was pushed in the last {hours} hours.\n"
        f'Call audit_recent_pushes with namespace="{namespace}", since_hours={hours}. Point out anything '
        "unexpected: unknown pushers, tags overwritten or deleted, `latest` moving, pushes at odd hours.\n"
        f"{TICKET} the window, totals, and a table of notable pushes (repository:tag, digest, pusher, time)."
    )


def rebrand_descriptions(namespace: Namespace, find: Find, replace: Replace) -> str:
    """Find and replace text in every repository description: dry run, review, then apply."""
    arguments = f'namespace="{namespace}", find={_quoted(find)}, replace={_quoted(replace)}, field="both"'
    return (
        f"Replace {_quoted(find)} with {_quoted(replace)} in the repository descriptions of the Docker Hub "
        f"namespace `{namespace}`.\n"
        f"1. Call bulk_update_descriptions with {arguments} (a dry run).\n"
        "2. Show me what would change and anything refused for Hub's length limits.\n"
        "3. Only when I approve, call it again with the same arguments and dry_run=false.\n"
        f"{TICKET} the find and replace text, repositories changed, unchanged and failed."
    )


def ticket_summary(namespace: Namespace, repository: Repository = None) -> str:
    """Summarise a namespace or one repository for a ticket."""
    if repository is None:
        return (
            f"Summarise the Docker Hub namespace `{namespace}` for a ticket.\n"
            f'Call get_namespace and list_repositories (ordering="-last_updated") with namespace="{namespace}".\n'
            f"{TICKET} the account, its repository count, and a table of the most recently updated "
            "repositories (name, visibility, pulls, last update)."
        )
    return (
        f"Summarise the Docker Hub repository `{namespace}/{repository}` for a ticket.\n"
        f'Call get_repository, and list_tags with ordering="-last_updated" and page_size=10, with '
        f'namespace="{namespace}", repository="{repository}".\n'
        f"{TICKET} description, visibility, pulls and stars, last update, and a table of the newest tags "
        "(tag, digest, pushed, size, platforms)."
    )


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """A prompt as registered: its function and title, the tools it leads to, and a variant (registered under
    the same name) for when only the `fallback_needs` tools are there."""

    fn: Callable[..., str]
    title: str
    needs: tuple[str, ...]
    fallback: Callable[..., str] | None = None
    fallback_needs: tuple[str, ...] = ()


PROMPTS: tuple[PromptSpec, ...] = (
    PromptSpec(
        scheduled_cleanup,
        "Scheduled tag cleanup",
        ("plan_tag_cleanup", "apply_tag_cleanup"),
        fallback=scheduled_cleanup_plan_only,
        fallback_needs=("plan_tag_cleanup",),
    ),
    PromptSpec(oncall_audit, "On-call push audit", ("audit_recent_pushes",)),
    PromptSpec(rebrand_descriptions, "Rebrand descriptions", ("bulk_update_descriptions",)),
    PromptSpec(ticket_summary, "Ticket summary", ("get_namespace", "list_repositories", "get_repository", "list_tags")),
)


def _invalid(exc: ValidationError) -> str:
    """A validation error in one line per argument, without pydantic's links, each value cut to 40 characters."""
    parts = []
    for error in exc.errors(include_url=False):
        given = repr(error["input"])
        shown = given if len(given) <= 40 else given[:39] + "…"
        parts.append(f"Invalid {'.'.join(map(str, error['loc']))} {shown}: {error['msg']}.")
    return " ".join(parts)


class CheckedPrompt(Prompt):
    """A prompt that answers a missing or bad argument with a JSON-RPC invalid-params error saying what is
    wrong (the SDK answers an internal error, or only "Error rendering prompt"). An empty optional argument
    counts as left out: hosts send empty form fields."""

    @classmethod
    def of(cls, fn: Callable[..., str], *, name: str, title: str) -> CheckedPrompt:
        """The prompt `name` rendered by `fn`, described by its docstring on one line."""
        prompt = Prompt.from_function(fn, name=name, title=title, description=" ".join((fn.__doc__ or "").split()))
        render = prompt.fn

        async def checked(**arguments: Any) -> Any:
            try:
                return render(**arguments)
            except ValidationError as exc:
                raise MCPError(INVALID_PARAMS, _invalid(exc)) from exc
            except InvalidInputError as exc:
                raise MCPError(INVALID_PARAMS, str(exc)) from exc

        return cls(
            name=name,
            title=title,
            description=prompt.description,
            arguments=prompt.arguments,
            fn=checked,
            context_kwarg=None,
        )

    async def render(
        self, arguments: dict[str, Any] | None, context: Context[Any, Any]
    ) -> list[Message] | InputRequiredResult:
        """The prompt's messages; raises MCPError (invalid params) for a missing or bad argument. Both are
        scrubbed of the connection's secrets, like every tool result: a token pasted into an argument by
        mistake is not sent back."""
        secrets = context.request_context.lifespan_context.client.secrets()
        optional = {a.name for a in self.arguments or () if not a.required}
        given = {k: v for k, v in (arguments or {}).items() if not (k in optional and v == "")}
        missing = sorted({a.name for a in self.arguments or () if a.required} - set(given))
        if missing:
            raise MCPError(INVALID_PARAMS, f"Missing required argument: {', '.join(missing)}.")
        try:
            rendered = await super().render(given, context)
        except MCPError as exc:
            raise MCPError(exc.error.code, redacted(exc.error.message, secrets)) from exc
        if isinstance(rendered, InputRequiredResult):
            return rendered
        for message in rendered:
            if isinstance(message.content, TextContent):
                message.content = message.content.model_copy(update={"text": redacted(message.content.text, secrets)})
        return rendered


def register_prompts(mcp: MCPServer[AppState], *, tools: Collection[str]) -> None:
    """Register each prompt whose tools are among `tools` (the registered tool names), else its fallback."""
    for spec in PROMPTS:
        if set(spec.needs) <= set(tools):
            fn = spec.fn
        elif spec.fallback is not None and set(spec.fallback_needs) <= set(tools):
            fn = spec.fallback
        else:
            continue
        mcp.add_prompt(CheckedPrompt.of(fn, name=spec.fn.__name__, title=spec.title))
