"""Docker Hub authentication: exchange an access token for a short-lived JWT.

Hub refuses an access token as a bearer, so `HubAuth` exchanges it at `POST /v2/auth/token` (identifier:
the username for a personal access token, the organization for an organization access token; a PAT falls
back to the older `POST /v2/users/login` where that route is missing), caches the JWT until 60 s before
it expires, lets one exchange run at a time however many requests wait for it, and on a 401 exchanges
once more and retries the request once.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
from pydantic import SecretStr

from dockerhub_mcp import __version__
from dockerhub_mcp.config import TokenKind
from dockerhub_mcp.errors import (
    AuthenticationError,
    DockerHubError,
    RateLimitedError,
    TransportError,
    UpstreamError,
    error_from_response,
    hub_message,
    mapped_transport_errors,
)

__all__ = ["DEFAULT_LIFETIME", "REFRESH_MARGIN", "USER_AGENT", "HubAuth"]

logger = logging.getLogger(__name__)

DEFAULT_LIFETIME = 600.0
REFRESH_MARGIN = 60.0
FAILURE_COOLDOWN = 60.0  # a refused PAT is not re-sent for this long: Hub locks out usernames that retry
TRANSIENT_COOLDOWN = 15.0  # after the token route failed (5xx, unreachable), before trying it again
FALLBACK_PERIOD = 3600.0  # after falling back to /v2/users/login, try /v2/auth/token again after this
FRESH = 60.0  # a JWT refused younger than this is not a stale JWT: exchanging again would not help
USER_AGENT = f"dockerhub-mcp/{__version__}"
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json", "User-Agent": USER_AGENT}

HUB_CLAIM = "https://hub.docker.com"  # the JWT claim holding username, uuid, email (hub-facts §1)
TOKEN_ROUTE = "/v2/auth/token"
LOGIN_ROUTE = "/v2/users/login"


@dataclass(frozen=True, slots=True)
class _Cached:
    jwt: str = field(repr=False)
    refresh_at: float
    received: float


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failed exchange, replayed to callers that waited for it and until `until`, instead of retried."""

    error: DockerHubError
    attempt: int
    until: float


Send = Callable[[httpx2.Request], Awaitable[httpx2.Response]]


