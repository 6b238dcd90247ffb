"""Accounts and organizations through the MCP client: metadata with any token, and with an organization access
token (OAT) the members, teams, invites, audit log and team access of the organization `acme`."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mcp import Client
from mcp.client import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult, ErrorData

from dockerhub_mcp.sandbox import SANDBOX_OAT, Sandbox
from helpers import error_text, open_client, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]
OAT = {"username": "acme", "token": SANDBOX_OAT, "token_kind": "oat"}
ORG_TOOLS = {
    "list_org_members",
    "list_teams",
    "list_team_members",
    "list_invites",
    "get_audit_log",
    "add_team_member",
    "remove_team_member",
    "revoke_team_access",
}


@pytest.fixture
async def org(connect: Connect) -> AsyncIterator[Client]:
    """An in-memory client on a server connected with acme's organization access token."""
    async with connect(**OAT) as c:
        yield c


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    """Every request that could change Hub: anything but GET and HEAD (token exchanges aside)."""
    return [(r.method, r.path) for r in sandbox.api_requests() if r.method not in ("GET", "HEAD")]


# -- metadata with any token -----------------------------------------------------------------------


async def test_list_namespaces_with_a_pat_is_the_user_and_their_organizations(client: Client) -> None:
    """The user's own namespace first, then each organization with the user's role and teams in it."""
    page = structured(await client.call_tool("list_namespaces", {}))

    assert 2 == page["count"]
    own, acme = page["namespaces"]
    assert ("demo", "user", "Demo User", "Berlin") == (own["name"], own["kind"], own["full_name"], own["location"])
    assert ("acme", "organization", "Acme Corp", "owner", ["ops"]) == (
        acme["name"],
        acme["kind"],
        acme["full_name"],
        acme["role"],
        acme["teams"],
    )


async def test_list_namespaces_with_an_oat_is_the_organization_alone(org: Client, sandbox: Sandbox) -> None:
    """An organization's token acts in that organization only, and never calls the user route."""
    page = structured(await org.call_tool("list_namespaces", {}))

    assert (1, ["acme"]) == (page["count"], [n["name"] for n in page["namespaces"]])
    assert [] == sandbox.api_requests(path_prefix="/v2/user")


@pytest.mark.parametrize(
    ("namespace", "expected"),
    [
        ("acme", {"name": "acme", "kind": "organization", "full_name": "Acme Corp", "company": "Acme"}),
        ("alice", {"name": "alice", "kind": "user", "full_name": "Alice Archer", "company": "Acme"}),
    ],
)
async def test_get_namespace_reads_the_profile_of_an_organization_or_a_user(
    client: Client, sandbox: Sandbox, namespace: str, expected: dict[str, str]
) -> None:
    """The organization route first, the user route for a user; with the repository count."""
    profile = structured(await client.call_tool("get_namespace", {"namespace": namespace}))

    assert expected.items() <= profile.items()
    assert len(sandbox.state.repositories(namespace)) == profile["repositories"]
    assert profile["joined"].endswith("Z")


async def test_get_namespace_of_an_unknown_name_is_a_clear_not_found(client: Client) -> None:
    """Neither an organization nor a user: one error that says so."""
    text = error_text(await client.call_tool("get_namespace", {"namespace": "nobody-here"}))

    assert "no user or organization is named 'nobody-here'" in text


async def test_search_images_finds_public_images_and_filters_official_ones(client: Client, sandbox: Sandbox) -> None:
    """The public search: best match first, the official badge, and no credentials sent with it."""
    found = structured(await client.call_tool("search_images", {"query": "nginx"}))
    official = structured(await client.call_tool("search_images", {"query": "e", "official_only": True}))

    assert "nginx" == found["images"][0]["name"]
    assert ("official", "Docker") == (found["images"][0]["badge"], found["images"][0]["publisher"])
    assert {"demo/web"} <= {i["name"] for i in found["images"]}
    assert official["images"] and all(i["badge"] == "official" for i in official["images"])
    assert {"none"} == {r.auth for r in sandbox.api_requests(path_prefix="/api/search")}


async def test_search_images_pages_through_the_results(client: Client) -> None:
    """`page` and `page_size` walk the results without repeating any."""
    first = structured(await client.call_tool("search_images", {"query": "a", "page_size": 3}))
    second = structured(await client.call_tool("search_images", {"query": "a", "page_size": 3, "page": 2}))

    assert (2, first["total"]) == (first["next_page"], second["total"])
    assert not {i["name"] for i in first["images"]} & {i["name"] for i in second["images"]}


