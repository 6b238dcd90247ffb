"""The `dockerhub-mcp` command: serve MCP (stdio or HTTP), check credentials, run the sandbox Hub.

Exit codes: 0 success, 1 a failed check or operation, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

import anyio
import httpx2

from dockerhub_mcp import __version__
from dockerhub_mcp.batch import add_commands, run_command
from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.config import ConfigError, HttpSettings, Settings, is_loopback
from dockerhub_mcp.errors import DockerHubError
from dockerhub_mcp.redaction import RedactingFilter

__all__ = ["main"]

logger = logging.getLogger("dockerhub_mcp")

SANDBOX_API_URL = "http://sandbox.hub.local"
Clock = Callable[[], float]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in one line (exit 2), as every other refusal of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dockerhub-mcp", description="MCP server for Docker Hub (stdio by default).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--sandbox", action="store_true", help="serve against the built-in sandbox Hub, no account")
    parser.add_argument("--read-only", action="store_true", help="register only read-only tools")
    parser.add_argument(
        "--token-kind", choices=("pat", "oat"), help="the kind of DOCKERHUB_TOKEN (default: from its prefix)"
    )
    parser.add_argument(
        "--concurrency", metavar="N", help="requests in flight at once (default 8; same as DOCKERHUB_CONCURRENCY)"
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--check", action="store_true", help="exchange the token once, print ok or why not, exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (to stderr)")
    commands = parser.add_subparsers(dest="command")
    hub = commands.add_parser("sandbox-hub", help="serve the sandbox Docker Hub API on loopback")
    hub.add_argument("--host", default="127.0.0.1", help="loopback address only")
    hub.add_argument("--port", type=int, default=8080)
    hub.add_argument("--seed", type=int, default=0)
    add_commands(commands)
    return parser


def _configure_logging(verbose: bool) -> None:
    # stdout is the MCP protocol on stdio: every log line goes to stderr.
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        for noisy in ("httpx2", "httpcore2", "mcp", "uvicorn.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _redact_logs(settings: Settings) -> None:
    """Take the token, the plan key, JWTs and header values out of every log line, at any level."""
    secrets = [settings.token.get_secret_value()]
    if settings.plan_key is not None:
        secrets.append(settings.plan_key.get_secret_value())
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter(secrets))


def _settings(args: argparse.Namespace) -> tuple[Settings, httpx2.AsyncBaseTransport | None]:
    """The settings, read in one place for every mode; with --sandbox, the sandbox's credentials stand in."""
    env = dict(os.environ)
    if args.token_kind:
        env["DOCKERHUB_TOKEN_KIND"] = args.token_kind
    if args.concurrency is not None:
        env["DOCKERHUB_CONCURRENCY"] = args.concurrency
    if not args.sandbox:
        return Settings.from_env(env, read_only=args.read_only), None
    from dockerhub_mcp import sandbox  # noqa: PLC0415 - the simulator loads only in sandbox mode

    oat = env.get("DOCKERHUB_TOKEN_KIND", "").strip().lower() == "oat"
    env.pop("DOCKERHUB_TOKEN_FILE", None)
    env |= {
        "DOCKERHUB_USERNAME": sandbox.SANDBOX_ORG if oat else sandbox.SANDBOX_USERNAME,
        "DOCKERHUB_TOKEN": sandbox.SANDBOX_OAT if oat else sandbox.SANDBOX_TOKEN,
        "DOCKERHUB_API_URL": SANDBOX_API_URL,
        "DOCKERHUB_LABEL": env.get("DOCKERHUB_LABEL") or ("Sandbox (acme)" if oat else "Sandbox"),
    }
    settings = Settings.from_env(env, read_only=args.read_only, sandbox=True)
    return settings, httpx2.ASGITransport(app=sandbox.build_sandbox().app)


