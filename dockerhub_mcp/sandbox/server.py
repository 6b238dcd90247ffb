"""Serve the sandbox Hub on a loopback address with uvicorn (blocking), logging to stderr only."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from dockerhub_mcp.sandbox.faults import ConnectionDropped

__all__ = ["check_loopback", "make_server", "run", "serving"]

logger = logging.getLogger(__name__)


def check_loopback(host: str) -> None:
    """Refuse any host that is not loopback: the sandbox has no auth worth exposing to a network.

    Raises:
        ValueError: `host` is not `localhost`, in 127.0.0.0/8, or `::1`.
    """
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(f"the sandbox Hub only listens on loopback, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox Hub only listens on loopback, not {host!r}")


class _HideDrops(logging.Filter):
    """Keep uvicorn from printing a traceback for every `drop` fault, which is working as intended."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_HIDE_DROPS = _HideDrops()


def _log_config(level: str) -> dict[str, Any]:
    # uvicorn's default config sends access logs to stdout, which is the MCP protocol channel in one mode.
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }


def make_server(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "info"
) -> tuple[uvicorn.Server, socket.socket]:
    """A uvicorn server for `app` and its already-bound loopback socket (port 0 = any free port).

    Raises:
        ValueError: `host` is not loopback.
        OSError: the port cannot be bound.
    """
    check_loopback(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    config = uvicorn.Config(app, log_config=_log_config(log_level), access_log=True, lifespan="off")
    logging.getLogger("uvicorn.error").addFilter(_HIDE_DROPS)  # the same object is added once only
    return uvicorn.Server(config), sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def serving(app: Any, host: str = "127.0.0.1", *, log_level: str = "warning") -> Iterator[str]:
    """Serve `app` on a free loopback port from a background thread; inside the block, its base URL.

    Raises:
        ValueError: `host` is not loopback.
        RuntimeError: the server did not start within 20 seconds.
    """
    server, sock = make_server(app, host, 0, log_level=log_level)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:  # uvicorn offers a flag, not an event
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox Hub did not start")
            time.sleep(0.01)
        yield _url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "info",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `app` on loopback `host:port` until interrupted (blocking); nothing goes to stdout.

    `on_ready` receives the base URL (e.g. `http://127.0.0.1:8765`) once the socket is bound, which is
    how a caller learns the port chosen for `port=0`.

    Raises:
        ValueError: `host` is not loopback.
    """
    server, sock = make_server(app, host, port, log_level=log_level)
    url = _url(sock)
    logger.info("sandbox Hub listening on %s (simulated Docker Hub, demo credentials only)", url)
    if on_ready is not None:
        on_ready(url)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
