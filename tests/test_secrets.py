"""A canary token must never appear in logs, tool results, error messages, exception reprs or the CLI's output.

One test drives every tool, both resources, the error paths and the sandbox's faults in both protocol eras,
the client's own exceptions, the CLI in process and over a real loopback socket, and the real server process
over stdio, with every logger at DEBUG. Everything it can capture is scanned for the PAT (and a refused one),
for the JWTs the sandbox actually issued (recorded off the wire), and for anything shaped like or decodable
as a JWT. It runs with a `dckr_pat_`-shaped canary and with one in no known shape, so redaction by value is
tested, not only redaction by pattern.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import socket
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import httpx2
import jwt
import pytest
import uvicorn
from mcp import Client, MCPError, StdioServerParameters
from mcp.client import ClientRequestContext
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, ErrorData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dockerhub_mcp.cli import main
from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.config import Settings
from dockerhub_mcp.errors import DockerHubError
from dockerhub_mcp.sandbox import Fault, Sandbox
from dockerhub_mcp.sandbox.model import EXCHANGE_PATHS
from dockerhub_mcp.server import build_server
from helpers import make_settings, measured

pytestmark = pytest.mark.anyio

CANARY = "dckr_pat_CANARY_c4n4ry_5ecret_0123456789"
WRONG_TOKEN = "dckr_pat_WRONG_w40ng_5ecret_9876543210"  # a token Hub refuses is a secret all the same
# Tokens in no known shape: redaction must work by value, not only by recognising `dckr_pat_` or `eyJ`.
UNSHAPED_CANARY = "canary-7c1f0e-5ecret-in-no-known-shape"
UNSHAPED_WRONG_TOKEN = "wrong-3b9d2a-5ecret-in-no-known-shape"
API_URL = "https://hub.sandbox.test"
LOGGERS = ("", "httpx2", "httpcore2", "mcp", "dockerhub_mcp", "stamina", "uvicorn")
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
DOTTED = re.compile(r"[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")  # what jwt.decode is tried on
TAGS = r"^/v2/namespaces/demo/repositories/web/tags$"
TAG = r"^/v2/namespaces/demo/repositories/web/tags/latest$"
WEB = r"^/v2/namespaces/demo/repositories/web$"
REPOSITORIES = r"^/v2/namespaces/demo/repositories$"
EXCHANGES = r"^/v2/(auth/token|users/login)$"


def echoing(*secrets: str) -> dict[str, object]:
    """A Hub error body that echoes credentials back in every field the client reads."""
    return {
        "message": f"invalid credential {secrets[0]}",
        "detail": " ".join(secrets),
        "fields": {"secret": [f"{secrets[-1]} is not accepted"]},
        "errinfo": {"token": secrets[0]},
    }


# -- capturing -----------------------------------------------------------------------------------------


@dataclass
class Captured:
    """Every text the run produced, labelled by where it came from, and the JWTs the sandbox issued."""

    texts: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    issued: list[str] = field(default_factory=list[str])

    def add(self, label: str, text: str) -> None:
        """Keep `text` for the scan."""
        self.texts.append((label, text))

    def result(self, label: str, result: CallToolResult) -> CallToolResult:
        """Keep a tool result as the client received it."""
        self.add(label, result.model_dump_json())
        return result

    def exception(self, label: str, exc: BaseException) -> None:
        """Keep repr() and str() of `exc` and of everything chained to it."""
        for link in exception_chain(exc):
            self.add(f"{label} {type(link).__name__}", f"{link!r}\n{link}")


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, its `__cause__` and `__context__` chains, and the members of exception groups, each once."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)


def log_texts(records: Sequence[logging.LogRecord]) -> Iterator[tuple[str, str]]:
    """Each record's message, raw msg and args, formatted traceback and every attribute (extras included)."""
    formatter = logging.Formatter()
    for record in records:
        label = f"log {record.name} {record.levelname}"
        yield label, record.getMessage()
        yield label, f"{record.msg!r} {record.args!r}"
        if record.exc_info:
            yield label, formatter.formatException(record.exc_info)
        if record.exc_text:
            yield label, record.exc_text
        yield label, repr(record.__dict__)


