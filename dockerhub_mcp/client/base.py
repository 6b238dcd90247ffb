"""What every family of Hub calls shares: one-model reads, one-page lists, walking every page, parsing."""

from __future__ import annotations

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


async def walk(
    fetch: Callable[[int], Awaitable[HubPage[T]]], stop: Callable[[list[T]], bool] | None = None
) -> AsyncIterator[T]:
    """Yield every result of a paginated list, page by page, until Hub says there is no next page.

    `stop(page_results)`, when given, ends the walk after a page for which it returns True.
    """
    page: int | None = 1
    while page is not None:
        try:
            batch = await fetch(page)
        except NotFoundError:
            if page > 1:
                return  # Hub can hand out a `next` that then 404s: that is the end.
            raise
        for item in batch.results:
            yield item
        if stop is not None and stop(batch.results):
            return
        following = page_of(batch.next) if batch.results else None
        # A `next` that does not move forward would loop forever: treat it as the end.
        page = following if following is not None and following > page else None


def json_or_none(response: httpx2.Response) -> Any:
    """The answer's JSON, or None when it has no body or the body is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def parse(model: type[M], response: httpx2.Response, what: str) -> M:
    """The answer as `model`, or an UpstreamError when Hub answered something else."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise UpstreamError(f"Docker Hub's answer to {what} was not in the expected shape.") from exc
