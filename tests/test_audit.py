"""The on-call audit (`audit_recent_pushes`) through the MCP client, against a Hub built tag by tag."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from mcp import Client

from dockerhub_mcp.sandbox import Clock, Fault, Sandbox, build_sandbox
from helpers import error_text, structured

pytestmark = pytest.mark.anyio

T0 = 1_750_000_000.0  # the sandbox's frozen "now": 2025-06-15T15:06:40Z
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
LONG_AGO = T0 - 400 * DAY


def stamp(seconds_ago: float) -> str:
    """The JSON form of the instant `seconds_ago` before T0."""
    return datetime.fromtimestamp(T0 - seconds_ago, UTC).isoformat().replace("+00:00", "Z")


def digest(char: str) -> str:
    """A recognisable sha256 digest made of one repeated hex character."""
    return "sha256:" + char * 64


@pytest.fixture
def sandbox() -> Sandbox:
    """An empty Hub (only the demo user) whose clock stands still at T0."""
    clock = Clock()
    clock.freeze(T0)
    return build_sandbox(demo=False, clock=clock)


def add_tags(sandbox: Sandbox, repository: str, ages: dict[str, float]) -> None:
    """Push tags named by the keys, each `ages[name]` seconds before T0."""
    for name, age in ages.items():
        sandbox.state.add_tag("demo", repository, name, pushed_at=T0 - age)


async def test_tags_just_inside_the_window_are_listed_and_just_outside_are_not(
    client: Client, sandbox: Sandbox
) -> None:
    """One second inside the window counts, one second outside does not; the stale repository is left out."""
    sandbox.state.add_repository("demo", "app", registered_at=LONG_AGO)
    sandbox.state.add_tag("demo", "app", "outside", pushed_at=T0 - 24 * HOUR - 1, digest=digest("0"), updater="carol")
    sandbox.state.add_tag(
        "demo", "app", "inside", pushed_at=T0 - 24 * HOUR + 1, digest=digest("b"), updater="bob", archs=["amd64"]
    )
    sandbox.state.add_tag(
        "demo", "app", "fresh", pushed_at=T0 - MINUTE, digest=digest("a"), updater="alice", archs=["amd64", "arm64"]
    )
    sandbox.state.add_repository("demo", "stale", registered_at=LONG_AGO)
    sandbox.state.add_tag("demo", "stale", "old", pushed_at=T0 - 24 * HOUR - 1, digest=digest("c"))

    result = structured(await client.call_tool("audit_recent_pushes", {}))

    assert {
        "namespace": "demo",
        "since": stamp(24 * HOUR),
        "until": stamp(0),
        "totals": {"repositories": 1, "tags": 2},
        "tags": [
            {
                "repository": "app",
                "tag": "fresh",
                "digest": digest("a"),
                "pushed_at": stamp(MINUTE),
                "pushed_by": "alice",
                "platforms": ["linux/amd64", "linux/arm64"],
            },
            {
                "repository": "app",
                "tag": "inside",
                "digest": digest("b"),
                "pushed_at": stamp(24 * HOUR - 1),
                "pushed_by": "bob",
                "platforms": ["linux/amd64"],
            },
        ],
        "truncated": False,
        "repositories": [{"repository": "app", "tags": 2, "last_pushed": stamp(MINUTE)}],
        "errors": [],
        "summary_markdown": (
            "**Pushes to `demo` in the last 24 h**: 2 tags in 1 repositories.\n"
            "\n"
            "| tag | pushed | by | platforms | digest |\n"
            "|---|---|---|---|---|\n"
            "| app:fresh | 2025-06-15 15:05 UTC | alice | linux/amd64, linux/arm64 | sha256:aaaaaaaaaaaa |\n"
            "| app:inside | 2025-06-14 15:06 UTC | bob | linux/amd64 | sha256:bbbbbbbbbbbb |"
        ),
    } == result
    assert [] == sandbox.api_requests(path_prefix="/v2/namespaces/demo/repositories/stale")


async def test_the_window_follows_since_hours(client: Client, sandbox: Sandbox) -> None:
    """A 2-hour window drops a push from 3 hours ago that a 24-hour window keeps."""
    sandbox.state.add_repository("demo", "app", registered_at=LONG_AGO)
    add_tags(sandbox, "app", {"one-hour": HOUR, "three-hours": 3 * HOUR})

    short = structured(await client.call_tool("audit_recent_pushes", {"since_hours": 2}))
    long = structured(await client.call_tool("audit_recent_pushes", {"since_hours": 24}))

    assert (stamp(2 * HOUR), ["one-hour"]) == (short["since"], [t["tag"] for t in short["tags"]])
    assert ["one-hour", "three-hours"] == [t["tag"] for t in long["tags"]]
    assert short["summary_markdown"].startswith("**Pushes to `demo` in the last 2 h**: 1 tags in 1 repositories.")


async def test_repositories_and_tags_come_newest_first(client: Client, sandbox: Sandbox) -> None:
    """Repositories by latest push, tags by push time across repositories, whatever the names or order."""
    for name in ("alpha", "bravo", "charlie"):
        sandbox.state.add_repository("demo", name, registered_at=LONG_AGO)
    add_tags(sandbox, "alpha", {"a-mid": 5 * HOUR, "a-new": 3 * HOUR, "a-old": 9 * HOUR})
    add_tags(sandbox, "bravo", {"b-old": 20 * HOUR, "b-new": 1 * HOUR})
    add_tags(sandbox, "charlie", {"c-only": 2 * HOUR})

    result = structured(await client.call_tool("audit_recent_pushes", {"namespace": "demo"}))

    assert [("bravo", 2), ("charlie", 1), ("alpha", 3)] == [
        (r["repository"], r["tags"]) for r in result["repositories"]
    ]
    assert ["b-new", "c-only", "a-new", "a-mid", "a-old", "b-old"] == [t["tag"] for t in result["tags"]]
    assert {"repositories": 3, "tags": 6} == result["totals"]


async def test_reading_stops_at_the_first_tags_page_that_passes_the_window(client: Client, sandbox: Sandbox) -> None:
    """Of 260 tags only 3 are recent: one page of tags (and one of repositories) is all the audit reads."""
    sandbox.state.add_repository("demo", "big", registered_at=LONG_AGO)
    add_tags(sandbox, "big", {f"old-{i:03d}": 2 * DAY + i * HOUR for i in range(257)})
    add_tags(sandbox, "big", {"new-1": HOUR, "new-2": 2 * HOUR, "new-3": 3 * HOUR})

    result = structured(await client.call_tool("audit_recent_pushes", {}))

    assert [("big", "new-1"), ("big", "new-2"), ("big", "new-3")] == [
        (t["repository"], t["tag"]) for t in result["tags"]
    ]
    assert [("/v2/namespaces/demo/repositories", "1"), ("/v2/namespaces/demo/repositories/big/tags", "1")] == [
        (r.path, r.query["page"]) for r in sandbox.api_requests()
    ]
    assert {"ordering": "-last_updated", "page": "1", "page_size": "100"} == sandbox.api_requests()[1].query


async def test_a_window_that_spans_a_whole_page_reads_on_to_the_next(client: Client, sandbox: Sandbox) -> None:
    """When all 100 tags of the first page are recent, the second page is read too, and nothing is lost."""
    sandbox.state.add_repository("demo", "busy", registered_at=LONG_AGO)
    add_tags(sandbox, "busy", {f"t-{i:03d}": (i + 1) * MINUTE for i in range(150)})
    add_tags(sandbox, "busy", {f"old-{i:03d}": 3 * DAY + i * MINUTE for i in range(100)})

    result = structured(await client.call_tool("audit_recent_pushes", {"limit": 100}))

    assert {"repositories": 1, "tags": 150} == result["totals"]
    assert ([f"t-{i:03d}" for i in range(100)], True) == ([t["tag"] for t in result["tags"]], result["truncated"])
    assert ["1", "2"] == [
        r.query["page"] for r in sandbox.api_requests(path_prefix="/v2/namespaces/demo/repositories/")
    ]


async def test_a_repository_whose_tags_cannot_be_read_shows_an_error_while_the_others_appear(
    client: Client, sandbox: Sandbox
) -> None:
    """A 500 on one repository's tag list becomes that repository's `error`; the audit itself succeeds."""
    for name in ("api", "broken", "web"):
        sandbox.state.add_repository("demo", name, registered_at=LONG_AGO)
    add_tags(sandbox, "api", {"v2": 2 * HOUR})
    add_tags(sandbox, "broken", {"v9": 3 * HOUR})
    add_tags(sandbox, "web", {"v1": HOUR})
    sandbox.faults.add(Fault("status", status=500, times=None, method="GET", path=r"/repositories/broken/tags$"))

    result = structured(await client.call_tool("audit_recent_pushes", {}))

    assert [("web", "v1"), ("api", "v2")] == [(t["repository"], t["tag"]) for t in result["tags"]]
    assert ["broken"] == [e["repository"] for e in result["errors"]]
    assert "500" in result["errors"][0]["reason"]
    assert {"repositories": 2, "tags": 2} == result["totals"]
    assert result["summary_markdown"].endswith("\n\nCould not read: broken.")


async def test_an_invalid_namespace_is_refused_without_a_request(client: Client, sandbox: Sandbox) -> None:
    """A namespace that cannot exist is refused before anything is sent, not even a token exchange."""
    result = await client.call_tool("audit_recent_pushes", {"namespace": "Bad/Name"})

    assert "Invalid namespace 'Bad/Name'" in error_text(result)
    assert [] == sandbox.requests


@pytest.mark.parametrize("since_hours", [0, -1, 2161])
async def test_a_window_outside_0_to_90_days_is_refused_without_a_request(
    client: Client, sandbox: Sandbox, since_hours: float
) -> None:
    """`since_hours` must be more than 0 and at most 90 days; anything else sends nothing."""
    result = await client.call_tool("audit_recent_pushes", {"since_hours": since_hours})

    assert "since_hours" in error_text(result)
    assert [] == sandbox.requests


async def test_the_audit_only_reads(client: Client, sandbox: Sandbox) -> None:
    """Every request the audit sends is a GET."""
    sandbox.state.add_repository("demo", "app", registered_at=LONG_AGO)
    add_tags(sandbox, "app", {"v1": HOUR})

    structured(await client.call_tool("audit_recent_pushes", {}))

    assert {"GET"} == {r.method for r in sandbox.api_requests()}


async def test_the_summary_lists_at_most_20_tags_and_counts_the_rest(client: Client, sandbox: Sandbox) -> None:
    """A busy day's summary stays ticket-sized: 20 rows and a line naming how many more there are."""
    sandbox.state.add_repository("demo", "app", registered_at=LONG_AGO)
    add_tags(sandbox, "app", {f"t-{i:02d}": (i + 1) * 10 * MINUTE for i in range(34)})

    result = structured(await client.call_tool("audit_recent_pushes", {}))

    lines = result["summary_markdown"].splitlines()
    assert (34, 34, False) == (result["totals"]["tags"], len(result["tags"]), result["truncated"])
    assert 20 == len([line for line in lines if line.startswith("| app:")])
    assert "… and 14 more tags." == lines[-1]


