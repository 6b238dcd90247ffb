"""Fault injection: bulk work under a Hub that fails one request in ten, expires and revokes the token.

The invariants are the issue's: no tag deleted that was not planned, no planned tag left undeleted
unless reported failed, and the report equal to the Hub's state afterwards. Faults are keyed on the
request (from a fixed seed), not on arrival order, so every run meets the same ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx2
import pytest
from mcp import Client

from dockerhub_mcp.sandbox import Clock, Fault, Sandbox, build_sandbox
from dockerhub_mcp.server import build_server
from helpers import clock_sleep, make_settings, planned_tags, read_json, structured

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 6, 1, tzinfo=UTC).timestamp()
DAY = 86_400.0
REPOSITORIES = ("alpha", "beta", "gamma", "delta")
PER_REPOSITORY = 500
SEED = 20261127


@pytest.fixture
def sandbox() -> Sandbox:
    """2,000 tags in four repositories of `demo`: most old enough to delete, some kept by the rules."""
    clock = Clock()
    clock.freeze(NOW)
    sb = build_sandbox(seed=0, clock=clock, demo=False)
    for repo in REPOSITORIES:
        sb.state.add_repository("demo", repo, description=f"Acme {repo} service")
        for i in range(PER_REPOSITORY):
            name = f"v{i}-keep" if i % 50 == 0 else f"build-{i:04d}"
            sb.state.add_tag("demo", repo, name, pushed_at=NOW - (400 - i % 300) * DAY, size=1_000 + i)
    for n in range(40):
        sb.state.add_repository("demo", f"svc-{n:02d}", description=f"Acme service {n}")
    return sb


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[Client]:
    """A client whose requests time out after half a second and whose token lives two minutes."""
    sandbox.state.token_lifetime = 120
    server = build_server(
        make_settings(timeout=0.5),
        transport=httpx2.ASGITransport(app=sandbox.app),
        clock=sandbox.clock.now,
        sleep=clock_sleep(sandbox),
    )
    async with Client(server) as c:
        yield c


def inject_faults(sandbox: Sandbox) -> None:
    """One request in ten fails (500/502/503, 429, a dropped or lost answer), and a few outlive the timeout.

    Which request fails is keyed on the request itself, not on arrival order, so every run meets the same
    faults. The slow answers are scripted on named tags, so their cost in real time stays bounded.
    """
    for tag in ("build-0007", "build-0123", "build-0256", "build-0399"):
        sandbox.faults.add(Fault("slow", delay=30.0, times=1, method="DELETE", path=f"/alpha/tags/{tag}$"))
        sandbox.faults.add(Fault("slow", delay=30.0, times=1, method="DELETE", path=f"/beta/tags/{tag}$"))
    sandbox.faults.add(Fault("slow", delay=30.0, times=1, method="GET", path="/beta/tags$"))
    sandbox.faults.random(rate=0.1, seed=SEED, kinds=("status", "rate_limit", "drop", "lost"), exclude_auth=True)


@pytest.mark.slow
async def test_a_2000_tag_cleanup_under_faults_leaves_exactly_the_report(client: Client, sandbox: Sandbox) -> None:
    """Faults, an expiring and a revoked token: every planned tag is deleted or reported failed, nothing else."""
    before = {(r, t.name) for r in REPOSITORIES for t in sandbox.state.tags("demo", r)}
    plan = structured(
        await client.call_tool("plan_tag_cleanup", {"older_than_days": 30, "keep": ["*-keep"], "keep_latest": 10})
    )
    planned = set(await planned_tags(client, plan))
    inject_faults(sandbox)
    exchanges_before = sandbox.exchanges
    steps = 0

    async def disrupt(progress: float, total: float | None, message: str | None) -> None:
        nonlocal steps
        steps += 1
        if steps in (400, 1400):
            sandbox.clock.advance(700)  # the JWT expires mid-run
        if steps == 900:
            sandbox.state.revoke_jwts()  # and is revoked mid-run

    report = structured(
        await client.call_tool(
            "apply_tag_cleanup",
            {"plan_id": plan["plan_id"], "confirm": True},
            progress_callback=disrupt,
        )
    )
    fired = len(sandbox.faults.fired)
    sandbox.faults.clear()

    after = {(r, t.name) for r in REPOSITORIES for t in sandbox.state.tags("demo", r)}
    outcomes = (await read_json(client, report["outcomes_uri"]))["outcomes"]
    outcome = {(o["repository"], o["tag"]): o["outcome"] for o in outcomes}
    gone = before - after
    assert len(planned) > 1_500
    assert planned == set(outcome)  # every planned tag has exactly one outcome
    assert len(outcomes) == len(planned)
    assert gone <= planned  # nothing deleted that was not planned
    assert gone == {key for key, o in outcome.items() if o in ("deleted", "already_gone")}
    assert planned - gone == {key for key, o in outcome.items() if o == "failed"}
    # The faults are the same on every run: four tries outlast them all, so everything planned is deleted.
    assert (len(planned), 0) == (report["totals"]["deleted"], report["totals"]["failed"])
    assert sandbox.exchanges - exchanges_before >= 3  # two expiries and a revocation, each re-exchanged
    assert any(r.status == 401 for r in sandbox.requests)
    assert 213 == fired  # the same 213 faults every run (one request in ten of about 2,100, and the slow ones)


async def test_bulk_descriptions_under_faults_report_exactly_what_hub_has(client: Client, sandbox: Sandbox) -> None:
    """Every repository reported changed has the new text; every one reported failed still has the old."""
    inject_faults(sandbox)

    report = structured(
        await client.call_tool("bulk_update_descriptions", {"find": "Acme", "replace": "Apex", "dry_run": False})
    )
    fired = len(sandbox.faults.fired)
    sandbox.faults.clear()

    status = {r["repository"]: r["status"] for r in report["changes"]}
    texts = {repo.name: repo.description for repo in sandbox.state.repositories("demo")}
    assert (set(texts), False) == (set(status), report["truncated"])
    assert {"changed", "failed"} >= set(status.values())
    for name, text in texts.items():
        expected = text.replace("Acme", "Apex") if status[name] == "changed" else text
        assert expected == text
        assert ("Apex" in text) == (status[name] == "changed")
    assert fired > 0