class HubAuth(httpx2.Auth):
    """An `httpx2.Auth` flow that sends `Authorization: Bearer <JWT>` obtained from the PAT.

    Args:
        base_url: the Hub API base URL (token routes are resolved against it).
        username: the Docker Hub username that owns the token (the organization, for an OAT).
        token: the access token.
        send: sends an exchange request without authentication (the client's own connection pool).
        token_kind: `pat` or `oat` (an OAT has no fallback to the old login route).
        clock: unix time source, injectable so tests can move time without sleeping.
        timeout: seconds an exchange may take.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        token: SecretStr,
        send: Send,
        *,
        token_kind: TokenKind = "pat",
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._username = username
        self._token = token
        self._token_kind = token_kind
        self._send = send
        self._clock = clock
        self._lock = anyio.Lock()
        self._cached: _Cached | None = None
        self.signed_in_as: str | None = None  # the username Hub's JWT names, once a token was exchanged
        self._reexchanged_at = -FRESH  # when a 401 last made the flow exchange again
        self._login_route_until = 0.0
        self._attempts = 0
        self._failure: _Failure | None = None

    def __repr__(self) -> str:
        return f"HubAuth(username={self._username!r}, token=SecretStr('**********'))"

    def _valid_jwt(self) -> str | None:
        cached = self._cached
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.jwt
        return None

    async def jwt(self) -> str:
        """Return a JWT valid for at least a while, exchanging the PAT if none is cached.

        However many callers wait here at once, one exchange runs; the rest reuse its JWT.

        Raises:
            AuthenticationError: Hub refused the username or token.
            DockerHubError: the exchange failed otherwise (rate limit, Hub down).
        """
        token = self._valid_jwt()
        if token is not None:
            return token
        seen = self._attempts
        async with self._lock:
            token = self._valid_jwt()
            if token is not None:
                return token
            failure = self._failure
            # An exchange that failed while this caller waited, or shortly before, is not tried again.
            if failure is not None and (failure.attempt > seen or self._clock() < failure.until):
                raise copy.copy(failure.error)
            self._attempts += 1
            try:
                return await self._exchange()
            except DockerHubError as exc:
                exc.during_exchange = True
                if isinstance(exc, AuthenticationError):
                    cooldown = FAILURE_COOLDOWN
                elif isinstance(exc, RateLimitedError):
                    cooldown = exc.retry_after or FAILURE_COOLDOWN
                else:  # Hub down or unreachable: a bulk run must not turn into a stream of logins
                    cooldown = TRANSIENT_COOLDOWN
                self._failure = _Failure(exc, self._attempts, self._clock() + cooldown)
                raise

    async def _exchange(self) -> str:
        login_only = self._clock() < self._login_route_until
        # The old login route takes a username and a PAT or password, never an organization's token.
        if self._token_kind == "oat":
            routes: tuple[str, ...] = (TOKEN_ROUTE,)
        else:
            routes = (LOGIN_ROUTE,) if login_only else (TOKEN_ROUTE, LOGIN_ROUTE)
        for route in routes:
            response = await self._post(route)
            token = self._accept(route, response)
            if token is not None:
                return token
        raise UpstreamError("Docker Hub offers no token route (/v2/auth/token or /v2/users/login).")

    async def _post(self, route: str) -> httpx2.Response:
        """Send one exchange request; a failed connection or a 5xx is tried once more, never again.

        Hub locks out a username whose logins are retried in a loop, so the exchange gets one retry at most
        (and none for a refusal or a 429).
        """
        import stamina  # noqa: PLC0415 - retries load with the first exchange, not with the server

        async for attempt in stamina.retry_context(on=_exchange_retryable, attempts=2, timeout=None):
            with attempt:
                with mapped_transport_errors("the token exchange"), anyio.fail_after(self._timeout):
                    response = await self._send(self._exchange_request(route))
                if response.status_code >= 500:
                    raise UpstreamError(
                        f"Docker Hub failed on the token exchange with HTTP {response.status_code}.",
                        status=response.status_code,
                    )
                return response
        raise AssertionError("unreachable: the retry loop returns or raises")

    def _exchange_request(self, route: str) -> httpx2.Request:
        secret = self._token.get_secret_value()
        body = (
            {"identifier": self._username, "secret": secret}
            if route == TOKEN_ROUTE
            else {"username": self._username, "password": secret}
        )
        return httpx2.Request("POST", self._base_url + route, content=json.dumps(body), headers=JSON_HEADERS)

    def _accept(self, route: str, response: httpx2.Response) -> str | None:
        """Read an exchange answer: the JWT, None when the route is missing, or raise."""
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = response.json()
            except ValueError:
                data = None
            token = (data.get("access_token") or data.get("token")) if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise UpstreamError("Docker Hub's token exchange answered without a token.", status=status)
            self._cache(token)
            self._failure = None
            return token
        if route == TOKEN_ROUTE and status in (404, 405):
            logger.info("%s is not served here; falling back to %s", TOKEN_ROUTE, LOGIN_ROUTE)
            self._login_route_until = self._clock() + FALLBACK_PERIOD
            return None
        if status in (401, 403):
            raise AuthenticationError(_refusal(status, response.content, self.secrets()), status=status)
        raise error_from_response(
            status,
            response.content,
            response.headers,
            what="the token exchange",
            now=self._clock,
            redact=self.secrets(),
        )

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a message: the PAT and the current JWT."""
        cached = self._cached
        return (self._token.get_secret_value(), *((cached.jwt,) if cached else ()))

    def _cache(self, token: str) -> None:
        received = self._clock()
        lifetime = DEFAULT_LIFETIME
        claims = _claims(token)
        hub = claims.get(HUB_CLAIM)
        named = hub.get("username") if isinstance(hub, dict) else None
        self.signed_in_as = named.lower() if isinstance(named, str) and named else None
        if self.signed_in_as is not None and self.signed_in_as != self._username.lower():
            logger.warning(
                "Docker Hub signed the token in as %r, not as DOCKERHUB_USERNAME %r", self.signed_in_as, self._username
            )
        exp, iat = claims.get("exp"), claims.get("iat")
        if isinstance(exp, int | float):
            # Measure the lifetime from iat when present, so a skewed local clock cannot expire every token.
            lifetime = float(exp - iat) if isinstance(iat, int | float) else float(exp) - received
            if lifetime <= 0:
                lifetime = DEFAULT_LIFETIME  # only a skewed clock says so: do not exchange on every call
        margin = min(REFRESH_MARGIN, max(lifetime, 0.0) / 2)
        self._cached = _Cached(token, received + lifetime - margin, received)

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        """Send `request` with a JWT; on 401 drop that JWT, exchange once more and retry once.

        A JWT refused within a minute of its exchange, when a 401 already caused an exchange in that minute,
        is not stale: exchanging again for every request would only lock the username out. Then the token
        counts as refused, and for a minute every call fails at once, sending nothing.
        """
        for attempt in (1, 2):
            token = await self.jwt()
            request.headers["Authorization"] = f"Bearer {token}"
            response = yield request
            if response.status_code != 401:
                return
            now = self._clock()
            cached = self._cached
            young = cached is not None and cached.jwt == token and now - cached.received < FRESH
            if cached is not None and cached.jwt == token:
                self._cached = None
            if attempt == 2 or (young and now - self._reexchanged_at < FRESH):
                if young:
                    self._refused()
                return
            self._reexchanged_at = now
            logger.info("Docker Hub answered 401; exchanging the token once more")

    def _refused(self) -> None:
        logger.warning("Docker Hub refused JWTs it had just issued; not exchanging again for now")
        error = AuthenticationError(
            "Docker Hub refused the access token: even a token it had just issued was rejected (401). Not signing "
            f"in again for {FAILURE_COOLDOWN:.0f} s (repeated logins lock the username out). Check that the token "
            "is active and allowed to do this."
        )
        error.during_exchange = True
        self._failure = _Failure(error, self._attempts, self._clock() + FAILURE_COOLDOWN)


def _claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without checking its signature (Hub checks that; the client reads only the expiry
    and the username), or {} when it is not a readable JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, UnicodeDecodeError, RecursionError):  # binascii.Error is a ValueError
        return {}
    return claims if isinstance(claims, dict) else {}


def _exchange_retryable(exc: Exception) -> bool:
    return isinstance(exc, TransportError | UpstreamError)


def _refusal(status: int, body: bytes, redact: tuple[str, ...]) -> str:
    said = hub_message(body, redact=redact)
    detail = f" (Docker Hub said: {said})" if said else ""
    try:
        two_factor = json.loads(body).get("login_2fa_token") is not None
    except (ValueError, AttributeError):
        two_factor = False
    if two_factor:
        return "Docker Hub asked for a second factor: DOCKERHUB_TOKEN must be a personal access token, not a password."
    if status == 403:
        return (
            f"Docker Hub refused to issue a token{detail}: the access token is not allowed to sign in "
            "or lacks the scope needed. Check it in Docker Hub's account settings."
        )
    return (
        f"Docker Hub rejected the username or access token{detail}. Check DOCKERHUB_USERNAME and "
        "DOCKERHUB_TOKEN, and that the token is active."
    )
