"""Throughput: Hub's per-minute budget spent to the last request without a 429, and the concurrency setting.

These run on virtual time (`VirtualTime`): the client and the sandbox sleep on one frozen clock that jumps
from one wake-up to the next, so minutes of paced work with 50 ms of latency per request and eight requests
in flight run in a couple of seconds, the same way every time.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from dockerhub_mcp.sandbox import Clock, Sandbox, VirtualTime, build_sandbox
from dockerhub_mcp.server import build_server
from helpers import make_settings, run, structured

pytestmark = pytest.mark.anyio

T0 = 1_781_000_040.0  # a minute's start on Hub's clock
LATENCY = 0.05
LIMIT = 180


def busy_hub(tags: int) -> Sandbox:
    """A sandbox on a frozen clock, enforcing 180 requests a minute, with `tags` old tags in one repository."""
    clock = Clock()
    clock.freeze(T0)
    sandbox = build_sandbox(seed=0, clock=clock, demo=False)
    sandbox.state.enforce_rate_limit = True
    sandbox.state.latency = LATENCY
    sandbox.state.add_aged_repositories("demo", repositories=1, tags=tags, at=T0 - 400 * 86_400)
    return sandbox


async def clean_up_everything(sandbox: Sandbox, **settings: Any) -> dict[str, Any]:
    """Plan and apply the deletion of every tag through the MCP tools, on virtual time."""
    time = VirtualTime(sandbox.clock)
    sandbox.state.sleep = time.sleep
    server = build_server(
        make_settings(**settings),
        transport=httpx2.ASGITransport(app=sandbox.app),
        clock=sandbox.clock.now,
        sleep=time.sleep,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(time.run)
        async with Client(server) as client:
            rules = {"older_than_days": 30, "keep": [], "allow_protected": True}
            plan = structured(await client.call_tool("plan_tag_cleanup", rules))
            report = structured(
                await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True})
            )
        group.cancel_scope.cancel()
    return report


@pytest.mark.slow
@pytest.mark.parametrize("ahead", [0.0, 8.0, -8.0], ids=["same-clock", "hub-8s-ahead", "hub-8s-behind"])
async def test_pacing_spends_every_minute_s_budget_and_meets_no_429(ahead: float) -> None:
    """1,100 deletes at 180 a minute, 8 in flight, 50 ms each: every whole minute on Hub's clock carries at least
    97 % of the limit, and no request is refused, also when Hub's clock runs 8 s ahead or behind ours."""
    sandbox = busy_hub(1_100)
    sandbox.state.quirks.clock_ahead = ahead

    report = await clean_up_everything(sandbox)

    assert 1_100 == report["totals"]["deleted"]
    assert [] == [r for r in sandbox.requests if r.status == 429]
    minutes = Counter(int((r.at + ahead) // 60) for r in sandbox.requests)
    whole = [minutes[m] for m in sorted(minutes)[1:-1]]  # the first and the last minute are partly idle
    assert len(whole) >= 5
    assert min(whole) >= 0.97 * LIMIT


@pytest.mark.parametrize(("setting", "expected"), [({}, 8), ({"concurrency": 3}, 3)], ids=["default", "three"])
async def test_requests_in_flight_reach_the_concurrency_setting_and_never_exceed_it(
    setting: dict[str, int], expected: int
) -> None:
    """A cleanup keeps exactly DOCKERHUB_CONCURRENCY requests (default 8) in flight at its busiest."""
    sandbox = busy_hub(120)
    sandbox.state.enforce_rate_limit = False

    report = await clean_up_everything(sandbox, **setting)

    assert 120 == report["totals"]["deleted"]
    assert expected == sandbox.state.peak_in_flight


@pytest.mark.parametrize("value", ["0", "65", "eight"])
def test_a_bad_concurrency_exits_2_naming_the_setting(capsys: pytest.CaptureFixture[str], value: str) -> None:
    """--concurrency and DOCKERHUB_CONCURRENCY take a whole number from 1 to 64."""
    code = run(["--sandbox", "--concurrency", value, "--check"])

    err = capsys.readouterr().err
    assert (2, 1) == (code, len(err.strip().splitlines()))
    assert "DOCKERHUB_CONCURRENCY must be a whole number from 1 to 64" in err


@pytest.mark.subprocess
def test_nothing_the_first_requests_do_not_need_is_loaded_before_them() -> None:
    """Answering initialize and tools/list loads no retry library, JWT decoder, progress bar, sandbox, HTTP
    transport (so builds no connection pool or TLS context) or prompts: they come with the first request that
    needs them.
    (uvicorn and rich's logging handler are the SDK's own: a bare MCPServer loads them too.)"""
    probe = """
import anyio, sys
from dockerhub_mcp.config import Settings
from dockerhub_mcp.server import build_server
settings = Settings.from_env({"DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": "dckr_pat_probe"})
anyio.run(build_server(settings).list_tools)
late = ("stamina", "jwt", "rich.progress", "dockerhub_mcp.sandbox", "httpcore2", "dockerhub_mcp.prompts")
print(",".join(sorted(name for name in late if name in sys.modules)))
"""
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)

    assert "" == loaded.stdout.strip()
