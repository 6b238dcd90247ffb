"""The scheduled-run commands (`cleanup`, `audit`, `describe`) in process against a sandbox, and two real runs.

`main()` calls `anyio.run` itself, so these tests are plain sync functions; where a test compares with an MCP
tool, it runs that call with its own `anyio.run`.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from dockerhub_mcp.cli import main
from dockerhub_mcp.sandbox import SANDBOX_TOKEN, SANDBOX_USERNAME, Clock, Fault, Sandbox, build_sandbox
from dockerhub_mcp.sandbox.server import serving
from dockerhub_mcp.server import build_server
from helpers import make_settings, run, structured

Connect = Callable[..., AbstractAsyncContextManager[Client]]

# https: the transport is the sandbox either way, and a real operator's URL would be https.
API_URL = "https://hub.sandbox.test"
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
CLEANUP = ["cleanup", "--older-than", "90d", "--keep", "latest", "--keep", "v*", "--keep-latest", "1"]
CLEANUP_TOOL_ARGS = {"older_than_days": 90, "keep": ["latest", "v*"], "keep_latest": 1}


def make_hub(now: float) -> Sandbox:
    """A Hub whose clock stands at `now`: three repositories of `demo` with tags of known ages.

    app: latest, v1.0, old-a (200 days), old-b (150 days), recent (10 days), newest (1 hour);
    site: v2 (2 hours); tools: old (300 days). Descriptions mention Acme in app and tools.
    """
    clock = Clock()
    clock.freeze(now)
    hub = build_sandbox(demo=False, clock=clock)
    state = hub.state
    long_ago = now - 400 * DAY
    state.add_repository("demo", "app", description="Acme app", registered_at=long_ago)
    state.add_repository("demo", "site", description="Company site", registered_at=long_ago)
    state.add_repository("demo", "tools", description="Tools by Acme", registered_at=long_ago)
    ages = {"latest": 200 * DAY, "v1.0": 200 * DAY, "old-a": 200 * DAY, "old-b": 150 * DAY}
    ages |= {"recent": 10 * DAY, "newest": HOUR}
    for name, age in ages.items():
        state.add_tag("demo", "app", name, pushed_at=now - age)
    state.add_tag("demo", "site", "v2", pushed_at=now - 2 * HOUR, archs=["amd64", "arm64"])
    state.add_tag("demo", "tools", "old", pushed_at=now - 300 * DAY)
    return hub


@pytest.fixture
def now() -> float:
    """The sandbox time of this test: wall time to the second (the CLI's client runs on wall time)."""
    return float(int(time.time()))


@pytest.fixture
def sandbox(now: float) -> Sandbox:
    """The Hub of `make_hub`, which the CLI and the `connect` fixture both talk to."""
    return make_hub(now)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials for the sandbox's demo account, and no other DOCKERHUB_* setting."""
    for name in list(os.environ):
        if name.startswith("DOCKERHUB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DOCKERHUB_USERNAME", SANDBOX_USERNAME)
    monkeypatch.setenv("DOCKERHUB_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("DOCKERHUB_API_URL", API_URL)


def call_tool(connect: Connect, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One MCP tool call on a server over the test's sandbox, from sync code."""

    async def call() -> dict[str, Any]:
        async with connect() as client:
            return structured(await client.call_tool(name, arguments))

    return anyio.run(call)


def unstamped(markdown: str) -> str:
    """A plan's markdown without what depends on the instant it was made (its id and times)."""
    return re.sub(r"`[0-9a-f]{12}`|`dockerhub://plans/[0-9a-f]{64}`|\d{4}-\d\d-\d\d \d\d:\d\d", "…", markdown)


def tag_names(sandbox: Sandbox, repository: str) -> set[str]:
    """The tags `demo/repository` has now."""
    return {t.name for t in sandbox.state.tags("demo", repository)}


# -- audit -------------------------------------------------------------------------------------------


def test_audit_exits_0_and_draws_no_progress_bar_off_a_terminal(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clean audit exits 0; stderr is not a terminal, so nothing at all is written to it."""
    code = run(["audit", "--since", "24h"], sandbox)

    assert (0, "") == (code, capsys.readouterr().err)
    assert {"GET"} == {r.method for r in sandbox.api_requests()}


def test_audit_json_holds_every_push_the_mcp_tool_counts(
    sandbox: Sandbox, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit --json` prints the whole window: the same pushes `audit_recent_pushes` lists and counts."""
    expected = call_tool(connect, "audit_recent_pushes", {"since_hours": 24})

    code = run(["audit", "--since", "24h", "--json"], sandbox)

    printed = json.loads(capsys.readouterr().out)
    assert 0 == code
    pushes = sorted((r["repository"], t["name"]) for r in printed["repositories"] for t in r["tags"])
    assert sorted((t["repository"], t["tag"]) for t in expected["tags"]) == pushes
    assert (expected["totals"]["tags"], ["app", "site"]) == (
        printed["tags"],
        [r["repository"] for r in printed["repositories"]],
    )


def test_audit_prints_the_summary_markdown(
    sandbox: Sandbox, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --json the output is the tool's markdown summary."""
    expected = call_tool(connect, "audit_recent_pushes", {"since_hours": 3})

    code = run(["audit", "--since", "3h"], sandbox)

    assert (0, expected["summary_markdown"] + "\n") == (code, capsys.readouterr().out)


def test_audit_exits_1_when_a_repository_cannot_be_read(sandbox: Sandbox) -> None:
    """A 500 on one repository's tags is a failed item: exit 1, though the audit ran."""
    sandbox.faults.add(Fault("status", status=500, times=None, method="GET", path=r"/repositories/site/tags$"))

    code = run(["audit", "--json"], sandbox)

    assert 1 == code
    assert ["/v2/namespaces/demo/repositories/app/tags"] == [
        r.path for r in sandbox.api_requests(path_prefix="/v2/namespaces/demo/repositories/app")
    ]


# -- describe ----------------------------------------------------------------------------------------


def test_describe_without_apply_writes_nothing_and_exits_0(sandbox: Sandbox) -> None:
    """The default is a dry run: no PATCH, descriptions as they were."""
    code = run(["describe", "--find", "Acme", "--replace", "Initech"], sandbox)

    assert 0 == code
    assert [] == sandbox.api_requests(method="PATCH")
    assert ["Acme app", "Company site", "Tools by Acme"] == [r.description for r in sandbox.state.repositories("demo")]


def test_describe_prints_the_summary_and_the_dry_run_note(
    sandbox: Sandbox, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    """The human output is the tool's summary and a line saying nothing was written."""
    expected = call_tool(connect, "bulk_update_descriptions", {"find": "Acme", "replace": "Initech"})

    run(["describe", "--find", "Acme", "--replace", "Initech"], sandbox)

    assert expected["summary_markdown"] + "\n\nDry run: nothing written (add --apply).\n" == capsys.readouterr().out


def test_describe_json_has_the_whole_texts_of_what_the_mcp_tool_summarises(
    sandbox: Sandbox, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    """`describe --json` prints every repository with its whole old and new text; the tool, excerpts."""
    arguments = {"find": "Acme", "replace": "Initech", "field": "both", "name_filter": "app"}
    expected = call_tool(connect, "bulk_update_descriptions", arguments)

    run(
        ["describe", "--find", "Acme", "--replace", "Initech", "--field", "both", "--name-filter", "app", "--json"],
        sandbox,
    )

    printed = json.loads(capsys.readouterr().out)
    (row,) = printed["repositories"]
    assert (expected["totals"], expected["summary_markdown"]) == (printed["totals"], printed["summary_markdown"])
    assert ("Acme app", "Initech app") == (row["description_old"], row["description_new"])
    assert [c["changes"] for c in expected["changes"]] == [row["changes"]]


def test_describe_apply_writes_the_new_descriptions_and_exits_0(sandbox: Sandbox) -> None:
    """With --apply the Hub holds the replaced text afterwards."""
    code = run(["describe", "--find", "Acme", "--replace", "Initech", "--apply"], sandbox)

    assert 0 == code
    assert ["Initech app", "Company site", "Tools by Initech"] == [
        r.description for r in sandbox.state.repositories("demo")
    ]


def test_describe_apply_restricted_to_one_repository_writes_only_it(sandbox: Sandbox) -> None:
    """--repository limits the writes to the named repository."""
    code = run(["describe", "--find", "Acme", "--replace", "Initech", "--repository", "tools", "--apply"], sandbox)

    assert 0 == code
    assert ["Acme app", "Company site", "Tools by Initech"] == [
        r.description for r in sandbox.state.repositories("demo")
    ]


def test_describe_exits_1_when_a_write_fails(sandbox: Sandbox) -> None:
    """A 500 on one PATCH: exit 1, and the other repository is still written."""
    sandbox.faults.add(Fault("status", status=500, times=None, method="PATCH", path=r"/repositories/app$"))

    code = run(["describe", "--find", "Acme", "--replace", "Initech", "--apply"], sandbox)

    assert 1 == code
    assert ["Acme app", "Company site", "Tools by Initech"] == [
        r.description for r in sandbox.state.repositories("demo")
    ]


# -- cleanup -----------------------------------------------------------------------------------------


def test_cleanup_without_apply_deletes_nothing_and_exits_0(sandbox: Sandbox) -> None:
    """The default only plans: no DELETE is sent."""
    code = run(CLEANUP, sandbox)

    assert 0 == code
    assert [] == sandbox.api_requests(method="DELETE")
    assert {"latest", "v1.0", "old-a", "old-b", "recent", "newest"} == tag_names(sandbox, "app")


def test_cleanup_json_is_the_whole_plan_the_mcp_tool_summarises(
    sandbox: Sandbox, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cleanup --json` without --apply prints the whole plan: every tag the tool's summary counts."""
    expected = call_tool(connect, "plan_tag_cleanup", CLEANUP_TOOL_ARGS)

    run([*CLEANUP, "--json"], sandbox)

    printed = json.loads(capsys.readouterr().out)
    assert (expected["totals"]["tags"], expected["totals"]["bytes"]) == (printed["tags"], printed["bytes"])
    assert [("app", "old-a"), ("app", "old-b")] == [
        (r["repository"], t["tag"]) for r in printed["repositories"] for t in r["delete"]
    ]
    assert {"app", "site", "tools"} == {r["repository"] for r in printed["repositories"]}


def test_cleanup_prints_the_plan_summary_and_the_dry_run_note(
    sandbox: Sandbox, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    """The human output is the plan's markdown (as the tool gives it) and a line saying nothing was deleted."""
    expected = call_tool(connect, "plan_tag_cleanup", CLEANUP_TOOL_ARGS)

    run(CLEANUP, sandbox)

    out = capsys.readouterr().out
    assert out.endswith("\n\nDry run: nothing deleted (add --apply).\n")
    assert unstamped(expected["summary_markdown"]) == unstamped(out.split("\n\nDry run:")[0])


def test_cleanup_apply_deletes_exactly_the_planned_tags_and_exits_0(sandbox: Sandbox) -> None:
    """--apply deletes what the rules leave unprotected and nothing else."""
    code = run([*CLEANUP, "--apply"], sandbox)

    assert 0 == code
    assert {"latest", "v1.0", "recent", "newest"} == tag_names(sandbox, "app")
    assert ({"v2"}, {"old"}) == (tag_names(sandbox, "site"), tag_names(sandbox, "tools"))
    assert ["/v2/namespaces/demo/repositories/app/tags/old-a", "/v2/namespaces/demo/repositories/app/tags/old-b"] == (
        sorted(r.path for r in sandbox.api_requests(method="DELETE"))
    )


def test_cleanup_apply_json_is_every_outcome_the_mcp_tool_counts(
    sandbox: Sandbox, now: float, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cleanup --apply --json` prints every outcome; planning and applying through MCP counts the same."""
    twin = make_hub(now)

    async def plan_and_apply() -> dict[str, Any]:
        server = build_server(make_settings(), transport=httpx2.ASGITransport(app=twin.app), clock=twin.clock.now)
        async with Client(server) as client:
            plan = structured(await client.call_tool("plan_tag_cleanup", CLEANUP_TOOL_ARGS))
            arguments = {"plan_id": plan["plan_id"], "confirm": True}
            return structured(await client.call_tool("apply_tag_cleanup", arguments))

    expected = anyio.run(plan_and_apply)

    run([*CLEANUP, "--apply", "--json"], sandbox)

    printed = json.loads(capsys.readouterr().out)
    assert expected["totals"] == printed["totals"]
    assert [("app", "old-a", "deleted"), ("app", "old-b", "deleted")] == sorted(
        (o["repository"], o["tag"], o["outcome"]) for o in printed["outcomes"]
    )
    assert tag_names(twin, "app") == tag_names(sandbox, "app")


def test_cleanup_exits_1_when_some_deletes_fail_and_finishes_the_rest(sandbox: Sandbox) -> None:
    """A 500 on one tag's DELETE: exit 1, that tag stays, the other planned tag is deleted."""
    sandbox.faults.add(Fault("status", status=500, times=None, method="DELETE", path=r"/tags/old-a$"))

    code = run([*CLEANUP, "--apply"], sandbox)

    assert 1 == code
    assert {"latest", "v1.0", "old-a", "recent", "newest"} == tag_names(sandbox, "app")


# -- sealed plan files (approval flows) ---------------------------------------------------------------

PLAN_KEY = "an-approval-flow-key-of-some-length"


def save_plan(sandbox: Sandbox, path: Path, *extra: str) -> int:
    """`cleanup ... --save-plan path`, with the plan key set by the caller's environment."""
    return run([*CLEANUP, "--save-plan", str(path), *extra], sandbox)


def edit_plan(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite a plan file with `change` applied to its JSON."""
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_a_saved_plan_is_applied_later_exactly_and_deletes_nothing_when_saved(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--save-plan writes the sealed plan and deletes nothing; --plan FILE --apply deletes exactly its tags."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)
    plan_file, report = tmp_path / "plan.json", tmp_path / "report.jsonl"

    saved = save_plan(sandbox, plan_file)
    assert (0, []) == (saved, sandbox.api_requests(method="DELETE"))
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    assert "dockerhub-mcp/cleanup-plan@1" == document["format"]
    assert [("app", "old-a"), ("app", "old-b")] == [
        (r["repository"], t["tag"]) for r in document["plan"]["repositories"] for t in r["delete"]
    ]
    assert f"Plan saved to {plan_file}: nothing deleted (add --apply)." in capsys.readouterr().out

    applied = run(["cleanup", "--plan", str(plan_file), "--apply", "--report", str(report)], sandbox)

    assert 0 == applied
    assert {"latest", "v1.0", "recent", "newest"} == tag_names(sandbox, "app")
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert [("old-a", "deleted"), ("old-b", "deleted")] == sorted((x["tag"], x["outcome"]) for x in lines[:-1])
    assert document["plan_id"] == lines[-1]["plan_id"]


def test_showing_a_saved_plan_without_apply_deletes_nothing(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--plan FILE` alone verifies the plan and prints its summary: a review step with no writes."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)
    save_plan(sandbox, tmp_path / "plan.json")
    capsys.readouterr()
    sent = len(sandbox.requests)

    code = run(["cleanup", "--plan", str(tmp_path / "plan.json")], sandbox)

    assert (0, sent) == (code, len(sandbox.requests))
    assert "Dry run: nothing deleted (add --apply)." in capsys.readouterr().out


def _add_a_tag(document: dict[str, Any]) -> None:
    document["plan"]["repositories"][0]["delete"].append({"tag": "latest", "digest": "sha256:" + "0" * 64})


def _change_a_digest(document: dict[str, Any]) -> None:
    document["plan"]["repositories"][0]["delete"][0]["digest"] = "sha256:" + "0" * 64


def _other_namespace(document: dict[str, Any]) -> None:
    document["plan"]["namespace"] = "acme"


def _later_expiry(document: dict[str, Any]) -> None:
    document["plan"]["expires_at"] = "2099-01-01T00:00:00Z"


@pytest.mark.parametrize("edit", [_add_a_tag, _change_a_digest, _other_namespace, _later_expiry])
def test_an_edited_plan_file_is_refused_with_exit_2_and_nothing_sent(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[dict[str, Any]], None],
) -> None:
    """Any edit to the sealed plan breaks its seal: one line on stderr, exit 2, not even a token exchange."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, plan_file)
    edit_plan(plan_file, edit)
    capsys.readouterr()
    sent = len(sandbox.requests)

    code = run(["cleanup", "--plan", str(plan_file), "--apply"], sandbox)

    err = capsys.readouterr().err
    assert (2, sent) == (code, len(sandbox.requests))
    assert 1 == len(err.strip().splitlines())
    assert "does not match its seal" in err


def test_an_expired_plan_file_is_refused_with_exit_2_and_nothing_sent(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan applied after DOCKERHUB_PLAN_TTL is refused: plan again."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)
    monkeypatch.setenv("DOCKERHUB_PLAN_TTL", "1h")
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, plan_file)
    capsys.readouterr()
    sent = len(sandbox.requests)

    later = time.time() + 3601
    code = main(
        ["cleanup", "--plan", str(plan_file), "--apply"],
        transport=httpx2.ASGITransport(app=sandbox.app),
        clock=lambda: later,
    )

    err = capsys.readouterr().err
    assert (2, sent) == (code, len(sandbox.requests))
    assert "expired at" in err and 1 == len(err.strip().splitlines())


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DOCKERHUB_USERNAME", "other", "was made for 'demo'"),
        ("DOCKERHUB_API_URL", "https://elsewhere.example", "was made for 'demo' at https://hub.sandbox.test"),
        ("DOCKERHUB_MCP_PLAN_KEY", "another-key-of-a-good-length", "does not match its seal"),
    ],
    ids=["another-account", "another-hub", "another-key"],
)
def test_a_plan_file_for_another_account_hub_or_key_is_refused(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    says: str,
) -> None:
    """A plan made for demo at this Hub, with this key, applies nowhere else: exit 2, nothing sent."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, plan_file)
    capsys.readouterr()
    monkeypatch.setenv(variable, value)
    sent = len(sandbox.requests)

    code = run(["cleanup", "--plan", str(plan_file), "--apply"], sandbox)

    err = capsys.readouterr().err
    assert (2, sent) == (code, len(sandbox.requests))
    assert says in err


def test_a_tag_protected_since_planning_is_skipped_when_the_file_is_applied(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOCKERHUB_PROTECTED_TAGS where the plan is applied still protects, whatever the plan said."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)
    plan_file, report = tmp_path / "plan.json", tmp_path / "report.jsonl"
    save_plan(sandbox, plan_file)
    monkeypatch.setenv("DOCKERHUB_PROTECTED_TAGS", "latest,old-b")

    code = run(["cleanup", "--plan", str(plan_file), "--apply", "--report", str(report)], sandbox)

    final = json.loads(report.read_text(encoding="utf-8").splitlines()[-1])
    assert 0 == code
    assert (1, 1) == (final["totals"]["deleted"], final["totals"]["skipped_protected"])
    assert "old-b" in tag_names(sandbox, "app")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--save-plan", "{plan}"], "needs DOCKERHUB_MCP_PLAN_KEY"),
        (["--plan", "{plan}", "--apply"], "needs DOCKERHUB_MCP_PLAN_KEY"),
    ],
    ids=["save", "apply"],
)
def test_plan_files_need_a_plan_key(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    """Without DOCKERHUB_MCP_PLAN_KEY a plan file could never be verified: exit 2 before anything is sent."""
    (tmp_path / "plan.json").write_text("{}", encoding="utf-8")
    args = [a.replace("{plan}", str(tmp_path / "plan.json")) for a in argv]
    command = [*CLEANUP, *args] if "--save-plan" in args else ["cleanup", *args]

    code = run(command, sandbox)

    assert (2, []) == (code, sandbox.requests)
    assert says in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [["--older-than", "90d"], ["--keep", "v*"], ["--namespace", "acme"], ["--allow-protected"]],
    ids=["older-than", "keep", "namespace", "allow-protected"],
)
def test_a_saved_plan_takes_no_rules_of_its_own(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
) -> None:
    """Rules given beside --plan would be ignored, so they are refused: the plan holds its own."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)
    save_plan(sandbox, tmp_path / "plan.json")
    capsys.readouterr()

    code = run(["cleanup", "--plan", str(tmp_path / "plan.json"), "--apply", *extra], sandbox)

    assert 2 == code
    assert "A saved plan holds its own namespace and rules" in capsys.readouterr().err


def test_save_plan_with_apply_is_refused(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--save-plan is the first half of an approval flow: combined with --apply it is refused, unsent."""
    monkeypatch.setenv("DOCKERHUB_MCP_PLAN_KEY", PLAN_KEY)

    assert (2, []) == (save_plan(sandbox, tmp_path / "plan.json", "--apply"), sandbox.requests)


# -- usage and configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["audit", "--since", "soon"], id="audit-bad-duration"),
        pytest.param(["audit", "--since", "0h"], id="audit-empty-window"),
        pytest.param(["audit", "--since", "91d"], id="audit-window-over-90-days"),
        pytest.param(["audit", "--namespace", "Not/Valid"], id="audit-bad-namespace"),
        pytest.param(["describe", "--find", "Acme"], id="describe-missing-replace"),
        pytest.param(["describe", "--find", "", "--replace", "x"], id="describe-empty-find"),
        pytest.param(["describe", "--find", "a", "--replace", "b", "--field", "title"], id="describe-bad-field"),
        pytest.param(["describe", "--find", "Acme", "--replace", "x" * 200, "--apply"], id="describe-over-limit"),
        pytest.param(["cleanup"], id="cleanup-missing-older-than"),
        pytest.param(["cleanup", "--older-than", "90d", "--keep", "a b"], id="cleanup-bad-glob"),
        pytest.param(["cleanup", "--older-than", "90d", "--repository", "Bad/Name"], id="cleanup-bad-repository"),
        pytest.param(["nonsense"], id="unknown-command"),
    ],
)
def test_bad_usage_exits_2_and_changes_nothing(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Arguments argparse or the workflows refuse: exit 2, a message on stderr, and no change to the Hub."""
    code = run(argv, sandbox)

    assert 2 == code
    assert capsys.readouterr().err
    assert [] == [r for r in sandbox.api_requests() if r.method != "GET"]


def test_a_negative_keep_latest_exits_2(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """`--keep-latest -1` is bad usage like any other: exit 2, not a traceback."""
    code = run(["cleanup", "--older-than", "90d", "--keep-latest", "-1"], sandbox)

    assert 2 == code
    assert "keep-latest" in capsys.readouterr().err


@pytest.mark.parametrize("command", [CLEANUP, ["audit"], ["describe", "--find", "a", "--replace", "b"]])
def test_a_missing_token_exits_2_with_one_line_naming_it(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Without DOCKERHUB_TOKEN no command starts: exit 2 and one line on stderr naming the variable."""
    monkeypatch.delenv("DOCKERHUB_TOKEN")

    code = run(command, sandbox)

    err = capsys.readouterr().err
    assert (2, 1) == (code, len(err.splitlines()))
    assert "DOCKERHUB_TOKEN" in err
    assert [] == sandbox.requests


@pytest.mark.parametrize(
    "argv", [["--sandbox", "audit"], ["audit", "--sandbox"]], ids=["before-command", "after-command"]
)
def test_the_sandbox_flag_works_before_and_after_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """--sandbox serves the built-in Hub wherever it is written, so no credentials are needed."""
    monkeypatch.delenv("DOCKERHUB_TOKEN")

    code = run([*argv, "--since", "2h"])

    assert (0, "") == (code, capsys.readouterr().err)


def test_a_progress_bar_is_drawn_on_stderr_when_it_is_a_terminal(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal, stderr shows a bar counting the repositories read."""

    class Terminal(io.StringIO):
        """A stderr that says it is a terminal."""

        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)

    code = run(["audit"], sandbox)

    assert 0 == code
    assert "2/2" in terminal.getvalue()
    assert "━" in terminal.getvalue()


# -- real processes ----------------------------------------------------------------------------------


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any DOCKERHUB_* setting, plus `extra`."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DOCKERHUB_")} | extra


@pytest.mark.subprocess
def test_a_real_sandbox_audit_prints_json_and_exits_0() -> None:
    """`python -m dockerhub_mcp --sandbox audit --since 2h --json`: exit 0 and one JSON audit report."""
    result = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp", "--sandbox", "audit", "--since", "2h", "--json"],
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert 0 == result.returncode, result.stderr
    report = json.loads(result.stdout)
    assert ["namespace", "since", "until", "repositories", "tags", "summary_markdown"] == list(report)
    # `worker`'s newest tag was pushed exactly 2 h before the Hub was built: just outside by the time it runs.
    assert ("demo", ["web", "api"]) == (report["namespace"], [r["repository"] for r in report["repositories"]])


@pytest.mark.subprocess
def test_a_real_cleanup_without_a_token_exits_2_naming_the_variable() -> None:
    """`python -m dockerhub_mcp cleanup --older-than 90d` with no DOCKERHUB_TOKEN: exit 2, one line naming it."""
    result = subprocess.run(
        [sys.executable, "-m", "dockerhub_mcp", "cleanup", "--older-than", "90d"],
        env=child_environment(DOCKERHUB_USERNAME=SANDBOX_USERNAME),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (2, "", 1) == (result.returncode, result.stdout, len(result.stderr.splitlines()))
    assert "DOCKERHUB_TOKEN" in result.stderr


@pytest.mark.subprocess
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_a_cleanup_and_the_report_records_every_delete_under_way(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """SIGTERM (cron `timeout`, systemd, Kubernetes) or SIGINT mid-apply: no new deletes, the ones under way
    finish and are written to --report, whose last line says the run was interrupted; exit 128 + signal."""
    hub = build_sandbox()
    hub.faults.add(Fault("slow", delay=0.3, times=None, method="DELETE"))  # deletes under way when it lands
    report = tmp_path / "report.jsonl"
    with serving(hub.app) as url:
        env = child_environment(
            DOCKERHUB_USERNAME=SANDBOX_USERNAME, DOCKERHUB_TOKEN=SANDBOX_TOKEN, DOCKERHUB_API_URL=url
        )
        command = ["cleanup", "--repository", "web", "--older-than", "0d", "--apply", "--report", str(report)]
        process = subprocess.Popen(
            [sys.executable, "-m", "dockerhub_mcp", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while (not report.exists() or len(report.read_text(encoding="utf-8").splitlines()) < 3) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)

    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    outcomes = {line["tag"]: line["outcome"] for line in lines[:-1]}
    deleted = {r.path.rsplit("/", 1)[1] for r in hub.api_requests(method="DELETE") if r.status == 204}
    assert {"interrupted": True} == lines[-1]
    assert (128 + signum.value, f"interrupted by {signum.name}") == (process.returncode, stderr.strip().split(": ")[-1])
    assert deleted == {tag for tag, outcome in outcomes.items() if outcome == "deleted"}
    assert len(outcomes) < 179  # it stopped: most of web's tags were never touched
