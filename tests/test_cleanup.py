"""Tag retention cleanup through the MCP surface: plan, approve, apply, against the sandbox Hub.

The sandbox's clock is frozen at `T0` and the seeded data is built relative to it, so every result is exact.
The repository `demo/fixture` holds tags at hand-picked ages; expectations about it are written out by hand.
Plans stay on the server: a tool result is a bounded summary, the whole plan is read from its resources.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.client import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult, ErrorData

from dockerhub_mcp.sandbox import Clock, Fault, Sandbox, build_sandbox
from helpers import error_text, open_client, planned_tags, read_json, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]

T0 = datetime(2025, 6, 1, tzinfo=UTC).timestamp()  # the sandbox's frozen "now": 2025-06-01T00:00:00Z
DAY = 86400.0
PLAN_ID = re.compile(r"[0-9a-f]{64}")


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
    """Plan the fixture repository with FIXTURE_RULES (updated by `changes`); the tool's summary."""
    return structured(await client.call_tool("plan_tag_cleanup", {**FIXTURE_RULES, **changes}))


async def apply(client: Client, plan: dict[str, Any], **arguments: Any) -> dict[str, Any]:
    """Apply `plan` by its id with `arguments` (e.g. confirm=True); the tool's summary."""
    return structured(await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], **arguments}))


