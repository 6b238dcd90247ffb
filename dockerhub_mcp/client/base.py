"""What every family of Hub calls shares: one-model reads, one-page lists, walking every page, parsing."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from dockerhub_mcp.errors import InvalidInputError, NotFoundError, UpstreamError
from dockerhub_mcp.models import HubPage
from dockerhub_mcp.operations import operation
from dockerhub_mcp.session import HubSession, describe

__all__ = ["MAX_PAGE", "MAX_PAGE_SIZE", "HubCalls", "check_page", "json_or_none", "page_of", "parse", "walk"]

MAX_PAGE_SIZE = 100
MAX_PAGE = 10**9
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def check_page(page: int, page_size: int) -> None:
    """Refuse a page or page size Hub would not take (never more than 100 a page)."""
    # Bounds first: an integer of thousands of digits cannot even be formatted into a message.
    if not 1 <= page <= MAX_PAGE:
        shown = page if abs(page) < 10**100 else "a number out of range"
        raise InvalidInputError(f"page must be between 1 and {MAX_PAGE} (got {shown}).")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        shown = page_size if abs(page_size) < 10**100 else "a number out of range"
        raise InvalidInputError(f"page_size must be between 1 and {MAX_PAGE_SIZE} (got {shown}).")


def page_of(url: str | None) -> int | None:
    """The page number of a `next` URL; the URL itself is never followed (it could name another host)."""
    if not url:
        return None
    try:
        value = httpx2.URL(url).params.get("page")
        return int(value) if value is not None else None
    except (ValueError, httpx2.InvalidURL):
        return None


class HubCalls(HubSession):
    """The shapes of Hub's answers on top of `HubSession.send`: a model, or a page of models."""

    async def _get_model(self, model: type[M], key: str, params: Mapping[str, str]) -> M:
        response = await self.send(operation(key), params)
        return parse(model, response, describe(operation(key), params))

    async def _list(
        self,
        model: type[M],
        key: str,
        params: Mapping[str, str],
        *,
        page: int,
        page_size: int,
        query: Mapping[str, str | int | None] | None = None,
    ) -> M:
        """One page of a paginated list; `query` adds filters (None values are left out)."""
        check_page(page, page_size)
        sent: dict[str, str | int] = {"page": page, "page_size": page_size}
        sent |= {k: v for k, v in (query or {}).items() if v is not None and v != ""}
        try:
            response = await self.send(operation(key), params, query=sent)
        except NotFoundError as exc:
            if page > 1:  # Hub answers 404 past the last page: say so, not that the thing is missing
                raise NotFoundError(
                    f"Page {page} is past the last page of {describe(operation(key), params)}."
                ) from exc
            raise
        return parse(model, response, describe(operation(key), params))


PAGE_MARGIN = 2  # pages Hub may add while a walk runs, before the walk stops believing its `next` links


async def walk(
    fetch: Callable[[int], Awaitable[HubPage[T]]],
    stop: Callable[[list[T]], bool] | None = None,
    *,
    page_size: int = MAX_PAGE_SIZE,
) -> AsyncIterator[T]:
    """Yield every result of a paginated list, page by page, until Hub says there is no next page.

    `stop(page_results)`, when given, ends the walk after a page for which it returns True. A `next` that
    404s after every counted entry was seen is a stale link (Hub hands those out): the end. One that 404s
    earlier, points back, or leads past `ceil(count / page_size)` pages plus a margin would leave the list
    partial: that raises rather than let a caller act on part of a list as if it were all of it.

    Raises:
        UpstreamError: the list cannot be read to its end.
    """
    page, seen, count = 1, 0, 0
    while True:
        try:
            batch = await fetch(page)
        except NotFoundError as exc:
            if page > 1 and seen >= count:
                return
            if page > 1:
                raise UpstreamError(
                    f"Docker Hub's list broke off at page {page} after {seen} of the {count} entries it counts; "
                    "nothing was done with the part that was read."
                ) from exc
            raise
        count = max(count, batch.count)
        seen += len(batch.results)
        for item in batch.results:
            yield item
        if stop is not None and stop(batch.results):
            return
        following = page_of(batch.next) if batch.results else None
        if following is None:
            return
        if following <= page or following > math.ceil(count / page_size) + PAGE_MARGIN:
            raise UpstreamError(
                f"Docker Hub's list points to page {following} after page {page}, which {count} entries cannot "
                "fill; stopped rather than walk it without end."
            )
        page = following


def json_or_none(response: httpx2.Response) -> Any:
    """The answer's JSON, or None when it has no body or the body is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except (ValueError, RecursionError):  # a body nested past the parser's depth is as unreadable as garbage
        return None


def parse(model: type[M], response: httpx2.Response, what: str) -> M:
    """The answer as `model`, or an UpstreamError when Hub answered something else."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise UpstreamError(f"Docker Hub's answer to {what} was not in the expected shape.") from exc
