"""Where real Hub is less kind than a simulator: byte limits, missing write routes, lenient sign-ins, refused
tokens, broken listings, timestamp Retry-After, and hostile or huge answers. Each case switches on the
sandbox quirk or fault that plays it, and goes through the MCP client or the command line."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from mcp import Client

from dockerhub_mcp.cli import main
from dockerhub_mcp.config import HttpSettings, Settings
from dockerhub_mcp.sandbox import SANDBOX_TOKEN, Fault, Sandbox, build_sandbox
from dockerhub_mcp.sandbox.server import serving
from helpers import error_text, fixed_clock, measured, planned_tags, read_json, run, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]
ROOT = Path(__file__).parent.parent
TAGLINE = "é" * 50 + "x"  # 51 characters, 101 bytes: within 100 characters, over 100 bytes
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLW9mLWEtand0"  # shaped like one, as Hub's are


# -- descriptions are counted in bytes ----------------------------------------------------------------


async def test_a_description_over_100_bytes_is_refused_unsent_even_under_100_characters(
    client: Client, sandbox: Sandbox
) -> None:
    """Hub counts UTF-8 bytes: a 51-character, 101-byte tagline is refused before anything is sent."""
    text = error_text(await client.call_tool("update_description", {"repository": "web", "description": TAGLINE}))

    assert "101 bytes" in text and "100 bytes" in text
    assert [] == sandbox.api_requests(method="PATCH")


async def test_the_bulk_pre_check_counts_bytes(client: Client, sandbox: Sandbox) -> None:
    """A replacement that stays under 100 characters but not under 100 bytes refuses the whole run."""
    sandbox.state.add_repository("demo", "menu", description="Acme " + "x" * 40)

    text = error_text(
        await client.call_tool(
            "bulk_update_descriptions",
            {"find": "Acme", "replace": "Café " * 10, "repositories": ["menu"], "dry_run": False},
        )
    )

    assert len("Café " * 10 + " " + "x" * 40) < 100
    assert "menu (description, 101 bytes)" in text
    assert [] == sandbox.api_requests(method="PATCH")


async def test_the_sandbox_refuses_over_100_bytes_like_hub(sandbox: Sandbox, connect: Connect) -> None:
    """The simulator holds the same byte limit: a raw PATCH of 101 bytes is a 400."""
    async with connect() as c:
        result = await c.call_tool(
            "hub_request",
            {"method": "PATCH", "path": "/v2/namespaces/demo/repositories/web", "body": {"description": TAGLINE}},
        )

    assert "no more than 100 bytes" in error_text(result)


async def test_hub_storing_something_else_is_said_not_hidden(client: Client, sandbox: Sandbox) -> None:
    """Hub answered 200 yet kept the old text: the tool says so, and a bulk run counts it as failed."""
    sandbox.state.quirks.ignore_descriptions = True

    single = structured(await client.call_tool("update_description", {"repository": "web", "description": "New"}))
    bulk = structured(
        await client.call_tool("bulk_update_descriptions", {"find": "Acme", "replace": "Apex", "dry_run": False})
    )

    assert (False, "Docker Hub answered with another description than was sent.") == (
        single["stored_as_sent"],
        single["note"],
    )
    assert bulk["totals"]["failed"] >= 1 and 0 == bulk["totals"]["changed"]
    assert all("Docker Hub stored another description" in c["reason"] for c in bulk["changes"])


# -- the legacy write routes --------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["405", "html_404"])
async def test_writes_fall_back_to_the_legacy_routes_once_and_remember(
    client: Client, sandbox: Sandbox, missing: str
) -> None:
    """Where the canonical PATCH and tag DELETE are not served (405, or an HTML 404), the legacy forms with
    their slash are sent, and sent first from then on."""
    sandbox.state.quirks.canonical_writes = missing  # type: ignore[assignment]  # one of the quirk's values
    victims = [t.name for t in sandbox.state.tags("demo", "worker") if t.name != "latest"][:2]

    for victim in victims:
        structured(await client.call_tool("delete_tag", {"repository": "worker", "tag": victim}))
    for text in ("one", "two"):
        structured(await client.call_tool("update_description", {"repository": "web", "description": text}))

    sent = [(r.method, r.path) for r in sandbox.api_requests() if r.method in ("PATCH", "DELETE")]
    assert [
        ("DELETE", f"/v2/namespaces/demo/repositories/worker/tags/{victims[0]}"),
        ("DELETE", f"/v2/repositories/demo/worker/tags/{victims[0]}/"),
        ("DELETE", f"/v2/repositories/demo/worker/tags/{victims[1]}/"),
        ("PATCH", "/v2/namespaces/demo/repositories/web"),
        ("PATCH", "/v2/repositories/demo/web/"),
        ("PATCH", "/v2/repositories/demo/web/"),
    ] == sent
    repo = sandbox.state.repository("demo", "web")
    assert repo is not None and "two" == repo.description
    assert not {t.name for t in sandbox.state.tags("demo", "worker")} & set(victims)


async def test_a_json_404_is_a_missing_tag_and_never_sent_again_elsewhere(client: Client, sandbox: Sandbox) -> None:
    """Hub's JSON 404 means the tag is not there: not found, and no legacy route is tried."""
    text = error_text(await client.call_tool("delete_tag", {"repository": "worker", "tag": "no-such-tag"}))

    assert "Not found" in text
    assert [("DELETE", "/v2/namespaces/demo/repositories/worker/tags/no-such-tag")] == [
        (r.method, r.path) for r in sandbox.api_requests(method="DELETE")
    ]


