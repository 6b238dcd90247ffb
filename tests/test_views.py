"""The MCP Apps views in a real browser: each view runs in an iframe of a test host page (the library's
AppBridge, `tests/data/ui-host.html`, built by `bash ui/build.sh`) in headless Chromium, fed a real result from
the sandbox through the server; whatever the view asks of the host (tools/call, resources/read) goes to that
server. The tests assert what a person sees, and what the sandbox holds afterwards.

Needs Debian's `/usr/bin/chromium`: without it the tests are skipped, except under `CI`, where they fail.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from playwright.async_api import Browser, FloatRect, FrameLocator, Page, async_playwright, expect

from dockerhub_mcp import __version__
from dockerhub_mcp.sandbox import SANDBOX_OAT, Clock, Sandbox, build_sandbox
from dockerhub_mcp.server import build_server
from helpers import TEST_NOW, clock_sleep, fixed_clock, make_settings, structured

pytestmark = pytest.mark.anyio
# Rendering 1,000-2,000 rows under `pytest -n auto` with coverage on two CPUs can take longer than the default 5 s.
expect.set_options(timeout=30_000)

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
HOST_URL = "http://mcp-test-host.invalid/"  # never resolved: Playwright answers it with the harness page
HARNESS = Path(__file__).parent / "data" / "ui-host.html"
ARTEFACTS = Path(__file__).parent / "artefacts"  # gitignored; UPDATE_SCREENSHOTS=1 also refreshes docs/views/
DOCS = Path(__file__).parent.parent / "docs" / "views"
UI = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
OAT = {"username": "acme", "token": SANDBOX_OAT, "token_kind": "oat"}
DAY = 86_400.0


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """One event loop for the module, so one browser serves every test (Playwright needs asyncio)."""
    return "asyncio"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (which downloads no browser of its own)."""
    if not HAVE_CHROMIUM:
        why = f"{CHROMIUM} is missing: `apt-get install chromium` runs the view tests"
        if os.environ.get("CI"):
            pytest.fail(f"{why}; CI is set, so they may not be skipped")
        pytest.skip(why)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


def dump(model: Any) -> dict[str, Any]:
    """A result as JSON, the way it crosses the wire."""
    data: dict[str, Any] = model.model_dump(by_alias=True, mode="json", exclude_none=True)
    return data


def connect(sandbox: Sandbox, **overrides: object) -> Client:
    """A host that declares the MCP Apps extension, on a server over `sandbox`."""
    server = build_server(
        make_settings(**overrides),
        transport=httpx2.ASGITransport(app=sandbox.app),
        clock=sandbox.clock.now,
        sleep=clock_sleep(sandbox),
    )
    return Client(server, mode="legacy", extensions=[UI])