async def test_create_repository_creates_it_and_refuses_bad_names_unsent(client: Client, sandbox: Sandbox) -> None:
    """A new repository exists afterwards; a name that breaks Docker's rules never reaches Hub."""
    created = structured(
        await client.call_tool(
            "create_repository", {"name": "new-service", "description": "A new service", "is_private": True}
        )
    )
    sent = len(sandbox.requests)
    bad = await client.call_tool("create_repository", {"name": "New_Service!"})
    again = await client.call_tool("create_repository", {"name": "new-service"})

    repo = sandbox.state.repository("demo", "new-service")
    assert repo is not None and repo.is_private and "A new service" == repo.description
    assert ("new-service", "demo", True) == (created["name"], created["namespace"], created["is_private"])
    assert "Invalid repository name 'New_Service!'" in error_text(bad)
    assert "already exists" in error_text(again)
    assert 1 == sum(1 for r in sandbox.requests[sent:] if r.method == "POST")


async def test_get_repository_access_says_which_teams_can_push(client: Client) -> None:
    """ "Who can push to acme/platform?": the teams with write or admin on it."""
    access = structured(
        await client.call_tool("get_repository_access", {"namespace": "acme", "repository": "platform"})
    )

    assert [
        {"group_id": 101, "team": "developers", "permission": "write"},
        {"group_id": 102, "team": "ops", "permission": "admin"},
    ] == access["teams"]


# -- what each token kind may do -------------------------------------------------------------------


async def test_with_a_pat_the_organization_tools_are_not_listed(client: Client) -> None:
    """The PAT tool set has no member, team, invite or audit-log tools: Hub refuses them to PATs."""
    names = {t.name for t in (await client.list_tools()).tools}

    assert not names & ORG_TOOLS
    assert {"list_namespaces", "get_namespace", "search_images", "get_repository_access"} <= names


async def test_with_an_oat_every_organization_tool_is_listed(org: Client) -> None:
    """The OAT tool set adds the organization tools to the rest."""
    names = {t.name for t in (await org.list_tools()).tools}

    assert ORG_TOOLS <= names


@pytest.mark.parametrize(
    ("token", "path", "needs"),
    [
        ("pat", "/v2/orgs/acme/members", "needs a Docker Hub organization access token (OAT)"),
        ("pat", "/v2/auditlogs/acme", "needs a Docker Hub organization access token (OAT)"),
        ("oat", "/v2/user/orgs", "needs a Docker Hub personal access token (PAT)"),
    ],
)
async def test_hub_request_declines_the_other_kinds_routes_before_sending(
    connect: Connect, sandbox: Sandbox, token: str, path: str, needs: str
) -> None:
    """A route the connected token kind cannot use is declined, naming the kind needed; nothing is sent."""
    async with connect(**(OAT if token == "oat" else {})) as c:
        text = error_text(await c.call_tool("hub_request", {"method": "GET", "path": path}))

    assert needs in text
    assert [] == sandbox.requests


async def test_a_team_name_with_a_pat_is_refused_naming_what_can_resolve_it(client: Client, sandbox: Sandbox) -> None:
    """With a PAT a team name cannot become an id: refused before anything is sent, pointing to group_id."""
    text = error_text(
        await client.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "team": "ops", "permission": "read"}
        )
    )

    assert "organization access token" in text and "group_id" in text
    assert [] == sandbox.requests


@pytest.mark.parametrize("arguments", [{}, {"team": "ops", "group_id": 102}], ids=["neither", "both"])
async def test_a_grant_needs_exactly_one_of_team_and_group_id(
    org: Client, sandbox: Sandbox, arguments: dict[str, Any]
) -> None:
    """Neither or both: a clear error and nothing sent."""
    text = error_text(
        await org.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "permission": "read", **arguments}
        )
    )

    assert "one of the two" in text
    assert [] == sandbox.requests


# -- with an organization access token -------------------------------------------------------------


async def test_members_can_be_searched_by_username_name_or_email_and_by_role(org: Client) -> None:
    """`search` matches username, full name or email; `role` keeps one role; owners see emails."""
    everyone = structured(await org.call_tool("list_org_members", {}))
    by_name = structured(await org.call_tool("list_org_members", {"search": "Archer"}))
    by_email = structured(await org.call_tool("list_org_members", {"search": "bob@acme"}))
    editors = structured(await org.call_tool("list_org_members", {"role": "editor"}))

    assert ["alice", "bob", "carol", "demo"] == [m["username"] for m in everyone["members"]]
    assert {
        "username": "alice",
        "full_name": "Alice Archer",
        "email": "alice@acme.example",
        "role": "editor",
        "teams": ["developers"],
    } == everyone["members"][0]
    assert (["alice"], ["bob"], ["alice"]) == tuple(
        [m["username"] for m in page["members"]] for page in (by_name, by_email, editors)
    )