async def test_hub_request_never_sends_the_legacy_write_forms(client: Client, sandbox: Sandbox) -> None:
    """The fallback is the client's own: asked for directly, the legacy form is declined, naming the canonical."""
    text = error_text(
        await client.call_tool("hub_request", {"method": "DELETE", "path": "/v2/repositories/demo/web/tags/dev/"})
    )

    assert "use DELETE /v2/namespaces/{namespace}/repositories/{repository}/tags/{tag} instead" in text
    assert [] == sandbox.requests


# -- who the token belongs to ------------------------------------------------------------------------


def test_check_reports_a_token_signed_in_as_another_account(capsys: pytest.CaptureFixture[str], env: Env) -> None:
    """Hub was seen taking a PAT with any username: --check compares the JWT's owner and says so (exit 1)."""
    sandbox = build_sandbox(clock=fixed_clock())
    sandbox.state.quirks.any_identifier = True
    sandbox.state.add_user("mallory")
    env(DOCKERHUB_USERNAME="mallory")

    code = main(["--check"], transport=httpx_transport(sandbox))

    out = capsys.readouterr().out
    assert 1 == code
    assert "signed the token in as 'demo', not as DOCKERHUB_USERNAME 'mallory'" in out


def test_a_mixed_case_username_is_accepted_and_lowercased(capsys: pytest.CaptureFixture[str], env: Env) -> None:
    """`Demo` is the Docker ID `demo`: accepted, lowercased, and it matches the token's owner."""
    env(DOCKERHUB_USERNAME="Demo")

    code = main(["--check"], transport=httpx_transport(build_sandbox(clock=fixed_clock())))

    assert (0, "ok: signed in to https://hub.sandbox.test as demo with a personal access token\n") == (
        code,
        capsys.readouterr().out,
    )


async def test_get_connection_warns_when_the_token_belongs_to_another_account(
    connect: Connect, sandbox: Sandbox
) -> None:
    """After the first exchange, get_connection names the account the token really signs in as."""
    sandbox.state.quirks.any_identifier = True
    sandbox.state.add_user("mallory")
    async with connect(username="mallory") as c:
        before = structured(await c.call_tool("get_connection", {}))
        await c.call_tool("list_repositories", {"namespace": "demo"})
        after = structured(await c.call_tool("get_connection", {}))

    assert "warning" not in before
    assert "signed the token in as 'demo'" in after["warning"]


