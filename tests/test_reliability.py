"""Reliability against a misbehaving Hub: retries, rate limits, timeouts, lost answers, cancellation."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx2
import pytest
from mcp import Client

from dockerhub_mcp.cli import main
from dockerhub_mcp.sandbox import SANDBOX_TOKEN, Fault, Sandbox
from helpers import error_text, read_json, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]
TAGS = r"^/v2/namespaces/demo/repositories/web/tags$"


def count(sandbox: Sandbox, method: str, path: str) -> int:
    """How many requests reached `method path`."""
    return len([r for r in sandbox.requests if (r.method, r.path) == (method, path)])


async def test_a_5xx_on_a_read_is_retried_until_it_succeeds(client: Client, sandbox: Sandbox) -> None:
    """Two 503s, then the answer: the tool succeeds after three tries."""
    sandbox.faults.add(Fault("status", status=503, times=2, path=TAGS))

    result = structured(await client.call_tool("list_tags", {"repository": "web", "page_size": 3}))

    assert 3 == len(result["tags"])
    assert 3 == count(sandbox, "GET", "/v2/namespaces/demo/repositories/web/tags")


async def test_a_429_waits_as_hub_asks_then_retries(client: Client, sandbox: Sandbox) -> None:
    """Retry-After: 7 makes the client wait seven seconds (of the shared clock) and try again."""
    sandbox.faults.add(Fault("rate_limit", retry_after=7, times=1, path=TAGS))
    before = sandbox.clock.now()

    result = await client.call_tool("list_tags", {"repository": "web"})

    waited = sandbox.clock.now() - before
    assert not result.is_error
    assert 7 <= waited < 8


async def test_a_long_retry_after_is_capped(connect: Connect, sandbox: Sandbox) -> None:
    """A Retry-After beyond DOCKERHUB_MAX_RETRY_WAIT waits only the cap before the retry."""
    sandbox.faults.add(Fault("rate_limit", retry_after=600, times=1, path=TAGS))
    before = sandbox.clock.now()

    async with connect(max_retry_wait=20) as c:
        result = await c.call_tool("list_tags", {"repository": "web"})

    assert not result.is_error
    assert 20 <= sandbox.clock.now() - before < 21


async def test_a_persistent_429_gives_up_after_bounded_tries_saying_when(client: Client, sandbox: Sandbox) -> None:
    """Four tries, then an error that says when to try again."""
    sandbox.faults.add(Fault("rate_limit", retry_after=42, times=None, path=TAGS))

    text = error_text(await client.call_tool("list_tags", {"repository": "web"}))

    assert "rate limit" in text and "retry after 42 s" in text
    assert 4 == count(sandbox, "GET", "/v2/namespaces/demo/repositories/web/tags")


async def test_bulk_work_paces_itself_instead_of_running_into_429s(client: Client, sandbox: Sandbox) -> None:
    """With a 20-a-minute limit enforced, deleting 40 tags spreads over minutes and meets no 429."""
    sandbox.state.rate_limit = 20
    sandbox.state.enforce_rate_limit = True
    before = sandbox.clock.now()
    plan = structured(
        await client.call_tool(
            "plan_tag_cleanup", {"repositories": ["worker"], "older_than_days": 0, "keep": [], "allow_protected": True}
        )
    )

    report = structured(
        await client.call_tool(
            "apply_tag_cleanup",
            {"plan_id": plan["plan_id"], "confirm": True},
        )
    )

    assert 40 == report["totals"]["deleted"]
    assert [] == [r for r in sandbox.requests if r.status == 429]
    assert [] == sandbox.state.tags("demo", "worker")
    # Over 40 requests at 20 a minute: the run waited for a new window each time one was used up.
    sent = len(sandbox.requests)
    assert sent > 40
    assert sandbox.clock.now() - before >= 60 * (sent // 20 - 1)


GRANT = {"namespace": "acme", "repository": "tools", "group_id": 102, "permission": "read"}
GROUPS = "/v2/repositories/acme/tools/groups/"


async def test_a_team_grant_that_failed_ambiguously_is_read_back_not_retried(client: Client, sandbox: Sandbox) -> None:
    """A 500 on the grant POST may have been acted on: it is sent once, read back, and the error says what
    Hub holds."""
    sandbox.faults.add(Fault("status", status=500, times=1, method="POST", path="/groups/$"))

    text = error_text(await client.call_tool("grant_team_access", GRANT))

    assert "Docker Hub holds no access for team 102 on acme/tools: the change did not take effect." in text
    assert 1 == count(sandbox, "POST", GROUPS)
    assert ("ops", "tools") not in [(g.group_name, g.repository) for g in sandbox.state.repo_grants]


async def test_a_team_grant_whose_answer_was_lost_is_confirmed_by_reading_it_back(
    client: Client, sandbox: Sandbox
) -> None:
    """Hub granted, but the answer never came: one POST, then the read-back shows the grant, so it succeeded."""
    sandbox.faults.add(Fault("lost", times=1, method="POST", path="/groups/$"))

    result = structured(await client.call_tool("grant_team_access", GRANT))

    assert ("granted", "read") == (result["change"], result["permission"])
    assert 1 == count(sandbox, "POST", GROUPS)


async def test_a_team_grant_whose_connection_dropped_is_read_back_not_retried(client: Client, sandbox: Sandbox) -> None:
    """A cut connection before Hub acted: one POST, and the read-back shows nothing was granted."""
    sandbox.faults.add(Fault("drop", times=1, method="POST", path="/groups/$"))

    text = error_text(await client.call_tool("grant_team_access", GRANT))

    assert "Docker Hub holds no access for team 102" in text
    assert 1 == count(sandbox, "POST", GROUPS)


async def test_a_team_grant_refused_with_429_is_retried(client: Client, sandbox: Sandbox) -> None:
    """A 429 means Hub did nothing, so even the POST is tried again, and succeeds."""
    sandbox.faults.add(Fault("rate_limit", retry_after=1, times=1, method="POST", path="/groups/$"))

    result = structured(await client.call_tool("grant_team_access", GRANT))

    assert "ops" == result["group_name"]
    assert 2 == count(sandbox, "POST", GROUPS)


async def test_a_delete_whose_answer_was_lost_counts_as_done(client: Client, sandbox: Sandbox) -> None:
    """Hub deleted the tag but the answer was lost: the retry's 404 means the deletion is done."""
    victim = next(t.name for t in sandbox.state.tags("demo", "worker") if t.name != "latest")
    path = f"/v2/namespaces/demo/repositories/worker/tags/{victim}"
    sandbox.faults.add(Fault("lost", times=1, method="DELETE", path=f"{path}$"))

    result = structured(await client.call_tool("delete_tag", {"repository": "worker", "tag": victim}))

    assert result["deleted"] is True
    assert victim not in {t.name for t in sandbox.state.tags("demo", "worker")}
    assert [0, 404] == [r.status for r in sandbox.requests if r.path == path]


