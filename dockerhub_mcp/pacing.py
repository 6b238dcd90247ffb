"""Staying inside Docker Hub's rate limit, and which failures are worth another try (the retry policy).

Hub reports its per-minute budget on every answer (`X-RateLimit-Limit`, `-Remaining`, `-Reset`). The
client spends that budget evenly as it runs low instead of running into 429s, and when a 429 comes
anyway it waits as Hub asked (capped) before the retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from dockerhub_mcp.errors import DockerHubError, RateLimitedError, TransportError, UpstreamError
from dockerhub_mcp.operations import Operation

__all__ = ["RateBudget", "Sleep", "ambiguous", "retryable"]

Sleep = Callable[[float], Awaitable[None]]

# Start pacing when fewer than this share of the minute's budget is left (or fewer than PACE_FLOOR requests).
PACE_SHARE = 0.1
PACE_FLOOR = 10


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


@dataclass
class RateBudget:
    """What Hub last said of the rate limit, counted down locally between answers, and the time slots
    booked against it, shared by every request of the client however many run at once.

    Absent headers mean unknown, not zero: with nothing known the budget never waits.
    """

    limit: float | None = None
    remaining: float | None = None
    reset: float | None = None
    next_slot: float = 0.0
    blocked_until: float = 0.0

    def update(self, headers: Mapping[str, str]) -> None:
        """Take Hub's figures from an answer's headers."""
        remaining = _number(headers, "x-ratelimit-remaining")
        if remaining is None:
            return
        reset = _number(headers, "x-ratelimit-reset")
        if self.remaining is not None and reset == self.reset:
            # Same window: an answer to an older request must not give back what later ones booked.
            remaining = min(remaining, self.remaining)
        self.remaining = remaining
        self.limit = _number(headers, "x-ratelimit-limit")
        self.reset = reset

    def block(self, until: float) -> None:
        """After a 429: nothing is sent before `until`, and the old figures no longer hold."""
        self.blocked_until = max(self.blocked_until, until)
        self.remaining = None

    def delay(self, now: float) -> float:
        """Seconds to wait before the next request, booking its slot against the budget."""
        earliest = max(now, self.blocked_until)
        if self.remaining is None or self.reset is None or self.reset <= earliest:
            self.remaining = None  # unknown, or a new window: the next answer will say how much is left
            return earliest - now
        remaining = self.remaining
        self.remaining = remaining - 1
        if remaining > max(PACE_FLOOR, (self.limit or 0) * PACE_SHARE):
            return earliest - now
        if remaining < 1:  # nothing left: wait for the window to reset
            slot = max(earliest, self.reset, self.next_slot)
            self.next_slot = slot
            return slot - now
        # Spread what is left over what is left of the window, one slot after another across workers.
        slot = max(earliest, self.next_slot)
        self.next_slot = slot + (self.reset - now) / remaining
        return slot - now


def retryable(op: Operation, exc: Exception) -> bool:
    """Whether `exc` from sending `op` is worth another try.

    A 429, or a connection that was never made, was not acted on: any operation may be sent again.
    A 5xx, a timeout or a cut connection may have been acted on: only idempotent operations are retried
    (a POST is not repeated; its caller reads back what Hub holds instead, as the team grant does).
    """
    if isinstance(exc, DockerHubError) and exc.during_exchange:
        return False  # the exchange has its own single retry; looping on it locks the username out
    if isinstance(exc, RateLimitedError):
        return True
    if isinstance(exc, TransportError):
        return exc.unsent or op.idempotent
    if isinstance(exc, UpstreamError) and exc.status is not None and exc.status >= 500:
        return op.idempotent
    return False


def ambiguous(op: Operation, exc: DockerHubError) -> bool:
    """Whether a failed non-idempotent operation may still have taken effect."""
    if op.idempotent or isinstance(exc, RateLimitedError):
        return False
    if isinstance(exc, TransportError):
        return not exc.unsent
    return isinstance(exc, UpstreamError) and exc.status is not None and exc.status >= 500
