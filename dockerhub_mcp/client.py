"""The async Docker Hub client: typed methods for repositories, tags, team access and raw requests.

Requests go through `session.HubSession.send`, which gates them on the operation table, validates and
encodes paths, paces, retries and maps failures; here are the shapes of each call and of paging.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from dockerhub_mcp.errors import (
    InvalidInputError,
    NotFoundError,
    UpstreamError,
)
from dockerhub_mcp.models import HubPage, HubRepository, HubTag
from dockerhub_mcp.operations import (
    PERMISSIONS,
    REPOSITORY_ORDERINGS,
    TAG_ORDERINGS,
    check_description,
    check_full_description,
    match_path,
    operation,
)
from dockerhub_mcp.session import HubSession, describe

__all__ = ["MAX_PAGE_SIZE", "DockerHubClient", "RawAnswer"]

MAX_PAGE_SIZE = 100
MAX_PAGE = 10**9
MAX_QUERY_VALUE = 1000
QUERY_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}")
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class RawAnswer(BaseModel):
    """A raw answer: status and decoded body (JSON when Hub sent JSON, else text)."""

    status: int
    body: Any


def _check_page(page: int, page_size: int) -> None:
    # Bounds first: an integer of thousands of digits cannot even be formatted into a message.
    if not 1 <= page <= MAX_PAGE:
        shown = page if abs(page) < 10**100 else "a number out of range"
        raise InvalidInputError(f"page must be between 1 and {MAX_PAGE} (got {shown}).")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        shown = page_size if abs(page_size) < 10**100 else "a number out of range"
        raise InvalidInputError(f"page_size must be between 1 and {MAX_PAGE_SIZE} (got {shown}).")


def _whole_number(name: str, value: str | int) -> int:
    """A query value that must be a plain whole number (`7` or `"7"`), as Hub will read it."""
    if isinstance(value, bool) or not (isinstance(value, int) or (value.isascii() and value.isdigit())):
        raise InvalidInputError(f"{name} must be a whole number.")
    if isinstance(value, str) and len(value) > 10:
        raise InvalidInputError(f"{name} is out of range.")
    return int(value)


def _page_of(url: str | None) -> int | None:
    """The page number of a `next` URL; the URL itself is never followed (it could name another host)."""
    if not url:
        return None
    try:
        value = httpx2.URL(url).params.get("page")
        return int(value) if value is not None else None
    except (ValueError, httpx2.InvalidURL):
        return None


class DockerHubClient(HubSession):
    """An authenticated Docker Hub API client: typed methods over `HubSession.send`."""

    async def _get_model(self, model: type[M], key: str, params: Mapping[str, str]) -> M:
        response = await self.send(operation(key), params)
        return _parse(model, response, describe(operation(key), params))

    async def _list(
        self,
        model: type[M],
        key: str,
        params: Mapping[str, str],
        *,
        page: int,
        page_size: int,
        name: str | None,
        ordering: str | None,
        orderings: tuple[str, ...],
    ) -> M:
        _check_page(page, page_size)
        if ordering is not None and ordering not in orderings:
            raise InvalidInputError(f"ordering must be one of {', '.join(orderings)}.")
        query: dict[str, str | int] = {"page": page, "page_size": page_size}
        if name:
            query["name"] = name
        if ordering:
            query["ordering"] = ordering
        try:
            response = await self.send(operation(key), params, query=query)
        except NotFoundError as exc:
            if page > 1:  # Hub answers 404 past the last page: say so, not that the repository is missing
                raise NotFoundError(
                    f"Page {page} is past the last page of {describe(operation(key), params)}."
                ) from exc
            raise
        return _parse(model, response, describe(operation(key), params))

    # Repositories.

    async def list_repositories(
        self,
        namespace: str,
        *,
        page: int = 1,
        page_size: int = 25,
        name: str | None = None,
        ordering: str | None = None,
    ) -> HubPage[HubRepository]:
        """One page of `namespace`'s repositories."""
        return await self._list(
            HubPage[HubRepository],
            "list_repositories",
            {"namespace": namespace},
            page=page,
            page_size=page_size,
            name=name,
            ordering=ordering,
            orderings=REPOSITORY_ORDERINGS,
        )

    def iter_repositories(
        self,
        namespace: str,
        *,
        ordering: str | None = None,
        name: str | None = None,
        stop: Callable[[list[HubRepository]], bool] | None = None,
    ) -> AsyncIterator[HubRepository]:
        """Every repository of `namespace`, 100 a page (until `stop` returns True for a page)."""
        return _walk(
            lambda page: self.list_repositories(
                namespace, page=page, page_size=MAX_PAGE_SIZE, name=name, ordering=ordering
            ),
            stop,
        )

    async def get_repository(self, namespace: str, repository: str) -> HubRepository:
        """One repository, with its full description."""
        return await self._get_model(
            HubRepository, "get_repository", {"namespace": namespace, "repository": repository}
        )

    async def update_description(
        self,
        namespace: str,
        repository: str,
        *,
        description: str | None = None,
        full_description: str | None = None,
    ) -> HubRepository:
        """Set a repository's description and/or full description; return the repository as Hub has it."""
        if description is None and full_description is None:
            raise InvalidInputError("Give description, full_description or both.")
        body: dict[str, str] = {}
        if description is not None:
            body["description"] = check_description(description)
        if full_description is not None:
            body["full_description"] = check_full_description(full_description)
        params = {"namespace": namespace, "repository": repository}
        response = await self.send(operation("update_repository"), params, body=body)
        try:
            return HubRepository.model_validate_json(response.content)
        except ValidationError:
            # The PATCH answer is undocumented: when it is not a repository, read the repository back.
            return await self.get_repository(namespace, repository)

    # Tags.

    async def list_tags(
        self,
        namespace: str,
        repository: str,
        *,
        page: int = 1,
        page_size: int = 25,
        name: str | None = None,
        ordering: str | None = None,
    ) -> HubPage[HubTag]:
        """One page of a repository's tags."""
        return await self._list(
            HubPage[HubTag],
            "list_tags",
            {"namespace": namespace, "repository": repository},
            page=page,
            page_size=page_size,
            name=name,
            ordering=ordering,
            orderings=TAG_ORDERINGS,
        )

    def iter_tags(
        self,
        namespace: str,
        repository: str,
        *,
        ordering: str | None = None,
        name: str | None = None,
        stop: Callable[[list[HubTag]], bool] | None = None,
    ) -> AsyncIterator[HubTag]:
        """Every tag of a repository, 100 a page (until `stop` returns True for a page)."""
        return _walk(
            lambda page: self.list_tags(
                namespace, repository, page=page, page_size=MAX_PAGE_SIZE, name=name, ordering=ordering
            ),
            stop,
        )

    async def get_tag(self, namespace: str, repository: str, tag: str) -> HubTag:
        """One tag with its images."""
        return await self._get_model(HubTag, "get_tag", {"namespace": namespace, "repository": repository, "tag": tag})

    async def delete_tag(self, namespace: str, repository: str, tag: str, *, allow_protected: bool = False) -> None:
        """Delete one tag (not the repository; a manifest other tags use survives).

        Raises:
            PermissionDeniedError: the tag matches DOCKERHUB_PROTECTED_TAGS and `allow_protected` is not set.
        """
        params = {"namespace": namespace, "repository": repository, "tag": tag}
        await self.send(operation("delete_tag"), params, allow_protected=allow_protected)

    # Teams.

    async def grant_team_access(
        self, namespace: str, repository: str, group_id: int, permission: str
    ) -> dict[str, Any]:
        """Give team `group_id` `permission` on a repository; return Hub's `{group_name, permission, group_id}`."""
        if permission not in PERMISSIONS:
            raise InvalidInputError(f"permission must be one of {', '.join(PERMISSIONS)}.")
        if isinstance(group_id, bool) or not isinstance(group_id, int) or group_id < 1:
            raise InvalidInputError(f"group_id must be a positive integer (got {group_id!r}).")
        params = {"namespace": namespace, "repository": repository}
        body = {"group_id": group_id, "permission": permission}
        response = await self.send(operation("grant_team_access"), params, body=body)
        data = _json_or_none(response)
        return data if isinstance(data, dict) else {}

    # Anything else in the operation table.

    async def raw(
        self, method: str, path: str, *, query: Mapping[str, str | int] | None = None, body: Any = None
    ) -> RawAnswer:
        """Send an operation given as method and path, if the operation table allows it.

        Raises:
            InvalidInputError: the path is malformed or names no known operation.
            TokenKindError: the operation needs another kind of credential.
        """
        op, params = match_path(method, path)
        if body is not None and op.method in ("GET", "HEAD", "DELETE"):
            raise InvalidInputError(f"{op.method} requests take no body.")
        query = dict(query or {})
        for key, value in query.items():
            too_long = abs(value) > MAX_PAGE if isinstance(value, int) else len(value) > MAX_QUERY_VALUE
            if not QUERY_KEY.fullmatch(key) or too_long:
                raise InvalidInputError(f"Invalid query parameter {key!r}.")
        for key in ("page", "page_size"):
            if key in query:
                query[key] = _whole_number(key, query[key])  # sent as the number that was checked
        if "page_size" in query or "page" in query:
            _check_page(int(query.get("page", 1)), int(query.get("page_size", 1)))
        response = await self.send(op, params, query=query, body=body)
        data = _json_or_none(response)
        if data is None and response.content:
            data = response.text
        return RawAnswer(status=response.status_code, body=data)


async def _walk(
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
        following = _page_of(batch.next) if batch.results else None
        # A `next` that does not move forward would loop forever: treat it as the end.
        page = following if following is not None and following > page else None


def _json_or_none(response: httpx2.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _parse(model: type[M], response: httpx2.Response, what: str) -> M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise UpstreamError(f"Docker Hub's answer to {what} was not in the expected shape.") from exc