async def test_a_slow_answer_past_the_timeout_is_abandoned_and_retried(connect: Connect, sandbox: Sandbox) -> None:
    """A request that outlives DOCKERHUB_TIMEOUT is cut short and tried again, not waited for."""
    sandbox.faults.add(Fault("slow", delay=30, times=1, path=TAGS))

    with anyio.fail_after(10):
        async with connect(timeout=0.2) as c:
            result = await c.call_tool("list_tags", {"repository": "web"})

    assert not result.is_error
    assert 2 == count(sandbox, "GET", "/v2/namespaces/demo/repositories/web/tags")


async def test_the_token_exchange_is_retried_at_most_once(client: Client, sandbox: Sandbox) -> None:
    """Hub failing the exchange: one retry, then an error; never a loop that locks the username out."""
    sandbox.faults.add(Fault("status", status=503, times=None, path="^/v2/auth/token$"))

    text = error_text(await client.call_tool("list_repositories", {}))

    assert "token exchange" in text
    assert 2 == sandbox.exchanges


async def test_cancelling_an_apply_stops_it_and_records_every_delete_under_way(
    client: Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Once the host cancels, no further deletes are sent; those under way are waited for, and every delete
    that reached Hub has its outcome in the outcomes resource, marked interrupted; the log tallies them."""
    plan = structured(await client.call_tool("plan_tag_cleanup", {"repositories": ["web"], "older_than_days": 0}))
    before = {t.name for t in sandbox.state.tags("demo", "web")}
    # Deletes take a few milliseconds, as over a network, so the cancel can arrive while work remains.
    sandbox.faults.add(Fault("slow", delay=0.005, times=None, method="DELETE"))
    seen = 0

    with anyio.CancelScope() as scope:

        async def progress(progress: float, total: float | None, message: str | None) -> None:
            nonlocal seen
            seen += 1
            if seen == 10:
                scope.cancel()

        await client.call_tool(
            "apply_tag_cleanup",
            {"plan_id": plan["plan_id"], "confirm": True},
            progress_callback=progress,
        )
    with anyio.fail_after(5):
        while "cancelled after" not in caplog.text:
            await anyio.sleep(0.01)
    deletes_when_cancelled = len(sandbox.api_requests(method="DELETE"))
    for _ in range(50):  # let anything still scheduled run: nothing more may reach Hub
        await anyio.lowlevel.checkpoint()

    match = re.search(r"cancelled after (\d+) of (\d+) tags", caplog.text)
    assert match is not None
    done, total = int(match[1]), int(match[2])
    record = await read_json(client, f"{plan['plan_uri']}/outcomes")
    gone = before - {t.name for t in sandbox.state.tags("demo", "web")}
    sent = {r.path.rsplit("/", 1)[1] for r in sandbox.api_requests(method="DELETE")}
    assert (plan["totals"]["tags"], True) == (total, done < total)
    assert deletes_when_cancelled == len(sandbox.api_requests(method="DELETE"))
    assert (True, done) == (record["interrupted"], len(record["outcomes"]))
    assert gone == {o["tag"] for o in record["outcomes"] if o["outcome"] == "deleted"}
    assert sent <= {o["tag"] for o in record["outcomes"]}  # every delete that reached Hub has its outcome


async def test_deleting_a_protected_tag_needs_an_explicit_override(connect: Connect, sandbox: Sandbox) -> None:
    """Tags matching DOCKERHUB_PROTECTED_TAGS are refused without a request unless allow_protected is set."""
    async with connect(protected_tags=("latest", "prod-*")) as c:
        refused = [
            error_text(await c.call_tool("delete_tag", {"repository": "web", "tag": tag}))
            for tag in ("latest", "prod-20990101")
        ]
        sent_before_override = len(sandbox.api_requests(method="DELETE"))
        allowed = structured(
            await c.call_tool("delete_tag", {"repository": "web", "tag": "latest", "allow_protected": True})
        )

    assert all("protected" in text and "allow_protected" in text for text in refused)
    assert 0 == sent_before_override
    assert allowed["deleted"] is True
    assert "latest" not in {t.name for t in sandbox.state.tags("demo", "web")}


def test_the_cli_report_file_records_each_outcome_as_it_happens(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--report appends one JSON line per tag, then the whole report."""
    monkeypatch.setenv("DOCKERHUB_USERNAME", "demo")
    monkeypatch.setenv("DOCKERHUB_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("DOCKERHUB_API_URL", "https://hub.sandbox.test")
    report = tmp_path / "report.jsonl"
    args = ["cleanup", "--repository", "worker", "--older-than", "0d", "--keep", "v*", "--apply", "--report"]

    code = main([*args, str(report)], transport=httpx2.ASGITransport(app=sandbox.app))

    lines: list[dict[str, Any]] = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    *outcomes, final = lines
    assert 0 == code
    assert len(outcomes) == final["totals"]["deleted"] > 0
    assert {"deleted"} == {o["outcome"] for o in outcomes}
    assert sorted(o["tag"] for o in outcomes) == sorted(o["tag"] for o in final["outcomes"])


def test_retries_are_logged_without_secrets(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    """Scheduled retries show up in the log (stamina), naming no credential."""
    caplog.set_level(logging.DEBUG)

    async def run() -> None:
        from dockerhub_mcp.client import DockerHubClient
        from helpers import make_settings

        sandbox.faults.add(Fault("status", status=502, times=1, path=TAGS))
        async with DockerHubClient(make_settings(), transport=httpx2.ASGITransport(app=sandbox.app)) as client:
            await client.list_tags("demo", "web")

    anyio.run(run)

    assert "retry" in caplog.text.lower()
    assert SANDBOX_TOKEN not in caplog.text


async def test_a_404_after_a_429_is_not_mistaken_for_a_done_delete(client: Client, sandbox: Sandbox) -> None:
    """A 429 means Hub did nothing, so a 404 on the retry means the tag never existed: not found."""
    sandbox.faults.add(Fault("rate_limit", retry_after=1, times=1, method="DELETE"))

    text = error_text(await client.call_tool("delete_tag", {"repository": "worker", "tag": "never-existed"}))

    assert "Not found" in text


async def test_a_slow_token_exchange_is_tried_twice_at_most(connect: Connect, sandbox: Sandbox) -> None:
    """An exchange outliving the timeout gets its one retry; the request's own retries do not add more."""
    sandbox.faults.add(Fault("slow", delay=30, times=None, path="^/v2/auth/token$"))

    with anyio.fail_after(10):
        async with connect(timeout=0.2) as c:
            text = error_text(await c.call_tool("list_tags", {"repository": "web"}))

    assert "token exchange" in text
    assert 2 == sandbox.exchanges


async def test_a_failing_token_route_does_not_turn_a_bulk_run_into_a_stream_of_logins(
    client: Client, sandbox: Sandbox
) -> None:
    """With the token route down, a 40-tag apply tries the exchange twice, then fails the rest fast."""
    plan = structured(
        await client.call_tool(
            "plan_tag_cleanup", {"repositories": ["worker"], "older_than_days": 0, "keep": [], "allow_protected": True}
        )
    )
    sandbox.state.revoke_jwts()
    sandbox.faults.add(Fault("status", status=503, times=None, path="^/v2/auth/token$"))
    exchanges = sandbox.exchanges

    report = structured(
        await client.call_tool(
            "apply_tag_cleanup",
            {"plan_id": plan["plan_id"], "confirm": True},
        )
    )

    assert 40 == report["totals"]["failed"]
    assert 2 == sandbox.exchanges - exchanges
    assert 40 == len(sandbox.state.tags("demo", "worker"))


async def test_a_description_write_whose_answers_were_lost_is_confirmed_by_reading_back(
    client: Client, sandbox: Sandbox
) -> None:
    """Every PATCH answer lost, yet Hub has the text: the report says changed, as Hub does."""
    sandbox.faults.add(Fault("lost", times=None, method="PATCH"))

    report = structured(
        await client.call_tool(
            "bulk_update_descriptions", {"find": "Acme", "replace": "Apex", "repositories": ["web"], "dry_run": False}
        )
    )

    (row,) = report["changes"]
    assert ("changed", "confirmed written after an uncertain answer") == (row["status"], row["reason"])
    repo = sandbox.state.repository("demo", "web")
    assert repo is not None and "Apex" in repo.description


async def test_a_missing_repository_in_a_bulk_run_is_a_clear_error(client: Client) -> None:
    """Naming a repository that does not exist gives Hub's not-found, not a bare task-group failure."""
    text = error_text(
        await client.call_tool("bulk_update_descriptions", {"find": "a", "replace": "b", "repositories": ["nope"]})
    )

    assert "Not found: get a repository ('demo/nope')" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["cleanup", "--older-than", "12h"], 2),  # not whole days: refused, never rounded to 0
        (["cleanup", "--older-than", "90d", "--apply", "--report", "/nonexistent/dir/r.jsonl"], 2),
        (["audit"], 1),  # Hub refusing the listing (400) mid-run is a failed run, not bad usage
    ],
    ids=["sub-day-window", "unwritable-report", "hub-400"],
)
def test_cli_exit_codes_tell_bad_usage_from_failed_runs(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, args: list[str], expected: int
) -> None:
    """2 for what the caller must fix before running, 1 for what went wrong while running; nothing deleted."""
    monkeypatch.setenv("DOCKERHUB_USERNAME", "demo")
    monkeypatch.setenv("DOCKERHUB_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("DOCKERHUB_API_URL", "https://hub.sandbox.test")
    sandbox.faults.add(Fault("status", status=400, times=None, path="^/v2/namespaces/demo/repositories$"))

    try:
        code: int | str | None = main(args, transport=httpx2.ASGITransport(app=sandbox.app))
    except SystemExit as exc:  # argparse refuses bad usage by exiting
        code = exc.code

    assert expected == code
    assert [] == sandbox.api_requests(method="DELETE")