# -- refused tokens do not turn into a stream of logins ------------------------------------------------


async def test_a_token_refused_right_after_its_exchange_stops_a_bulk_apply(client: Client, sandbox: Sandbox) -> None:
    """Every JWT answered 401: one re-exchange, then the run stops; the rest are 'not attempted', unsent."""
    plan = structured(
        await client.call_tool(
            "plan_tag_cleanup", {"repositories": ["worker"], "older_than_days": 0, "keep": [], "allow_protected": True}
        )
    )
    exchanges, sent = sandbox.exchanges, len(sandbox.requests)
    sandbox.state.revoke_jwts()
    sandbox.state.quirks.refuse_jwts = True

    report = structured(await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True}))
    outcomes = (await read_json(client, report["outcomes_uri"]))["outcomes"]

    assert 1 == sandbox.exchanges - exchanges
    assert len(sandbox.requests) - sent <= 4  # the listing, its retry after the re-exchange, that exchange
    assert (40, 40) == (report["totals"]["failed"], len(outcomes))
    assert sum("Not attempted" in o["reason"] for o in outcomes) == 40
    assert 40 == len(sandbox.state.tags("demo", "worker"))


async def test_after_a_refused_fresh_token_calls_fail_at_once_for_a_minute(client: Client, sandbox: Sandbox) -> None:
    """Once Hub refuses a JWT it had just issued, calls fail without a request until the cool-down ends."""
    await client.call_tool("list_repositories", {})
    sandbox.state.quirks.refuse_jwts = True
    structured_error = await client.call_tool("list_repositories", {})  # the 401 that marks the token refused
    sandbox.state.quirks.refuse_jwts = False
    sent, exchanges = len(sandbox.requests), sandbox.exchanges

    refused = await client.call_tool("list_repositories", {})
    sandbox.clock.advance(61)
    later = await client.call_tool("list_repositories", {})

    assert structured_error.is_error
    assert "even a token it had just issued was rejected" in error_text(refused)
    assert not later.is_error
    assert (1, 2) == (sandbox.exchanges - exchanges, len(sandbox.requests) - sent)


# -- listings ------------------------------------------------------------------------------------------


async def test_tag_names_are_filtered_here_when_hub_ignores_the_filter(client: Client, sandbox: Sandbox) -> None:
    """The canonical tags route does not document `name`: the client filters each page itself as well."""
    sandbox.state.quirks.ignore_tag_name_filter = True

    page = structured(await client.call_tool("list_tags", {"repository": "web", "name": "prod-", "page_size": 100}))

    assert page["tags"] and all("prod-" in t["name"] for t in page["tags"])


async def test_a_list_that_breaks_off_is_not_planned_from_its_first_part(client: Client, sandbox: Sandbox) -> None:
    """Page 2 of web's tags 404s though 180 are counted: web is not planned on the 100 it saw."""
    sandbox.faults.add(Fault("status", status=404, times=None, path="/web/tags$", query="page=2"))

    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 0, "keep": []}))

    failure = next(f for f in plan["failures"] if f["repository"] == "web")
    assert "broke off at page 2 after 100 of the 180 entries" in failure["reason"]
    assert "web" not in {r["repository"] for r in plan["repositories"]}


async def test_a_stale_next_after_the_last_page_ends_the_list(client: Client, sandbox: Sandbox) -> None:
    """Hub links a page past the end that then 404s: once every counted entry was read, that is the end."""
    rules = {"older_than_days": 0, "keep": [], "repositories": ["web"]}
    honest = await planned_tags(client, structured(await client.call_tool("plan_tag_cleanup", rules)))
    sandbox.state.quirks.stale_next = True

    plan = structured(await client.call_tool("plan_tag_cleanup", rules))

    assert [] == plan["failures"]
    assert len(honest) > 100  # more than one page
    assert honest == await planned_tags(client, plan)