async def outcomes(client: Client, report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every (repository, tag, outcome) of an apply, from its outcomes resource, sorted."""
    data = await read_json(client, report["outcomes_uri"])
    return sorted((o["repository"], o["tag"], o["outcome"]) for o in data["outcomes"])


def totals(**counts: int) -> dict[str, int]:
    """Outcome totals: zero unless given."""
    return {k: counts.get(k, 0) for k in ("deleted", "skipped_changed", "skipped_protected", "already_gone", "failed")}


def size_of(result: Any) -> int:
    """Bytes of a whole tool result as it goes on the wire (compact JSON)."""
    return len(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")))


# -- planning ------------------------------------------------------------------------------------------


async def test_a_plan_keeps_exactly_what_the_rules_say(client: Client) -> None:
    """Protected globs, keep_latest by push time, the age window, recent pulls and digest-less tags keep tags."""
    plan = await plan_fixture(client)
    plan_id = plan.pop("plan_id")
    markdown = plan.pop("summary_markdown")

    assert PLAN_ID.fullmatch(plan_id)
    assert {
        "plan_uri": f"dockerhub://plans/{plan_id}",
        "namespace": "demo",
        "as_of": "2025-06-01T00:00:00Z",
        "expires_at": "2025-06-02T00:00:00Z",
        "rules": {
            "older_than_days": 30,
            "keep_latest": 2,
            "keep": ["v*", "prod-*"],
            "only_never_pulled": False,
            "unpulled_for_days": 7,
        },
        "allow_protected": False,
        # `alias` shares its image with the kept `v1.0`: deleting it frees nothing.
        "totals": {"tags": 5, "bytes": 10_000 + 9_000 + 11_000 + 8_000, "repositories": 1},
        "kept": {"keep_latest": 2, "no_digest": 1, "protected": 3, "pulled_recently": 1, "too_recent": 1},
        "repositories": [{"repository": "fixture", "tags": 5, "bytes": 38_000}],
        "sample": [
            {"repository": "fixture", "tag": "stale", "pushed": "2025-03-03T00:00:00Z", "size": 8_000},
            {"repository": "fixture", "tag": "never", "pushed": "2025-02-01T00:00:00Z", "size": 9_000},
            {"repository": "fixture", "tag": "V2", "pushed": "2025-01-02T00:00:00Z", "size": 10_000},
            {"repository": "fixture", "tag": "prod", "pushed": "2024-12-23T00:00:00Z", "size": 11_000},
            {"repository": "fixture", "tag": "alias", "pushed": "2024-08-05T00:00:00Z", "size": 2_000},
        ],
        "failures": [],
    } == plan
    assert (
        f"**Tag cleanup plan** `{plan_id[:12]}` for `demo`: delete 5 tags in 1 repositories, freeing 38.0 KB. "
        "Made 2025-06-01 00:00 UTC, valid until 2025-06-02 00:00 UTC.\n"
        "\n"
        "Rules: pushed over 30 days ago; keep the newest 2 per repository; keep `v*`, `prod-*`, `latest`; "
        "keep tags pulled in the last 7 days.\n"
        "\n"
        "| repository | delete | keep | frees |\n"
        "|---|---|---|---|\n"
        "| fixture | 5 | 8 | 38.0 KB |\n"
        "\n"
        "Kept: 2 keep latest, 1 no digest, 3 protected, 1 pulled recently, 1 too recent.\n"
        "\n"
        f"Every tag: `dockerhub://plans/{plan_id}`."
    ) == markdown


async def test_the_plan_resources_hold_every_tag_with_digest_times_size_and_every_kept_reason(client: Client) -> None:
    """`dockerhub://plans/{id}` lists the repositories; each repository's resource has every tag of the plan."""
    plan = await plan_fixture(client)

    index = await read_json(client, plan["plan_uri"])
    part = await read_json(client, index["repositories"][0]["uri"])

    assert [
        {
            "repository": "fixture",
            "delete": 5,
            "kept": 8,
            "bytes": 38_000,
            "uri": f"dockerhub://plans/{plan['plan_id']}/repositories/fixture",
        }
    ] == index["repositories"]
    assert {
        "plan_id": plan["plan_id"],
        "namespace": "demo",
        "repository": "fixture",
        "bytes": 38_000,
        "delete": [
            {"tag": "V2", "digest": digest("a"), "pushed": "2025-01-02T00:00:00Z", "size": 10_000},
            {"tag": "alias", "digest": digest("2"), "pushed": "2024-08-05T00:00:00Z", "size": 2_000},
            {"tag": "never", "digest": digest("9"), "pushed": "2025-02-01T00:00:00Z", "size": 9_000},
            {"tag": "prod", "digest": digest("b"), "pushed": "2024-12-23T00:00:00Z", "size": 11_000},
            {
                "tag": "stale",
                "digest": digest("8"),
                "pushed": "2025-03-03T00:00:00Z",
                "pulled": "2025-04-02T00:00:00Z",
                "size": 8_000,
            },
        ],
        "kept": [
            {"tag": "build-10", "reason": "keep_latest"},
            # By push time; by name, build-8 would sort between the two.
            {"tag": "build-8", "reason": "too_recent"},
            {"tag": "build-9", "reason": "keep_latest"},
            {"tag": "hotfix", "reason": "pulled_recently"},
            {"tag": "latest", "reason": "protected"},
            {"tag": "legacy", "reason": "no_digest"},
            {"tag": "prod-2024", "reason": "protected"},
            {"tag": "v1.0", "reason": "protected"},
        ],
    } == part


async def test_only_never_pulled_keeps_every_tag_ever_pulled(client: Client) -> None:
    """With only_never_pulled, a pull at any time keeps a tag; images shared by deleted tags count once."""
    plan = structured(
        await client.call_tool(
            "plan_tag_cleanup", {"older_than_days": 30, "repositories": ["fixture"], "only_never_pulled": True}
        )
    )

    assert [("fixture", t) for t in ("V2", "alias", "never", "prod", "prod-2024", "v1.0")] == await planned_tags(
        client, plan
    )
    assert {"protected": 1, "too_recent": 3, "pulled": 2, "no_digest": 1} == plan["kept"]
    # `alias` and `v1.0` are one 2,000-byte image, freed once.
    assert 10_000 + 2_000 + 9_000 + 11_000 + 3_000 == plan["totals"]["bytes"]


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

    assert (0, {"too_recent": 1, "pulled_recently": 1}) == (plan["totals"]["tags"], plan["kept"])


async def test_a_repository_that_cannot_be_read_is_reported_and_planned_not_at_all(
    client: Client, sandbox: Sandbox
) -> None:
    """A failing tag listing puts the repository under failures; the others are planned as usual."""
    sandbox.faults.add(Fault("status", status=500, times=None, method="GET", path=r"/repositories/worker/tags$"))

    plan = await plan_fixture(client, repositories=["fixture", "worker"])

    assert ["fixture"] == [r["repository"] for r in plan["repositories"]]
    assert ["worker"] == [f["repository"] for f in plan["failures"]]
    assert plan["failures"][0]["reason"]
    assert [("fixture", t) for t in FIXTURE_DELETES] == await planned_tags(client, plan)
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

    assert plan["totals"]["tags"] > 300
    assert {"GET"} == {r.method for r in sandbox.api_requests()}
    assert before == all_tags(sandbox)


async def test_planning_works_on_a_read_only_server(connect: Connect, sandbox: Sandbox) -> None:
    """plan_tag_cleanup is read-only, so a read-only server offers it and makes the same plan."""
    async with connect(read_only=True) as read_only, connect() as normal:
        from_read_only = await plan_fixture(read_only)
        from_normal = await plan_fixture(normal)

    assert from_normal == from_read_only
    assert {"GET"} == {r.method for r in sandbox.api_requests()}


# -- the plan's seal ------------------------------------------------------------------------------------


async def test_a_plan_id_computed_by_hand_over_a_list_of_its_own_is_refused(client: Client, sandbox: Sandbox) -> None:
    """A model cannot forge a plan: the old unkeyed hash, or any id of its making, applies nothing."""
    await plan_fixture(client)
    own_list = [["acme", "platform", "latest", digest("1")], ["demo", "web", "latest", digest("2")]]
    forged = hashlib.sha256(json.dumps(["demo", own_list], separators=(",", ":")).encode()).hexdigest()
    before, sent = all_tags(sandbox), len(sandbox.requests)

    results = [
        await client.call_tool("apply_tag_cleanup", {"plan_id": plan_id, "confirm": True})
        for plan_id in (forged, "sha256:" + forged[:32], "x" * 64)
    ]

    assert all("Plan again" in error_text(r) for r in results)
    assert sent == len(sandbox.requests)
    assert before == all_tags(sandbox)


async def test_a_plan_made_by_another_server_is_refused(sandbox: Sandbox) -> None:
    """Plans live on the server that made them: another server (another connection) refuses the id unasked."""
    prompter = Prompter(ElicitResult(action="accept", content={"confirm": True}))
    async with open_client(sandbox) as planner:
        plan = await plan_fixture(planner)
    async with open_client(sandbox, elicitation_callback=prompter) as other:
        sent = len(sandbox.requests)
        result = await other.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True})

    assert "is not a plan this server issued" in error_text(result)
    assert ([], sent) == (prompter.messages, len(sandbox.requests))


