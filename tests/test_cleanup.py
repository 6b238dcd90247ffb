"""Tag retention cleanup through the MCP surface: plan, approve, apply, against the sandbox Hub.

The sandbox's clock is frozen at `T0` and the seeded data is built relative to it, so every result is exact.
The repository `demo/fixture` holds tags at hand-picked ages; expectations about it are written out by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult, ErrorData

from dockerhub_mcp.sandbox import Clock, Fault, Sandbox, build_sandbox
from dockerhub_mcp.server import build_server
from dockerhub_mcp.workflows import PlanItem, plan_id_of
from helpers import error_text, make_settings, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]

T0 = datetime(2025, 6, 1, tzinfo=UTC).timestamp()  # the sandbox's frozen "now": 2025-06-01T00:00:00Z
DAY = 86400.0
PLAN_ID = re.compile(r"sha256:[0-9a-f]{32}")


def digest(char: str) -> str:
    """A recognisable tag digest: `sha256:` and 64 times `char`."""
    return "sha256:" + char * 64


def push(
    sandbox: Sandbox,
    name: str,
    age: float,
    *,
    pulled: float | None = None,
    tag_digest: str | None,
    size: int,
    repository: str = "fixture",
    archs: tuple[str, ...] = ("amd64",),
) -> None:
    """Push `demo/<repository>:<name>` `age` days before now, last pulled `pulled` days before now (or never)."""
    now = sandbox.clock.now()
    sandbox.state.add_tag(
        "demo",
        repository,
        name,
        pushed_at=now - age * DAY,
        pulled_at=None if pulled is None else now - pulled * DAY,
        digest=tag_digest,
        archs=archs,
        size=size,
    )


@pytest.fixture
def sandbox() -> Sandbox:
    """The seeded sandbox Hub, frozen at T0, plus `demo/fixture` with tags of known ages (in days)."""
    clock = Clock()
    clock.freeze(T0)
    sb = build_sandbox(seed=0, clock=clock)
    sb.state.add_repository("demo", "fixture")
    push(sb, "latest", 400, pulled=1, tag_digest=digest("1"), size=1_000)  # protected (server setting)
    push(sb, "v1.0", 300, tag_digest=digest("2"), size=2_000)  # protected: v*
    push(sb, "prod-2024", 500, tag_digest=digest("3"), size=3_000)  # protected: prod-*
    push(sb, "build-10", 1, tag_digest=digest("4"), size=4_000)  # newest push
    push(sb, "build-9", 3, tag_digest=digest("5"), size=5_000)  # second newest push
    push(sb, "build-8", 10, tag_digest=digest("6"), size=6_000)  # inside the 30-day window
    push(sb, "hotfix", 90, pulled=3, tag_digest=digest("7"), size=7_000)  # old, pulled this week
    push(sb, "stale", 90, pulled=60, tag_digest=digest("8"), size=8_000)  # old, last pulled two months ago
    push(sb, "never", 120, tag_digest=digest("9"), size=9_000)  # old, never pulled
    push(sb, "V2", 150, tag_digest=digest("a"), size=10_000)  # globs are case-sensitive: not v*
    push(sb, "prod", 160, tag_digest=digest("b"), size=11_000)  # no dash: not prod-*
    push(sb, "alias", 300, tag_digest=digest("2"), size=2_000)  # the same image as v1.0
    # A multi-arch tag without a tag-level digest: a re-push could not be detected, so it is never planned.
    push(sb, "legacy", 500, tag_digest=None, size=12_000, archs=("amd64", "arm64"))
    return sb


def open_client(
    sandbox: Sandbox, *, mode: str = "auto", prompter: Prompter | None = None, **overrides: object
) -> Client:
    """An in-memory client on a server over `sandbox`; with `prompter` the host declares elicitation."""
    server = build_server(
        make_settings(**overrides), transport=httpx2.ASGITransport(app=sandbox.app), clock=sandbox.clock.now
    )
    return Client(server, mode=mode, elicitation_callback=prompter)


class Prompter:
    """An elicitation callback: records each prompt's message and gives the same answer every time."""

    def __init__(self, answer: ElicitResult) -> None:
        self.answer = answer
        self.messages: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        self.messages.append(params.message)
        return self.answer


