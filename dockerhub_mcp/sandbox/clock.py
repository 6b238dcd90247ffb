"""The sandbox clock: wall time plus an offset that tests move forward instead of sleeping."""

from __future__ import annotations

import time

__all__ = ["Clock"]


class Clock:
    """Unix time in seconds, `time.time() + offset`, or a frozen instant.

    The client under test is handed `clock.now` as its own clock, so `advance()` ages JWTs,
    rate-limit windows and tag activity on both sides of the wire at once.
    """

    def __init__(self, offset: float = 0.0) -> None:
        """Start `offset` seconds away from wall time (0 = now)."""
        self._offset = offset
        self._frozen: float | None = None

    @classmethod
    def starting_at(cls, at: float) -> Clock:
        """A running clock that reads `at` (unix seconds) now: a fixed date, with time still passing."""
        return cls(offset=at - time.time())

    def now(self) -> float:
        """Return the current sandbox time in unix seconds."""
        if self._frozen is not None:
            return self._frozen
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds` (a frozen clock stays frozen, just later).

        Raises:
            ValueError: `seconds` is negative; the Hub's clock never runs backwards.
        """
        if seconds < 0:
            raise ValueError(f"cannot move the clock backwards ({seconds!r} s)")
        if self._frozen is not None:
            self._frozen += seconds
        else:
            self._offset += seconds

    def freeze(self, at: float | None = None) -> None:
        """Stop time at `at` (unix seconds), or at the current sandbox time."""
        self._frozen = self.now() if at is None else at

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant."""
        if self._frozen is not None:
            self._offset = self._frozen - time.time()
            self._frozen = None
