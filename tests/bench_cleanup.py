"""Benchmark: plan and apply a tag cleanup over 100 repositories x 200 tags (20,000 tags) in the sandbox.

Not collected by pytest (the name does not match `test_*.py`). Run it from the project root:

    .venv/bin/python tests/bench_cleanup.py

Each phase runs twice on a fresh sandbox: once for wall time, once under tracemalloc for peak memory
(tracemalloc slows Python down, so its run is not timed). Prints one line per figure.
"""

from __future__ import annotations

import json
import logging
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx2
from mcp import Client

from dockerhub_mcp.sandbox import Clock, Sandbox, build_sandbox
from dockerhub_mcp.server import build_server
from helpers import make_settings, structured

T0 = datetime(2025, 6, 1, tzinfo=UTC).timestamp()
DAY = 86400.0
REPOSITORIES, TAGS_PER_REPOSITORY = 100, 200
RULES = {"older_than_days": 50, "unpulled_for_days": 30, "keep": []}
EXPECTED_ITEMS = REPOSITORIES * (150 - 37)  # see test_cleanup.test_twenty_thousand_tags_plan_in_one_pass...


def build_namespace() -> Sandbox:
    """`demo` with 100 repositories of 200 tags: `t<i>` pushed i + 0.5 days ago, every 4th pulled yesterday."""
    clock = Clock()
    clock.freeze(T0)
    sandbox = build_sandbox(seed=0, clock=clock, demo=False)
    # Measure throughput, not pacing: with Hub's per-minute budget on a frozen clock the client would wait.
    sandbox.state.rate_limit = 10**9
    for r in range(REPOSITORIES):
        repository = f"repo-{r:03d}"
        sandbox.state.add_repository("demo", repository)
        for i in range(TAGS_PER_REPOSITORY):
            pulled = T0 - DAY if i % 4 == 0 else None
            pushed = T0 - (i + 0.5) * DAY
            sandbox.state.add_tag("demo", repository, f"t{i:03d}", pushed_at=pushed, pulled_at=pulled, size=1_000)
    return sandbox


def open_client(sandbox: Sandbox) -> Client:
    """An in-memory MCP client on a read-write server over `sandbox` (no elicitation: confirm decides)."""
    server = build_server(make_settings(), transport=httpx2.ASGITransport(app=sandbox.app), clock=sandbox.clock.now)
    # The SDK logs every HTTP request at INFO through rich; 20,000+ of them would be what we measure.
    for name in ("httpx2", "httpcore2", "dockerhub_mcp", "mcp"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return Client(server)


def request_counts(sandbox: Sandbox) -> dict[str, int]:
    """The sandbox's request log, by kind."""
    counts: Counter[str] = Counter()
    for r in sandbox.requests:
        if r.method == "POST" and r.path.startswith(("/v2/auth/", "/v2/users/login")):
            kind = "token exchange"
        elif r.method == "GET" and r.path == "/v2/namespaces/demo/repositories":
            kind = "repository list page"
        elif r.method == "GET" and r.path.endswith("/tags"):
            kind = "tag list page"
        elif r.method == "GET" and "/tags/" in r.path:
            kind = "tag read"
        elif r.method == "DELETE":
            kind = "tag delete"
        else:
            kind = f"other {r.method}"
        counts[kind] += 1
    return dict(sorted(counts.items()))


async def plan_and_apply(
    sandbox: Sandbox, *, between: Callable[[str], Awaitable[None]] | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float], dict[str, int]]:
    """Plan, then apply with confirm=true; wall time of each, and the requests each sent."""
    seconds: dict[str, float] = {}
    sent: dict[str, int] = {}
    async with open_client(sandbox) as client:
        start = time.perf_counter()
        result = await client.call_tool("plan_tag_cleanup", RULES)
        seconds["plan"] = time.perf_counter() - start
        plan = structured(result)
        sent["plan"] = len(sandbox.requests)
        sent["plan_result_bytes"] = len(json.dumps(result.structured_content))
        if between is not None:
            await between("plan")
        start = time.perf_counter()
        report = structured(await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True}))
        seconds["apply"] = time.perf_counter() - start
        sent["apply"] = len(sandbox.requests) - sent["plan"]
    if between is not None:
        await between("apply")
    return plan, report, seconds, sent


async def main() -> None:
    """Run the benchmark and print its figures."""
    start = time.perf_counter()
    sandbox = build_namespace()
    build_seconds = time.perf_counter() - start
    tags = sum(len(r.tags) for r in sandbox.state.repositories("demo"))

    plan, report, seconds, sent = await plan_and_apply(sandbox)
    counts = request_counts(sandbox)
    left = sum(len(r.tags) for r in sandbox.state.repositories("demo"))

    peaks: dict[str, float] = {}
    tracemalloc.start()
    memory_sandbox = build_namespace()
    peaks["build"] = tracemalloc.get_traced_memory()[1]

    async def mark(phase: str) -> None:
        # Peak of the phase just finished, relative to what was held when it began.
        peaks[phase] = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()

    tracemalloc.reset_peak()
    await plan_and_apply(memory_sandbox, between=mark)
    tracemalloc.stop()

    mb = 1024 * 1024
    print(f"namespace: {REPOSITORIES} repositories, {tags} tags (built in {build_seconds:.2f} s)")
    print(
        f"plan: {seconds['plan']:.2f} s, {plan['totals']['tags']} tags to delete (expected {EXPECTED_ITEMS}), "
        f"{plan['totals']['bytes']} B"
    )
    print(f"plan: {sent['plan']} requests; structured result {sent['plan_result_bytes'] / 1024:.1f} KiB of JSON")
    print(f"apply: {seconds['apply']:.2f} s, {sent['apply']} requests, totals {report['totals']}")
    print(f"apply: {report['totals']['deleted'] / seconds['apply']:.0f} tags deleted per second")
    print(f"tags left: {left} (expected {tags - EXPECTED_ITEMS})")
    print(f"requests by kind: {counts}")
    print(
        f"peak traced memory: build {peaks['build'] / mb:.1f} MiB, plan {peaks['plan'] / mb:.1f} MiB, "
        f"apply {peaks['apply'] / mb:.1f} MiB (each includes the sandbox's own state)"
    )


if __name__ == "__main__":
    anyio.run(main)
