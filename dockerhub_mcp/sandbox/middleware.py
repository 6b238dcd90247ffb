"""The outer layer of the sandbox app: request log, faults, rate-limit headers, trailing slashes.

It wraps the routes so that every request, including faulted ones, unknown routes and token exchanges,
is recorded, and so that a fault answers before any route (and so any state) is reached.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
from http import HTTPStatus
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dockerhub_mcp.sandbox.faults import ConnectionDropped, Fault
from dockerhub_mcp.sandbox.model import RecordedRequest
from dockerhub_mcp.sandbox.state import HubState, RateWindow

__all__ = ["HubMiddleware"]

logger = logging.getLogger(__name__)

RATE_LIMITED_BODY = {"detail": "Rate limit exceeded", "error": False}


def _seconds(value: float) -> str:
    """Retry-After in seconds: an integer when whole, else the float (tests use sub-second waits)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _rate_headers(window: RateWindow) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(window.limit).encode()),
        (b"x-ratelimit-remaining", str(window.remaining).encode()),
        (b"x-ratelimit-reset", str(window.reset).encode()),
    ]


def _add_headers(start: Message, window: RateWindow, hub_time: float) -> None:
    """Give an answer the headers every Hub answer has: the rate limit (unless it says its own) and `Date`."""
    headers = MutableHeaders(scope=start)
    if "x-ratelimit-limit" not in headers:
        for name, value in _rate_headers(window):
            headers.append(name.decode(), value.decode())
    if "date" not in headers:
        headers.append("date", email.utils.formatdate(hub_time, usegmt=True))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _answer(send: Send, status: int, body: bytes, content_type: str, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _swallow(_message: Message) -> None:
    """Drop an answer on the floor (a `lost` fault: the work is done, the client never hears of it)."""


class HubMiddleware:
    """Record, fault, rate-limit and normalise every HTTP request before the routes see it."""

    def __init__(self, app: ASGIApp, state: HubState) -> None:
        """Wrap `app` (the routes) around `state`."""
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call, counting the HTTP requests in flight."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        state.in_flight += 1
        state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
        try:
            await self._handle(scope, receive, send)
        finally:
            state.in_flight -= 1

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        method: str = scope["method"]
        path: str = scope["path"]
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        auth = state.classify_auth(Headers(scope=scope).get("authorization"))
        if state.latency:
            await state.sleep(state.latency / 2)
        arrived = state.clock.now()
        hub_time = arrived + state.quirks.clock_ahead
        window = state.count_request(hub_time)
        answered: list[int] = []  # the status, once recorded

        def record(status: int) -> None:
            if not answered:
                answered.append(status)
                state.requests.append(RecordedRequest(method, path, query, auth, status, arrived))

        status_seen = [0]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if state.latency:
                    await state.sleep(state.latency / 2)
                status_seen[0] = message["status"]
                _add_headers(message, window, hub_time)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Log before the last byte leaves, so a client that got its answer always finds it logged.
                record(status_seen[0])
            await send(message)

        fault = state.faults.pick(method, path, scope.get("query_string", b"").decode("latin-1"))
        try:
            if fault is not None and fault.kind == "slow":
                await state.sleep(fault.delay)
            elif fault is not None and fault.kind == "lost":
                await self.app(_without_trailing_slash(scope), receive, _swallow)
                raise ConnectionDropped(method, path)
            elif fault is not None:
                await self._answer_fault(fault, method, path, send_with_headers)
                return
            if state.enforce_rate_limit and window.exceeded:
                await self._rate_limited(max(1, math.ceil(window.reset - hub_time)), send_with_headers)
                return
            await self.app(_without_trailing_slash(scope), receive, send_with_headers)
        except ConnectionDropped:
            record(0)
            raise
        except BaseException:
            # Anything else escaping (a sandbox bug, a cancelled slow answer) is still logged, then re-raised.
            record(500)
            raise

    async def _answer_fault(self, fault: Fault, method: str, path: str, send: Send) -> None:
        if fault.kind == "rate_limit":
            await self._rate_limited(fault.retry_after, send)
        elif fault.kind == "status":
            phrase = _phrase(fault.status)
            extra = [(k.encode(), v.encode()) for k, v in (fault.headers or {}).items()]
            if fault.html:
                title = f"{fault.status} {phrase}"
                page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
                await _answer(send, fault.status, page.encode(), "text/html; charset=utf-8", extra)
            elif fault.raw_body is not None:
                await _answer(send, fault.status, fault.raw_body, "application/json", extra)
            else:
                body = (
                    dict(fault.body)
                    if fault.body
                    else {"errinfo": {}, "detail": f"sandbox fault: {phrase}", "message": phrase.lower()}
                )
                await _answer(send, fault.status, json.dumps(body).encode(), "application/json", extra)
        elif fault.kind == "huge":  # a 200 streamed in 1 MB chunks, with no length announced
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            chunk, left = b" " * 1_000_000, fault.size
            while left > 0:
                await send({"type": "http.response.body", "body": chunk[:left], "more_body": True})
                left -= len(chunk)
            await send({"type": "http.response.body", "body": b"{}", "more_body": False})
        else:  # drop: start an answer, then cut it off mid-way.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
                }
            )
            raise ConnectionDropped(method, path)

    async def _rate_limited(self, retry_after: float, send: Send) -> None:
        reset = math.ceil(self.state.clock.now() + self.state.quirks.clock_ahead + retry_after)
        # A real 429 carried `retry-after` equal to `x-ratelimit-reset`, a unix timestamp (hub-facts §10).
        said = str(reset) if self.state.quirks.retry_after_timestamp else _seconds(retry_after)
        headers = [
            (b"retry-after", said.encode()),
            (b"x-ratelimit-limit", str(self.state.rate_limit).encode()),
            (b"x-ratelimit-remaining", b"0"),
            (b"x-ratelimit-reset", str(reset).encode()),
        ]
        await _answer(send, 429, json.dumps(RATE_LIMITED_BODY).encode(), "application/json", headers)


def _without_trailing_slash(scope: Scope) -> Scope:
    # Hub answers `/v2/user/` and `/v2/user` alike; route both forms to one endpoint (the log keeps the raw path).
    path: str = scope["path"]
    if len(path) <= 1 or not path.endswith("/"):
        return scope
    raw: bytes = scope.get("raw_path") or path.encode()
    return {**scope, "path": path[:-1], "raw_path": raw[:-1] if raw.endswith(b"/") else raw}
