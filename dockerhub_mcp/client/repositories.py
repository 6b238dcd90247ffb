"""Hub calls for repositories and tags: list, read, create, describe, delete tags, search, raw requests."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx2
from pydantic import BaseModel, ValidationError

from dockerhub_mcp.client.base import MAX_PAGE, MAX_PAGE_SIZE, HubCalls, check_page, json_or_none, parse, walk
from dockerhub_mcp.errors import DockerHubError, InvalidInputError
from dockerhub_mcp.models import HubPage, HubRepository, HubSearchPage, HubTag
from dockerhub_mcp.operations import (
    REPOSITORY_ORDERINGS,
    TAG_ORDERINGS,
    check_description,
    check_full_description,
    check_repository,
    match_path,
    operation,
)

__all__ = ["RawAnswer", "RepositoryCalls", "not_stored"]

logger = logging.getLogger(__name__)

MAX_QUERY_VALUE = 1000
MAX_SEARCH_QUERY = 200
QUERY_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}")


class RawAnswer(BaseModel):
    """A raw answer: status and decoded body (JSON when Hub sent JSON, else text)."""

    status: int
    body: Any


def not_stored(repo: HubRepository, sent: Mapping[str, str]) -> list[str]:
    """The fields of `sent` that Hub's answer `repo` holds otherwise (Hub has been seen ignoring an update)."""
    return [field for field, text in sent.items() if (getattr(repo, field) or "") != text]


def _ordering(ordering: str | None, orderings: tuple[str, ...]) -> str | None:
    if ordering is not None and ordering not in orderings:
        raise InvalidInputError(f"ordering must be one of {', '.join(orderings)}.")
    return ordering


def _whole_number(name: str, value: str | int) -> int:
    """A query value that must be a plain whole number (`7` or `"7"`), as Hub will read it."""
    if isinstance(value, bool) or not (isinstance(value, int) or (value.isascii() and value.isdigit())):
        raise InvalidInputError(f"{name} must be a whole number.")
    if isinstance(value, str) and len(value) > 10:
        raise InvalidInputError(f"{name} is out of range.")
    return int(value)


class RepositoryCalls(HubCalls):
    """Repositories, tags, the public image search and raw requests."""

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
            query={"name": name, "ordering": _ordering(ordering, REPOSITORY_ORDERINGS)},
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
        return walk(
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

    async def create_repository(
        self,
        namespace: str,
        name: str,
        *,
        description: str | None = None,
        full_description: str | None = None,
        is_private: bool = False,
    ) -> HubRepository:
        """Create a repository (`POST /v2/namespaces/{namespace}/repositories`); return it as Hub has it.

        Raises:
            InvalidInputError: a name that breaks Docker's rules, or a description over Hub's limits (unsent).
        """
        body: dict[str, Any] = {"name": check_repository(name), "namespace": namespace, "is_private": is_private}
        if description is not None:
            body["description"] = check_description(description)
        if full_description is not None:
            body["full_description"] = check_full_description(full_description)
        params = {"namespace": namespace}
        response = await self.send(operation("create_repository"), params, body=body)
        try:
            return HubRepository.model_validate_json(response.content)
        except ValidationError:
            return await self.get_repository(namespace, name)

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
        response = await self._write("update_repository", "legacy_update_repository", params, body=body)
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
        """One page of a repository's tags (with `name`, only tags whose name contains it)."""
        found = await self._list(
            HubPage[HubTag],
            "list_tags",
            {"namespace": namespace, "repository": repository},
            page=page,
            page_size=page_size,
            query={"name": name, "ordering": _ordering(ordering, TAG_ORDERINGS)},
        )
        if name:  # the canonical tags route does not document the filter: apply it here as well
            found.results = [t for t in found.results if name.lower() in t.name.lower()]
        return found

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
        return walk(
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
        await self._write("delete_tag", "legacy_delete_tag", params, allow_protected=allow_protected)

    async def _write(self, key: str, legacy: str, params: Mapping[str, str], **options: Any) -> httpx2.Response:
        """Send the canonical write `key`; where Hub does not serve it (405, or a 404 that is not Hub's JSON),
        send its legacy form once and keep doing so. A JSON 404 means the thing is missing: never retried."""
        if key not in self.fallbacks:
            try:
                return await self.send(operation(key), params, **options)
            except DockerHubError as exc:
                if not (exc.status == 405 or (exc.status == 404 and not exc.hub_json)):
                    raise
            logger.info("%s is not served here: sending %s from now on", key, legacy)
            self.fallbacks.add(key)
        return await self.send(operation(legacy), params, fallback=True, **options)

    # The public image search.

    async def search_images(
        self, query: str, *, official_only: bool = False, page: int = 1, page_size: int = 25
    ) -> HubSearchPage:
        """One page of Docker Hub's public image search (sent without credentials)."""
        query = query.strip()
        if not query or len(query) > MAX_SEARCH_QUERY:
            raise InvalidInputError(f"query must be 1-{MAX_SEARCH_QUERY} characters.")
        check_page(page, page_size)
        sent: dict[str, str | int] = {"query": query, "from": (page - 1) * page_size, "size": page_size}
        if official_only:
            sent["badges"] = "official"
        response = await self.send(operation("search_images"), {}, query=sent)
        return parse(HubSearchPage, response, f"the image search for {query!r}")

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
        if op.kind == "fallback":  # the client's own fallback, never sent on request
            raise InvalidInputError(
                f"{op.method} {op.template} is a legacy Docker Hub path; use {op.replacement} instead."
            )
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
            check_page(int(query.get("page", 1)), int(query.get("page_size", 1)))
        response = await self.send(op, params, query=query, body=body)
        data = json_or_none(response)
        if data is None and response.content:
            data = response.text
        return RawAnswer(status=response.status_code, body=data)
