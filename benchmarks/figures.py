"""Each figure of the benchmark table, measured against the sandbox Hub (in memory, or on loopback)."""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.types import CallToolResult

from dockerhub_mcp.config import Settings
from dockerhub_mcp.sandbox import SANDBOX_OAT, SANDBOX_ORG, SANDBOX_TOKEN, Clock, Sandbox, VirtualTime, build_sandbox
from dockerhub_mcp.sandbox.server import serving
from dockerhub_mcp.server import build_server

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_781_000_040.0  # a minute's start
DAY = 86_400.0
CONCURRENCY = 8


@dataclass(frozen=True)
class Row:
    """One line of the table: what was measured, the figure, the target, and whether it is met."""

    figure: str
    value: str
    target: str = ""
    met: bool | None = None


# -- shared -------------------------------------------------------------------------------------------------


def quiet() -> None:
    """Keep per-request logging (which the SDK routes through rich at INFO) out of what is measured."""
    for name in ("httpx2", "httpcore2", "dockerhub_mcp", "mcp", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.ERROR)


def aged_hub(repositories: int, tags: int, *, frozen: bool = True) -> Sandbox:
    """`demo` with `repositories` x `tags` old tags (`add_aged_repositories`) and no other data."""
    clock = Clock()
    if frozen:
        clock.freeze(T0)
    sandbox = build_sandbox(seed=0, clock=clock, demo=False)
    sandbox.state.add_aged_repositories("demo", repositories=repositories, tags=tags, at=clock.now())
    return sandbox


def settings(**overrides: Any) -> Settings:
    """Settings for the sandbox's `demo` user (or, with `username`/`token`, another account)."""
    values: dict[str, Any] = {"username": "demo", "token": SANDBOX_TOKEN, "api_url": "http://hub.sandbox.test"}
    return Settings(**(values | overrides))


@asynccontextmanager
async def mcp_client(sandbox: Sandbox, **overrides: Any) -> AsyncIterator[Client]:
    """An in-memory MCP client on a server over `sandbox`, sharing its clock; sleeps move that clock."""

    async def sleep(seconds: float) -> None:
        sandbox.clock.advance(seconds)
        await anyio.lowlevel.checkpoint()

    server = build_server(
        settings(**overrides), transport=httpx2.ASGITransport(app=sandbox.app), clock=sandbox.clock.now, sleep=sleep
    )
    async with Client(server) as client:
        yield client


def size(result: CallToolResult) -> int:
    """Bytes of a tool result as sent: its content and structured content, compact JSON."""
    return len(result.model_dump_json(by_alias=True, exclude_none=True))


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful result."""
    if result.is_error or result.structured_content is None:
        raise RuntimeError(f"tool failed: {result.content}")
    content: dict[str, Any] = result.structured_content
    return content


def child_env(url: str) -> dict[str, str]:
    """The environment of a CLI run against the sandbox served at `url`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DOCKERHUB_USERNAME": "demo",
        "DOCKERHUB_TOKEN": SANDBOX_TOKEN,
        "DOCKERHUB_API_URL": url,
    }