async def test_teams_and_their_members_are_listed(org: Client) -> None:
    """The teams with ids and counts, and one team's members."""
    teams = structured(await org.call_tool("list_teams", {}))
    developers = structured(await org.call_tool("list_team_members", {"team": "developers"}))

    assert [("developers", 101, 2), ("ops", 102, 2)] == [(t["name"], t["id"], t["members"]) for t in teams["teams"]]
    assert ["alice", "bob"] == [m["username"] for m in developers["members"]]


async def test_pending_invites_are_listed(org: Client) -> None:
    """Each invite with invitee, team and inviter."""
    invites = structured(await org.call_tool("list_invites", {}))

    assert [("dave", "developers", "demo"), ("erin@acme.example", "ops", "demo")] == [
        (i["invitee"], i["team"], i["inviter"]) for i in invites["invites"]
    ]


async def test_adding_and_removing_a_team_member_changes_the_team(org: Client, sandbox: Sandbox) -> None:
    """Add carol to developers; removing her needs confirmation where the host cannot ask."""
    added = structured(await org.call_tool("add_team_member", {"team": "developers", "username": "carol"}))
    sent = len(writes(sandbox))
    refused = await org.call_tool("remove_team_member", {"team": "developers", "username": "carol"})
    unsent = len(writes(sandbox))
    removed = structured(
        await org.call_tool("remove_team_member", {"team": "developers", "username": "carol", "confirm": True})
    )

    developers = sandbox.state.orgs["acme"].groups[101].members
    assert (True, False) == (added["member"], removed["member"])
    assert "Not removed (confirm=true was not given): nothing was sent." in error_text(refused)
    assert sent == unsent
    assert "carol" not in developers


async def test_the_user_is_asked_before_removing_a_team_member(sandbox: Sandbox) -> None:
    """Where the host can ask, the prompt names the user, the team and the organization; a no sends nothing."""
    prompts: list[str] = []

    async def decline(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        prompts.append(params.message)
        return ElicitResult(action="decline")

    async with open_client(sandbox, elicitation_callback=decline, **OAT) as c:
        before = len(writes(sandbox))
        text = error_text(
            await c.call_tool("remove_team_member", {"team": "ops", "username": "carol", "confirm": True})
        )

    assert ["Remove carol from team 'ops' of acme? They lose what the team gives them."] == prompts
    assert "Not removed (the user declined)" in text
    assert before == len(writes(sandbox))
    assert "carol" in sandbox.state.orgs["acme"].groups[102].members


async def test_grant_team_access_by_name_grants_the_right_team(org: Client, sandbox: Sandbox) -> None:
    """With an OAT, 'ops' resolves to team 102, which is granted and then changed by PATCH."""
    granted = structured(
        await org.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "team": "ops", "permission": "read"}
        )
    )
    changed = structured(
        await org.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "team": "OPS", "permission": "write"}
        )
    )
    unchanged = structured(
        await org.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "group_id": 102, "permission": "write"}
        )
    )

    assert [(102, "ops", "granted"), (102, "ops", "changed"), (102, "ops", "unchanged")] == [
        (r["group_id"], r["group_name"], r["change"]) for r in (granted, changed, unchanged)
    ]
    assert [("POST", "/v2/repositories/acme/tools/groups/"), ("PATCH", "/v2/repositories/acme/tools/groups/102/")] == (
        writes(sandbox)
    )
    tools = sandbox.state.repository("acme", "tools")
    assert tools is not None and {101: "read", 102: "write"} == tools.grants


async def test_an_unknown_team_name_is_a_clear_error_and_nothing_is_written(org: Client, sandbox: Sandbox) -> None:
    """A name that is no team of the organization: not found, and no grant sent."""
    text = error_text(
        await org.call_tool(
            "grant_team_access", {"namespace": "acme", "repository": "tools", "team": "qa", "permission": "read"}
        )
    )

    assert "Organization 'acme' has no team named 'qa'." in text
    assert [] == writes(sandbox)


async def test_revoking_team_access_needs_confirmation_and_then_removes_the_grant(
    org: Client, sandbox: Sandbox
) -> None:
    """Without confirm nothing is sent; with it, the grant is gone and get_repository_access says so."""
    arguments = {"namespace": "acme", "repository": "platform", "team": "developers"}
    refused = await org.call_tool("revoke_team_access", arguments)
    unsent = list(writes(sandbox))
    revoked = structured(await org.call_tool("revoke_team_access", {**arguments, "confirm": True}))
    access = structured(await org.call_tool("get_repository_access", {"namespace": "acme", "repository": "platform"}))

    assert "Not revoked (confirm=true was not given)" in error_text(refused)
    assert [] == unsent
    assert (101, True) == (revoked["group_id"], revoked["revoked"])
    assert ["ops"] == [t["team"] for t in access["teams"]]