class ProgressLog:
    """A progress callback that records every notification."""

    def __init__(self) -> None:
        self.steps: list[tuple[float, float | None]] = []
        self.messages: list[str | None] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.steps.append((progress, total))
        self.messages.append(message)


def all_tags(sandbox: Sandbox) -> set[tuple[str, str, str]]:
    """Every tag the sandbox holds, as (namespace, repository, tag)."""
    return {
        (ns, repo.name, tag.name)
        for ns in ("demo", "acme")
        for repo in sandbox.state.repositories(ns)
        for tag in repo.tags.values()
    }


def fixture_tags(sandbox: Sandbox) -> set[str]:
    """The tag names left in `demo/fixture`."""
    return {t.name for t in sandbox.state.tags("demo", "fixture")}


FIXTURE_RULES: dict[str, Any] = {
    "older_than_days": 30,
    "repositories": ["fixture"],
    "keep_latest": 2,
    "keep": ["v*", "prod-*"],
    "unpulled_for_days": 7,
}
FIXTURE_DELETES = ["V2", "alias", "never", "prod", "stale"]


async def plan_fixture(client: Client, **changes: Any) -> dict[str, Any]:
    """Plan the fixture repository with FIXTURE_RULES (updated by `changes`)."""
    return structured(await client.call_tool("plan_tag_cleanup", {**FIXTURE_RULES, **changes}))


async def apply(client: Client, plan: dict[str, Any], **arguments: Any) -> dict[str, Any]:
    """Apply `plan` with its items unchanged and `arguments` (e.g. confirm=True); the report."""
    return structured(
        await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "items": plan["items"], **arguments})
    )