async def test_an_expired_plan_is_refused_and_nothing_is_sent(client: Client, sandbox: Sandbox) -> None:
    """After DOCKERHUB_PLAN_TTL (24 h by default) the plan and its resources are refused: plan again."""
    plan = await plan_fixture(client)
    sandbox.clock.advance(24 * 3600)
    before, sent = all_tags(sandbox), len(sandbox.requests)

    result = await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True})
    with pytest.raises(MCPError) as raised:
        await client.read_resource(plan["plan_uri"])

    assert "expired at 2025-06-02 00:00 UTC" in error_text(result)
    assert "expired" in raised.value.error.message
    assert (before, sent) == (all_tags(sandbox), len(sandbox.requests))


async def test_a_shorter_plan_ttl_expires_plans_sooner(connect: Connect, sandbox: Sandbox) -> None:
    """`plan_ttl` (DOCKERHUB_PLAN_TTL) sets `expires_at`; a plan is good until then and refused after."""
    async with connect(plan_ttl=600) as client:
        plan = await plan_fixture(client)
        sandbox.clock.advance(599)
        still = await apply(client, plan)
        sandbox.clock.advance(1)
        late = await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"]})

    assert "2025-06-01T00:10:00Z" == plan["expires_at"]
    assert still["summary_markdown"].startswith("**Nothing deleted** (confirm=true was not given)")
    assert "expired" in error_text(late)