async def _check(settings: Settings, transport: httpx2.AsyncBaseTransport | None, clock: Clock) -> int:
    async with DockerHubClient(settings, transport=transport, clock=clock) as client:
        try:
            await client.check()
        except DockerHubError as exc:
            print(f"not ok: {exc}")
            return 1
    kind = "an organization access token" if settings.token_kind == "oat" else "a personal access token"
    print(f"ok: signed in to {settings.api_url} as {settings.username} with {kind}")
    return 0


def _serve_sandbox_hub(args: argparse.Namespace) -> int:
    from dockerhub_mcp import sandbox  # noqa: PLC0415

    if not is_loopback(args.host):
        print(f"dockerhub-mcp: the sandbox Hub serves loopback only, not {args.host!r}", file=sys.stderr)
        return 2
    sandbox.serve(host=args.host, port=args.port, seed=args.seed)
    return 0


async def _batch(
    args: argparse.Namespace, settings: Settings, transport: httpx2.AsyncBaseTransport | None, clock: Clock
) -> int:
    """Run a scheduled-run command; SIGTERM or SIGINT stops it as a cancel would (the deletes under way are
    waited for and recorded, the --report file is marked interrupted), and the exit status is 128 + signal."""
    caught: list[signal.Signals] = []
    codes: list[int] = []
    async with (
        DockerHubClient(settings, transport=transport, clock=clock) as client,
        anyio.create_task_group() as group,
    ):

        async def stop_on_signal() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for received in signals:
                    caught.append(received)
                    group.cancel_scope.cancel()
                    return

        async def work() -> None:
            codes.append(await run_command(args, client))
            group.cancel_scope.cancel()

        if threading.current_thread() is threading.main_thread():  # only the main thread may take signals
            group.start_soon(stop_on_signal)
        group.start_soon(work)
    if caught:
        print(f"dockerhub-mcp {args.command}: interrupted by {caught[0].name}", file=sys.stderr)
        return 128 + caught[0].value
    return codes[0] if codes else 1


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    clock: Clock = time.time,
) -> int:
    """Run the command line; returns the exit code.

    Args:
        argv: the arguments (default: `sys.argv[1:]`).
        transport: an HTTP transport to Hub instead of the network (tests pass the sandbox's).
        clock: unix time source of the scheduled-run commands and --check (tests move it to expire plans).
    """
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    if args.command == "sandbox-hub":
        return _serve_sandbox_hub(args)
    try:
        settings, sandbox_transport = _settings(args)
    except ConfigError as exc:
        print(f"dockerhub-mcp: {exc}", file=sys.stderr)
        return 2
    transport = transport or sandbox_transport
    _redact_logs(settings)
    if args.command in ("cleanup", "audit", "describe"):
        return anyio.run(_batch, args, settings, transport, clock)
    if args.check:
        return anyio.run(_check, settings, transport, clock)
    return _serve(args, settings, transport)


def _serve(args: argparse.Namespace, settings: Settings, transport: httpx2.AsyncBaseTransport | None) -> int:
    # The MCP SDK loads only to serve: the scheduled-run commands start without it.
    from dockerhub_mcp.server import WILDCARD_HOSTS, build_server, run_http  # noqa: PLC0415

    if args.transport != "http":
        build_server(settings, transport=transport).run()
        return 0
    try:
        http = HttpSettings.from_env(os.environ)
    except ConfigError as exc:
        print(f"dockerhub-mcp: {exc}", file=sys.stderr)
        return 2
    if http.key is None and not is_loopback(args.host):
        print(f"dockerhub-mcp: refusing to serve HTTP on {args.host!r} without DOCKERHUB_MCP_HTTP_KEY", file=sys.stderr)
        return 2
    if args.host in WILDCARD_HOSTS and not http.allowed_hosts:
        print(
            f"dockerhub-mcp: binding {args.host!r} needs DOCKERHUB_MCP_ALLOWED_HOSTS (the host names clients use)",
            file=sys.stderr,
        )
        return 2
    run_http(build_server(settings, transport=transport), host=args.host, port=args.port, http=http)
    return 0
