"""The sandbox clock: wall time plus an offset that tests move forward instead of sleeping."""

from __future__ import annotations

import asyncio
import heapq
import time

import anyio
import anyio.lowlevel

__all__ = ["Clock", "VirtualTime"]


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


class VirtualTime:
    """Discrete-event time on a frozen `Clock` (asyncio only): a sleeping task wakes when the clock reaches its
    time, and the clock jumps to the next wake-up as soon as every task is waiting. Minutes of rate-limit pacing and
    request latency, with any number of requests in flight, run in a moment and the same way every time.

        vt = VirtualTime(clock)                      # clock.freeze()-ed first
        async with anyio.create_task_group() as tg:
            tg.start_soon(vt.run)                    # the driver
            ...                                      # the client and the sandbox both sleep with vt.sleep
            tg.cancel_scope.cancel()
    """

    def __init__(self, clock: Clock) -> None:
        """Drive `clock`, which must be frozen (only the driver moves it)."""
        self.clock = clock
        self._wakes: list[tuple[float, int, anyio.Event]] = []
        self._count = 0
        self._added = anyio.Event()

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of virtual time."""
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        self._count += 1
        woken = anyio.Event()
        heapq.heappush(self._wakes, (self.clock.now() + seconds, self._count, woken))
        self._added.set()
        await woken.wait()

    async def run(self) -> None:
        """Move the clock from one wake-up to the next while the other tasks wait (until cancelled)."""
        while True:
            await _all_tasks_waiting()
            if not self._wakes:
                await self._added.wait()
                self._added = anyio.Event()
                continue
            at, _, woken = heapq.heappop(self._wakes)
            if at > self.clock.now():
                self.clock.advance(at - self.clock.now())
            woken.set()


async def _all_tasks_waiting() -> None:
    """Return once every other task waits on something (anyio's own check naps 0.1 s between looks)."""
    this = asyncio.current_task()
    while True:
        await anyio.lowlevel.checkpoint()
        if all(task is this or _waiting(task) for task in asyncio.all_tasks()):
            return


def _waiting(task: asyncio.Task[object]) -> bool:
    waiter = getattr(task, "_fut_waiter", None)  # the future a suspended task waits on; None when runnable
    return waiter is not None and not waiter.done()
