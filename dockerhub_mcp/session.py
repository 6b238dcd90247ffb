"""A Docker Hub session: one `httpx2.AsyncClient`, the operation table as the gate, retries and pacing.

Every request names an operation of `operations.OPERATIONS`; the session refuses, before sending, any
operation the connected kind of access token (PAT or OAT) must not be sent to, and any write in
read-only mode. Path values are
validated and percent-encoded there too. HTTP failures become the exception tree of `errors.py` here
and nowhere else. `client.DockerHubClient` adds the typed methods on top.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import anyio
import httpx2

from dockerhub_mcp.auth import USER_AGENT, HubAuth
from dockerhub_mcp.config import Settings
from dockerhub_mcp.errors import (
    AuthenticationError,
    DockerHubError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitedError,
    TokenKindError,
    TransportError,
    UpstreamError,
    error_from_response,
    mapped_transport_errors,
    token_kind_message,
)
from dockerhub_mcp.operations import Operation, build_path, is_protected
from dockerhub_mcp.pacing import RateBudget, Sleep, ambiguous, retryable

__all__ = ["MAX_ANSWER", "HubSession", "describe"]

MAX_ANSWER = 32 * 1024 * 1024  # no answer of Hub's API comes near this; one that does is refused, not read
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _too_large(what: str) -> UpstreamError:
    return UpstreamError(f"Docker Hub's answer to {what} is larger than {MAX_ANSWER // (1024 * 1024)} MB: not read.")


def describe(op: Operation, params: Mapping[str, str]) -> str:
    """Name an operation and its target for error messages, e.g. "delete a tag (demo/web:v1)"."""
    target = "/".join(params[k] for k in ("namespace", "repository") if k in params)
    if "tag" in params:
        target += f":{params['tag']}"
    rest = [f"{k}={v}" for k, v in params.items() if k not in ("namespace", "repository", "tag")]
    label = ", ".join(filter(None, [target, *rest]))
    return f"{op.summary} ({label!r})" if label else op.summary


class HubSession:
    """An authenticated Docker Hub API session: every request goes through `send`.

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
        self.fallbacks: set[str] = set()  # canonical writes Hub does not serve here: the legacy form is sent
        self._sleep = sleep
        self._slots = anyio.CapacityLimiter(settings.concurrency)  # requests in flight, whoever sends them
        self._transport = transport
        self._client: httpx2.AsyncClient | None = None  # built with the first request, not with the server
        self.auth = HubAuth(
            settings.api_url,
            settings.username,
            settings.token,
            self._send_unauthenticated,
            token_kind=settings.token_kind,
            clock=clock,
            timeout=settings.timeout,
        )

    @property
    def _http(self) -> httpx2.AsyncClient:
        """The connection pool, made on first use: its transport and TLS context are not needed to answer
        `initialize` or `tools/list`, and cost a server's start."""
        if self._client is None:
            timeout = self.settings.timeout
            self._client = httpx2.AsyncClient(
                base_url=self.settings.api_url,
                auth=self.auth,
                transport=self._transport,
                timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
                follow_redirects=False,
                # Proxy variables apply to https only: a plain-http URL is this machine, and a proxy would see
                # the token in clear at every exchange.
                trust_env=urlsplit(self.settings.api_url).scheme == "https",
            )
        return self._client

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
        """Exchange the token for a JWT, the whole health check; no API route is called.

        Raises:
            DockerHubError: the exchange failed (the message says why).
            AuthenticationError: Hub signed the token in as another user than DOCKERHUB_USERNAME.
        """
        with mapped_transport_errors("the token exchange"):
            await self.auth.jwt()
        mismatch = self.owner_mismatch()
        if mismatch is not None:
            raise AuthenticationError(mismatch)

    def secrets(self) -> tuple[str, ...]:
        """Every value that must never leave the server: the token, the current JWT, the plan key."""
        key = self.settings.plan_key
        return (*self.auth.secrets(), *((key.get_secret_value(),) if key is not None else ()))

    def owner_mismatch(self) -> str | None:
        """Why the exchanged token's owner is not DOCKERHUB_USERNAME, or None when it is (or none was exchanged).

        Hub has been seen exchanging a PAT sent with any username: the JWT names the real owner.
        """
        owner = self.auth.signed_in_as
        if owner is None or owner == self.settings.username.lower():
            return None
        return (
            f"Docker Hub signed the token in as {owner!r}, not as DOCKERHUB_USERNAME {self.settings.username!r}: "
            "the token belongs to another account. Set DOCKERHUB_USERNAME to its owner, or use that account's token."
        )

    async def aclose(self) -> None:
        """Close the connection pool, if one was made."""
        if self._client is not None:
            await self._client.aclose()

    # The gate and the one place HTTP becomes the exception tree.

    def check_allowed(
        self, op: Operation, params: Mapping[str, str], *, allow_protected: bool = False, fallback: bool = False
    ) -> None:
        """Raise unless `op` may be sent with this server's token in this mode; nothing is sent either way.

        Deleting a tag that matches DOCKERHUB_PROTECTED_TAGS is refused here too, whichever tool asks,
        unless `allow_protected`. A `fallback` operation is sent only when the client falls back to it.
        """
        what = describe(op, params)
        tag = params.get("tag")
        if op.method == "DELETE" and tag and not allow_protected and is_protected(tag, self.settings.protected_tags):
            raise PermissionDeniedError(
                f"Tag {tag!r} is protected by DOCKERHUB_PROTECTED_TAGS ({', '.join(self.settings.protected_tags)}); "
                "deleting it needs delete_tag with allow_protected=true."
            )
        token_kind = self.settings.token_kind
        if (op.kind, token_kind) in (("oat_only", "pat"), ("pat_only", "oat")):
            raise TokenKindError(token_kind_message(what, "oat" if op.kind == "oat_only" else "pat"))
        if op.kind == "not_sent":
            raise TokenKindError(f"This server will not {op.summary}: {op.reason}.")
        if op.kind in ("deprecated", "fallback") and op.replacement and not fallback:
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
        fallback: bool = False,
    ) -> httpx2.Response:
        """Send one operation and return the 2xx answer (`fallback`: the client falls back to a legacy form).

        Raises:
            DockerHubError: refused before sending, or mapped from Hub's answer or a transport failure.
        """
        import stamina  # noqa: PLC0415 - retries load with the first request, not with the server

        self.check_allowed(op, params, allow_protected=allow_protected, fallback=fallback)
        path = build_path(op, dict(params))
        what = describe(op, params)
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
                    async with self._slots:
                        await self.budget.wait_turn(self.clock, self._sleep)
                        # The exchange runs first, under its own deadline and single retry, never this try's.
                        if not op.public:
                            await self.auth.jwt()
                        try:
                            with mapped_transport_errors(what), anyio.fail_after(self.settings.timeout):
                                request = self._http.build_request(
                                    op.method, path, params=dict(query or {}), content=content, headers=headers
                                )
                                response = await self._receive(request, what, public=op.public)
                        except TransportError as exc:
                            maybe_acted = maybe_acted or not exc.unsent
                            raise
                    self.budget.update(response.headers, self.clock())
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
                            redact=self.secrets(),
                        )
                        if isinstance(error, RateLimitedError):
                            # Every request waits as Hub asked, not only this one (capped).
                            wait = min(error.retry_after or 1.0, self.settings.max_retry_wait)
                            self.budget.block(self.clock() + wait)
                        raise error
                    return response
        except DockerHubError as exc:
            if ambiguous(op, exc):
                exc.message += " It may or may not have taken effect: look in Docker Hub before trying again."
            raise
        raise AssertionError("unreachable: the retry loop returns or raises")

    async def _receive(self, request: httpx2.Request, what: str, *, public: bool) -> httpx2.Response:
        """Send `request` (`public`: without credentials) and read its answer, at most MAX_ANSWER bytes of it:
        a huge answer is refused as it streams in, never held whole."""
        if public:
            response = await self._http.send(request, auth=None, stream=True)
        else:
            response = await self._http.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_ANSWER:
                raise _too_large(what)
            if declared.isdigit() and "content-encoding" not in response.headers:
                await response.aread()  # a known, small size that decoding cannot inflate: read it as it is
                return response
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER:
                    raise _too_large(what)
                chunks.append(chunk)
        finally:
            await response.aclose()
        # Decoded already (aiter_bytes undoes any content-encoding): the copy must not claim an encoding.
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
        return httpx2.Response(response.status_code, headers=headers, content=b"".join(chunks), request=request)

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds` (capped by `max_retry_wait`) on the injected sleep, so tests need not."""
        if seconds > 0:
            await self._sleep(min(seconds, self.settings.max_retry_wait))
