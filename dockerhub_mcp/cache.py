"""A small cache with single flight: values kept for a while on an injected clock, and one load per key however
many ask for it at once. Completion uses it so that a burst of keystrokes sends Docker Hub one request."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import anyio

__all__ = ["Bursts", "FlightCache", "Known", "Names"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Names:
    """Names as Hub listed them, and whether that is every name that matched (Hub's answer was not cut short)."""

    names: tuple[str, ...]
    complete: bool


@dataclass(frozen=True, slots=True)
class Known(Generic[V]):
    """What is known about a key: its value, or None when loading it failed a moment ago."""

    value: V | None


class Bursts(Generic[K]):
    """Which keys are asked for in quick succession: a burst is a run of asks each less than `gap` seconds after
    the one before (keystrokes as someone types), however long the run lasts.

    Args:
        gap: the longest pause, in seconds of the caller's clock, that still continues a burst.
        max_keys: keys remembered at most; the least recently asked go first.
    """

    def __init__(self, *, gap: float = 1.0, max_keys: int = 256) -> None:
        self._gap = gap
        self._max_keys = max_keys
        self._asked: OrderedDict[K, float] = OrderedDict()

    def continues(self, key: K, now: float) -> bool:
        """Record an ask for `key` at `now`; whether it continues a burst (the last ask was under `gap` ago)."""
        last = self._asked.pop(key, None)
        self._asked[key] = now
        while len(self._asked) > self._max_keys:
            self._asked.popitem(last=False)
        return last is not None and 0 <= now - last < self._gap


@dataclass(slots=True)
class _Flight(Generic[V]):
    done: anyio.Event = field(default_factory=anyio.Event)
    value: V | None = None


class FlightCache(Generic[K, V]):
    """Values by key, each kept `ttl` seconds of the caller's clock (a failed load: `failure_ttl` seconds).

    Concurrent `get`s of one key share a single load. The load runs to its end (or `deadline` real seconds)
    even when the caller that started it is cancelled, so the others still get its answer.

    Args:
        ttl: seconds a loaded value stays fresh.
        failure_ttl: seconds a failed load (None) is remembered, so a burst does not retry it at once.
        max_entries: values kept at most; the oldest go first.
        deadline: real seconds a load may take before it counts as failed.
    """

    def __init__(
        self, *, ttl: float = 60.0, failure_ttl: float = 10.0, max_entries: int = 256, deadline: float = 10.0
    ) -> None:
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._max_entries = max_entries
        self._deadline = deadline
        self._entries: OrderedDict[K, tuple[float, V | None]] = OrderedDict()
        self._flights: dict[K, _Flight[V]] = {}

    def _fresh(self, key: K, now: float) -> Known[V] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if now >= expires:
            del self._entries[key]
            return None
        return Known(value)

    async def known(self, key: K, clock: Callable[[], float]) -> Known[V] | None:
        """The fresh value of `key`, or that of its load in flight (awaited); None when neither exists.

        Returns without waiting when nothing is in flight.
        """
        found = self._fresh(key, clock())
        if found is not None:
            return found
        flight = self._flights.get(key)
        if flight is None:
            return None
        await flight.done.wait()
        return Known(flight.value)

    async def get(self, key: K, load: Callable[[], Awaitable[V | None]], clock: Callable[[], float]) -> V | None:
        """The value of `key`: cached while fresh, else loaded once for every caller waiting on it.

        Args:
            key: what to look up.
            load: fetches the value; returns None when it failed (remembered for `failure_ttl` seconds).
            clock: unix time in seconds (the Hub client's, so tests move it instead of sleeping).
        """
        found = await self.known(key, clock)
        if found is not None:
            return found.value
        flight: _Flight[V] = _Flight()
        self._flights[key] = flight  # before any await: whoever asks next joins this load
        try:
            # Shielded: a caller that gives up (a host cancels stale completions) must not fail the others.
            with anyio.move_on_after(self._deadline, shield=True):
                flight.value = await load()
            ttl = self._ttl if flight.value is not None else self._failure_ttl
            self._entries[key] = (clock() + ttl, flight.value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        finally:
            del self._flights[key]
            flight.done.set()
        return flight.value