async def test_a_next_link_past_the_count_is_not_followed_for_ever(client: Client, sandbox: Sandbox) -> None:
    """A `next` that promises page 5 of a one-page list stops the walk with an error, not an endless read."""
    body = {
        "count": 1,
        "next": "http://hub.sandbox.test/v2/namespaces/demo/repositories/docs/tags?page=5&page_size=100",
        "previous": None,
        "results": [{"name": "v1", "digest": "sha256:" + "a" * 64, "tag_last_pushed": "2020-01-01T00:00:00Z"}],
    }
    sandbox.faults.add(Fault("status", status=200, times=None, path="/docs/tags$", body=body))

    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 0, "repositories": ["docs"]}))

    assert ["docs"] == [f["repository"] for f in plan["failures"]]
    assert 1 == len(sandbox.api_requests(path_prefix="/v2/namespaces/demo/repositories/docs/tags"))


# -- rate limits as Hub words them ----------------------------------------------------------------------


async def test_a_retry_after_given_as_a_unix_timestamp_is_waited_for_exactly(
    connect: Connect, sandbox: Sandbox
) -> None:
    """A real 429 carried Retry-After equal to X-RateLimit-Reset, a unix time: the client waits until then."""
    sandbox.state.quirks.retry_after_timestamp = True
    sandbox.faults.add(Fault("rate_limit", retry_after=20, times=1, path="/tags$"))
    before = sandbox.clock.now()

    async with connect(max_retry_wait=60) as c:
        result = await c.call_tool("list_tags", {"repository": "web"})

    assert not result.is_error
    assert 19 <= sandbox.clock.now() - before <= 22
    (limited,) = [r for r in sandbox.requests if r.status == 429]
    assert limited.path.endswith("/tags")


# -- what leaves the server ---------------------------------------------------------------------------


def echo_body(secret: str, jwt: str) -> dict[str, Any]:
    """A 2xx body that echoes credentials as a proxy or a debug endpoint might: plain, escaped, encoded."""
    return {
        "headers": {"Authorization": f"Bearer {jwt}", "X-Token": secret},
        "escaped": json.dumps(secret)[1:-1],
        "encoded": quote(secret, safe=""),
        "jwt_encoded": quote(jwt, safe=""),
    }


@pytest.mark.parametrize("token", ["dckr_pat_canary_0123456789abcdef", "canary/token+with=odd chars&more"])
async def test_hub_request_scrubs_credentials_echoed_in_a_2xx_body(
    connect: Connect, sandbox: Sandbox, token: str
) -> None:
    """Plain, JSON-escaped or URL-encoded: no echo of the token or the JWT survives into the result."""
    sandbox.state.add_pat("demo", token, "repo:admin")
    sandbox.faults.add(Fault("status", status=200, times=1, path="/web$", body=echo_body(token, JWT)))
    async with connect(token=token) as c:
        result = await c.call_tool("hub_request", {"method": "GET", "path": "/v2/namespaces/demo/repositories/web"})

    wire = json.dumps(result.model_dump(mode="json"))
    for form in (token, json.dumps(token)[1:-1], quote(token, safe=""), JWT):
        assert form not in wire
    assert "[redacted]" in wire


