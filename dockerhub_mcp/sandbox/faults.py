"""Switchable, seeded faults: each fires before the Hub's state is touched.

Kinds: `status` (answer a status, 2xx to 5xx, with a body and headers of the test's choosing), `rate_limit`
(429 + Retry-After), `slow` (wait, then answer), `drop` (cut the connection: the client sees a transport
error), `lost` (act, then cut the connection), `huge` (stream an answer of `size` bytes). The app's
middleware asks `Faults.pick()` once per request; this module only decides, the middleware answers.
"""

from __future__ import annotations

import hashlib
import logging
import random as _random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import httpx2

from dockerhub_mcp.sandbox.model import EXCHANGE_PATHS

__all__ = ["ConnectionDropped", "Fault", "FaultKind", "Faults", "FiredFault"]

logger = logging.getLogger(__name__)

FaultKind = Literal["status", "rate_limit", "slow", "drop", "lost", "huge"]
_KINDS: tuple[str, ...] = get_args(FaultKind)


class ConnectionDropped(httpx2.RemoteProtocolError):
    """Raised out of the ASGI app by a `drop` fault.

    In process, `httpx2.ASGITransport` re-raises app exceptions to the caller, so this subclasses the error
    a real cut connection produces (`RemoteProtocolError`, a `TransportError`). Over loopback the response
    has already started when it is raised, so uvicorn closes the socket and the client gets the real thing.
    """

    def __init__(self, method: str, path: str) -> None:
        """Name the request that was cut (no headers, so never a credential)."""
        super().__init__(f"sandbox dropped the connection: {method} {path}")


@dataclass
class Fault:
    """One scripted fault, firing on the next `times` matching requests (`times=None`: forever).

    `lost` lets the request act on the state, then cuts the connection before the answer: the client
    cannot tell a lost answer from a dropped request. `method` matches case-insensitively; `path` is a
    regex searched in the request path, `query` one searched in its query string. `status` is used by
    `status` faults, `retry_after` (seconds) by `rate_limit`, `delay` (seconds) by `slow`, `size` (bytes)
    by `huge`; `html=True` sends a status fault's body as an HTML page, the way a load balancer would;
    `body` replaces a status fault's JSON body (to play Hub's own wordings, or a proxy echoing a header),
    `raw_body` sends bytes as they are, and `headers` are added to its answer.
    """

    kind: FaultKind
    times: int | None = 1
    method: str | None = None
    path: str | None = None
    status: int = 500
    retry_after: float = 1.0
    delay: float = 0.0
    html: bool = False
    body: Mapping[str, object] | None = None
    raw_body: bytes | None = None
    headers: Mapping[str, str] | None = None
    query: str | None = None
    size: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        """Reject faults that could never behave as written."""
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {_KINDS}")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be None or >= 1, got {self.times!r}")
        if self.kind == "status" and not 200 <= self.status <= 599:
            raise ValueError(f"a status fault needs a status from 200 to 599, got {self.status!r}")
        if self.retry_after < 0 or self.delay < 0:
            raise ValueError("retry_after and delay must be >= 0")
        self._pattern = re.compile(self.path) if self.path is not None else None

    def matches(self, method: str, path: str, query: str = "") -> bool:
        """Whether this fault applies to `method path?query`."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.query is not None and re.search(self.query, query) is None:
            return False
        return self._pattern is None or self._pattern.search(path) is not None


@dataclass(frozen=True)
class FiredFault:
    """A fault that fired, for tests that count them."""

    kind: FaultKind
    method: str
    path: str
    status: int


@dataclass
class _RandomFaults:
    rate: float
    seed: int
    kinds: tuple[FaultKind, ...]
    exclude_auth: bool
    method: str | None
    path: re.Pattern[str] | None
    statuses: tuple[int, ...]
    retry_after: float
    delay: float


class Faults:
    """The fault switchboard of one sandbox.

    Attributes:
        auth_token_route_missing: answer `POST /v2/auth/token` with an HTML 404, like an older Hub,
            so clients fall back to `/v2/users/login`.
        fired: every fault that fired, oldest first.
    """

    def __init__(self) -> None:
        """Start with no faults switched on."""
        self.auth_token_route_missing = False
        self.fired: list[FiredFault] = []
        self._scripted: list[Fault] = []
        self._random: _RandomFaults | None = None
        self._seen: dict[tuple[str, str], int] = {}

    def add(self, fault: Fault) -> Fault:
        """Queue `fault`; scripted faults are tried in the order added, before random ones."""
        self._scripted.append(fault)
        return fault

    def random(
        self,
        rate: float,
        seed: int,
        kinds: Sequence[FaultKind] = ("status", "rate_limit", "drop"),
        exclude_auth: bool = False,
        *,
        method: str | None = None,
        path: str | None = None,
        statuses: Sequence[int] = (500, 502, 503),
        retry_after: float = 1.0,
        delay: float = 0.01,
    ) -> None:
        """Fail each matching request with probability `rate`, decided by a hash of the seed, the request
        and how many times that same request came before.

        The same request meets the same fault on every run, whatever order concurrent requests arrive in.
        `exclude_auth` spares the token exchanges; `method`/`path` narrow it like a scripted fault. Replaces
        any earlier random setting.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {rate!r}")
        unknown = [k for k in kinds if k not in _KINDS]
        if unknown or not kinds:
            raise ValueError(f"kinds must be a non-empty subset of {_KINDS}, got {tuple(kinds)!r}")
        self._seen = {}
        self._random = _RandomFaults(
            rate=rate,
            seed=seed,
            kinds=tuple(kinds),
            exclude_auth=exclude_auth,
            method=method,
            path=re.compile(path) if path is not None else None,
            statuses=tuple(statuses),
            retry_after=retry_after,
            delay=delay,
        )

    def clear(self) -> None:
        """Switch every fault off (scripted, random, and the missing auth route) and forget `fired`."""
        self._scripted.clear()
        self._random = None
        self.auth_token_route_missing = False
        self.fired.clear()

    @property
    def pending(self) -> tuple[Fault, ...]:
        """Scripted faults that have not used up their `times` yet."""
        return tuple(self._scripted)

    def pick(self, method: str, path: str, query: str = "") -> Fault | None:
        """Return the fault for this request, if any, and count it as fired."""
        fault = self._pick_scripted(method, path, query) or self._pick_random(method, path)
        if fault is not None:
            self.fired.append(FiredFault(fault.kind, method, path, fault.status))
            logger.info("sandbox fault %s fired on %s %s", fault.kind, method, path)
        return fault

    def _pick_scripted(self, method: str, path: str, query: str) -> Fault | None:
        for fault in self._scripted:
            if fault.matches(method, path, query):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._scripted.remove(fault)
                return fault
        return None

    def _pick_random(self, method: str, path: str) -> Fault | None:
        plan = self._random
        if plan is None:
            return None
        if plan.exclude_auth and path.rstrip("/") in EXCHANGE_PATHS:
            return None
        if plan.method is not None and plan.method.upper() != method.upper():
            return None
        if plan.path is not None and plan.path.search(path) is None:
            return None
        # Keyed on the request and its repeat count, not on arrival order: deterministic under concurrency.
        key = (method.upper(), path)
        seen = self._seen[key] = self._seen.get(key, 0) + 1
        draw = _random.Random(hashlib.sha256(f"{plan.seed}|{key}|{seen}".encode()).digest())
        if draw.random() >= plan.rate:
            return None
        kind = draw.choice(plan.kinds)
        status = draw.choice(plan.statuses) if plan.statuses else 503
        return Fault(kind, status=status, retry_after=plan.retry_after, delay=plan.delay)