# Starts the measured command and reports its wall time, peak RSS (KiB) and exit code. The command is started
# from this small process, not from the benchmark's: on Linux a child's peak RSS counts what it inherited
# before exec, and the benchmark process holds sandboxes of 20,000 tags.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run `command`, output discarded: its wall time in seconds and its peak RSS in bytes.

    Raises:
        RuntimeError: it exited with a status other than 0 or 1 (1: some item failed, still measured).
    """
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command], env=env, capture_output=True, text=True, check=True
    )
    seconds, rss, code = launched.stdout.split()
    if int(code) not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {code}")
    return float(seconds), int(rss) * 1024  # kibibytes on Linux


@contextmanager
def latency(sandbox: Sandbox, seconds: float) -> Iterator[None]:
    """Every request to `sandbox` takes `seconds` on the wire while the block runs."""
    sandbox.state.latency = seconds
    try:
        yield
    finally:
        sandbox.state.latency = 0.0


def ratio_row(figure: str, value: float, limit: float, unit: str = "x") -> Row:
    """A row for a ratio with an upper bound."""
    return Row(figure, f"{value:.2f}{unit}", f"<= {limit:.2f}{unit}", value <= limit)


# -- token exchanges ------------------------------------------------------------------------------------


async def exchanges() -> list[Row]:
    """Token exchanges for 100 concurrent calls: with no JWT yet, after it expired, after Hub revoked it."""
    sandbox = build_sandbox(seed=0, clock=Clock.starting_at(T0))
    rows = []
    async with mcp_client(sandbox) as client:

        async def hundred(case: str) -> None:
            before = sandbox.exchanges
            async with anyio.create_task_group() as group:
                for _ in range(100):
                    group.start_soon(client.call_tool, "list_repositories", {})
            count = sandbox.exchanges - before
            rows.append(Row(f"token exchanges, 100 concurrent calls, {case}", str(count), "1", count == 1))

        await hundred("cold")
        sandbox.clock.advance(sandbox.state.token_lifetime + 1)
        await hundred("JWT expired")
        sandbox.state.revoke_jwts()
        await hundred("JWT revoked")
    return rows


# -- cleanup at the speed limit ----------------------------------------------------------------------------


def minimum_requests(repositories: int, tags: int) -> int:
    """The fewest requests a cleanup of every tag can make: one exchange, the repository list, each
    repository's tag pages to plan and again to re-check right before deleting, and one DELETE per tag."""
    pages = repositories * math.ceil(tags / 100)
    return 1 + math.ceil(repositories / 100) + 2 * pages + repositories * tags


async def reference_cleanup(url: str, repositories: int) -> float:
    """A minimal client at the same concurrency: exchange, list, re-list, delete; no checks. Its wall time."""
    start = time.perf_counter()
    async with httpx2.AsyncClient(base_url=url, trust_env=False) as http:
        answer = await http.post("/v2/auth/token", json={"identifier": "demo", "secret": SANDBOX_TOKEN})
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        listed = await http.get("/v2/namespaces/demo/repositories", params={"page_size": 100}, headers=headers)
        names = [r["name"] for r in listed.json()["results"]][:repositories]
        slots = anyio.Semaphore(CONCURRENCY)

        async def tags(name: str) -> list[str]:
            found: list[str] = []
            page = 1
            while True:
                async with slots:
                    query = {"page": page, "page_size": 100}
                    body = (
                        await http.get(f"/v2/namespaces/demo/repositories/{name}/tags", params=query, headers=headers)
                    ).json()
                found += [t["name"] for t in body["results"]]
                if not body.get("next"):
                    return found
                page += 1

        async def delete(name: str, tag: str) -> None:
            async with slots:
                await http.delete(f"/v2/namespaces/demo/repositories/{name}/tags/{tag}", headers=headers)

        planned: dict[str, list[str]] = {}

        async def plan(name: str) -> None:
            planned[name] = await tags(name)

        async def clean(name: str) -> None:
            await tags(name)  # the re-check a careful client makes right before deleting
            async with anyio.create_task_group() as group:
                for tag in planned[name]:
                    group.start_soon(delete, name, tag)

        for step in (plan, clean):
            async with anyio.create_task_group() as group:
                for name in names:
                    group.start_soon(step, name)
    return time.perf_counter() - start