@pytest.mark.subprocess
def test_verbose_logs_keep_header_values_and_tokens_out(tmp_path: Path) -> None:
    """With -v, httpcore2 traces response headers: a Set-Cookie carrying a JWT must not reach stderr."""
    hub = build_sandbox()
    cookie = {"Set-Cookie": f"session={JWT}; Path=/"}
    empty = {"count": 0, "results": []}
    hub.faults.add(Fault("status", status=200, times=None, path="/repositories$", body=empty, headers=cookie))
    with serving(hub.app) as url:
        result = subprocess.run(
            [sys.executable, "-m", "dockerhub_mcp", "-v", "audit", "--since", "1h"],
            env=child_env(DOCKERHUB_API_URL=url),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert "set-cookie" in result.stderr.lower()  # the trace is there...
    assert JWT not in result.stderr and SANDBOX_TOKEN not in result.stderr  # ...its values are not
    assert not re.search(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.", result.stderr)


# -- robustness ---------------------------------------------------------------------------------------


async def test_a_deeply_nested_error_body_fails_one_tag_not_the_apply(client: Client, sandbox: Sandbox) -> None:
    """An error body nested 100,000 deep is unreadable, not fatal: that tag fails, the rest are deleted."""
    rules = {"repositories": ["worker"], "older_than_days": 0, "keep": [], "allow_protected": True}
    plan = structured(await client.call_tool("plan_tag_cleanup", rules))
    victim = (await planned_tags(client, plan))[3][1]
    nested = b'{"detail":' * 100_000 + b"1" + b"}" * 100_000
    fault = Fault("status", status=400, times=None, method="DELETE", path=f"/tags/{victim}$", raw_body=nested)
    sandbox.faults.add(fault)

    report = structured(await client.call_tool("apply_tag_cleanup", {"plan_id": plan["plan_id"], "confirm": True}))

    assert (39, 1) == (report["totals"]["deleted"], report["totals"]["failed"])
    assert [victim] == [f["tag"] for f in report["failures"]]


async def test_a_timestamp_without_an_offset_is_read_as_utc(client: Client, sandbox: Sandbox) -> None:
    """One tag pushed at a naive `2020-01-01T00:00:00`: planned as UTC, not a TypeError for the whole plan."""
    body = {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {"name": "naive", "digest": "sha256:" + "a" * 64, "tag_last_pushed": "2020-01-01T00:00:00"},
            {"name": "aware", "digest": "sha256:" + "b" * 64, "tag_last_pushed": "2020-01-01T00:00:00Z"},
        ],
    }
    sandbox.faults.add(Fault("status", status=200, times=None, path="/docs/tags$", body=body))

    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 30, "repositories": ["docs"]}))

    assert ([], 2) == (plan["failures"], plan["totals"]["tags"])
    assert {"2020-01-01T00:00:00Z"} == {t["pushed"] for t in plan["sample"]}


async def test_an_answer_over_32_mb_is_refused_as_it_streams(client: Client, sandbox: Sandbox) -> None:
    """A 100 MB answer is cut off past 32 MB and reported, never read whole."""
    sandbox.faults.add(Fault("huge", times=None, path="/web/tags$", size=100_000_000))

    text = error_text(await client.call_tool("list_tags", {"repository": "web"}))

    assert "larger than 32 MB: not read" in text


@pytest.mark.subprocess
async def test_plain_http_with_proxy_variables_never_goes_through_the_proxy(tmp_path: Path) -> None:
    """A plain-http loopback Hub with HTTP_PROXY/ALL_PROXY set: the PAT goes straight to the Hub, not the proxy."""
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen()
    proxy.settimeout(0.5)
    proxy_url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    with serving(build_sandbox().app) as url:
        process = await anyio.run_process(
            [sys.executable, "-m", "dockerhub_mcp", "--check"],
            env=child_env(DOCKERHUB_API_URL=url, HTTP_PROXY=proxy_url, ALL_PROXY=proxy_url, http_proxy=proxy_url),
            check=False,
        )
    try:
        proxy.accept()
        reached = True
    except TimeoutError:
        reached = False
    finally:
        proxy.close()

    assert (0, False) == (process.returncode, reached)


# -- bad values and configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "variables", "says"),
    [
        (["--check"], {"DOCKERHUB_API_URL": "http://[127.0.0.1]"}, "DOCKERHUB_API_URL is not a valid URL"),
        (["--check"], {"DOCKERHUB_API_URL": "HTTP://remote.example"}, "must use https://"),
        (["cleanup", "--older-than", "99999999999d"], {}, "longer than a century"),
        (["audit", "--since", "1e9h"], {}, "not a duration"),
    ],
    ids=["bracketed-ipv4", "upper-case-http", "huge-retention", "odd-window"],
)
def test_bad_values_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], env: Env, argv: list[str], variables: dict[str, str], says: str
) -> None:
    """Each bad value is one line on stderr and exit 2: no traceback, nothing sent."""
    env(**variables)

    code = run(argv)

    err = capsys.readouterr().err
    assert (2, 1) == (code, len(err.strip().splitlines()))
    assert says in err