async def test_a_plan_narrowed_to_some_repositories_deletes_only_those(client: Client, sandbox: Sandbox) -> None:
    """`repositories` narrows a plan to some of its repositories; a name outside the plan is refused unsent."""
    plan = structured(
        await client.call_tool("plan_tag_cleanup", {"older_than_days": 90, "repositories": ["fixture", "worker"]})
    )
    worker_before = {t.name for t in sandbox.state.tags("demo", "worker")}
    sent = len(sandbox.requests)
    outside = await client.call_tool(
        "apply_tag_cleanup", {"plan_id": plan["plan_id"], "repositories": ["fixture", "web"], "confirm": True}
    )
    assert "web" in error_text(outside)
    assert sent == len(sandbox.requests)

    report = await apply(client, plan, repositories=["fixture"], confirm=True)

    planned_fixture = [t for r, t in await planned_tags(client, plan) if r == "fixture"]
    assert totals(deleted=len(planned_fixture)) == report["totals"]
    assert worker_before == {t.name for t in sandbox.state.tags("demo", "worker")}
    assert set(planned_fixture).isdisjoint(fixture_tags(sandbox))


async def test_the_seal_is_keyed_the_same_plan_under_two_keys_has_two_ids(connect: Connect) -> None:
    """The seal is keyed: the same plan made with two plan keys has two ids, and neither is a plain hash."""
    async with connect(plan_key="k" * 32) as first, connect(plan_key="q" * 32) as second:
        one, two = await plan_fixture(first), await plan_fixture(second)

    assert one["plan_id"] != two["plan_id"]
    assert one["totals"] == two["totals"]


# -- applying -------------------------------------------------------------------------------------------


async def test_apply_with_confirm_deletes_exactly_the_planned_tags(client: Client, sandbox: Sandbox) -> None:
    """Across every repository of the namespace, the planned tags go and every other tag stays."""
    plan = structured(
        await client.call_tool("plan_tag_cleanup", {"older_than_days": 90, "keep_latest": 5, "keep": ["v*"]})
    )
    before = all_tags(sandbox)
    items = await planned_tags(client, plan)
    sent = len(sandbox.requests)

    report = await apply(client, plan, confirm=True)

    n = len(items)
    assert n == plan["totals"]["tags"]
    assert {"fixture", "web", "api", "worker", "legacy-app"} <= {r for r, _ in items}
    assert {
        "namespace": "demo",
        "plan_id": plan["plan_id"],
        "applied": True,
        "totals": totals(deleted=n),
        "failures": [],
        "outcomes_uri": f"dockerhub://plans/{plan['plan_id']}/outcomes",
        "summary_markdown": f"**Tag cleanup** `{plan['plan_id'][:12]}` for `demo`: {n} deleted.",
    } == report
    assert sorted((r, t, "deleted") for r, t in items) == await outcomes(client, report)
    assert before - {("demo", r, t) for r, t in items} == all_tags(sandbox)
    deletes = [r.path for r in sandbox.requests[sent:] if r.method == "DELETE"]
    assert sorted(f"/v2/namespaces/demo/repositories/{r}/tags/{t}" for r, t in items) == sorted(deletes)


async def test_apply_re_checks_by_listing_each_repository_not_by_reading_each_tag(
    client: Client, sandbox: Sandbox
) -> None:
    """Right before deleting, each repository's tags are listed again (100 a page); no GET per tag."""
    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 90}))
    sent = len(sandbox.requests)

    await apply(client, plan, confirm=True)

    requests = sandbox.requests[sent:]
    touched = {r["repository"] for r in plan["repositories"]}
    listings = [r for r in requests if r.method == "GET" and r.path.endswith("/tags")]
    assert [] == [r.path for r in requests if r.method == "GET" and "/tags/" in r.path]
    assert touched == {r.path.split("/")[5] for r in listings}
    assert {"100"} == {r.query["page_size"] for r in listings}
    assert plan["totals"]["tags"] == sum(1 for r in requests if r.method == "DELETE")


