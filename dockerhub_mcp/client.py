"""The async Docker Hub client: one `httpx2.AsyncClient`, the operation table as the gate, typed methods.

Every request names an operation of `operations.OPERATIONS`; the client refuses, before sending, any
operation a personal access token must not be sent to, and any write in read-only mode. Path values
are validated and percent-encoded there too. HTTP failures become the exception tree of `errors.py`
here and nowhere else.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx2
import stamina
from pydantic import BaseModel, ValidationError

from dockerhub_mcp.auth import USER_AGENT, HubAuth
from dockerhub_mcp.config import Settings
from dockerhub_mcp.errors import (
    DockerHubError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    TokenKindError,
    TransportError,
    UpstreamError,
    error_from_response,
    mapped_transport_errors,
    token_kind_message,
)
from dockerhub_mcp.models import HubPage, HubRepository, HubTag
from dockerhub_mcp.operations import (
    PERMISSIONS,
    REPOSITORY_ORDERINGS,
    TAG_ORDERINGS,
    Operation,
    build_path,
    check_description,
    check_full_description,
    is_protected,
    match_path,
    operation,
)
from dockerhub_mcp.pacing import RateBudget, Sleep, ambiguous, retryable

__all__ = ["MAX_PAGE_SIZE", "DockerHubClient", "RawAnswer"]

logger = logging.getLogger(__name__)

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


def _what(op: Operation, params: Mapping[str, str]) -> str:
    """Name an operation and its target for error messages, e.g. "delete a tag (demo/web:v1)"."""
    target = "/".join(params[k] for k in ("namespace", "repository") if k in params)
    if "tag" in params:
        target += f":{params['tag']}"
    rest = [f"{k}={v}" for k, v in params.items() if k not in ("namespace", "repository", "tag")]
    label = ", ".join(filter(None, [target, *rest]))
    return f"{op.summary} ({label!r})" if label else op.summary


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


class DockerHubClient:
    """An authenticated Docker Hub API client.

    Every request is paced against Hub's rate-limit headers and retried where that is safe (see
    `pacing.retryable`): up to `settings.attempts` tries, backing off exponentially with jitter, and
    after a 429 waiting as Hub asked, at most `settings.max_retry_wait` seconds.

    Args:
        settings: username, token, API URL, read-only mode, timeouts and retry limits.
        transport: an httpx2 transport; tests pass `httpx2.ASGITransport(app=sandbox.app)`.
        clock: unix time source for token expiry and rate-limit windows.
        sleep: how to wait for the rate limit; tests pass one that moves their clock instead.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.budget = RateBudget()
        self._sleep = sleep
        timeout = settings.timeout
        self.auth = HubAuth(
            settings.api_url,
            settings.username,
            settings.token,
            self._send_unauthenticated,
            clock=clock,
            timeout=settings.timeout,
        )
        self._http = httpx2.AsyncClient(
            base_url=settings.api_url,
            auth=self.auth,
            transport=transport,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"DockerHubClient(username={self.settings.username!r}, api_url={self.settings.api_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def now(self) -> datetime:
        """The current time by this client's clock (timezone-aware UTC)."""
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    async def _send_unauthenticated(self, request: httpx2.Request) -> httpx2.Response:
        return await self._http.send(request, auth=None)

    async def check(self) -> None:
        """Exchange the PAT for a JWT, the whole health check; no API route is called.

        Raises:
            DockerHubError: the exchange failed (the message says why).
        """
        with mapped_transport_errors("the token exchange"):
            await self.auth.jwt()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # The gate and the one place HTTP becomes the exception tree.

    def check_allowed(self, op: Operation, params: Mapping[str, str], *, allow_protected: bool = False) -> None:
        """Raise unless `op` may be sent with this server's PAT in this mode; nothing is sent either way.

        Deleting a tag that matches DOCKERHUB_PROTECTED_TAGS is refused here too, whichever tool asks,
        unless `allow_protected`.
        """
        what = _what(op, params)
        tag = params.get("tag")
        if op.method == "DELETE" and tag and not allow_protected and is_protected(tag, self.settings.protected_tags):
            raise PermissionDeniedError(
                f"Tag {tag!r} is protected by DOCKERHUB_PROTECTED_TAGS ({', '.join(self.settings.protected_tags)}); "
                "deleting it needs delete_tag with allow_protected=true."
            )
        if op.kind == "oat_only":
            raise TokenKindError(token_kind_message(what))
        if op.kind == "not_for_pat":
            raise TokenKindError(f"This server will not {op.summary}: {op.reason}.")
        if op.kind == "deprecated" and op.replacement:
            raise InvalidInputError(
                f"{op.method} {op.template} is a deprecated Docker Hub path; use {op.replacement} instead."
            )
        if op.kind == "deprecated":
            raise InvalidInputError(f"{op.method} {op.template} is not sent: {op.reason}.")
        if op.kind == "refused":
            raise PermissionDeniedError(f"Refused: {op.reason}.")
        if self.settings.read_only and not op.read_only:
            raise PermissionDeniedError(f"This server is read-only: {what} would change Docker Hub, so it is not sent.")

    async def send(
        self,
        op: Operation,
        params: Mapping[str, str],
        *,
        query: Mapping[str, str | int] | None = None,
        body: Any = None,
        allow_protected: bool = False,
    ) -> httpx2.Response:
        """Send one operation and return the 2xx answer.

        Raises:
            DockerHubError: refused before sending, or mapped from Hub's answer or a transport failure.
        """
        self.check_allowed(op, params, allow_protected=allow_protected)
        path = build_path(op, dict(params))
        what = _what(op, params)
        content = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if content is not None else None
        tries = 0
        attempts = self.settings.attempts
        maybe_acted = False  # whether a failed try may still have reached Hub and done its work
        try:
            async for attempt in stamina.retry_context(
                on=lambda exc: retryable(op, exc),
                attempts=attempts,
                timeout=None,
                wait_initial=0.5,
                wait_max=self.settings.max_retry_wait,
            ):
                with attempt:
                    tries += 1
                    await self._pause(self.budget.delay(self.clock()))
                    # The exchange runs first, under its own deadline and single retry, never this try's.
                    await self.auth.jwt()
                    try:
                        with mapped_transport_errors(what), anyio.fail_after(self.settings.timeout):
                            response = await self._http.request(
                                op.method, path, params=dict(query or {}), content=content, headers=headers
                            )
                    except TransportError as exc:
                        maybe_acted = maybe_acted or not exc.unsent
                        raise
                    self.budget.update(response.headers)
                    if op.method == "DELETE" and response.status_code == 404 and maybe_acted:
                        # An earlier try reached Hub but its answer was lost: the deletion is done.
                        return response
                    maybe_acted = maybe_acted or response.status_code >= 500
                    if response.status_code >= 300:
                        error = error_from_response(
                            response.status_code,
                            response.content,
                            response.headers,
                            what=what,
                            kind=op.kind,
                            pat_level=op.pat_level,
                            now=self.clock,
                            redact=self.auth.secrets(),
                        )
                        if isinstance(error, RateLimitedError):
                            # Every request waits as Hub asked, not only this one (capped).
                            wait = min(error.retry_after or 1.0, self.settings.max_retry_wait)
                            self.budget.block(self.clock() + wait)
                        raise error
                    return response
        except DockerHubError as exc:
            if ambiguous(op, exc):
                exc.message += (
                    " It may or may not have taken effect, and Hub offers no way to check: look in Docker Hub "
                    "before trying again."
                )
            raise
        raise AssertionError("unreachable: the retry loop returns or raises")

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds` (capped by `max_retry_wait`) on the injected sleep, so tests need not."""
        if seconds > 0:
            await self._sleep(min(seconds, self.settings.max_retry_wait))

    async def _get_model(self, model: type[M], key: str, params: Mapping[str, str]) -> M:
        response = await self.send(operation(key), params)
        return _parse(model, response, _what(operation(key), params))

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
                raise NotFoundError(f"Page {page} is past the last page of {_what(operation(key), params)}.") from exc
            raise
        return _parse(model, response, _what(operation(key), params))

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