async def test_an_absurd_retention_is_a_clear_tool_error(client: Client, sandbox: Sandbox) -> None:
    """older_than_days of 10**10 is refused by the schema with the limit named, not 'Error executing tool'."""
    text = error_text(await client.call_tool("plan_tag_cleanup", {"older_than_days": 10**10}))

    assert "less than or equal to 36500" in text
    assert [] == sandbox.requests


def test_sandbox_mode_reads_every_setting_like_any_other(capsys: pytest.CaptureFixture[str], env: Env) -> None:
    """`--sandbox` honours DOCKERHUB_PROTECTED_TAGS, DOCKERHUB_TIMEOUT and DOCKERHUB_MAX_RETRY_WAIT: one path."""
    env(DOCKERHUB_PROTECTED_TAGS="prod-*", DOCKERHUB_TIMEOUT="7", DOCKERHUB_MAX_RETRY_WAIT="3")

    code = main(["--sandbox", "cleanup", "--older-than", "0d", "--json", "--keep-latest", "0"])

    plan = json.loads(capsys.readouterr().out)
    assert 0 == code
    assert ["latest", "prod-*"] == plan["protect"]


def test_the_readme_server_json_and_the_settings_name_the_same_variables() -> None:
    """Every variable the server reads is documented in the README table and listed in server.json."""
    config = (ROOT / "dockerhub_mcp" / "config.py").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    read = set(re.findall(r'"(DOCKERHUB_[A-Z_]+)"', config))
    table = set(re.findall(r"^\| `(DOCKERHUB_[A-Z_]+)` \|", readme, re.MULTILINE))
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    listed = {v["name"] for package in server["packages"] for v in package["environmentVariables"]}

    assert read == table == listed
    assert {"DOCKERHUB_MCP_MAX_SESSIONS", "DOCKERHUB_TOKEN_KIND", "DOCKERHUB_MCP_PLAN_KEY"} <= read
    assert set(Settings.model_fields) and set(HttpSettings.model_fields)


async def test_writes_that_replace_text_are_marked_destructive(client: Client) -> None:
    """update_description and bulk_update_descriptions overwrite text: hosts must ask before them."""
    tools = (await client.list_tools()).tools
    hints = {t.name: t.annotations.destructive_hint for t in tools if t.annotations is not None}

    assert (True, True) == (hints["update_description"], hints["bulk_update_descriptions"])


# -- helpers ------------------------------------------------------------------------------------------------

Env = Callable[..., None]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Env:
    """Set the demo account's DOCKERHUB_* variables (and no others), then the given ones."""
    for name in list(os.environ):
        if name.startswith("DOCKERHUB_"):
            monkeypatch.delenv(name)
    defaults = {
        "DOCKERHUB_USERNAME": "demo",
        "DOCKERHUB_TOKEN": SANDBOX_TOKEN,
        "DOCKERHUB_API_URL": "https://hub.sandbox.test",
    }

    def set_all(**variables: str) -> None:
        for name, value in {**defaults, **variables}.items():
            monkeypatch.setenv(name, value)

    set_all()
    return set_all


def httpx_transport(sandbox: Sandbox) -> Any:
    """The sandbox as an httpx2 transport."""
    import httpx2

    return httpx2.ASGITransport(app=sandbox.app)


def child_env(**variables: str) -> dict[str, str]:
    """A child process's environment: PATH, the demo account, and `variables`."""
    return measured(
        {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DOCKERHUB_USERNAME": "demo",
            "DOCKERHUB_TOKEN": SANDBOX_TOKEN,
            **variables,
        }
    )