async def test_limit_lists_the_newest_tags_and_says_the_rest_were_left_out(client: Client, sandbox: Sandbox) -> None:
    """`limit` caps the tags listed in full (newest first); totals still count the whole window."""
    sandbox.state.add_repository("demo", "app", registered_at=LONG_AGO)
    add_tags(sandbox, "app", {f"t-{i:02d}": (i + 1) * 10 * MINUTE for i in range(34)})

    result = structured(await client.call_tool("audit_recent_pushes", {"limit": 5}))

    assert ["t-00", "t-01", "t-02", "t-03", "t-04"] == [t["tag"] for t in result["tags"]]
    assert ({"repositories": 1, "tags": 34}, True) == (result["totals"], result["truncated"])
    assert "… and 29 more tags." == result["summary_markdown"].splitlines()[-1]


async def test_a_very_busy_window_stays_under_32_kb(client: Client, sandbox: Sandbox) -> None:
    """5,000 pushes over 200 repositories in a day: the whole result, at the largest limit, is under 32 KB."""
    for r in range(200):
        sandbox.state.add_repository("demo", f"service-{r:03d}", registered_at=LONG_AGO)
        for i in range(25):
            sandbox.state.add_tag(
                "demo",
                f"service-{r:03d}",
                f"build-{i:02d}",
                pushed_at=T0 - (r * 25 + i + 1) * 10,
                archs=["amd64", "arm64"],
            )

    result = await client.call_tool("audit_recent_pushes", {"limit": 100})

    content = structured(result)
    wire = json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":"))
    assert len(wire.encode()) < 32 * 1024
    assert ({"repositories": 200, "tags": 5000}, 100, True) == (
        content["totals"],
        len(content["tags"]),
        content["truncated"],
    )


async def test_progress_counts_the_repositories_read(client: Client, sandbox: Sandbox) -> None:
    """With a progress token, one notification per repository read, counting up to the total."""
    for name in ("api", "web"):
        sandbox.state.add_repository("demo", name, registered_at=LONG_AGO)
        add_tags(sandbox, name, {"v1": HOUR})
    seen: list[tuple[float, float | None, str | None]] = []

    async def record(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    structured(await client.call_tool("audit_recent_pushes", {}, progress_callback=record))

    assert [(1, 2), (2, 2)] == [(p, t) for p, t, _ in seen]
    assert {"read demo/api", "read demo/web"} == {m for _, _, m in seen}