def recording(app: ASGIApp, issued: list[str]) -> ASGIApp:
    """`app` with every JWT it hands out on the token routes appended to `issued`."""

    async def recorder(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") not in EXCHANGE_PATHS:
            await app(scope, receive, send)
            return
        body = bytearray()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    issued.extend(_tokens_in(bytes(body)))
            await send(message)

        await app(scope, receive, keep)

    return recorder


def _tokens_in(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    return [v for k in ("access_token", "token") if isinstance(v := data.get(k), str)]


def _decodes_as_jwt(candidate: str) -> bool:
    try:
        jwt.decode(candidate, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return True


def leaks(texts: Sequence[tuple[str, str]], secrets: Sequence[str]) -> list[str]:
    """Where any of `secrets`, a JWT-shaped string or a decodable JWT shows up in `texts`."""
    found: list[str] = []
    first_label: dict[str, str] = {}
    for label, text in texts:
        first_label.setdefault(text, label)  # the same text (a log line, say) is scanned once
    for text, label in first_label.items():
        for secret in secrets:
            if secret in text:
                found.append(f"{label}: {secret[:16]}…")
        if JWT_SHAPE.search(text):
            found.append(f"{label}: a JWT-shaped string")
        found.extend(f"{label}: a decodable JWT" for c in DOTTED.findall(text) if _decodes_as_jwt(c))
    return sorted(set(found))


def secrets_of(pats: Sequence[str], issued: Sequence[str]) -> list[str]:
    """What must not show: each PAT and its random part, each JWT whole and its payload and signature."""
    values = [*pats, *(p.removeprefix("dckr_pat_") for p in pats)]
    for token in issued:
        values.append(token)
        values.extend(part for part in token.split(".")[1:] if len(part) >= 16)
    return values


async def clock_sleep_for(sandbox: Sandbox, seconds: float) -> None:
    """Move the sandbox clock instead of waiting (the client shares that clock)."""
    sandbox.clock.advance(seconds)
    await anyio.lowlevel.checkpoint()


# -- the MCP surface -----------------------------------------------------------------------------------


@dataclass
class Session:
    """One sandbox, the PAT the run uses (and a wrong one), and what the run captured."""

    sandbox: Sandbox
    pat: str
    wrong: str
    captured: Captured = field(default_factory=Captured)

    def transport(self) -> httpx2.AsyncBaseTransport:
        """The sandbox in process, recording the JWTs it issues."""
        return httpx2.ASGITransport(app=recording(self.sandbox.app, self.captured.issued))

    def server_client(self, mode: str, *, asks: bool = False, **overrides: Any) -> Client:
        """An in-memory MCP client on a server over the sandbox; with `asks` the host can confirm (elicitation)."""
        server = build_server(
            make_settings(token=self.pat, **overrides),
            transport=self.transport(),
            clock=self.sandbox.clock.now,
            sleep=functools.partial(clock_sleep_for, self.sandbox),
        )
        return Client(server, mode=mode, elicitation_callback=Confirmer(self.captured, mode) if asks else None)

    def direct_client(self, **overrides: Any) -> DockerHubClient:
        """The Docker Hub client itself, so the exceptions it raises can be caught and inspected."""
        return DockerHubClient(
            make_settings(token=self.pat, **overrides),
            transport=self.transport(),
            clock=self.sandbox.clock.now,
            sleep=functools.partial(clock_sleep_for, self.sandbox),
        )

    def fresh(self) -> None:
        """Back to the seeded Hub, with the run's PAT registered as a repo:admin token of `demo`."""
        self.sandbox.reset()
        self.sandbox.state.add_pat("demo", self.pat, level="repo:admin")


@dataclass
class Confirmer:
    """An elicitation callback that keeps each prompt's text and confirms."""

    captured: Captured
    mode: str

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        """Keep the prompt; answer yes."""
        self.captured.add(f"{self.mode} elicitation", params.model_dump_json())
        return ElicitResult(action="accept", content={"confirm": True})


@dataclass
class Caller:
    """Calls tools and reads resources, capturing everything, and checks each call went the expected way."""

    client: Client
    captured: Captured
    mode: str

    async def call(self, label: str, name: str, arguments: dict[str, Any], *, error: bool = False) -> dict[str, Any]:
        """Call a tool (keeping its progress messages); assert it failed or not as expected; return its content."""
        where = f"{self.mode} {label}"

        async def keep_progress(progress: float, total: float | None, message: str | None) -> None:
            self.captured.add(f"{where} progress", f"{progress} {total} {message}")

        result = self.captured.result(
            where, await self.client.call_tool(name, arguments, progress_callback=keep_progress)
        )
        assert error == result.is_error, (where, result.content)
        return result.structured_content or {}

    def text_of(self, label: str) -> str:
        """What the last call labelled `label` returned, as captured."""
        return [text for where, text in self.captured.texts if where == f"{self.mode} {label}"][-1]

    async def read(self, label: str, uri: str, *, error: bool = False) -> None:
        """Read a resource; an error must come as MCPError, which is captured with its chain."""
        where = f"{self.mode} {label}"
        if not error:
            self.captured.add(where, (await self.client.read_resource(uri)).model_dump_json())
            return
        with pytest.raises(MCPError) as raised:
            await self.client.read_resource(uri)
        self.captured.exception(where, raised.value)
        self.captured.add(f"{where} error", raised.value.error.model_dump_json())


async def drive_tools(c: Caller, session: Session) -> None:  # noqa: PLR0915 - one scenario, step by step
    """Every tool, both resources, declines, faults and auth failures, ending with a revoked PAT."""
    sandbox, faults, pat = session.sandbox, session.sandbox.faults, session.pat
    old_tags = [t.name for t in reversed(sandbox.state.tags("demo", "worker")) if t.name != "latest"]

    await c.call("connection", "get_connection", {})
    await c.call("repos", "list_repositories", {})
    await c.call("acme repos", "list_repositories", {"namespace": "acme", "ordering": "-name"})
    await c.call("repos past the end", "list_repositories", {"page": 50}, error=True)
    await c.call("repo", "get_repository", {"repository": "web"})
    await c.call("missing repo", "get_repository", {"repository": "nope"}, error=True)
    await c.call("bad repo name", "get_repository", {"repository": "../x"}, error=True)
    await c.call("tags", "list_tags", {"repository": "web", "page": 2})
    await c.call("missing repo tags", "list_tags", {"repository": "nope"}, error=True)
    await c.call("tag", "get_tag", {"repository": "web", "tag": "latest"})
    await c.call("missing tag", "get_tag", {"repository": "web", "tag": "missing-tag"}, error=True)

    await c.call("describe", "update_description", {"repository": "worker", "description": "canary run"})
    too_long = {"repository": "worker", "description": "x" * 101}
    await c.call("describe too long", "update_description", too_long, error=True)
    await c.call("describe missing", "update_description", {"repository": "nope", "description": "x"}, error=True)
    await c.call("delete", "delete_tag", {"repository": "worker", "tag": old_tags[0]})
    await c.call("delete protected", "delete_tag", {"repository": "worker", "tag": "latest"}, error=True)
    assert "protected" in c.text_of("delete protected")
    await c.call("delete missing", "delete_tag", {"repository": "worker", "tag": "missing-tag"}, error=True)
    grant = {"namespace": "acme", "repository": "platform", "permission": "read"}
    await c.call("grant", "grant_team_access", {**grant, "group_id": 101})
    await c.call("grant unknown team", "grant_team_access", {**grant, "group_id": 999}, error=True)

    tags_path = "/v2/namespaces/demo/repositories/web/tags"
    await c.call("raw get", "hub_request", {"method": "GET", "path": tags_path, "query": {"page_size": 5}})
    await c.call("raw head", "hub_request", {"method": "HEAD", "path": "/v2/namespaces/demo/repositories/web"})
    big = await c.call("raw 20 KB", "hub_request", {"method": "GET", "path": tags_path, "query": {"page_size": 100}})
    assert "truncated" in big["note"]
    declined: dict[str, dict[str, Any]] = {
        "raw oat-only": {"method": "GET", "path": "/v2/orgs/acme/members"},
        "raw deprecated": {"method": "GET", "path": "/v2/repositories/demo/web"},
        "raw repo delete": {"method": "DELETE", "path": "/v2/namespaces/demo/repositories/web"},
        "raw token route": {"method": "POST", "path": "/v2/auth/token", "body": {"identifier": "demo"}},
        "raw token list": {"method": "GET", "path": "/v2/access-tokens"},
    }
    for label, arguments in declined.items():
        await c.call(label, "hub_request", arguments, error=True)

    plan = await c.call("plan", "plan_tag_cleanup", {"repositories": ["worker"], "older_than_days": 365})
    planned, plan_id = plan["totals"]["tags"], plan["plan_id"]
    assert planned > 1
    forged = {"plan_id": "0" * 64, "confirm": True}
    await c.call("apply forged", "apply_tag_cleanup", forged, error=True)
    unconfirmed = await c.call("apply unconfirmed", "apply_tag_cleanup", {"plan_id": plan_id})
    applied = await c.call("apply", "apply_tag_cleanup", {"plan_id": plan_id, "confirm": True})
    assert (False, planned) == (unconfirmed["applied"], applied["totals"]["deleted"])
    await c.read("plan resource", plan["plan_uri"])
    await c.read("plan repository resource", f"{plan['plan_uri']}/repositories/worker")
    await c.read("plan outcomes resource", applied["outcomes_uri"])
    await c.read("unknown plan resource", "dockerhub://plans/" + "0" * 64, error=True)
    await c.call("audit", "audit_recent_pushes", {})
    await c.call("audit a week", "audit_recent_pushes", {"since_hours": 168})
    rebrand = {"find": "Acme", "replace": "Initech"}
    await c.call("bulk dry run", "bulk_update_descriptions", rebrand)
    await c.call("bulk apply", "bulk_update_descriptions", {**rebrand, "field": "both", "dry_run": False})

    await c.read("namespace resource", "dockerhub://namespaces/demo")
    await c.read("repository resource", "dockerhub://namespaces/demo/repositories/web")
    await c.read("missing repository resource", "dockerhub://namespaces/demo/repositories/nope", error=True)
    await c.read("unknown resource", "dockerhub://elsewhere/demo", error=True)

    # Faults: retried ones succeed, persistent ones fail after the last try.
    faults.add(Fault("status", status=500, times=1, path=REPOSITORIES))
    await c.call("500 once", "list_repositories", {})
    faults.add(Fault("status", status=503, times=None, html=True, path=TAGS))
    await c.call("503 always", "list_tags", {"repository": "web"}, error=True)
    faults.clear()
    faults.add(Fault("rate_limit", retry_after=3, times=2, path=TAGS))
    await c.call("429 twice", "list_tags", {"repository": "web"})
    faults.add(Fault("rate_limit", retry_after=3, times=None, path=TAGS))
    await c.call("429 always", "list_tags", {"repository": "web"}, error=True)
    assert "retry after" in c.text_of("429 always")
    faults.clear()
    faults.add(Fault("drop", times=1, path=TAG))
    await c.call("drop once", "get_tag", {"repository": "web", "tag": "latest"})
    faults.add(Fault("drop", times=None, path=TAG))
    await c.call("drop always", "get_tag", {"repository": "web", "tag": "latest"}, error=True)
    faults.clear()
    faults.add(Fault("lost", times=1, method="DELETE"))
    await c.call("lost delete", "delete_tag", {"repository": "worker", "tag": "dev"})

    # Hub error bodies that echo the PAT and the JWT in use: the client must redact both, whatever the status.
    for status in (400, 403, 404, 409, 502):
        faults.clear()
        faults.add(Fault("status", status=status, times=None, path=WEB, body=echoing(pat, c.captured.issued[-1])))
        await c.call(f"{status} echo", "update_description", {"repository": "web", "description": "e"}, error=True)
        assert "[redacted]" in c.text_of(f"{status} echo")
    faults.clear()

    # Auth: a revoked or expired JWT is exchanged once more; refused exchanges echoing the PAT are redacted.
    sandbox.state.revoke_jwts()
    await c.call("after revoke_jwts", "list_repositories", {})
    sandbox.state.token_lifetime = 90
    sandbox.clock.advance(61)  # a JWT refused within a minute of a re-exchange counts as the token refused
    sandbox.state.revoke_jwts()
    await c.call("short-lived token", "list_repositories", {})
    sandbox.clock.advance(80)
    await c.call("after expiry", "list_repositories", {})
    for status in (400, 401, 403, 429, 503):
        sandbox.state.revoke_jwts()
        faults.add(Fault("status", status=status, times=None, path=EXCHANGES, body=echoing(pat)))
        await c.call(f"exchange {status} echo", "list_repositories", {}, error=True)
        assert status in (429, 503) or "[redacted]" in c.text_of(f"exchange {status} echo")  # these quote Hub
        faults.clear()
        sandbox.clock.advance(120)  # past the client's cool-down after a refused exchange
    await c.call("exchange again", "list_repositories", {})
    sandbox.faults.auth_token_route_missing = True
    sandbox.state.revoke_jwts()
    await c.call("via /v2/users/login", "list_repositories", {})
    sandbox.faults.auth_token_route_missing = False
    revoke(sandbox, pat)
    await c.call("revoked pat", "list_repositories", {}, error=True)
    assert "rejected" in c.text_of("revoked pat")
    await c.read("resource with a revoked pat", "dockerhub://namespaces/demo", error=True)


async def drive_mcp(session: Session, mode: str) -> None:
    """The tool scenario, then an apply the host confirms by elicitation, then an answer past the timeout."""
    session.fresh()
    async with session.server_client(mode) as client:
        await drive_tools(Caller(client, session.captured, mode), session)
    session.fresh()
    async with session.server_client(mode, asks=True) as client:
        c = Caller(client, session.captured, f"{mode} asking")
        plan = await c.call("plan", "plan_tag_cleanup", {"repositories": ["api"], "older_than_days": 365})
        applied = await c.call("apply", "apply_tag_cleanup", {"plan_id": plan["plan_id"]})
        assert plan["totals"]["tags"] == applied["totals"]["deleted"]
    async with session.server_client(mode, timeout=0.2) as client:
        session.sandbox.faults.add(Fault("slow", delay=30, times=1, path=TAGS))
        await Caller(client, session.captured, mode).call("slow answer", "list_tags", {"repository": "web"})


def revoke(sandbox: Sandbox, pat: str) -> None:
    """Revoke `pat` and every JWT issued so far."""
    sandbox.state.revoke_jwts()
    sandbox.state.revoke_pat(pat)


async def drive_client(session: Session) -> None:
    """The client's own exceptions on each failure path, caught so their reprs and chains can be scanned."""
    sandbox, captured, pat = session.sandbox, session.captured, session.pat
    failures: dict[str, Callable[[DockerHubClient], Awaitable[object]]] = {
        "not found": lambda hub: hub.get_repository("demo", "nope"),
        "bad name": lambda hub: hub.get_tag("demo", "web", "../x"),
        "declined": lambda hub: hub.raw("GET", "/v2/orgs/acme/members"),
        "500": lambda hub: hub.list_tags("demo", "web"),
        "429": lambda hub: hub.list_tags("demo", "web"),
        "drop": lambda hub: hub.list_tags("demo", "web"),
        "slow": lambda hub: hub.list_tags("demo", "web"),
        "400 echo": lambda hub: hub.update_description("demo", "web", description="x"),
        "revoked pat": lambda hub: hub.list_tags("demo", "web"),
    }
    setups: dict[str, Callable[[], object]] = {
        "500": lambda: sandbox.faults.add(Fault("status", status=500, times=None, path=TAGS, body=echoing(pat))),
        "429": lambda: sandbox.faults.add(Fault("rate_limit", times=None, path=TAGS)),
        "drop": lambda: sandbox.faults.add(Fault("drop", times=None, path=TAGS)),
        "slow": lambda: sandbox.faults.add(Fault("slow", delay=30, times=None, path=TAGS)),
        "400 echo": lambda: sandbox.faults.add(
            Fault("status", status=400, method="PATCH", body=echoing(pat, *captured.issued[-1:]))
        ),
        "revoked pat": functools.partial(revoke, sandbox, pat),
    }
    session.fresh()
    caught: list[str] = []
    async with session.direct_client(timeout=0.2) as hub:
        await hub.check()
        for label, failing in failures.items():
            sandbox.faults.clear()
            setups.get(label, lambda: None)()
            try:
                await failing(hub)
            except DockerHubError as exc:
                captured.exception(f"client {label}", exc)
                caught.append(label)
        captured.add("client vars after failures", f"{hub!r} {vars(hub)!r} {vars(hub.auth)!r}")
        sandbox.clock.advance(120)
        try:
            await hub.check()
        except DockerHubError as exc:
            captured.exception("client check with a revoked pat", exc)
            caught.append("check")

    assert [*failures, "check"] == caught


# -- the command line ----------------------------------------------------------------------------------


@dataclass
class Cli:
    """Runs `dockerhub-mcp -v ...` in a worker thread (main() calls anyio.run itself), capturing its output."""

    capsys: pytest.CaptureFixture[str]
    captured: Captured
    transport: Callable[[], httpx2.AsyncBaseTransport | None]

    async def __call__(self, label: str, *argv: str) -> tuple[int, str]:
        """Run the command; return its exit code and stdout."""
        try:
            code = await anyio.to_thread.run_sync(functools.partial(main, ["-v", *argv], transport=self.transport()))
        except SystemExit as exc:  # argparse's own exits
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = self.capsys.readouterr()
        self.captured.add(f"cli {label} stdout", out)
        self.captured.add(f"cli {label} stderr", err)
        return code, out


CLEANUP = ("cleanup", "--repository", "worker", "--older-than", "365d", "--keep-latest", "2")


async def drive_cli(session: Session, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduled-run commands and --check: successes, a 400 echoing the token, a revoked and a wrong token."""
    sandbox, pat, wrong = session.sandbox, session.pat, session.wrong
    session.fresh()
    code, out = await cli("check", "--check")
    assert (0, "ok:") == (code, out[:3])
    assert 0 == (await cli("audit", "audit", "--json"))[0]
    code, out = await cli("cleanup apply", *CLEANUP, "--apply", "--json")
    assert (0, True) == (code, json.loads(out)["totals"]["deleted"] > 0)
    assert 0 == (await cli("describe apply", "describe", "--find", "Acme", "--replace", "Initech", "--apply"))[0]
    echo = echoing(pat, *session.captured.issued[-1:])
    sandbox.faults.add(Fault("status", status=400, times=None, method="PATCH", body=echo))
    code, out = await cli(
        "describe 400 echo", "describe", "--find", "Initech", "--replace", "Acme", "--apply", "--json"
    )
    assert (1, True) == (code, "[redacted]" in out)
    sandbox.faults.clear()
    revoke(sandbox, pat)
    assert 1 == (await cli("audit revoked", "audit"))[0]
    assert 1 == (await cli("check revoked", "--check"))[0]

    monkeypatch.setenv("DOCKERHUB_TOKEN", wrong)
    assert 1 == (await cli("check wrong token", "--check"))[0]
    assert 1 == (await cli("cleanup wrong token", *CLEANUP, "--apply"))[0]
    sandbox.faults.add(Fault("status", status=401, times=None, path=EXCHANGES, body=echoing(wrong)))
    code, out = await cli("check wrong token echoed", "--check")
    assert (1, True) == (code, "[redacted]" in out)
    monkeypatch.setenv("DOCKERHUB_TOKEN", pat)


@asynccontextmanager
async def loopback(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread, so requests go through httpcore2."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # log_config=None: uvicorn's records propagate to the root logger, where caplog scans them too.
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await anyio.to_thread.run_sync(thread.join, 10)
        sock.close()


async def drive_cli_over_loopback(session: Session, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI against the sandbox on a real socket: an exchange, a 401 and re-exchange, a cut connection, a refusal."""
    sandbox = session.sandbox
    session.fresh()
    async with loopback(recording(sandbox.app, session.captured.issued)) as url:
        monkeypatch.setenv("DOCKERHUB_API_URL", url)
        assert 0 == (await cli("loopback check", "--check"))[0]
        sandbox.faults.add(Fault("drop", times=1, path=TAGS))
        sandbox.faults.add(Fault("status", status=401, times=1, path=REPOSITORIES, body={"detail": "token expired"}))
        assert 0 == (await cli("loopback audit", "audit", "--json"))[0]
        monkeypatch.setenv("DOCKERHUB_TOKEN", session.wrong)
        assert 1 == (await cli("loopback wrong token", "--check"))[0]
    monkeypatch.setenv("DOCKERHUB_TOKEN", session.pat)
    monkeypatch.setenv("DOCKERHUB_API_URL", API_URL)


async def drive_stdio(session: Session) -> None:
    """The real server process over stdio with --verbose (its own logging setup), its stderr in a file."""
    sandbox, captured = session.sandbox, session.captured
    session.fresh()
    async with loopback(recording(sandbox.app, captured.issued)) as url:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "dockerhub_mcp", "--verbose"],
            env=measured({"DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": session.pat, "DOCKERHUB_API_URL": url}),
        )
        with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                c = Caller(client, captured, "stdio")
                await c.call("tags", "list_tags", {"repository": "web", "page_size": 3})
                sandbox.faults.add(Fault("drop", times=1, path=TAG))
                await c.call("tag after a drop", "get_tag", {"repository": "web", "tag": "latest"})
                echo = echoing(session.pat, *captured.issued[-1:])
                sandbox.faults.add(Fault("status", status=400, times=1, method="PATCH", body=echo))
                await c.call("400 echo", "update_description", {"repository": "web", "description": "e"}, error=True)
                sandbox.state.revoke_jwts()
                await c.call("after revoke_jwts", "list_repositories", {})
                revoke(sandbox, session.pat)
                await c.call("revoked pat", "list_repositories", {}, error=True)
            errlog.seek(0)
            stderr = errlog.read()
    assert "DEBUG" in stderr  # verbose logging did reach the file
    captured.add("stdio stderr", stderr)


# -- the tests -----------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("pat", "wrong"),
    [(CANARY, WRONG_TOKEN), (UNSHAPED_CANARY, UNSHAPED_WRONG_TOKEN)],
    ids=["pat-shaped", "unshaped"],
)
async def test_the_canary_token_and_the_jwts_never_appear_in_anything_captured(
    pat: str,
    wrong: str,
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tools, resources, faults and auth failures in both eras, the client's exceptions and the CLI: no secret shows."""
    for name in list(os.environ):
        if name.startswith("DOCKERHUB_"):
            monkeypatch.delenv(name)
    for name, value in {"DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": pat, "DOCKERHUB_API_URL": API_URL}.items():
        monkeypatch.setenv(name, value)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    session = Session(sandbox, pat, wrong)

    with anyio.fail_after(120):
        for mode in ("legacy", "auto"):
            await drive_mcp(session, mode)
        await drive_client(session)
        await drive_cli(session, Cli(capsys, session.captured, session.transport), monkeypatch)
        await drive_cli_over_loopback(session, Cli(capsys, session.captured, lambda: None), monkeypatch)
        await drive_stdio(session)

    captured = session.captured
    texts = [*captured.texts, ("caplog.text", caplog.text), *log_texts(caplog.records)]
    assert len(captured.issued) >= 20  # the run really exchanged tokens, in every part
    assert {"progress", "elicitation", "stdout"} <= {label.rsplit(" ", 1)[-1] for label, _ in captured.texts}
    assert {"httpx2", "httpcore2", "mcp", "stamina", "dockerhub_mcp"} <= {r.name.split(".")[0] for r in caplog.records}
    assert [] == leaks(texts, secrets_of([pat, wrong], captured.issued))


async def test_reprs_of_settings_and_client_hide_the_token(sandbox: Sandbox) -> None:
    """After an exchange, reprs of the settings, the client, its auth flow (and the JWT it caches) show no secret."""
    sandbox.state.add_pat("demo", CANARY, level="repo:admin")
    issued: list[str] = []
    settings: Settings = make_settings(token=CANARY)
    transport = httpx2.ASGITransport(app=recording(sandbox.app, issued))

    async with DockerHubClient(settings, transport=transport, clock=sandbox.clock.now) as client:
        await client.check()
        texts = [
            repr(client),
            str(client),
            repr(vars(client)),
            repr(client.auth),
            str(client.auth),
            repr(vars(client.auth)),
            repr(settings),
            str(settings),
            repr(settings.model_dump()),
            repr(settings.model_dump(mode="json")),
            settings.model_dump_json(),
        ]

    assert 1 == len(issued)
    assert [] == leaks([("repr", t) for t in texts], secrets_of([CANARY], issued))


@pytest.mark.parametrize(
    "mistake",
    [
        pytest.param(
            {"DOCKERHUB_USERNAME": CANARY, "DOCKERHUB_TOKEN": "demo"},
            id="username-and-token-swapped",
        ),
        pytest.param(
            {"DOCKERHUB_TOKEN": "", "DOCKERHUB_TOKEN_FILE": CANARY},
            id="token-in-token-file",
        ),
        pytest.param(
            {"DOCKERHUB_API_URL": f"https://demo:{CANARY}@hub.sandbox.test"},
            id="token-in-api-url",
        ),
    ],
)
def test_a_token_set_in_the_wrong_variable_is_not_printed(
    mistake: dict[str, str], sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PAT put by mistake in another DOCKERHUB_* variable never shows in the CLI's output."""
    sandbox.state.add_pat("demo", CANARY, level="repo:admin")
    for name in list(os.environ):
        if name.startswith("DOCKERHUB_"):
            monkeypatch.delenv(name)
    settings = {"DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": CANARY, "DOCKERHUB_API_URL": API_URL}
    for name, value in {**settings, **mistake}.items():
        monkeypatch.setenv(name, value)

    main(["--check"], transport=httpx2.ASGITransport(app=sandbox.app))

    printed = capsys.readouterr()
    assert CANARY not in printed.out + printed.err
