"""uvicorn's HTTP protocol, guarded for a personal server: a connection must send its request headers within
a deadline, and no more than a set number of connections are held open at once.

uvicorn itself has no header-read timeout: a socket that connects and sends nothing stays open, and a
thousand of them exhaust a 1,024-file limit. Extra connections are closed as they arrive, before they can
take a file descriptor for long.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["guarded_protocol"]

logger = logging.getLogger(__name__)


def guarded_protocol(*, max_connections: int, header_timeout: float) -> type[H11Protocol]:
    """An H11 protocol class that closes connections over `max_connections` and any connection whose request
    headers have not arrived `header_timeout` seconds after it opened (or after its last answer)."""

    class Guarded(H11Protocol):
        _header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                logger.warning(
                    "closing a connection: %d are open, the limit is %d", len(self.connections), max_connections
                )
                self.transport.close()
                return
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._header_deadline = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _too_slow(self) -> None:
            if self.cycle is None or self.cycle.response_complete:
                logger.info("closing a connection that sent no request headers in %.1f s", header_timeout)
                self.transport.close()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # a request is under way: its headers arrived

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request on this connection has the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return Guarded
