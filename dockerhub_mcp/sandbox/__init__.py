"""A stateful simulator of the Docker Hub API: a Starlette app over in-memory state.

It plays Docker Hub for tests, `--sandbox` and `sandbox-hub`, and imports nothing from the rest of
`dockerhub_mcp`, so a mistake in the client's own tables cannot pass on both sides of the wire.

    sb = build_sandbox()
    client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.app), base_url="http://hub.sandbox.test")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from starlette.applications import Starlette

from dockerhub_mcp.sandbox.app import build_app
from dockerhub_mcp.sandbox.clock import Clock, VirtualTime
from dockerhub_mcp.sandbox.faults import ConnectionDropped, Fault, Faults
from dockerhub_mcp.sandbox.model import EXCHANGE_PATHS, RecordedRequest
from dockerhub_mcp.sandbox.seed import SANDBOX_OAT, SANDBOX_ORG, SANDBOX_TOKEN, SANDBOX_USERNAME, seed_hub
from dockerhub_mcp.sandbox.server import run
from dockerhub_mcp.sandbox.state import OAT_ONLY_ROUTES, PAT_ONLY_ROUTES, HubState

__all__ = [
    "OAT_ONLY_ROUTES",
    "PAT_ONLY_ROUTES",
    "SANDBOX_OAT",
    "SANDBOX_ORG",
    "SANDBOX_TOKEN",
    "SANDBOX_USERNAME",
    "Clock",
    "ConnectionDropped",
    "Fault",
    "Faults",
    "HubState",
    "RecordedRequest",
    "Sandbox",
    "VirtualTime",
    "build_sandbox",
    "serve",
]


@dataclass
class Sandbox:
    """One simulated Hub: the ASGI app, its state, faults and clock."""

    app: Starlette
    state: HubState
    clock: Clock

    @property
    def faults(self) -> Faults:
        """The fault switchboard (also `state.faults`)."""
        return self.state.faults

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, oldest first (also `state.requests`)."""
        return self.state.requests

    @property
    def exchanges(self) -> int:
        """How many token-exchange requests arrived (`POST /v2/auth/token` + `POST /v2/users/login`)."""
        return sum(1 for r in self.state.requests if r.method == "POST" and r.path.rstrip("/") in EXCHANGE_PATHS)

    def api_requests(self, method: str | None = None, path_prefix: str | None = None) -> list[RecordedRequest]:
        """Recorded requests other than token exchanges, optionally by method and path prefix."""
        return [
            r
            for r in self.state.requests
            if not (r.method == "POST" and r.path.rstrip("/") in EXCHANGE_PATHS)
            and (method is None or r.method == method.upper())
            and (path_prefix is None or r.path.startswith(path_prefix))
        ]

    def reset(self) -> None:
        """Back to the seeded state (see `HubState.reset`); the clock keeps its time."""
        self.state.reset()


def build_sandbox(*, seed: int = 0, clock: Clock | None = None, demo: bool = True) -> Sandbox:
    """Build a sandbox Hub: the `demo` user (PAT `SANDBOX_TOKEN`, repo:admin) and, with `demo`, the demo data
    (among it the organization `acme`, whose access token is `SANDBOX_OAT`).

    The same `seed` always gives the same data; timestamps are ages before the clock's time now.
    """
    clock = clock if clock is not None else Clock()
    seeder: Callable[[HubState], None] = partial(seed_hub, seed=seed, at=clock.now(), demo=demo)
    state = HubState(clock, seed=seed, seeder=seeder)
    return Sandbox(app=build_app(state), state=state, clock=clock)


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 0,
    demo: bool = True,
    log_level: str = "info",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run a fresh sandbox Hub with uvicorn on a loopback address until interrupted (blocking).

    Logs go to stderr, never stdout. `on_ready` receives the base URL once bound (useful with `port=0`).

    Raises:
        ValueError: `host` is not loopback (127.0.0.0/8, ::1 or localhost).
    """
    run(build_sandbox(seed=seed, demo=demo).app, host, port, log_level=log_level, on_ready=on_ready)
