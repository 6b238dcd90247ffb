"""The one exception tree of the Docker Hub client, and the one mapping from HTTP to it.

```
DockerHubError                    every failure the client reports; `str()` is safe to show a model
├── InvalidInputError             our own checks (nothing was sent) or Hub's 400/422
├── AuthenticationError           the exchange failed, or the JWT was refused twice (401)
├── PermissionDeniedError         403: PAT level too low, no permission on the repository
│   └── TokenKindError            the operation needs the other kind of access token (or another credential)
├── NotFoundError                 404
├── RateLimitedError              429, with `retry_after` seconds when Hub said
├── UpstreamError                 5xx, redirects, unexpected bodies
└── TransportError                connection failures and timeouts
```

Messages are built here from templates and short excerpts of Hub's own wording: never a raw body
over 300 characters, never a credential.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import httpx2

from dockerhub_mcp.redaction import redacted

__all__ = [
    "PAT_LEVELS",
    "AuthenticationError",
    "DockerHubError",
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "TokenKindError",
    "TransportError",
    "UpstreamError",
    "error_from_response",
    "hub_message",
    "mapped_transport_errors",
    "parse_retry_after",
    "redacted",
    "token_kind_message",
]

MAX_EXCERPT = 200

PAT_REFUSED_WORDINGS = (
    "token issued from personal access token",
    "forbidden with personal access token",
    "issued from a personal access token",
)
OAT_REFUSED_WORDINGS = ("token issued from organization access token", "issued from an organization access token")


class DockerHubError(Exception):
    """Base of every error the client raises; the message is safe to show to a model or a user."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.during_exchange = False  # set by the auth flow: such failures are never retried from outside
        self.hub_json = False  # set when Hub's answer was its JSON: a real answer, not a proxy's or a missing route's

    def __str__(self) -> str:
        return self.message


class InvalidInputError(DockerHubError):
    """Bad input: refused before sending, or rejected by Hub with 400/422."""


class AuthenticationError(DockerHubError):
    """The credentials were refused: a failed exchange, or a JWT refused even after a fresh exchange."""


class PermissionDeniedError(DockerHubError):
    """Hub answered 403: the token's level or the account's permission is not enough."""


class TokenKindError(PermissionDeniedError):
    """The operation is served only to another kind of credential (the other kind of access token)."""


class NotFoundError(DockerHubError):
    """The namespace, repository, tag or route does not exist (or is not visible to this account)."""


class RateLimitedError(DockerHubError):
    """Hub answered 429; `retry_after` is the wait in seconds when Hub said."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class UpstreamError(DockerHubError):
    """Hub failed (5xx), redirected, or answered something the client cannot read."""


class TransportError(DockerHubError):
    """The request did not complete: connection refused or dropped, or a timeout.

    `unsent` is True when the request cannot have reached Hub (the connection was never made), so even
    a non-idempotent request may be sent again.
    """

    def __init__(self, message: str, *, unsent: bool = False) -> None:
        super().__init__(message)
        self.unsent = unsent


@contextmanager
def mapped_transport_errors(what: str) -> Iterator[None]:
    """Translate httpx2's request failures into the exception tree: the one place that does."""
    try:
        yield
    except TimeoutError as exc:  # our own per-attempt deadline (anyio.fail_after)
        raise TransportError(f"Docker Hub did not answer in time: {what}.") from exc
    except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:
        raise TransportError(f"Could not connect to Docker Hub for {what}: {type(exc).__name__}.", unsent=True) from exc
    except httpx2.TimeoutException as exc:
        raise TransportError(f"Docker Hub did not answer in time: {what}.") from exc
    except httpx2.TransportError as exc:
        raise TransportError(f"Could not reach Docker Hub for {what}: {type(exc).__name__}.") from exc
    except httpx2.RequestError as exc:  # decoding errors, too many redirects: Hub's answer was unusable
        raise UpstreamError(f"Docker Hub's answer to {what} could not be read: {type(exc).__name__}.") from exc


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"


def hub_message(body: bytes, *, redact: Sequence[str] = ()) -> str:
    """Return Hub's own short wording from an error body of any known shape, or '' if there is none.

    Shapes: `{message, errinfo}`, `{detail}`, `{fields, text}`, `{error}`, `{code, message}`. HTML and
    other non-JSON bodies yield '' (they are never echoed). Credentials are redacted, should Hub echo one.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # a deeply nested body is as unreadable as garbage
        return ""
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    for key in ("message", "detail", "text", "error"):
        value = data.get(key)
        if isinstance(value, str) and value and value not in parts:
            parts.append(value)
    fields = data.get("fields")
    if isinstance(fields, dict):
        for name, problems in fields.items():
            if isinstance(problems, list) and problems:
                parts.append(f"{name}: {problems[0]}")
    return _excerpt(redacted("; ".join(parts), redact))


def parse_retry_after(headers: Mapping[str, str], *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP-date) or `X-RateLimit-Reset` (unix time)."""
    value = headers.get("retry-after") or headers.get("x-retry-after")
    if value:
        try:
            seconds = float(value)
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                parsed = None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now())
        else:
            # An older spec revision sent a unix timestamp here; tell the two apart by size.
            return max(0.0, seconds - now()) if seconds > 1_000_000_000 else max(0.0, seconds)
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - now())
        except ValueError:
            return None
    return None


