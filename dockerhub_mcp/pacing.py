"""Staying inside Docker Hub's rate limit, and which failures are worth another try (the retry policy).

Hub reports its per-minute budget on every answer (`X-RateLimit-Limit`, `-Remaining`, `-Reset`). The
client spends that budget evenly as it runs low instead of running into 429s, and when a 429 comes
anyway it waits as Hub asked (capped) before the retry.
"""

from __future__ import annotations

import email.utils
from collections.abc import Awaitable, Callable, Mapping

import anyio

from dockerhub_mcp.errors import DockerHubError, RateLimitedError, TransportError, UpstreamError
from dockerhub_mcp.operations import Operation

__all__ = ["RateBudget", "Sleep", "ambiguous", "retryable"]

Sleep = Callable[[float], Awaitable[None]]

# Start pacing when fewer than this share of the minute's budget is left (or fewer than PACE_FLOOR requests).
PACE_SHARE = 0.1
PACE_FLOOR = 10
LONGEST_WINDOW = 120.0  # Hub's windows last a minute: a reset further off than this is not one of them
CLOCK_RESET = 5.0  # seconds by which a clock difference must shrink to count as a clock set anew


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


class RateBudget:
    """What Hub last said of the rate limit, counted down locally between answers, shared by every request of
    the client however many run at once.

    While more than a tenth of the minute's budget is left, requests go as fast as they come. Then they take
    turns: each waits for its slot, the rest of the window divided by the requests still allowed, and looks
    again when it wakes, since answers that arrived meanwhile may say less is left (or a new window began).
    Absent headers mean unknown, not zero: with nothing known the budget never waits.
    """

    def __init__(self) -> None:
        self.limit: float | None = None
        self.remaining: float | None = None
        self.reset: float | None = None
        self.next_slot = 0.0  # the earliest time the next paced request may go
        self.blocked_until = 0.0
        self._hub_reset: float | None = None  # the reset as Hub said it, which names the window
        self._skew_seen: float | None = None  # the largest `Date` minus our clock seen so far
        self._turn = anyio.Lock()

    def update(self, headers: Mapping[str, str], now: float) -> None:
        """Take Hub's figures from an answer's headers, received at `now` by our clock.

        The reset is a time on Hub's clock: where its `Date` shows the clocks disagree, the reset is moved
        onto ours, so the next window is not waited for after Hub has begun it.
        """
        self._note_skew(headers.get("date"), now)
        remaining = _number(headers, "x-ratelimit-remaining")
        hub_reset = _number(headers, "x-ratelimit-reset")
        if remaining is None or hub_reset is None:
            return
        if self._hub_reset is not None and hub_reset < self._hub_reset:
            return  # an answer from a window already over says nothing of this one
        reset = hub_reset - self.skew
        if not now < reset <= now + LONGEST_WINDOW:
            return  # past, or beyond any minute window: nothing to pace by
        if self.remaining is not None and hub_reset == self._hub_reset:
            # Same window: an answer to an older request must not give back what later ones booked.
            remaining = min(remaining, self.remaining)
        self.remaining, self.limit = remaining, _number(headers, "x-ratelimit-limit")
        self.reset, self._hub_reset = reset, hub_reset

    @property
    def skew(self) -> float:
        """How far Hub's clock runs ahead of ours, rounded towards waiting a little longer: `Date` has whole
        seconds, cut down, so the largest difference seen is at most a second short of the truth."""
        seen = self._skew_seen
        return 0.0 if seen is None or abs(seen) <= 1 else seen - 1

    def _note_skew(self, date: str | None, now: float) -> None:
        if not date:
            return
        try:
            seen = email.utils.parsedate_to_datetime(date).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        # The largest difference is the best estimate; one far below it means a clock was set anew.
        if self._skew_seen is None or seen > self._skew_seen or seen < self._skew_seen - CLOCK_RESET:
            self._skew_seen = seen

    def block(self, until: float) -> None:
        """After a 429: nothing is sent before `until`, and the old figures no longer hold."""
        self.blocked_until = max(self.blocked_until, until)
        self.remaining = None

    async def wait_turn(self, clock: Callable[[], float], sleep: Sleep) -> None:
        """Wait until the budget allows one more request, and count it."""
        if self._wait(clock()) <= 0:  # the common case: no turn to take
            self._book(clock())
            return
        async with self._turn:
            while (wait := self._wait(clock())) > 0:
                await sleep(wait)
            self._book(clock())

    def _paced(self) -> bool:
        return self.remaining is not None and self.remaining <= max(PACE_FLOOR, (self.limit or 0) * PACE_SHARE)

    def _wait(self, now: float) -> float:
        """Seconds before a request may go, by what is known now."""
        if now < self.blocked_until:
            return self.blocked_until - now
        if self.remaining is None or self.reset is None or self.reset <= now:
            return 0.0  # unknown, or a new window: the next answer will say how much is left
        if self.remaining < 1:
            return self.reset - now
        return max(0.0, self.next_slot - now) if self._paced() else 0.0

    def _book(self, now: float) -> None:
        """Count a request about to go, and set the slot of the one after it."""
        if self.remaining is None or self.reset is None or self.reset <= now:
            self.remaining = None
            return
        if self._paced() and self.remaining >= 1:
            # What is left of the window, shared evenly by the requests the budget still allows.
            self.next_slot = now + (self.reset - now) / self.remaining
        self.remaining -= 1


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