def deleted_outcomes(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outcomes of applying `items` when every one of them is deleted."""
    return [{"repository": i["repository"], "tag": i["tag"], "outcome": "deleted", "reason": None} for i in items]


# -- planning ------------------------------------------------------------------------------------------


async def test_a_plan_keeps_exactly_what_the_rules_say(client: Client) -> None:
    """Protected globs, keep_latest by push time, the age window, recent pulls and digest-less tags keep tags."""
    plan = await plan_fixture(client)

    plan_id = plan.pop("plan_id")
    assert PLAN_ID.fullmatch(plan_id)
    assert {
        "namespace": "demo",
        "as_of": "2025-06-01T00:00:00Z",
        "rules": {
            "older_than_days": 30,
            "keep_latest": 2,
            "keep": ["v*", "prod-*"],
            "only_never_pulled": False,
            "unpulled_for_days": 7,
        },
        "repositories": [
            {
                "repository": "fixture",
                "delete": [
                    {
                        "name": "V2",
                        "digest": digest("a"),
                        "last_pushed": "2025-01-02T00:00:00Z",
                        "last_pulled": None,
                        "size": 10_000,
                    },
                    {
                        "name": "alias",
                        "digest": digest("2"),
                        "last_pushed": "2024-08-05T00:00:00Z",
                        "last_pulled": None,
                        "size": 2_000,
                    },
                    {
                        "name": "never",
                        "digest": digest("9"),
                        "last_pushed": "2025-02-01T00:00:00Z",
                        "last_pulled": None,
                        "size": 9_000,
                    },
                    {
                        "name": "prod",
                        "digest": digest("b"),
                        "last_pushed": "2024-12-23T00:00:00Z",
                        "last_pulled": None,
                        "size": 11_000,
                    },
                    {
                        "name": "stale",
                        "digest": digest("8"),
                        "last_pushed": "2025-03-03T00:00:00Z",
                        "last_pulled": "2025-04-02T00:00:00Z",
                        "size": 8_000,
                    },
                ],
                "kept": {
                    "protected": ["latest", "prod-2024", "v1.0"],
                    # By push time; by name, build-8 would sort between the two.
                    "keep_latest": ["build-10", "build-9"],
                    "too_recent": ["build-8"],
                    "pulled_recently": ["hotfix"],
                    "no_digest": ["legacy"],
                },
                # `alias` shares its image with the kept `v1.0`: deleting it frees nothing.
                "bytes": 10_000 + 9_000 + 11_000 + 8_000,
            }
        ],
        "failures": [],
        "items": [
            {"repository": "fixture", "tag": "V2", "digest": digest("a")},
            {"repository": "fixture", "tag": "alias", "digest": digest("2")},
            {"repository": "fixture", "tag": "never", "digest": digest("9")},
            {"repository": "fixture", "tag": "prod", "digest": digest("b")},
            {"repository": "fixture", "tag": "stale", "digest": digest("8")},
        ],
        "tags": 5,
        "bytes": 38_000,
        "summary_markdown": (
            f"**Tag cleanup plan** `{plan_id}` for `demo`: delete 5 tags in 1 repositories, freeing 38.0 KB.\n"
            "\n"
            "Rules: pushed over 30 days ago; keep the newest 2 per repository; keep `v*`, `prod-*`, `latest`; "
            "keep tags pulled in the last 7 days.\n"
            "\n"
            "| repository | delete | keep | frees |\n"
            "|---|---|---|---|\n"
            "| fixture | 5 | 8 | 38.0 KB |"
        ),
    } == plan


async def test_only_never_pulled_keeps_every_tag_ever_pulled(client: Client) -> None:
    """With only_never_pulled, a pull at any time keeps a tag; images shared by deleted tags count once."""
    plan = structured(
        await client.call_tool(
            "plan_tag_cleanup", {"older_than_days": 30, "repositories": ["fixture"], "only_never_pulled": True}
        )
    )

    (repo,) = plan["repositories"]
    assert ["V2", "alias", "never", "prod", "prod-2024", "v1.0"] == [t["name"] for t in repo["delete"]]
    assert {
        "protected": ["latest"],
        "too_recent": ["build-10", "build-8", "build-9"],
        "pulled": ["hotfix", "stale"],
        "no_digest": ["legacy"],
    } == repo["kept"]
    # `alias` and `v1.0` are one 2,000-byte image, freed once.
    assert 10_000 + 2_000 + 9_000 + 11_000 + 3_000 == repo["bytes"] == plan["bytes"]


async def test_a_tag_exactly_at_a_window_boundary_is_kept(client: Client, sandbox: Sandbox) -> None:
    """'More than N days ago' and 'pulled within N days' both keep a tag that sits exactly on the boundary."""
    sandbox.state.add_repository("demo", "edges")
    push(sandbox, "pushed-30-days-ago", 30, tag_digest=digest("c"), size=1, repository="edges")
    push(sandbox, "pulled-7-days-ago", 90, pulled=7, tag_digest=digest("d"), size=1, repository="edges")

    plan = structured(
        await client.call_tool(
            "plan_tag_cleanup", {"older_than_days": 30, "unpulled_for_days": 7, "repositories": ["edges"]}
        )
    )

    (repo,) = plan["repositories"]
    assert [] == plan["items"]
    assert {"too_recent": ["pushed-30-days-ago"], "pulled_recently": ["pulled-7-days-ago"]} == repo["kept"]


async def test_a_repository_that_cannot_be_read_is_reported_and_planned_not_at_all(
    client: Client, sandbox: Sandbox
) -> None:
    """A failing tag listing puts the repository under failures; the others are planned as usual."""
    sandbox.faults.add(Fault("status", status=500, times=None, method="GET", path=r"/repositories/worker/tags$"))

    plan = await plan_fixture(client, repositories=["fixture", "worker"])

    assert ["fixture"] == [r["repository"] for r in plan["repositories"]]
    assert ["worker"] == [f["repository"] for f in plan["failures"]]
    assert plan["failures"][0]["reason"]
    assert FIXTURE_DELETES == [i["tag"] for i in plan["items"]]
    assert "Not planned (could not be read): worker." in plan["summary_markdown"]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"repositories": ["../x"]}, "../x"),
        ({"repositories": ["acme/platform"]}, "acme/platform"),
        ({"keep": ["v*", "a/b"]}, "a/b"),
        ({"namespace": "../demo"}, "../demo"),
    ],
)
async def test_planning_refuses_invalid_names_and_globs_before_any_request(
    client: Client, sandbox: Sandbox, arguments: dict[str, Any], named: str
) -> None:
    """A repository, namespace or keep pattern that is not a Hub name or tag glob is refused, naming it."""
    result = await client.call_tool("plan_tag_cleanup", {"older_than_days": 30, **arguments})

    assert named in error_text(result)
    assert [] == sandbox.requests


async def test_planning_deletes_nothing_and_sends_only_reads(client: Client, sandbox: Sandbox) -> None:
    """Even a plan that would delete most of the namespace only lists; no DELETE, PATCH or other write."""
    before = all_tags(sandbox)

    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 0, "keep": []}))

    assert plan["tags"] > 300
    assert {"GET"} == {r.method for r in sandbox.api_requests()}
    assert before == all_tags(sandbox)


async def test_planning_works_on_a_read_only_server(connect: Connect, sandbox: Sandbox) -> None:
    """plan_tag_cleanup is read-only, so a read-only server offers it and plans the same items."""
    async with connect(read_only=True) as read_only, connect() as normal:
        from_read_only = await plan_fixture(read_only)
        from_normal = await plan_fixture(normal)

    assert from_normal == from_read_only
    assert {"GET"} == {r.method for r in sandbox.api_requests()}


# -- the plan's identity ----------------------------------------------------------------------------------


async def test_the_plan_id_is_stable_for_the_same_state(client: Client, sandbox: Sandbox) -> None:
    """Planning again an hour later, with nothing changed, gives the same plan_id and items."""
    first = await plan_fixture(client)
    sandbox.clock.advance(3600)
    second = await plan_fixture(client)

    assert first["as_of"] != second["as_of"]
    assert (first["plan_id"], first["items"]) == (second["plan_id"], second["items"])


@pytest.mark.parametrize(
    ("tag", "char"), [("extra", "e"), ("never", "f")], ids=["an old tag pushed", "a planned tag re-pushed"]
)
async def test_the_plan_id_changes_when_the_item_list_changes(
    client: Client, sandbox: Sandbox, tag: str, char: str
) -> None:
    """Any change to the planned namespace/repository/tag/digest list gives another plan_id."""
    first = await plan_fixture(client)
    push(sandbox, tag, 200, tag_digest=digest(char), size=1)

    second = await plan_fixture(client)

    old = {(i["tag"], i["digest"]) for i in first["items"]}
    new = {(i["tag"], i["digest"]) for i in second["items"]}
    assert {(tag, digest(char))} == new - old
    assert first["plan_id"] != second["plan_id"]


def _add_item(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*items, {"repository": "fixture", "tag": "build-8", "digest": digest("6")}]


def _drop_item(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return items[1:]


def _change_digest(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**items[0], "digest": digest("0")}, *items[1:]]


def _duplicate_item(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*items, items[0]]


@pytest.mark.parametrize("tamper", [_add_item, _drop_item, _change_digest, _duplicate_item])
async def test_a_tampered_item_list_is_refused_and_nothing_is_deleted(
    client: Client, sandbox: Sandbox, tamper: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    """Items that do not hash to the plan_id are refused before any request, even with confirm=true."""
    plan = await plan_fixture(client)
    before, sent = all_tags(sandbox), len(sandbox.requests)

    result = await client.call_tool(
        "apply_tag_cleanup", {"plan_id": plan["plan_id"], "items": tamper(plan["items"]), "confirm": True}
    )

    assert plan["plan_id"] in error_text(result)
    assert sent == len(sandbox.requests)
    assert before == all_tags(sandbox)


async def test_a_tampered_item_list_is_refused_without_asking_the_user(sandbox: Sandbox) -> None:
    """Where the host can ask, an item list that does not match its plan is refused before any prompt."""
    prompter = Prompter(ElicitResult(action="accept", content={"confirm": True}))
    async with open_client(sandbox, prompter=prompter) as client:
        plan = await plan_fixture(client)
        result = await client.call_tool(
            "apply_tag_cleanup", {"plan_id": plan["plan_id"], "items": _add_item(plan["items"])}
        )

    assert plan["plan_id"] in error_text(result)
    assert [] == prompter.messages


async def test_items_in_another_order_are_the_same_plan(client: Client, sandbox: Sandbox) -> None:
    """The plan_id does not depend on the order of the items."""
    plan = await plan_fixture(client)

    report = await apply(client, {**plan, "items": plan["items"][::-1]}, confirm=True)

    assert deleted_outcomes(plan["items"][::-1]) == report["outcomes"]
    assert set(FIXTURE_DELETES).isdisjoint(fixture_tags(sandbox))


@pytest.mark.parametrize(
    ("namespace", "items", "named"),
    [
        ("acme", [{"repository": "fixture", "tag": "never", "digest": digest("9")}], None),
        ("demo", [{"repository": "../x", "tag": "never", "digest": digest("9")}], "../x"),
        ("demo", [{"repository": "acme/platform", "tag": "latest", "digest": digest("9")}], "acme/platform"),
        ("demo", [{"repository": "fixture", "tag": "../latest", "digest": digest("9")}], "../latest"),
        ("../demo", [{"repository": "fixture", "tag": "never", "digest": digest("9")}], "../demo"),
    ],
)
async def test_items_of_another_namespace_or_with_invalid_names_are_refused_before_any_request(
    client: Client, sandbox: Sandbox, namespace: str, items: list[dict[str, Any]], named: str | None
) -> None:
    """A demo plan applied to acme, or items whose hash matches but whose names are not Hub names, send nothing."""
    plan_id = plan_id_of("demo", [PlanItem.model_validate(i) for i in items])

    result = await client.call_tool(
        "apply_tag_cleanup", {"plan_id": plan_id, "items": items, "namespace": namespace, "confirm": True}
    )

    # The namespace is part of the plan's identity: a demo plan does not match acme.
    assert (named or plan_id) in error_text(result)
    assert [] == sandbox.requests


# -- applying -------------------------------------------------------------------------------------------


async def test_apply_with_confirm_deletes_exactly_the_planned_tags(client: Client, sandbox: Sandbox) -> None:
    """Across every repository of the namespace, the planned tags go and every other tag stays."""
    plan = structured(
        await client.call_tool("plan_tag_cleanup", {"older_than_days": 90, "keep_latest": 5, "keep": ["v*"]})
    )
    before = all_tags(sandbox)
    planned = {("demo", i["repository"], i["tag"]) for i in plan["items"]}
    sent = len(sandbox.requests)

    report = await apply(client, plan, confirm=True)

    n = len(plan["items"])
    assert {"fixture", "web", "api", "worker", "legacy-app"} <= {i["repository"] for i in plan["items"]}
    assert {
        "namespace": "demo",
        "plan_id": plan["plan_id"],
        "applied": True,
        "outcomes": deleted_outcomes(plan["items"]),
        "totals": {"deleted": n, "skipped_changed": 0, "skipped_protected": 0, "already_gone": 0, "failed": 0},
        "summary_markdown": f"**Tag cleanup** `{plan['plan_id']}` for `demo`: {n} deleted.",
    } == report
    assert before - planned == all_tags(sandbox)
    deletes = [r.path for r in sandbox.requests[sent:] if r.method == "DELETE"]
    assert sorted(f"/v2/namespaces/demo/repositories/{r}/tags/{t}" for _, r, t in planned) == sorted(deletes)


async def test_apply_without_confirm_deletes_nothing_and_says_so(client: Client, sandbox: Sandbox) -> None:
    """Where the host cannot ask, leaving out confirm returns the would-be summary and sends nothing."""
    plan = await plan_fixture(client)
    before, sent = all_tags(sandbox), len(sandbox.requests)

    report = await apply(client, plan)

    assert {
        "namespace": "demo",
        "plan_id": plan["plan_id"],
        "applied": False,
        "outcomes": [],
        "totals": {"deleted": 0, "skipped_changed": 0, "skipped_protected": 0, "already_gone": 0, "failed": 0},
        "summary_markdown": (
            f"**Nothing deleted** (confirm=true was not given). Plan `{plan['plan_id']}` would delete 5 tags:\n"
            "\n"
            "| repository | tags |\n"
            "|---|---|\n"
            "| fixture | 5 |"
        ),
    } == report
    assert sent == len(sandbox.requests)
    assert before == all_tags(sandbox)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_accepting_the_prompt_deletes_the_planned_tags(sandbox: Sandbox, mode: str) -> None:
    """Where the host can ask, the user's yes is what deletes, without any confirm argument."""
    prompter = Prompter(ElicitResult(action="accept", content={"confirm": True}))
    async with open_client(sandbox, mode=mode, prompter=prompter) as client:
        plan = await plan_fixture(client)
        report = await apply(client, plan)

    assert 1 == len(prompter.messages)
    assert (True, deleted_outcomes(plan["items"])) == (report["applied"], report["outcomes"])
    assert {"latest", "v1.0", "prod-2024", "build-10", "build-9", "build-8", "hotfix", "legacy"} == fixture_tags(
        sandbox
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize(
    "answer",
    [
        ElicitResult(action="decline"),
        ElicitResult(action="cancel"),
        ElicitResult(action="accept", content={"confirm": False}),
    ],
    ids=["decline", "cancel", "accept-but-no"],
)
async def test_a_declined_prompt_deletes_nothing_even_with_confirm(
    sandbox: Sandbox, mode: str, answer: ElicitResult
) -> None:
    """Where the host can ask, only the user's yes deletes: confirm=true from the model does not bypass it."""
    prompter = Prompter(answer)
    async with open_client(sandbox, mode=mode, prompter=prompter) as client:
        plan = await plan_fixture(client)
        before, sent = all_tags(sandbox), len(sandbox.requests)
        report = await apply(client, plan, confirm=True)

    assert 1 == len(prompter.messages)
    assert (False, [], 0) == (report["applied"], report["outcomes"], sum(report["totals"].values()))
    assert report["summary_markdown"].startswith("**Nothing deleted**")
    assert sent == len(sandbox.requests)
    assert before == all_tags(sandbox)


async def test_the_prompt_shows_the_count_bytes_and_repositories(sandbox: Sandbox) -> None:
    """The user is told how many tags, how many bytes, which repositories (with counts) and which plan."""
    sandbox.state.add_repository("demo", "notes")
    push(sandbox, "old-1", 100, tag_digest=digest("c"), size=500, repository="notes")
    push(sandbox, "old-2", 200, tag_digest=digest("d"), size=500, repository="notes")
    prompter = Prompter(ElicitResult(action="decline"))
    async with open_client(sandbox, prompter=prompter) as client:
        plan = await plan_fixture(client, repositories=["fixture", "notes"], keep_latest=0)
        await apply(client, plan)

    assert [
        "Delete 7 tags from 2 repositories of demo, freeing about 39.0 KB: fixture (5), notes (2)? "
        f"This cannot be undone. (plan {plan['plan_id']})"
    ] == prompter.messages


async def test_a_tag_re_pushed_after_planning_is_skipped_and_survives(client: Client, sandbox: Sandbox) -> None:
    """A planned tag whose digest changed is skipped_changed; the rest of the plan is deleted."""
    plan = await plan_fixture(client)
    push(sandbox, "never", 0, tag_digest=digest("f"), size=1)

    report = await apply(client, plan, confirm=True)

    assert [
        {"repository": "fixture", "tag": "V2", "outcome": "deleted", "reason": None},
        {"repository": "fixture", "tag": "alias", "outcome": "deleted", "reason": None},
        {
            "repository": "fixture",
            "tag": "never",
            "outcome": "skipped_changed",
            "reason": f"digest is now {digest('f')}",
        },
        {"repository": "fixture", "tag": "prod", "outcome": "deleted", "reason": None},
        {"repository": "fixture", "tag": "stale", "outcome": "deleted", "reason": None},
    ] == report["outcomes"]
    assert {"deleted": 4, "skipped_changed": 1, "skipped_protected": 0, "already_gone": 0, "failed": 0} == report[
        "totals"
    ]
    survivor = sandbox.state.tag("demo", "fixture", "never")
    assert survivor is not None and digest("f") == survivor.digest


async def test_a_tag_deleted_by_someone_else_after_planning_is_already_gone(client: Client, sandbox: Sandbox) -> None:
    """A planned tag that no longer exists is reported already_gone, not failed."""
    plan = await plan_fixture(client)
    async with open_client(sandbox) as someone_else:
        structured(await someone_else.call_tool("delete_tag", {"repository": "fixture", "tag": "prod"}))

    report = await apply(client, plan, confirm=True)

    assert [
        ("V2", "deleted"),
        ("alias", "deleted"),
        ("never", "deleted"),
        ("prod", "already_gone"),
        ("stale", "deleted"),
    ] == [(o["tag"], o["outcome"]) for o in report["outcomes"]]
    assert {"deleted": 4, "skipped_changed": 0, "skipped_protected": 0, "already_gone": 1, "failed": 0} == report[
        "totals"
    ]


async def test_a_tag_protected_since_planning_is_skipped(connect: Connect, sandbox: Sandbox) -> None:
    """A server protecting `prod` at apply time skips a planned `prod`, whatever the plan said."""
    async with connect(protected_tags=()) as planner:
        plan = await plan_fixture(planner)
    async with connect(protected_tags=("latest", "prod")) as applier:
        report = await apply(applier, plan, confirm=True)

    assert {"deleted": 4, "skipped_changed": 0, "skipped_protected": 1, "already_gone": 0, "failed": 0} == report[
        "totals"
    ]
    assert [("prod", "skipped_protected")] == [
        (o["tag"], o["outcome"]) for o in report["outcomes"] if o["outcome"] != "deleted"
    ]
    assert "prod" in fixture_tags(sandbox)


async def test_failed_deletes_are_reported_per_tag_and_a_second_apply_finishes_the_plan(
    client: Client, sandbox: Sandbox
) -> None:
    """5xx on some deletes fails just those tags; applying the plan again retries them and finds the rest gone."""
    plan = await plan_fixture(client)
    sandbox.faults.add(Fault("status", status=500, times=None, method="DELETE", path=r"/tags/(never|stale)$"))

    first = await apply(client, plan, confirm=True)
    assert [
        ("V2", "deleted"),
        ("alias", "deleted"),
        ("never", "failed"),
        ("prod", "deleted"),
        ("stale", "failed"),
    ] == [(o["tag"], o["outcome"]) for o in first["outcomes"]]
    assert {"deleted": 3, "skipped_changed": 0, "skipped_protected": 0, "already_gone": 0, "failed": 2} == first[
        "totals"
    ]
    failed = [o for o in first["outcomes"] if o["outcome"] == "failed"]
    assert all("500" in o["reason"] and f"fixture:{o['tag']}" in o["reason"] for o in failed)
    for o in failed:
        assert f"| fixture | {o['tag']} | {o['reason']} |" in first["summary_markdown"]
    assert {"never", "stale"} <= fixture_tags(sandbox)

    sandbox.faults.clear()
    sent = len(sandbox.requests)
    second = await apply(client, plan, confirm=True)

    assert [
        ("V2", "already_gone"),
        ("alias", "already_gone"),
        ("never", "deleted"),
        ("prod", "already_gone"),
        ("stale", "deleted"),
    ] == [(o["tag"], o["outcome"]) for o in second["outcomes"]]
    assert [
        "/v2/namespaces/demo/repositories/fixture/tags/never",
        "/v2/namespaces/demo/repositories/fixture/tags/stale",
    ] == sorted(r.path for r in sandbox.requests[sent:] if r.method == "DELETE")
    assert set(FIXTURE_DELETES).isdisjoint(fixture_tags(sandbox))


# -- progress -------------------------------------------------------------------------------------------


async def test_planning_reports_progress_per_repository_scanned(client: Client, sandbox: Sandbox) -> None:
    """One notification per repository, counting up to the number of repositories."""
    progress = ProgressLog()

    await client.call_tool("plan_tag_cleanup", {"older_than_days": 90}, progress_callback=progress)

    names = [r.name for r in sandbox.state.repositories("demo")]
    assert 7 == len(names)
    assert [(i, 7) for i in range(1, 8)] == progress.steps
    assert {f"scanned demo/{name}" for name in names} == set(progress.messages)


async def test_applying_reports_progress_per_tag_processed(client: Client) -> None:
    """One notification per planned tag, whatever its outcome, counting up to the number of items."""
    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 90}))
    progress = ProgressLog()

    await client.call_tool(
        "apply_tag_cleanup",
        {"plan_id": plan["plan_id"], "items": plan["items"], "confirm": True},
        progress_callback=progress,
    )

    n = len(plan["items"])
    assert n > 100
    assert [(i, n) for i in range(1, n + 1)] == progress.steps
    assert {f"deleted: {i['repository']}:{i['tag']}" for i in plan["items"]} == set(progress.messages)