async def test_apply_without_confirm_deletes_nothing_and_says_so(client: Client, sandbox: Sandbox) -> None:
    """Where the host cannot ask, leaving out confirm returns the would-be summary and sends nothing."""
    plan = await plan_fixture(client)
    before, sent = all_tags(sandbox), len(sandbox.requests)

    report = await apply(client, plan)

    assert {
        "namespace": "demo",
        "plan_id": plan["plan_id"],
        "applied": False,
        "totals": totals(),
        "failures": [],
        "summary_markdown": (
            f"**Nothing deleted** (confirm=true was not given). Plan `{plan['plan_id'][:12]}` would delete 5 tags "
            "in 1 repositories of `demo`."
        ),
    } == report
    assert sent == len(sandbox.requests)
    assert before == all_tags(sandbox)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_accepting_the_prompt_deletes_the_planned_tags(sandbox: Sandbox, mode: str) -> None:
    """Where the host can ask, the user's yes is what deletes, without any confirm argument."""
    prompter = Prompter(ElicitResult(action="accept", content={"confirm": True}))
    async with open_client(sandbox, mode=mode, elicitation_callback=prompter) as client:
        plan = await plan_fixture(client)
        report = await apply(client, plan)

    assert 1 == len(prompter.messages)
    assert (True, totals(deleted=5)) == (report["applied"], report["totals"])
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
    async with open_client(sandbox, mode=mode, elicitation_callback=prompter) as client:
        plan = await plan_fixture(client)
        before, sent = all_tags(sandbox), len(sandbox.requests)
        report = await apply(client, plan, confirm=True)

    assert 1 == len(prompter.messages)
    assert (False, totals()) == (report["applied"], report["totals"])
    assert report["summary_markdown"].startswith("**Nothing deleted**")
    assert sent == len(sandbox.requests)
    assert before == all_tags(sandbox)


async def test_the_prompt_names_the_namespace_tags_repositories_and_bytes(sandbox: Sandbox) -> None:
    """The user sees the namespace, the repositories with counts, up to 20 tags then 'and N more', the bytes."""
    sandbox.state.add_repository("demo", "notes")
    for i in range(20):
        push(sandbox, f"old-{i:02d}", 100 + i, tag_digest=None, size=500, repository="notes")
    prompter = Prompter(ElicitResult(action="decline"))
    async with open_client(sandbox, elicitation_callback=prompter) as client:
        plan = await plan_fixture(client, repositories=["fixture", "notes"], keep_latest=0)
        await apply(client, plan)

    # 20 notes tags of one image each (digest-less single-arch tags fall back to their image digest).
    tags = [f"fixture:{t}" for t in FIXTURE_DELETES] + [f"notes:old-{i:02d}" for i in range(20)]
    (message,) = prompter.messages
    assert message.startswith("Delete 25 tags from 2 repositories of demo, freeing about 48.0 KB? ")
    assert "Repositories: notes (20), fixture (5). " in message
    listed = message.split("Tags: ")[1].split(" and 5 more.")[0].split(", ")
    assert 20 == len(listed) and set(listed) <= set(tags)
    assert message.endswith(f"This cannot be undone. (plan {plan['plan_id'][:12]})")


async def test_a_tag_re_pushed_after_planning_is_skipped_and_survives(client: Client, sandbox: Sandbox) -> None:
    """A planned tag whose digest changed is skipped_changed; the rest of the plan is deleted."""
    plan = await plan_fixture(client)
    push(sandbox, "never", 0, tag_digest=digest("f"), size=1)

    report = await apply(client, plan, confirm=True)
    details = await read_json(client, report["outcomes_uri"])

    assert totals(deleted=4, skipped_changed=1) == report["totals"]
    assert [
        {
            "repository": "fixture",
            "tag": "never",
            "outcome": "skipped_changed",
            "reason": f"re-pushed since planning: digest is now {digest('f')}",
        }
    ] == [o for o in details["outcomes"] if o["outcome"] != "deleted"]
    survivor = sandbox.state.tag("demo", "fixture", "never")
    assert survivor is not None and digest("f") == survivor.digest