PAT_LEVELS = {
    "public_read": "Public Repo Read-only",
    "read": "Read-only",
    "write": "Read & Write",
    "delete": "Read, Write & Delete",
    "admin": "Read, Write & Delete access and admin permission on the repository",
}


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    what: str,
    kind: str = "any",
    pat_level: str | None = None,
    now: Callable[[], float] = time.time,
    redact: Sequence[str] = (),
) -> DockerHubError:
    """Map one HTTP error answer to the exception tree.

    Args:
        status: the HTTP status (>= 300).
        body: the raw body; only a short, redacted excerpt of Hub's message is kept.
        headers: the answer's headers (for `Retry-After`).
        what: the operation in words, e.g. "get a tag ('demo/web:v1')".
        kind: the operation's token kind in `operations.OPERATIONS` (`oat_only`, `pat_only` change the 403
            message).
        pat_level: the PAT level the operation needs, for the 403 message.
        now: the clock, for `Retry-After` given as a date.
        redact: secrets to strip from Hub's wording.
    """
    error = _mapped(status, body, headers, what=what, kind=kind, pat_level=pat_level, now=now, redact=redact)
    error.hub_json = _is_json_object(body)
    return error


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False


def _mapped(  # noqa: PLR0911 - one branch per status family is the point
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    what: str,
    kind: str,
    pat_level: str | None,
    now: Callable[[], float],
    redact: Sequence[str],
) -> DockerHubError:
    said = hub_message(body, redact=redact)
    detail = f" (Docker Hub said: {said})" if said else ""
    if status == 401:
        return AuthenticationError(
            f"Docker Hub refused the access token for {what}: the token was rejected or revoked. "
            "Check DOCKERHUB_TOKEN and that the token is still active.",
            status=status,
        )
    if status == 403:
        refused_for_pat = any(w in said.lower() for w in PAT_REFUSED_WORDINGS)
        if refused_for_pat and kind == "oat_only":
            return TokenKindError(token_kind_message(what, "oat"), status=status)
        if any(w in said.lower() for w in OAT_REFUSED_WORDINGS):
            return TokenKindError(token_kind_message(what, "pat"), status=status)
        needs = f" It needs a personal access token with {PAT_LEVELS[pat_level]}." if pat_level in PAT_LEVELS else ""
        if refused_for_pat:
            return PermissionDeniedError(
                f"Docker Hub refused {what} for this personal access token{detail}.{needs} "
                "Where Hub serves it only to organization access tokens, use one of those.",
                status=status,
            )
        return PermissionDeniedError(
            f"Permission denied for {what}{detail}.{needs or ' The token or the account lacks permission.'}",
            status=status,
        )
    if status == 404:
        return NotFoundError(f"Not found: {what}{detail}.", status=status)
    if status == 429:
        retry_after = parse_retry_after(headers, now=now)
        when = f"retry after {retry_after:.0f} s" if retry_after is not None else "retry later"
        return RateLimitedError(
            f"Docker Hub rate limit reached during {what}: {when}.", retry_after=retry_after, status=status
        )
    if status in (400, 409, 422):
        return InvalidInputError(f"Docker Hub rejected {what}{detail}.", status=status)
    if 300 <= status < 400:
        return UpstreamError(f"Docker Hub answered {what} with a redirect ({status}); not followed.", status=status)
    return UpstreamError(f"Docker Hub failed on {what} with HTTP {status}{detail}.", status=status)


_TOKEN_NAMES = {"oat": "an organization access token (OAT)", "pat": "a personal access token (PAT)"}


def token_kind_message(what: str, needed: str) -> str:
    """The one wording for an operation the connected kind of token cannot perform (`needed`: pat or oat)."""
    have = "pat" if needed == "oat" else "oat"
    return (
        f"{what[:1].upper()}{what[1:]} needs a Docker Hub {_TOKEN_NAMES[needed].split(' ', 1)[1]}; this server is "
        f"authenticated with {_TOKEN_NAMES[have]}, which Docker Hub refuses for it."
    )