async def test_the_audit_log_records_what_this_server_did_and_filters(org: Client, sandbox: Sandbox) -> None:
    """A tag deletion and a team change made through the server show up with their actor; filters narrow it."""
    victim = next(t.name for t in sandbox.state.tags("acme", "tools") if t.name != "latest")
    structured(await org.call_tool("delete_tag", {"namespace": "acme", "repository": "tools", "tag": victim}))
    structured(await org.call_tool("add_team_member", {"team": "ops", "username": "alice"}))

    newest = structured(await org.call_tool("get_audit_log", {"page_size": 2}))
    deletions = structured(await org.call_tool("get_audit_log", {"action": "repo.tag.delete"}))
    by_alice = structured(await org.call_tool("get_audit_log", {"actor": "alice", "page_size": 100}))
    later = (datetime.fromtimestamp(sandbox.clock.now(), UTC) + timedelta(minutes=1)).isoformat()
    none_yet = structured(await org.call_tool("get_audit_log", {"since": later}))

    assert ["org.team.member.add", "repo.tag.delete"] == [e["action"] for e in newest["events"]]
    assert 2 == newest["next_page"]
    (deleted,) = deletions["events"]
    assert ("acme", "acme/tools", {"tag": victim}) == (deleted["actor"], deleted["name"], deleted["data"])
    assert by_alice["events"] and {"alice"} == {e["actor"] for e in by_alice["events"]}
    assert [] == none_yet["events"]


async def test_audit_recent_pushes_names_pushers_and_deletions_from_the_audit_log(
    org: Client, sandbox: Sandbox
) -> None:
    """With an OAT the audit names who pushed each tag, as the audit log says, and lists deleted tags."""
    now = sandbox.clock.now()
    sandbox.state.add_tag("acme", "tools", "hotfix", pushed_at=now - 600)
    structured(await org.call_tool("delete_tag", {"namespace": "acme", "repository": "tools", "tag": "hotfix"}))
    # The tag list names a shared CI account as the last updater; the audit log knows carol pushed.
    sandbox.state.add_tag("acme", "tools", "hotfix-2", pushed_at=now - 300, updater="ci-bot")
    sandbox.state.audit[-1] = dataclasses.replace(sandbox.state.audit[-1], actor="carol")

    report = structured(await org.call_tool("audit_recent_pushes", {"namespace": "acme"}))

    pushes = {(t["repository"], t["tag"]): t.get("pushed_by") for t in report["tags"]}
    assert "carol" == pushes[("tools", "hotfix-2")]
    assert [{"repository": "tools", "tag": "hotfix", "deleted_by": "acme"}] == [
        {k: d[k] for k in ("repository", "tag", "deleted_by")} for d in report["deletions"]
    ]
    assert 1 == report["totals"]["deletions"]
    assert "**Deleted**: 1 tags." in report["summary_markdown"]


async def test_audit_recent_pushes_with_a_pat_has_no_deletions(client: Client, sandbox: Sandbox) -> None:
    """A PAT cannot read the audit log: no deletions key, and no request to the audit log route."""
    report = structured(await client.call_tool("audit_recent_pushes", {"namespace": "acme"}))

    assert "deletions" not in report and "deletions" not in report["totals"]
    assert [] == sandbox.api_requests(path_prefix="/v2/auditlogs")


async def test_read_only_with_an_oat_registers_only_the_organization_reads(connect: Connect) -> None:
    """Read-only mode keeps the member, team, invite and audit-log reads, and drops their writes."""
    async with connect(read_only=True, **OAT) as c:
        names = {t.name for t in (await c.list_tools()).tools}

    assert {"list_org_members", "list_teams", "list_team_members", "list_invites", "get_audit_log"} <= names
    assert not {"add_team_member", "remove_team_member", "revoke_team_access", "grant_team_access"} & names


@pytest.mark.parametrize(
    ("tool", "arguments", "key", "expected"),
    [
        ("get_namespace", {}, "name", "acme"),
        ("search_images", {"query": "python"}, "total", 1),
        ("list_repositories", {}, "count", 2),
        ("list_tags", {"repository": "platform"}, "count", 40),
        ("get_repository_access", {"repository": "platform"}, "namespace", "acme"),
        ("create_repository", {"name": "made-by-oat"}, "namespace", "acme"),
        ("plan_tag_cleanup", {"older_than_days": 365}, "namespace", "acme"),
    ],
)
async def test_the_repository_tools_work_with_an_oat_in_its_organization(
    org: Client, tool: str, arguments: dict[str, Any], key: str, expected: object
) -> None:
    """With an OAT the namespace defaults to the organization, and the repository tools work there."""
    result = structured(await org.call_tool(tool, arguments))

    assert expected == result[key]