@pytest.mark.parametrize("rule", [{"unpulled_for_days": 7}, {"only_never_pulled": True}])
async def test_a_tag_pulled_since_planning_is_skipped_where_the_rules_depend_on_pulls(
    client: Client, sandbox: Sandbox, rule: dict[str, Any]
) -> None:
    """With a pull rule, a planned tag pulled after planning is skipped_changed and stays."""
    plan = await plan_fixture(client, **{"unpulled_for_days": None, **rule})
    tag = sandbox.state.tag("demo", "fixture", "never")
    assert tag is not None
    tag.pulled_at = tag.images[0].pulled_at = sandbox.clock.now()

    report = await apply(client, plan, confirm=True)

    assert 1 == report["totals"]["skipped_changed"]
    assert ("fixture", "never", "skipped_changed") in await outcomes(client, report)
    assert "never" in fixture_tags(sandbox)


async def test_a_pull_since_planning_does_not_matter_when_no_rule_looks_at_pulls(
    client: Client, sandbox: Sandbox
) -> None:
    """Without a pull rule, a pull after planning changes nothing: the tag is deleted as planned."""
    plan = await plan_fixture(client, unpulled_for_days=None)
    tag = sandbox.state.tag("demo", "fixture", "never")
    assert tag is not None
    tag.pulled_at = sandbox.clock.now()

    report = await apply(client, plan, confirm=True)

    assert 0 == report["totals"]["skipped_changed"]
    assert "never" not in fixture_tags(sandbox)


async def test_a_tag_deleted_by_someone_else_after_planning_is_already_gone(client: Client, sandbox: Sandbox) -> None:
    """A planned tag that no longer exists is reported already_gone, not failed."""
    plan = await plan_fixture(client)
    async with open_client(sandbox) as someone_else:
        structured(await someone_else.call_tool("delete_tag", {"repository": "fixture", "tag": "prod"}))

    report = await apply(client, plan, confirm=True)

    assert totals(deleted=4, already_gone=1) == report["totals"]
    assert ("fixture", "prod", "already_gone") in await outcomes(client, report)


async def test_failed_deletes_are_reported_per_tag_and_a_second_apply_finishes_the_plan(
    client: Client, sandbox: Sandbox
) -> None:
    """5xx on some deletes fails just those tags; applying the plan again retries them and finds the rest gone."""
    plan = await plan_fixture(client)
    sandbox.faults.add(Fault("status", status=500, times=None, method="DELETE", path=r"/tags/(never|stale)$"))

    first = await apply(client, plan, confirm=True)
    assert totals(deleted=3, failed=2) == first["totals"]
    assert ["never", "stale"] == sorted(o["tag"] for o in first["failures"])
    assert all("500" in o["reason"] and f"fixture:{o['tag']}" in o["reason"] for o in first["failures"])
    for o in first["failures"]:
        assert f"| fixture | {o['tag']} |" in first["summary_markdown"]
    assert {"never", "stale"} <= fixture_tags(sandbox)

    sandbox.faults.clear()
    sent = len(sandbox.requests)
    second = await apply(client, plan, confirm=True)

    assert [
        ("fixture", "V2", "already_gone"),
        ("fixture", "alias", "already_gone"),
        ("fixture", "never", "deleted"),
        ("fixture", "prod", "already_gone"),
        ("fixture", "stale", "deleted"),
    ] == await outcomes(client, second)
    assert [
        "/v2/namespaces/demo/repositories/fixture/tags/never",
        "/v2/namespaces/demo/repositories/fixture/tags/stale",
    ] == sorted(r.path for r in sandbox.requests[sent:] if r.method == "DELETE")
    assert set(FIXTURE_DELETES).isdisjoint(fixture_tags(sandbox))


async def test_the_prompt_warns_when_protected_tags_are_included(sandbox: Sandbox) -> None:
    """With allow_protected, the user is told that protected tags are part of what would be deleted."""
    prompter = Prompter(ElicitResult(action="decline"))
    async with open_client(sandbox, elicitation_callback=prompter) as client:
        plan = structured(
            await client.call_tool(
                "plan_tag_cleanup",
                {"repositories": ["fixture"], "older_than_days": 0, "keep": [], "allow_protected": True},
            )
        )
        await apply(client, plan)

    (prompt,) = prompter.messages
    assert "Tags matching DOCKERHUB_PROTECTED_TAGS are included." in prompt
    assert "latest" in fixture_tags(sandbox)


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
    """One notification per planned tag, whatever its outcome, counting up to the number of tags."""
    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 90}))
    items = await planned_tags(client, plan)
    progress = ProgressLog()

    await client.call_tool(
        "apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True}, progress_callback=progress
    )

    n = len(items)
    assert n > 100
    assert [(i, n) for i in range(1, n + 1)] == progress.steps
    assert {f"deleted: {r}:{t}" for r, t in items} == set(progress.messages)