def cleanup_at_speed(repositories: int, tags: int, delay: float) -> list[Row]:
    """`dockerhub-mcp cleanup --apply` of every tag, over loopback with `delay` per request, against the
    minimum requests, the ideal client's floor (minimum / concurrency x latency) and a minimal client."""
    quiet()
    ours_hub = aged_hub(repositories, tags, frozen=False)
    ours_hub.state.rate_limit = 10**9  # throughput, not pacing (measured below on virtual time)
    command = [sys.executable, "-m", "dockerhub_mcp", "cleanup", "--older-than", "0d", "--apply", "--json"]
    with serving(ours_hub.app) as url, latency(ours_hub, delay):
        seconds, _ = run_measured(command, child_env(url))
    sent = len(ours_hub.requests)
    left = sum(len(r.tags) for r in ours_hub.state.repositories("demo"))
    reference_hub = aged_hub(repositories, tags, frozen=False)
    reference_hub.state.rate_limit = 10**9
    with serving(reference_hub.app) as url, latency(reference_hub, delay):
        reference = anyio.run(reference_cleanup, url, repositories)
    least = minimum_requests(repositories, tags)
    floor = least / CONCURRENCY * delay
    total = repositories * tags
    return [
        Row(
            f"cleanup of {total:,} tags: requests (minimum {least:,})",
            f"{sent:,}",
            f"<= {1.05 * least:,.0f}",
            sent <= 1.05 * least,
        ),
        Row(f"cleanup of {total:,} tags: tags left", str(left), "0", left == 0),
        Row(f"cleanup of {total:,} tags at {delay * 1000:.0f} ms: wall time", f"{seconds:.1f} s"),
        Row(f"  ideal client's floor ({least:,} / {CONCURRENCY} x {delay * 1000:.0f} ms)", f"{floor:.1f} s"),
        Row("  minimal reference client, same run", f"{reference:.1f} s"),
        ratio_row("  wall time / floor", seconds / floor, 1.3),
    ]


# -- pacing -------------------------------------------------------------------------------------------------


async def pacing(minutes: int) -> list[Row]:
    """Deletes at Hub's 180 a minute (enforced, 429 beyond), 8 in flight, 50 ms each, on virtual time."""
    limit = 180
    sandbox = aged_hub(1, limit * (minutes + 1), frozen=True)
    sandbox.state.enforce_rate_limit = True
    sandbox.state.rate_limit = limit
    sandbox.state.latency = 0.05
    clock = VirtualTime(sandbox.clock)
    sandbox.state.sleep = clock.sleep
    server = build_server(
        settings(), transport=httpx2.ASGITransport(app=sandbox.app), clock=sandbox.clock.now, sleep=clock.sleep
    )
    async with anyio.create_task_group() as group:
        group.start_soon(clock.run)
        async with Client(server) as client:
            rules = {"older_than_days": 0, "keep": [], "allow_protected": True}
            plan = structured(await client.call_tool("plan_tag_cleanup", rules))
            await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True})
        group.cancel_scope.cancel()
    refused = sum(1 for r in sandbox.requests if r.status == 429)
    per_minute = Counter(int(r.at // 60) for r in sandbox.requests)
    whole = [per_minute[m] for m in sorted(per_minute)[:-1]][:minutes]  # the last minute is partly idle
    share = sum(whole) / (limit * len(whole))
    return [
        Row(f"pacing at {limit}/min over {len(whole)} min (virtual time): 429s", str(refused), "0", refused == 0),
        Row(
            "  requests per whole minute (of the limit)",
            f"{min(whole)}-{max(whole)} ({share:.1%})",
            ">= 97%",
            min(whole) >= 0.97 * limit,
        ),
    ]


# -- what the model reads --------------------------------------------------------------------------------


async def context_bytes() -> list[Row]:
    """tools/list for each connection kind, and list_tags per tag."""
    rows = []
    for kind, overrides, budget in (
        ("PAT", {}, 14_700),
        ("OAT", {"username": SANDBOX_ORG, "token": SANDBOX_OAT, "token_kind": "oat"}, 22_000),
        ("read-only", {"read_only": True}, 10_000),
    ):
        async with mcp_client(build_sandbox(seed=0, clock=Clock.starting_at(T0)), **overrides) as client:
            listed = await client.session.list_tools()
        count = len(listed.tools)
        raw = len(listed.model_dump_json(by_alias=True, exclude_none=True))
        rows.append(Row(f"tools/list bytes, {kind} ({count} tools)", f"{raw:,}", f"<= {budget:,}", raw <= budget))
    sandbox = aged_hub(1, 100)
    async with mcp_client(sandbox) as client:
        page = await client.call_tool("list_tags", {"repository": "repo-000", "page_size": 100})
    entry = len(json.dumps(structured(page), separators=(",", ":")).encode()) / 100
    rows.append(Row("list_tags structured bytes per tag (a page of 100)", f"{entry:.0f}", "<= 300", entry <= 300))
    rows.append(Row("  whole result per tag (structured + compact text)", f"{size(page) / 100:.0f}"))
    return rows


async def plan_result(repositories: int, tags: int) -> Row:
    """The plan_tag_cleanup result at `repositories` x `tags`."""
    async with mcp_client(aged_hub(repositories, tags)) as client:
        result = await client.call_tool("plan_tag_cleanup", {"older_than_days": 0, "keep": []})
    structured(result)
    total = repositories * tags
    return Row(f"plan_tag_cleanup result bytes, {total:,} tags", f"{size(result):,}", "< 16,384", size(result) < 16_384)


# -- cold start --------------------------------------------------------------------------------------------

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}


def spawn_to_tools_list(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning an MCP server on stdio to its tools/list answer."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(INITIALIZE) + "\n")
    process.stdin.flush()
    process.stdout.readline()
    process.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
    process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}) + "\n")
    process.stdin.flush()
    answer = process.stdout.readline()
    seconds = time.perf_counter() - start
    process.stdin.close()
    process.wait(timeout=30)
    if '"tools"' not in answer:
        raise RuntimeError(f"{command} answered {answer[:200]!r}")
    return seconds