# -- scale ----------------------------------------------------------------------------------------------


REPOSITORIES, TAGS_PER_REPOSITORY = 100, 200


def build_large_namespace() -> Sandbox:
    """A sandbox whose `demo` namespace has 100 repositories of 200 tags each (20,000 tags).

    Tag `t<i>` is pushed i + 0.5 days before T0 and, when i is a multiple of 4, was pulled a day before T0.
    """
    clock = Clock()
    clock.freeze(T0)
    sb = build_sandbox(seed=0, clock=clock, demo=False)
    for r in range(REPOSITORIES):
        repository = f"repo-{r:03d}"
        sb.state.add_repository("demo", repository)
        for i in range(TAGS_PER_REPOSITORY):
            pulled = T0 - DAY if i % 4 == 0 else None
            pushed = T0 - (i + 0.5) * DAY
            sb.state.add_tag("demo", repository, f"t{i:03d}", pushed_at=pushed, pulled_at=pulled, size=1_000)
    return sb


async def test_twenty_thousand_tags_plan_in_one_pass_over_the_list_pages() -> None:
    """100 repositories x 200 tags: every list page is fetched once at page_size 100, and the count is exact."""
    sandbox = build_large_namespace()
    async with open_client(sandbox) as client:
        plan = structured(
            await client.call_tool("plan_tag_cleanup", {"older_than_days": 50, "unpulled_for_days": 30, "keep": []})
        )

    # Per repository: t050..t199 are over 50 days old (150 tags); of those, the 37 with i % 4 == 0
    # (t052, t056, ..., t196) were pulled a day ago and are kept.
    assert 100 * (150 - 37) == plan["tags"] == len(plan["items"]) == 11_300
    assert 11_300 * 1_000 == plan["bytes"]
    assert [] == plan["failures"]
    listings = sandbox.api_requests(method="GET", path_prefix="/v2/namespaces/demo/repositories")
    assert [("/v2/namespaces/demo/repositories", {"page": "1", "page_size": "100"})] == [
        (r.path, r.query) for r in listings if not r.path.endswith("/tags")
    ]
    expected_pages = sorted(
        (f"/v2/namespaces/demo/repositories/repo-{r:03d}/tags", page)
        for r in range(REPOSITORIES)
        for page in ("1", "2")
    )
    tag_pages = [r for r in listings if r.path.endswith("/tags")]
    assert expected_pages == sorted((r.path, r.query["page"]) for r in tag_pages)
    assert {"100"} == {r.query["page_size"] for r in tag_pages}
    assert len(listings) == len(sandbox.api_requests())


async def test_the_prompt_warns_when_protected_tags_are_included(sandbox: Sandbox) -> None:
    """With allow_protected, the user is told that protected tags are part of what would be deleted."""
    prompts: list[str] = []

    async def decline(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        prompts.append(params.message)
        return ElicitResult(action="decline")

    server = build_server(make_settings(), transport=httpx2.ASGITransport(app=sandbox.app), clock=sandbox.clock.now)
    async with Client(server, elicitation_callback=decline) as c:
        plan = structured(
            await c.call_tool(
                "plan_tag_cleanup",
                {"repositories": ["fixture"], "older_than_days": 0, "keep": [], "allow_protected": True},
            )
        )
        await c.call_tool(
            "apply_tag_cleanup", {"plan_id": plan["plan_id"], "items": plan["items"], "allow_protected": True}
        )

    (prompt,) = prompts
    assert "Protected tags (DOCKERHUB_PROTECTED_TAGS) are included." in prompt
    assert "latest" in {t.name for t in sandbox.state.tags("demo", "fixture")}
