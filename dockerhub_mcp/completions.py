"""`completion/complete` for the `namespace` and `repository` arguments of the prompts and resource templates, and
the `plan_id` (and a plan's repositories) of the plan templates.

Namespaces are the connected account's own and its organizations (`GET /v2/user/orgs`; an organization access
token has only its organization). Repository names come from one page of up to 100 names of Hub's repository
list, sent with Hub's `name` filter (a partial match, so a superset of the names starting with the prefix) and
filtered by prefix here. Every listing is kept for a minute of the client's clock in `AppState.names`; loads of
one key share a single request; a listing that was not cut short answers every longer prefix; and within a burst
of keystrokes (each less than a second after the last) a listing that was cut short answers them too, marked as
having more. So a burst ('w', 'we', 'web') costs one request, and the first keystroke after a pause asks Hub for
its own prefix. Hub's errors give an empty completion, remembered a few seconds.
"""

from __future__ import annotations

import logging
import re

from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from mcp.types import (
    CompleteRequestParams,
    CompleteResult,
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from dockerhub_mcp.cache import Names
from dockerhub_mcp.errors import DockerHubError, InvalidInputError
from dockerhub_mcp.operations import check_namespace
from dockerhub_mcp.tools import AppState

__all__ = ["MAX_VALUES", "complete", "register_completions"]

logger = logging.getLogger(__name__)

MAX_VALUES = 100  # MCP's cap on the values of one completion
PAGE = 100  # Hub's largest page
HUB_TEMPLATES = frozenset(
    {"dockerhub://namespaces/{namespace}", "dockerhub://namespaces/{namespace}/repositories/{repository}"}
)
PLAN_TEMPLATES = frozenset(
    {
        "dockerhub://plans/{plan_id}",
        "dockerhub://plans/{plan_id}/repositories/{repository}{?page}",
        "dockerhub://plans/{plan_id}/outcomes",
    }
)
# What a prefix of a valid name may hold; anything else matches nothing and is not sent to Hub.
_NAMESPACE_PREFIX = re.compile(r"[a-z0-9_-]{0,255}")
_REPOSITORY_PREFIX = re.compile(r"[a-z0-9._-]{0,255}")
NOTHING = Completion(values=[], total=0, has_more=False)


def _valid_namespace(namespace: str) -> bool:
    try:
        check_namespace(namespace)
    except InvalidInputError:
        return False
    return True


def _matching(names: Names, prefix: str) -> Completion:
    """The names starting with `prefix`, at most 100; `total` only when the listing held every match."""
    found = [n for n in names.names if n.lower().startswith(prefix)]
    if not names.complete:
        return Completion(values=found[:MAX_VALUES], total=None, has_more=True)
    return Completion(values=found[:MAX_VALUES], total=len(found), has_more=len(found) > MAX_VALUES)


async def _namespaces(state: AppState) -> Names | None:
    """The account's own namespace, then its organizations by name."""
    own = state.settings.username
    if state.settings.token_kind == "oat":  # an organization's token acts in that organization only
        return Names((own,), complete=True)

    async def load() -> Names | None:
        try:
            page = await state.client.list_user_orgs(page=1, page_size=PAGE)
        except DockerHubError as exc:
            logger.info("No namespaces to complete: %s", exc)
            return None
        orgs = sorted({o.name for o in page.results if o.name and o.name != own})
        return Names((own, *orgs), complete=page.next is None and page.count <= len(page.results))

    return await state.names.get(("namespaces",), load, state.client.clock)


async def _repositories(state: AppState, namespace: str, prefix: str) -> Names | None:
    """A listing of `namespace` that holds every repository starting with `prefix`, or a page of them."""

    def key(start: str) -> tuple[str, ...]:
        return ("repositories", namespace, start)

    clock = state.client.clock
    in_burst = state.bursts.continues(namespace, clock())
    cut_short: Names | None = None
    for end in range(len(prefix), -1, -1):  # this prefix's own listing, then ever shorter prefixes' listings
        known = await state.names.known(key(prefix[:end]), clock)
        if known is None:
            continue
        if known.value is None:
            return None  # Hub failed for this namespace a moment ago: do not ask again on every keystroke
        if known.value.complete or end == len(prefix):  # a complete listing holds every name of this prefix
            return known.value
        cut_short = cut_short or known.value  # the longest prefix's, the closest to this one
    if in_burst and cut_short is not None:  # cut short, it still answers the burst it was loaded in
        return cut_short

    async def load() -> Names | None:
        try:
            page = await state.client.list_repositories(
                namespace, page=1, page_size=PAGE, name=prefix or None, ordering="name"
            )
        except DockerHubError as exc:
            logger.info("No repositories of %r to complete: %s", namespace, exc)
            return None
        names = tuple(sorted(r.name for r in page.results))
        return Names(names, complete=page.next is None and page.count <= len(page.results))

    return await state.names.get(key(prefix), load, clock)


def _plan_repositories(state: AppState, plan_id: str | None) -> Names | None:
    """The repositories a plan of this server covers."""
    if not plan_id:
        return None
    try:
        plan = state.plans.get(plan_id, state.settings, state.client.now())
    except DockerHubError:
        return None
    return Names(tuple(r.repository for r in plan.repositories), complete=True)


async def complete(
    state: AppState,
    ref: PromptReference | ResourceTemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion:
    """Complete one argument of a prompt or resource template; nothing for arguments it does not know."""
    resolved = (context.arguments if context is not None else None) or {}
    prefix = argument.value.lower()
    names: Names | None = None
    if isinstance(ref, ResourceTemplateReference) and ref.uri in PLAN_TEMPLATES:
        if argument.name == "plan_id":
            names = Names(tuple(state.plans.ids(state.client.now())), complete=True)
        elif argument.name == "repository":
            names = _plan_repositories(state, resolved.get("plan_id"))
    elif isinstance(ref, PromptReference) or ref.uri in HUB_TEMPLATES:
        if argument.name == "namespace" and _NAMESPACE_PREFIX.fullmatch(prefix):
            names = await _namespaces(state)
        elif argument.name == "repository" and _REPOSITORY_PREFIX.fullmatch(prefix):
            namespace = resolved.get("namespace") or state.settings.username
            if _valid_namespace(namespace):
                names = await _repositories(state, namespace, prefix)
    return NOTHING if names is None else _matching(names, prefix)


def register_completions(mcp: MCPServer[AppState]) -> None:
    """Answer `completion/complete` (which also makes the server declare the `completions` capability)."""

    async def handle(ctx: ServerRequestContext[AppState], params: CompleteRequestParams) -> CompleteResult:
        completion = await complete(ctx.lifespan_context, params.ref, params.argument, params.context)
        return CompleteResult(completion=completion)

    # Registered the way the SDK's `MCPServer.completion()` decorator does it, but with the request context:
    # the decorator passes its function only the reference, argument and context, not the lifespan state
    # that holds the Hub client and the cache (mcp 2.3).
    mcp._lowlevel_server.add_request_handler("completion/complete", CompleteRequestParams, handle)