# -- scale ----------------------------------------------------------------------------------------------


def build_large_namespace(repositories: int, tags: int) -> Sandbox:
    """A sandbox whose `demo` namespace has `repositories` repositories of `tags` tags each.

    Tag `t<i>` is pushed i + 0.5 days before T0 and, when i is a multiple of 4, was pulled a day before T0.
    """
    clock = Clock()
    clock.freeze(T0)
    sb = build_sandbox(seed=0, clock=clock, demo=False)
    sb.state.add_aged_repositories("demo", repositories=repositories, tags=tags, at=T0)
    return sb


@pytest.mark.slow
async def test_twenty_thousand_tags_plan_in_one_pass_over_the_list_pages() -> None:
    """100 repositories x 200 tags: every list page is fetched once at page_size 100, and the count is exact."""
    sandbox = build_large_namespace(100, 200)
    async with open_client(sandbox) as client:
        plan = structured(
            await client.call_tool("plan_tag_cleanup", {"older_than_days": 50, "unpulled_for_days": 30, "keep": []})
        )

    # Per repository: t050..t199 are over 50 days old (150 tags); of those, the 37 with i % 4 == 0
    # (t052, t056, ..., t196) were pulled a day ago and are kept.
    assert {"tags": 11_300, "bytes": 11_300 * 1_000, "repositories": 100} == plan["totals"]
    assert [] == plan["failures"]
    listings = sandbox.api_requests(method="GET", path_prefix="/v2/namespaces/demo/repositories")
    assert [("/v2/namespaces/demo/repositories", {"page": "1", "page_size": "100"})] == [
        (r.path, r.query) for r in listings if not r.path.endswith("/tags")
    ]
    expected_pages = sorted(
        (f"/v2/namespaces/demo/repositories/repo-{r:03d}/tags", page) for r in range(100) for page in ("1", "2")
    )
    tag_pages = [r for r in listings if r.path.endswith("/tags")]
    assert expected_pages == sorted((r.path, r.query["page"]) for r in tag_pages)
    assert {"100"} == {r.query["page_size"] for r in tag_pages}
    assert len(listings) == len(sandbox.api_requests())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("repositories", "tags", "older_than_days", "deleted"),
    [(20, 100, 50, 20 * 50), (100, 200, 180, 100 * 20)],
    ids=["2,000 tags", "20,000 tags"],
)
async def test_at_scale_the_results_stay_bounded_and_apply_deletes_exactly_the_plan(
    repositories: int, tags: int, older_than_days: int, deleted: int
) -> None:
    """Plan and apply results stay under 16 KB; the resources hold every planned tag; apply deletes exactly them."""
    sandbox = build_large_namespace(repositories, tags)
    async with open_client(sandbox) as client:
        result = await client.call_tool("plan_tag_cleanup", {"older_than_days": older_than_days, "keep": []})
        plan = structured(result)
        items = await planned_tags(client, plan)
        applied = await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True})
        report = structured(applied)
        every = await outcomes(client, report)

    assert size_of(result) < 16 * 1024
    assert size_of(applied) < 16 * 1024
    assert (deleted, deleted) == (plan["totals"]["tags"], len(items))
    assert min(50, repositories) == len(plan["repositories"])
    assert 50 == len(plan["sample"])
    if repositories > 50:
        assert {"repositories": repositories - 50, "tags": (repositories - 50) * 20, "bytes": 1_000_000} == plan[
            "other_repositories"
        ]
    assert totals(deleted=deleted) == report["totals"]
    assert sorted((r, t, "deleted") for r, t in items) == every
    left = {(r.name, t.name) for r in sandbox.state.repositories("demo") for t in r.tags.values()}
    assert set(items).isdisjoint(left)
    assert repositories * tags - deleted == len(left)