def cold_start(runs: int) -> list[Row]:
    """Spawn -> tools/list over stdio, this server (configured for Hub) against a bare SDK server with as many
    trivial tools, in alternating runs."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DOCKERHUB_USERNAME": "demo",
        "DOCKERHUB_TOKEN": "dckr_pat_x",
    }
    ours_command = [sys.executable, "-m", "dockerhub_mcp"]
    bare_command = [sys.executable, str(ROOT / "benchmarks" / "bare_server.py"), "18"]
    ours: list[float] = []
    bare: list[float] = []
    spawn_to_tools_list(ours_command, env)  # warm the file cache and the bytecode
    spawn_to_tools_list(bare_command, env)
    for _ in range(runs):
        ours.append(spawn_to_tools_list(ours_command, env))
        bare.append(spawn_to_tools_list(bare_command, env))

    def shown(values: list[float]) -> str:
        return f"{min(values) * 1000:.0f} / {statistics.median(values) * 1000:.0f} / {max(values) * 1000:.0f} ms"

    return [
        Row(f"cold start, spawn -> tools/list, min/median/max of {runs}", shown(ours)),
        Row("  bare SDK server with 18 trivial tools", shown(bare)),
        ratio_row("  median ratio", statistics.median(ours) / statistics.median(bare), 1.10),
    ]


# -- memory at scale ----------------------------------------------------------------------------------------


def peak_memory(repositories: int, tags: int) -> list[Row]:
    """Peak RSS of `dockerhub-mcp cleanup` planning (--json) and applying over `repositories` x `tags`."""
    quiet()
    total = repositories * tags
    rows = []
    base = [sys.executable, "-m", "dockerhub_mcp", "cleanup", "--older-than", "0d", "--json"]
    for what, extra in (("planning (--json)", []), ("applying", ["--apply"])):
        hub = aged_hub(repositories, tags, frozen=False)
        hub.state.rate_limit = 10**9
        with serving(hub.app) as url:
            _, rss = run_measured(base + extra, child_env(url))
        left = sum(len(r.tags) for r in hub.state.repositories("demo"))
        done = left == (total if not extra else 0)  # a plan deletes nothing; an apply, everything
        mb = rss / 1_000_000
        rows.append(Row(f"peak RSS {what}, {total:,} tags", f"{mb:.0f} MB", "<= 150 MB", mb <= 150 and done))
    return rows