@dataclass
class Host:
    """A page of the test host with one view mounted, and what happened on it."""

    page: Page
    result: dict[str, Any]  # the tool result the view was given
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def view(self) -> FrameLocator:
        """The view's document."""
        return self.page.frame_locator("iframe")

    async def log(self, method: str) -> list[dict[str, Any]]:
        """The params of every `method` message the view sent the host."""
        entries: list[dict[str, Any]] = await self.page.evaluate("window.hostLog")
        return [e["params"] for e in entries if e["method"] == method]

    async def screenshot(self, name: str, height: int | None = None, *, readme: bool = False) -> None:
        """Save the page (its top `height` pixels) as a test artefact, and with UPDATE_SCREENSHOTS=1 as the
        README's picture."""
        ARTEFACTS.mkdir(exist_ok=True)
        # Two animation frames in the host and in the view: the resized iframe has been painted.
        for frame in self.page.frames:
            await frame.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        if height:
            clip: FloatRect = {"x": 0, "y": 0, "width": 900, "height": height}
            await self.page.screenshot(path=ARTEFACTS / f"{name}.png", full_page=True, clip=clip)
        else:
            await self.page.screenshot(path=ARTEFACTS / f"{name}.png", full_page=True)
        if readme and os.environ.get("UPDATE_SCREENSHOTS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copy(ARTEFACTS / f"{name}.png", DOCS / f"{name}.png")


Mount = Callable[..., Awaitable[Host]]


@pytest.fixture
async def mount(browser: Browser) -> AsyncIterator[Mount]:
    """Open the host page and mount the view linked from `tool` with that tool's result, as a host does:
    it reads the tool's `_meta.ui.resourceUri`, reads that resource and hands the view the result."""
    pages: list[Page] = []

    async def _mount(
        client: Client,
        tool: str,
        arguments: dict[str, Any],
        *,
        theme: str = "light",
        capabilities: dict[str, Any] | None = None,
    ) -> Host:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        uri = (listed[tool].meta or {})["ui"]["resourceUri"]
        (content,) = (await client.read_resource(uri)).contents
        result = await client.call_tool(tool, arguments)
        page = await browser.new_page(viewport={"width": 900, "height": 800})
        pages.append(page)
        host = Host(page, structured(result))
        page.on("pageerror", lambda e: host.errors.append(str(e)))
        page.on("console", lambda m: host.errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: host.requests.append(r.url))
        harness = HARNESS.read_text(encoding="utf-8")
        await page.route(HOST_URL, lambda route: route.fulfill(body=harness, content_type="text/html"))

        async def call_tool(params: dict[str, Any]) -> dict[str, Any]:
            return dump(await client.call_tool(params["name"], params.get("arguments") or {}))

        async def read_resource(params: dict[str, Any]) -> dict[str, Any]:
            return dump(await client.read_resource(params["uri"]))

        await page.expose_function("hostCallTool", call_tool)
        await page.expose_function("hostReadResource", read_resource)
        await page.goto(HOST_URL)
        options = {
            "html": getattr(content, "text", ""),
            "toolInput": arguments,
            "toolResult": dump(result),
            "hostContext": {"theme": theme, "displayMode": "inline", "platform": "web"},
            "hostCapabilities": capabilities,
        }
        await page.evaluate("o => window.mountView(o)", options)
        return host

    yield _mount
    for page in pages:
        await page.close()


def aged_sandbox(repositories: int, tags: int) -> Sandbox:
    """`demo` holding only `repositories` x `tags` tags, t<i> pushed i + 0.5 days ago and 1,000 bytes."""
    clock = Clock()
    clock.freeze(TEST_NOW)
    sandbox = build_sandbox(seed=0, clock=clock, demo=False)
    sandbox.state.add_aged_repositories("demo", repositories=repositories, tags=tags, at=TEST_NOW)
    return sandbox


@pytest.mark.slow
@pytest.mark.subprocess
async def test_a_2000_tag_plan_shows_its_chart_and_pages_and_apply_deletes_exactly_it(mount: Mount) -> None:
    """20 repositories x 100 old tags: 20 bars, 10 table pages of 200 rows read as needed, filter and sort on
    the page, and Apply (after the in-view confirmation) calls apply_tag_cleanup once and deletes every tag."""
    sandbox = aged_sandbox(20, 150)
    async with connect(sandbox) as client:
        host = await mount(client, "plan_tag_cleanup", {"older_than_days": 50, "keep": []})
        view = host.view
        await expect(view.locator("#title")).to_have_text("Tag cleanup plan for demo")
        await expect(view.locator("#chart li")).to_have_count(20)
        await expect(view.locator("#rows tr")).to_have_count(200)
        labels = await view.locator("#chart .label").all_text_contents()
        await expect(view.locator("#page-label")).to_have_text("Page 1 of 10")
        pages_read = len(await host.log("resources/read"))  # the index and the first page's two repositories

        await view.get_by_label("Filter by repository or tag").fill("t149")
        await expect(view.locator("#rows tr")).to_have_count(2)
        await expect(view.locator("#row-count")).to_have_text("2 of 200 tags on this page match")
        await view.get_by_label("Filter by repository or tag").fill("")
        await view.get_by_role("button", name="Tag", exact=True).click()
        await view.get_by_role("button", name="Tag", exact=True).click()
        await expect(view.locator("th[data-key=tag]")).to_have_attribute("aria-sort", "descending")
        await expect(view.locator("#rows tr").first.locator("td").nth(1)).to_have_text("t149")
        await view.get_by_role("button", name="Next page").click()
        await expect(view.locator("#page-label")).to_have_text("Page 2 of 10")
        await expect(view.locator("#rows tr").first.locator("td").first).to_have_text("repo-002")
        await view.get_by_role("button", name="repo-019").click()
        await expect(view.locator("#page-label")).to_have_text("Page 10 of 10")
        await expect(view.locator("#rows tr")).to_have_count(200)
        await host.screenshot("cleanup-plan-2000", height=1400)

        await view.get_by_role("button", name="Apply this plan").click()
        await expect(view.locator("#confirm-text")).to_contain_text("Delete 2,000 tags from 20 repositories of demo")
        await view.get_by_role("button", name="Delete 2,000 tags").click()
        await expect(view.locator("#status")).to_have_text("Applied: 2,000 of 2,000 tags deleted.", timeout=60_000)
        await expect(view.locator("[data-outcome=deleted] dd")).to_have_text("2,000")
        calls = await host.log("tools/call")

    assert [f"repo-{r:03d}" for r in range(20)] == labels
    assert 3 == pages_read
    # The SDK adds a progress token to the params: the name and arguments are what the view chose.
    assert [("apply_tag_cleanup", {"plan_id": host.result["plan_id"], "confirm": True})] == [
        (c["name"], c["arguments"]) for c in calls
    ]
    assert {f"t{i:03d}" for i in range(50)} == {t.name for t in sandbox.state.tags("demo", "repo-007")}
    assert [] == host.errors
    assert [HOST_URL] == host.requests


async def background(host: Host) -> str:
    """The view's computed page background."""
    color: str = await host.view.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    return color


@pytest.mark.slow
@pytest.mark.subprocess
async def test_the_plan_view_follows_the_host_theme_and_shows_every_outcome(mount: Mount) -> None:
    """On the demo namespace in the host's dark theme (then light, live): bars largest first, the kept tags by
    reason, and after Apply the outcomes: one tag already gone and one re-pushed since, each with its reason."""
    sandbox = build_sandbox(seed=0, clock=fixed_clock())
    async with connect(sandbox) as client:
        host = await mount(client, "plan_tag_cleanup", {"older_than_days": 90}, theme="dark")
        view = host.view
        await expect(view.locator("#rows tr")).to_have_count(111)
        await expect(view.locator("html")).to_have_attribute("data-theme", "dark")
        dark = await background(host)
        labels = await view.locator("#chart .label").all_text_contents()
        widths = await view.locator("#chart .bar").evaluate_all("bars => bars.map(b => b.clientWidth)")
        await expect(view.locator("details[data-reason=too_recent] summary")).to_contain_text("294 in the plan")
        await host.screenshot("cleanup-plan-dark", height=1050)
        await host.page.evaluate(
            "window.bridge.setHostContext({theme: 'light', displayMode: 'inline', platform: 'web'})"
        )
        await expect(view.locator("html")).to_have_attribute("data-theme", "light")
        light = await background(host)
        await host.screenshot("cleanup-plan", height=1050, readme=True)

        gone, changed = [r["tag"] for r in host.result["sample"][:2]]
        repository = host.result["sample"][0]["repository"], host.result["sample"][1]["repository"]
        held = sandbox.state.repository("demo", repository[0])
        assert held is not None
        held.tags.pop(gone)  # deleted elsewhere since the plan
        sandbox.state.add_tag("demo", repository[1], changed, pushed_at=sandbox.clock.now())  # re-pushed
        await view.get_by_role("button", name="Apply this plan").click()
        await view.get_by_role("button", name="Delete 111 tags").click()
        await expect(view.locator("#status")).to_have_text("Applied: 109 of 111 tags deleted.")
        totals = {
            key: await view.locator(f"[data-outcome={key}] dd").text_content()
            for key in ("deleted", "already_gone", "skipped_changed", "skipped_protected", "failed")
        }
        listed = await view.locator("#outcome-list tbody tr").all_inner_texts()

    assert ["legacy-app", "worker", "api", "web", "docs"] == labels
    assert sorted(widths, reverse=True) == widths and widths[0] > widths[-1]
    assert ("rgb(23, 23, 23)", "rgb(255, 255, 255)") == (dark, light)
    expected = {"deleted": "109", "already_gone": "1", "skipped_changed": "1", "skipped_protected": "0", "failed": "0"}
    assert expected == totals
    assert 2 == len(listed)
    assert any(gone in row and "Already gone" in row for row in listed)
    assert any(changed in row and "Skipped: changed since planned" in row for row in listed)
    assert [] == host.errors


@pytest.mark.slow
@pytest.mark.subprocess
async def test_a_repository_over_a_thousand_tags_is_read_a_server_page_at_a_time(mount: Mount) -> None:
    """One repository of 1,150 planned tags: two table pages, the second read with `?page=2`."""
    sandbox = aged_sandbox(1, 1200)
    async with connect(sandbox) as client:
        host = await mount(client, "plan_tag_cleanup", {"older_than_days": 50, "keep": []})
        view = host.view
        await expect(view.locator("#rows tr")).to_have_count(1000)
        await view.get_by_role("button", name="Next page").click()
        await expect(view.locator("#page-label")).to_have_text("Page 2 of 2")
        await expect(view.locator("#rows tr")).to_have_count(150)
        reads = [p["uri"] for p in await host.log("resources/read")]

    plan = host.result["plan_uri"]
    assert [plan, f"{plan}/repositories/repo-000", f"{plan}/repositories/repo-000?page=2"] == reads


@pytest.mark.slow
@pytest.mark.subprocess
async def test_a_host_that_proxies_neither_tools_nor_resources_gets_a_message_not_a_failure(mount: Mount) -> None:
    """Without serverTools and serverResources the chart and totals still show; the table and Apply say why not."""
    sandbox = build_sandbox(seed=0, clock=fixed_clock())
    async with connect(sandbox) as client:
        host = await mount(client, "plan_tag_cleanup", {"older_than_days": 90}, capabilities={})
        view = host.view
        await expect(view.locator("#chart li")).to_have_count(5)
        await expect(view.locator("#table-note")).to_contain_text("does not let views read server resources")
        await expect(view.locator("#apply-note")).to_contain_text("does not let views call tools")
        await expect(view.get_by_role("button", name="Apply this plan")).to_be_disabled()

    assert [] == await host.log("resources/read")
    assert [] == host.errors


@pytest.mark.slow
@pytest.mark.subprocess
async def test_on_a_read_only_server_the_plan_can_be_reviewed_but_not_applied(mount: Mount) -> None:
    """A read-only server has no apply_tag_cleanup: the plan index says so, and the view disables Apply and says
    why instead of letting a click end in "unknown tool". The view announces the package's version."""
    sandbox = build_sandbox(seed=0, clock=fixed_clock())
    async with connect(sandbox, read_only=True) as client:
        host = await mount(client, "plan_tag_cleanup", {"older_than_days": 90})
        view = host.view
        await expect(view.locator("#rows tr")).to_have_count(111)
        await expect(view.locator("#apply-note")).to_have_text(
            "This server is read-only: the plan can be reviewed, not applied here."
        )
        await expect(view.get_by_role("button", name="Apply this plan")).to_be_disabled()
        await expect(view.get_by_label("Filter by repository or tag")).to_have_accessible_description(
            "Sorting and the filter apply to the page shown."
        )
        app = await host.page.evaluate("window.bridge.getAppVersion()")

    assert {"name": "dockerhub-mcp cleanup plan", "version": __version__} == app
    assert [] == await host.log("tools/call")
    assert [] == host.errors


@pytest.mark.slow
@pytest.mark.subprocess
async def test_a_repository_with_only_kept_tags_is_listed_and_an_unreadable_page_shows_no_stale_rows(
    mount: Mount,
) -> None:
    """Three repositories of 100 old tags (two table pages) and `fresh`, whose every tag is kept: the kept
    totals of the whole plan show, `fresh` is listed with its kept tags, and focus goes to the status when the
    confirmation closes. Once the plan has expired, page 2 cannot be read: its table is empty and the status
    says why, rather than showing page 1's rows under "Page 2 of 2"."""
    sandbox = aged_sandbox(3, 150)
    sandbox.state.add_repository("demo", "fresh", registered_at=TEST_NOW - 2 * DAY)
    for name in ("v1", "v2"):
        sandbox.state.add_tag("demo", "fresh", name, pushed_at=TEST_NOW - DAY, size=1_000)
    async with connect(sandbox) as client:
        host = await mount(client, "plan_tag_cleanup", {"older_than_days": 50, "keep": []})
        view = host.view
        await expect(view.locator("#page-label")).to_have_text("Page 1 of 2")
        await expect(view.locator("#rows tr")).to_have_count(200)
        await expect(view.locator("#kept [data-reason=too_recent] summary")).to_contain_text(
            "Pushed too recently: 152 in the plan, 100 in the repositories on this page"
        )
        fresh = view.locator("#kept-only details[data-repository=fresh]")
        await expect(fresh.locator("summary")).to_have_text("fresh: 2 tags kept")
        await fresh.locator("summary").click()
        await expect(fresh.locator("li")).to_have_text(["v1 (Pushed too recently)", "v2 (Pushed too recently)"])

        await view.get_by_role("button", name="Apply this plan").click()
        await view.get_by_role("button", name="Cancel").click()
        await expect(view.locator("#status")).to_be_focused()
        await expect(view.get_by_role("button", name="Apply this plan")).to_be_enabled()

        sandbox.clock.advance(30 * DAY)
        await view.get_by_role("button", name="Next page").click()
        await expect(view.locator("#page-label")).to_have_text("Page 2 of 2")
        await expect(view.locator("#status")).to_contain_text("Could not read page 2 of the plan's tags")
        await expect(view.locator("#rows tr")).to_have_count(0)
        await view.get_by_role("button", name="Previous page").click()  # read before: no need to read again
        await expect(view.locator("#rows tr")).to_have_count(200)
        await expect(view.locator("#status")).to_have_text("")

        await view.get_by_role("button", name="Apply this plan").click()
        await view.get_by_role("button", name="Delete 300 tags").click()
        await expect(view.locator("#status")).to_contain_text("Not applied")
        await expect(view.locator("#status")).to_be_focused()
        calls = await host.log("tools/call")

    assert ["apply_tag_cleanup"] == [c["name"] for c in calls]
    assert 150 == len(sandbox.state.tags("demo", "repo-000"))
    assert [] == host.errors


@pytest.mark.slow
@pytest.mark.subprocess
async def test_a_plan_that_deletes_nothing_says_so_and_lists_what_it_keeps(mount: Mount) -> None:
    """Every tag too recent: no table page ("No tags to delete", not "Page 1 of 0"), Apply disabled, and each
    repository listed among those whose every tag is kept."""
    sandbox = aged_sandbox(2, 10)
    async with connect(sandbox) as client:
        host = await mount(client, "plan_tag_cleanup", {"older_than_days": 50, "keep": []})
        view = host.view
        await expect(view.locator("#page-label")).to_have_text("No tags to delete")
        await expect(view.locator("#table-note")).to_have_text("The plan deletes no tag.")
        await expect(view.locator("#kept-only details summary")).to_have_text(
            ["repo-000: 10 tags kept", "repo-001: 10 tags kept"]
        )
        await expect(view.locator("#kept [data-reason=too_recent]")).to_have_text("Pushed too recently: 20 in the plan")
        await expect(view.get_by_role("button", name="Apply this plan")).to_be_disabled()
        await expect(view.get_by_role("button", name="Next page")).to_be_disabled()

    assert [] == host.errors


@pytest.mark.slow
@pytest.mark.subprocess
async def test_the_audit_view_shows_a_timeline_of_pushes_per_repository(mount: Mount) -> None:
    """With a PAT: one section per repository, each push with its time, tag, digest, platforms and pusher."""
    sandbox = build_sandbox(seed=0, clock=fixed_clock())
    async with connect(sandbox) as client:
        host = await mount(client, "audit_recent_pushes", {"since_hours": 24 * 14})
        view = host.view
        await expect(view.locator("#title")).to_have_text("Recent pushes to demo")
        pushes = host.result["tags"]
        repositories = list(dict.fromkeys(t["repository"] for t in pushes))
        await expect(view.locator("#timeline section")).to_have_count(len(repositories))
        first = view.locator(f"section[data-repository='{repositories[0]}'] li")
        await expect(first).to_have_count(sum(t["repository"] == repositories[0] for t in pushes))
        await expect(view.locator("#timeline .mark")).to_have_count(len(pushes))
        await expect(view.locator("#notes")).to_contain_text("organization access token")
        newest = await first.first.inner_text()
        await host.screenshot("audit", height=1060)

    push = pushes[0]
    assert re.sub(r"\s+", " ", newest).startswith(f"{push['pushed_at'][:16].replace('T', ' ')} pushed {push['tag']}")
    assert push["digest"][:19] in newest and ", ".join(push["platforms"]) in newest
    assert f"by {push['pushed_by']}" in newest
    assert [] == host.errors


@pytest.mark.slow
@pytest.mark.subprocess
async def test_with_an_oat_the_audit_view_shows_deletions_and_who_pushed(mount: Mount) -> None:
    """With an OAT, in the dark theme: the tag deleted in the window and its actor, and the pusher the audit
    log names rather than the shared CI account."""
    sandbox = build_sandbox(seed=0, clock=fixed_clock())
    now = sandbox.clock.now()
    sandbox.state.add_tag("acme", "tools", "hotfix", pushed_at=now - 600)
    async with connect(sandbox, **OAT) as client:
        structured(await client.call_tool("delete_tag", {"namespace": "acme", "repository": "tools", "tag": "hotfix"}))
        sandbox.state.add_tag("acme", "tools", "hotfix-2", pushed_at=now - 300, updater="ci-bot")
        sandbox.state.audit[-1] = dataclasses.replace(sandbox.state.audit[-1], actor="carol")
        host = await mount(client, "audit_recent_pushes", {"namespace": "acme"}, theme="dark")
        view = host.view
        tools = view.locator("section[data-repository=tools]")
        await expect(tools.locator("li.kind-deleted")).to_have_count(1)
        deleted = await tools.locator("li.kind-deleted").inner_text()
        pushed = await tools.locator("li.kind-pushed", has_text="hotfix-2").inner_text()
        await expect(view.locator("#totals")).to_contain_text("tags deleted")
        await host.screenshot("audit-oat-dark", height=900, readme=True)

    assert "hotfix" in deleted and "by acme" in deleted
    assert "by carol" in pushed
    assert [] == host.errors


NETWORK = re.compile(
    r"<script[^>]+src=|<link[^>]+href=|fetch\(|import\(|new WebSocket|new EventSource|sendBeacon|XMLHttpRequest"
)


async def test_hosts_without_the_extension_see_the_same_tools_and_results() -> None:
    """tools/list is the same whether or not the host declares MCP Apps; only the two linked tools carry `_meta`,
    and it is the link alone. A tool's result does not depend on the extension either."""
    sandbox = build_sandbox(seed=0, clock=fixed_clock())
    sandbox.clock.freeze()  # both audits at the same instant, however long the first one takes
    plain_server = build_server(
        make_settings(), transport=httpx2.ASGITransport(app=sandbox.app), clock=sandbox.clock.now
    )
    async with connect(sandbox) as apps, Client(plain_server, mode="legacy") as plain:
        with_ui = [dump(t) for t in (await apps.list_tools()).tools]
        without = [dump(t) for t in (await plain.list_tools()).tools]
        audits = [dump(await c.call_tool("audit_recent_pushes", {})) for c in (apps, plain)]

    linked = {t["name"]: t["_meta"] for t in without if "_meta" in t}
    assert with_ui == without
    assert {
        "plan_tag_cleanup": {"ui": {"resourceUri": "ui://dockerhub-mcp/cleanup-plan.html"}},
        "audit_recent_pushes": {"ui": {"resourceUri": "ui://dockerhub-mcp/audit.html"}},
    } == linked
    assert audits[0] == audits[1]


@pytest.mark.parametrize("token", ["pat", "oat"])
async def test_the_views_read_back_as_self_contained_html_with_the_app_mime_type(token: str) -> None:
    """Each linked view is listed and reads back as one HTML document of `text/html;profile=mcp-app` with no
    reference that would fetch anything (hosts apply a strict CSP)."""
    sandbox = build_sandbox(seed=0, clock=fixed_clock())
    async with connect(sandbox, **(OAT if token == "oat" else {})) as client:
        listed = {r.uri: r.mime_type for r in (await client.list_resources()).resources}
        contents = {
            uri: (await client.read_resource(uri)).contents
            for uri in ("ui://dockerhub-mcp/cleanup-plan.html", "ui://dockerhub-mcp/audit.html")
        }

    assert {uri: APP_MIME_TYPE for uri in contents} == listed
    for uri, (content,) in contents.items():
        text = getattr(content, "text", "")
        assert (uri, APP_MIME_TYPE) == (uri, content.mime_type)
        assert text.lower().startswith("<!doctype html>"), uri
        assert [] == NETWORK.findall(text), uri
        assert 1 == text.count("<script"), uri
