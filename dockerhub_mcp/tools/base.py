"""What every tool shares: the lifespan state, the error boundary, parameter types and hint presets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from mcp.server.mcpserver import AcceptedElicitation, CancelledElicitation, Context, Elicit, ElicitationResult
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from dockerhub_mcp.cache import Bursts, FlightCache, Names
from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.config import Settings
from dockerhub_mcp.errors import DockerHubError
from dockerhub_mcp.workflows import PlanStore

__all__ = [
    "READ",
    "AppState",
    "Approval",
    "Confirm",
    "NameFilter",
    "Namespace",
    "Page",
    "PageSize",
    "Repository",
    "Tag",
    "accepted",
    "ask",
    "can_ask",
    "hints",
    "hub_errors",
    "next_page",
    "state_of",
    "why_not",
]


@dataclass(frozen=True, slots=True)
class AppState:
    """What the lifespan hands every tool and resource."""

    settings: Settings
    client: DockerHubClient
    plans: PlanStore = field(default_factory=PlanStore)
    names: FlightCache[tuple[str, ...], Names] = field(default_factory=FlightCache)  # for completion
    bursts: Bursts[str] = field(default_factory=Bursts)  # keystrokes in quick succession, by namespace

    def namespace(self, namespace: str | None) -> str:
        """The given namespace, or the configured username when omitted."""
        return self.settings.username if namespace is None else namespace


@contextmanager
def hub_errors() -> Iterator[None]:
    """Turn the client's errors into `ToolError`, whose message the model sees."""
    try:
        yield
    except DockerHubError as exc:
        raise ToolError(str(exc)) from exc


def next_page(next_url: str | None, page: int) -> int | None:
    """The page after `page` when Hub's answer links a next one."""
    return page + 1 if next_url else None


def state_of(ctx: Context[AppState]) -> AppState:
    """The lifespan state of the server handling `ctx`."""
    return ctx.request_context.lifespan_context


class Approval(BaseModel):
    """The user's answer to a confirmation prompt."""

    confirm: bool = Field(description="Go ahead?")


Confirm = Annotated[bool, Field(description="Go ahead; used only where the host cannot ask the user.")]


def can_ask(ctx: Context[AppState]) -> bool:
    """Whether the host declared it can ask the user with a form (elicitation in form mode).

    A host that declared URL mode only cannot show a form: asking it would fail the call (-32021), so the
    `confirm` argument decides there. An empty elicitation capability means form mode (older hosts).
    """
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def ask(ctx: Context[AppState], message: str, confirm: bool) -> Approval | Elicit[Approval]:
    """A resolver's answer: ask the user where the host can, else let the `confirm` argument decide."""
    return Elicit(message, Approval) if can_ask(ctx) else Approval(confirm=confirm)


def accepted(approval: ElicitationResult[Approval]) -> bool:
    """Whether the user (or, where the host cannot ask, `confirm=true`) said yes."""
    return isinstance(approval, AcceptedElicitation) and approval.data.confirm


def why_not(ctx: Context[AppState], approval: ElicitationResult[Approval]) -> str:
    """Why a confirmation came back as no, in words."""
    if not can_ask(ctx):
        return "confirm=true was not given"
    if isinstance(approval, CancelledElicitation):
        return "the user cancelled"
    return "the user declined"


# One short description per parameter type: each is repeated in every tool that takes it.
Namespace = Annotated[str | None, Field()]  # explained once, in the server instructions
Repository = Annotated[str, Field(description="e.g. 'web'")]
Tag = Annotated[str, Field()]
Page = Annotated[int, Field(ge=1)]
PageSize = Annotated[int, Field(ge=1, le=100)]
NameFilter = Annotated[str | None, Field(description="Substring of the name.")]


def hints(read_only: bool, destructive: bool, idempotent: bool, open_world: bool = True) -> ToolAnnotations:
    """A tool's hints, stated where they differ from MCP's defaults, which assume the worst (may write, may
    destroy, not idempotent, open world). A write always states destructiveHint, so a host can tell a
    harmless write from one it must ask about; a read-only tool needs no destructive or idempotent hint."""
    world = None if open_world else False
    if read_only:
        return ToolAnnotations(read_only_hint=True, open_world_hint=world)
    return ToolAnnotations(destructive_hint=destructive, idempotent_hint=idempotent or None, open_world_hint=world)


READ = hints(True, False, True)
