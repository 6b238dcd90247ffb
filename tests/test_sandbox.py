"""The sandbox Hub through its HTTP surface: auth, repositories, tags, grants, faults, the request log."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx2
import jwt
import pytest

from dockerhub_mcp.operations import OPERATIONS
from dockerhub_mcp.sandbox import (
    OAT_ONLY_ROUTES,
    PAT_ONLY_ROUTES,
    SANDBOX_OAT,
    SANDBOX_ORG,
    SANDBOX_TOKEN,
    SANDBOX_USERNAME,
    Clock,
    ConnectionDropped,
    Fault,
    Sandbox,
    build_sandbox,
    serve,
)
from dockerhub_mcp.sandbox.server import make_server
from helpers import fixed_clock

pytestmark = pytest.mark.anyio

BASE = "http://hub.sandbox.test"
PAT_403 = {
    "errinfo": {},
    "detail": "token issued from personal access token is not allowed",
    "message": "token issued from personal access token is not allowed",
}
TAG_KEYS = {
    "creator", "id", "images", "last_updated", "last_updater", "last_updater_username", "name", "repository",
    "full_size", "v2", "tag_status", "tag_last_pulled", "tag_last_pushed", "media_type", "content_type",
}  # fmt: skip
IMAGE_KEYS = {
    "architecture", "features", "variant", "digest", "os", "os_features", "os_version", "size", "status",
    "last_pulled", "last_pushed",
}  # fmt: skip


@pytest.fixture
def sb() -> Sandbox:
    """A freshly seeded sandbox Hub."""
    return build_sandbox(seed=0, clock=fixed_clock())


@pytest.fixture
async def hub(sb: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    """An httpx2 client talking to the sandbox app in process."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.app), base_url=BASE) as client:
        yield client


async def exchange(hub: httpx2.AsyncClient, identifier: str = SANDBOX_USERNAME, secret: str = SANDBOX_TOKEN) -> str:
    """A JWT from `POST /v2/auth/token`."""
    response = await hub.post("/v2/auth/token", json={"identifier": identifier, "secret": secret})
    assert 200 == response.status_code, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    """An Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def claims(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified (as a client reads them)."""
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


# -- authentication ---------------------------------------------------------------------------------


async def test_a_pat_exchanges_for_a_jwt_with_hub_claims(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """`/v2/auth/token` turns the demo PAT into a 10-minute JWT carrying Hub's claim layout."""
    token = await exchange(hub)

    found = claims(token)
    assert 600 == found["exp"] - found["iat"]
    assert "repo:admin" == found["scope"]
    assert {"username": "demo", "source": "pat"} == {
        k: found["https://hub.docker.com"][k] for k in ("username", "source")
    }
    assert {"aud", "exp", "iat", "iss", "jti", "scope", "sub", "https://hub.docker.com"} == set(found)
    assert 1 == sb.exchanges


async def test_the_legacy_login_route_also_exchanges_a_pat(hub: httpx2.AsyncClient) -> None:
    """`/v2/users/login` answers `{"token": JWT}` for a username and PAT, and the JWT works."""
    response = await hub.post("/v2/users/login", json={"username": "demo", "password": SANDBOX_TOKEN})
    token = response.json()["token"]

    assert 200 == (await hub.get("/v2/namespaces/demo/repositories/docs", headers=bearer(token))).status_code


async def test_bad_credentials_get_each_routes_own_401_body(hub: httpx2.AsyncClient) -> None:
    """A wrong PAT gets the `error` shape on the new route and the login-error shape on the old one."""
    token = await hub.post("/v2/auth/token", json={"identifier": "demo", "secret": "dckr_pat_wrong"})
    login = await hub.post("/v2/users/login", json={"username": "demo", "password": "dckr_pat_wrong"})

    assert (401, {"errinfo": {}, "detail": "Incorrect authentication credentials", "message": "unauthorized"}) == (
        token.status_code,
        token.json(),
    )
    assert (401, {"detail": "Incorrect authentication credentials", "login_2fa_token": None}) == (
        login.status_code,
        login.json(),
    )


async def test_an_exchange_without_both_fields_is_a_400(hub: httpx2.AsyncClient) -> None:
    """Missing `identifier`/`secret` (or a non-JSON body) is a bad request, not an auth failure."""
    missing = await hub.post("/v2/auth/token", json={"identifier": "demo"})
    garbage = await hub.post("/v2/auth/token", content=b"not json")

    assert [400, 400] == [missing.status_code, garbage.status_code]
    assert "bad request" == missing.json()["message"]


async def test_the_auth_token_route_can_vanish_like_on_an_older_hub(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """With the switch on, `/v2/auth/token` is an HTML 404 and `/v2/users/login` still works."""
    sb.faults.auth_token_route_missing = True

    gone = await hub.post("/v2/auth/token", json={"identifier": "demo", "secret": SANDBOX_TOKEN})
    login = await hub.post("/v2/users/login", json={"username": "demo", "password": SANDBOX_TOKEN})

    assert (404, "text/html") == (gone.status_code, gone.headers["content-type"].split(";")[0])
    assert 200 == login.status_code
    assert 2 == sb.exchanges


async def test_a_password_login_on_a_2fa_account_asks_for_a_second_factor(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """Old-route password logins of 2FA accounts get a `login_2fa_token`; the new route just says no."""
    sb.state.add_user("zoe", password="hunter2", two_factor=True)

    login = await hub.post("/v2/users/login", json={"username": "zoe", "password": "hunter2"})
    token = await hub.post("/v2/auth/token", json={"identifier": "zoe", "secret": "hunter2"})

    assert (401, "Require secondary authentication on MFA enabled account") == (
        login.status_code,
        login.json()["detail"],
    )
    assert login.json()["login_2fa_token"]
    assert 401 == token.status_code


async def test_a_raw_pat_sent_as_bearer_is_refused_with_401(hub: httpx2.AsyncClient) -> None:
    """Hub refuses the PAT itself as a bearer with a bare 401, as working clients saw (hub-facts §10)."""
    response = await hub.get("/v2/namespaces/demo/repositories", headers=bearer(SANDBOX_TOKEN))

    assert (401, {"message": "unauthorized", "errinfo": {}}) == (response.status_code, response.json())


async def test_a_jwt_expires_by_the_sandbox_clock(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """Advancing the sandbox clock past `exp` turns the JWT into a 401 `token expired`."""
    token = await exchange(hub)
    sb.clock.advance(599)
    still_fine = await hub.get("/v2/namespaces/demo/repositories/docs", headers=bearer(token))
    sb.clock.advance(2)
    expired = await hub.get("/v2/namespaces/demo/repositories/docs", headers=bearer(token))

    assert 200 == still_fine.status_code
    assert (401, "token expired") == (expired.status_code, expired.json()["detail"])


async def test_a_shorter_token_lifetime_applies_to_new_jwts(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """`state.token_lifetime` sets `exp - iat` for JWTs minted afterwards."""
    sb.state.token_lifetime = 30

    found = claims(await exchange(hub))

    assert 30 == found["exp"] - found["iat"]


async def test_revoked_jwts_get_401_while_the_pat_still_exchanges(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """`revoke_jwts()` kills every JWT issued so far; a fresh exchange works again."""
    old = await exchange(hub)
    sb.state.revoke_jwts()
    refused = await hub.get("/v2/namespaces/demo/repositories/docs", headers=bearer(old))
    new = await exchange(hub)

    assert (401, {"message": "unauthorized", "errinfo": {}, "detail": "invalid token"}) == (
        refused.status_code,
        refused.json(),
    )
    assert 200 == (await hub.get("/v2/namespaces/demo/repositories/docs", headers=bearer(new))).status_code


async def test_revoking_a_pat_invalidates_the_jwts_minted_from_it(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A JWT whose PAT was revoked later answers 401, and the PAT no longer exchanges."""
    token = await exchange(hub)
    sb.state.revoke_pat(SANDBOX_TOKEN)

    after = await hub.get("/v2/namespaces/demo/repositories/docs", headers=bearer(token))
    again = await hub.post("/v2/auth/token", json={"identifier": "demo", "secret": SANDBOX_TOKEN})

    assert [401, 401] == [after.status_code, again.status_code]


async def test_a_garbage_bearer_is_a_401_invalid_token(hub: httpx2.AsyncClient) -> None:
    """A bearer that is neither a PAT nor one of this Hub's JWTs is `invalid token`."""
    forged = jwt.encode({"sub": "x", "exp": 9999999999, "iat": 0, "jti": "j"}, b"k" * 32, algorithm="HS256")

    for token in ("hello", forged):
        response = await hub.get("/v2/namespaces/demo/repositories", headers=bearer(token))
        assert (401, "invalid token") == (response.status_code, response.json()["detail"])


async def test_oat_only_routes_refuse_pat_derived_jwts(hub: httpx2.AsyncClient) -> None:
    """Every route in the OAT-only table answers 403 with the PAT wording to a PAT-derived JWT."""
    headers = bearer(await exchange(hub))
    probes = [
        ("GET", "/v2/auditlogs/acme"),
        ("GET", "/v2/auditlogs/acme/actions"),
        ("GET", "/v2/orgs/acme/members"),
        ("GET", "/v2/orgs/acme/members/export"),
        ("PUT", "/v2/orgs/acme/members/demo"),
        ("DELETE", "/v2/orgs/acme/members/demo"),
        ("GET", "/v2/orgs/acme/invites"),
        ("DELETE", "/v2/invites/abc"),
        ("PATCH", "/v2/invites/abc/resend"),
        ("POST", "/v2/invites/bulk"),
        ("GET", "/v2/orgs/acme/groups"),
        ("POST", "/v2/orgs/acme/groups"),
        ("PATCH", "/v2/orgs/acme/groups/ops"),
        ("DELETE", "/v2/orgs/acme/groups/ops"),
        ("POST", "/v2/orgs/acme/groups/ops/members"),
        ("DELETE", "/v2/orgs/acme/groups/ops/members/demo"),
    ]

    for method, path in probes:
        response = await hub.request(method, path, headers=headers)
        assert (method, path, 403, PAT_403) == (method, path, response.status_code, response.json())
    assert all(any(rule.matches(m, p) for rule in OAT_ONLY_ROUTES) for m, p in probes)


def test_the_sandbox_and_the_client_agree_on_the_token_kinds() -> None:
    """The sandbox's OAT-only and PAT-only tables and the client's token-kind table name the same operations."""
    for rules, kind in ((OAT_ONLY_ROUTES, "oat_only"), (PAT_ONLY_ROUTES, "pat_only")):
        sandbox_side = {(m, rule.template) for rule in rules for m in rule.methods}
        client_side = {(op.method, op.template) for op in OPERATIONS if op.kind == kind}
        assert client_side == sandbox_side, kind
    assert 19 == sum(len(rule.methods) for rule in OAT_ONLY_ROUTES)


async def oat_headers(hub: httpx2.AsyncClient) -> dict[str, str]:
    """The bearer of acme's organization access token (identifier: the organization's name)."""
    return bearer(await exchange(hub, identifier=SANDBOX_ORG, secret=SANDBOX_OAT))


async def test_an_oat_can_list_the_org_groups(hub: httpx2.AsyncClient) -> None:
    """An organization access token exchanges with the org name and may list teams."""
    response = await hub.get("/v2/orgs/acme/groups", headers=await oat_headers(hub))

    assert [(101, "developers"), (102, "ops")] == [(g["id"], g["name"]) for g in response.json()["results"]]


async def test_pat_only_routes_refuse_oat_derived_jwts(hub: httpx2.AsyncClient) -> None:
    """`/v2/user/orgs` and `/v2/user` answer an organization's JWT with Hub's OAT wording."""
    headers = await oat_headers(hub)

    for path in ("/v2/user/orgs", "/v2/user"):
        response = await hub.get(path, headers=headers)
        assert (403, "token issued from organization access token is not allowed") == (
            response.status_code,
            response.json()["detail"],
        )


async def test_user_orgs_lists_the_users_organizations_with_role_and_teams(hub: httpx2.AsyncClient) -> None:
    """`GET /v2/user/orgs` with a PAT: a page of `{orgname, full_name, user_role, user_groups, ...}`."""
    page = (await hub.get("/v2/user/orgs", headers=bearer(await exchange(hub)))).json()

    (acme,) = page["results"]
    assert (1, "acme", "Acme Corp", "owner", ["ops"]) == (
        page["count"],
        acme["orgname"],
        acme["full_name"],
        acme["user_role"],
        acme["user_groups"],
    )


async def test_profiles_of_organizations_and_users(hub: httpx2.AsyncClient) -> None:
    """`/v2/orgs/{org}` and `/v2/users/{name}` answer profiles; a user is no organization and vice versa."""
    org = await hub.get("/v2/orgs/acme")
    user = await hub.get("/v2/users/alice")
    not_org = await hub.get("/v2/orgs/alice")
    not_user = await hub.get("/v2/users/acme")

    assert ("acme", "Organization", "Acme Corp") == (org.json()["orgname"], org.json()["type"], org.json()["full_name"])
    assert ("alice", "User", "Alice Archer") == (user.json()["username"], user.json()["type"], user.json()["full_name"])
    assert [404, 404] == [not_org.status_code, not_user.status_code]


async def test_members_search_role_and_emails_follow_the_caller(hub: httpx2.AsyncClient) -> None:
    """Members are one paginated object; search covers username, name and email; only owners see emails."""
    oat = await oat_headers(hub)
    everyone = (await hub.get("/v2/orgs/acme/members", headers=oat)).json()
    by_email = (await hub.get("/v2/orgs/acme/members", params={"search": "carol@"}, headers=oat)).json()
    editors = (await hub.get("/v2/orgs/acme/members", params={"role": "editor"}, headers=oat)).json()

    assert (4, ["alice", "bob", "carol", "demo"]) == (everyone["count"], [m["username"] for m in everyone["results"]])
    assert {"Owner", "Editor", "Member"} == {m["role"] for m in everyone["results"]}
    assert all("email" in m for m in everyone["results"])
    assert (["carol"], ["alice"]) == (
        [m["username"] for m in by_email["results"]],
        [m["username"] for m in editors["results"]],
    )


async def test_team_members_can_be_added_and_removed_by_an_owner(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """POST `{member}` adds an org member to a team; DELETE removes them; both land in the audit log."""
    oat = await oat_headers(hub)
    added = await hub.post("/v2/orgs/acme/groups/developers/members", json={"member": "carol"}, headers=oat)
    members = (await hub.get("/v2/orgs/acme/groups/developers/members", headers=oat)).json()
    stranger = await hub.post("/v2/orgs/acme/groups/developers/members", json={"member": "nobody"}, headers=oat)
    removed = await hub.delete("/v2/orgs/acme/groups/developers/members/carol", headers=oat)

    assert (200, 404, 204) == (added.status_code, stranger.status_code, removed.status_code)
    assert ["alice", "bob", "carol"] == [m["username"] for m in members["results"]]
    assert ["org.team.member.remove", "org.team.member.add"] == [e.action for e in sb.state.audit_log("acme")[:2]]
    assert "carol" not in sb.state.orgs["acme"].groups[101].members


async def test_invites_answer_in_a_data_envelope(hub: httpx2.AsyncClient) -> None:
    """`GET /v2/orgs/{org}/invites` is `{data: [...]}`, not paginated."""
    body = (await hub.get("/v2/orgs/acme/invites", headers=await oat_headers(hub))).json()

    assert [("dave", "developers"), ("erin@acme.example", "ops")] == [(i["invitee"], i["team"]) for i in body["data"]]


async def test_the_audit_log_pages_and_filters_newest_first(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """`{logs: [...]}` without count or links, 25 a page by default, filtered by action, actor and time."""
    oat = await oat_headers(hub)
    first = (await hub.get("/v2/auditlogs/acme", headers=oat)).json()["logs"]
    alice = (await hub.get("/v2/auditlogs/acme", params={"actor": "alice", "page_size": 100}, headers=oat)).json()
    since = sb.state.audit_log("acme")[0].timestamp
    stamp = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = (await hub.get("/v2/auditlogs/acme", params={"from": stamp}, headers=oat)).json()["logs"]

    assert 25 == len(first)
    assert sorted((e["timestamp"] for e in first), reverse=True) == [e["timestamp"] for e in first]
    assert {"repo.tag.push"} == {e["action"] for e in first}
    assert alice["logs"] and {"alice"} == {e["actor"] for e in alice["logs"]}
    assert 1 <= len(newest) < 25


async def test_repository_groups_are_read_changed_and_revoked(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """The slash forms terraform uses: GET the list and one grant, PATCH its level, DELETE it."""
    headers = bearer(await exchange(hub))
    base = "/v2/repositories/acme/platform/groups/"
    listed = (await hub.get(base, headers=headers)).json()
    one = await hub.get(base + "101/", headers=headers)
    patched = await hub.patch(base + "101/", json={"permission": "read"}, headers=headers)
    deleted = await hub.delete(base + "102/", headers=headers)
    gone = await hub.get(base + "102/", headers=headers)

    assert [(101, "write"), (102, "admin")] == [(g["group_id"], g["permission"]) for g in listed["results"]]
    assert (200, "write", 200, "read") == (
        one.status_code,
        one.json()["permission"],
        patched.status_code,
        patched.json()["permission"],
    )
    assert (204, 404) == (deleted.status_code, gone.status_code)
    platform = sb.state.repository("acme", "platform")
    assert platform is not None and {101: "read"} == platform.grants


async def test_the_public_search_needs_no_credentials(hub: httpx2.AsyncClient) -> None:
    """`GET /api/search/v4` answers `{total, results}` anonymously; `badges=official` keeps official images."""
    found = (await hub.get("/api/search/v4", params={"query": "redis"})).json()
    official = (await hub.get("/api/search/v4", params={"query": "o", "badges": "official", "size": 2})).json()

    assert ("redis", "official", str) == (
        found["results"][0]["name"],
        found["results"][0]["badge"],
        type(found["results"][0]["pull_count"]),
    )
    assert 2 == len(official["results"]) and {"official"} == {r["badge"] for r in official["results"]}


# -- repositories -----------------------------------------------------------------------------------


async def test_anonymous_callers_see_public_repositories_only(hub: httpx2.AsyncClient) -> None:
    """Without a bearer, listing hides `docs`, and reading it or changing anything is a 401."""
    listed = await hub.get("/v2/namespaces/demo/repositories", params={"page_size": 100})
    private = await hub.get("/v2/namespaces/demo/repositories/docs/tags")
    patch = await hub.patch("/v2/namespaces/demo/repositories/web", json={"description": "x"})

    assert ["api", "empty", "legacy-app", "web", "worker"] == sorted(r["name"] for r in listed.json()["results"])
    assert [401, 401] == [private.status_code, patch.status_code]


async def test_signed_in_strangers_get_404_for_private_repositories(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A valid JWT of another account does not learn that `demo/docs` exists."""
    sb.state.add_user("mallory", "dckr_pat_mallory", "repo:admin")
    headers = bearer(await exchange(hub, identifier="mallory", secret="dckr_pat_mallory"))

    response = await hub.get("/v2/namespaces/demo/repositories/docs", headers=headers)

    assert (404, {"message": "object not found", "errinfo": {"namespace": "demo", "repository": "docs"}}) == (
        response.status_code,
        response.json(),
    )


async def test_head_requests_answer_like_get_without_a_body(hub: httpx2.AsyncClient) -> None:
    """HEAD on a repository, its tags and a tag answers the GET status with an empty body."""
    found = [
        await hub.head(path)
        for path in (
            "/v2/namespaces/demo/repositories/web",
            "/v2/namespaces/demo/repositories/web/tags",
            "/v2/namespaces/demo/repositories/web/tags/latest",
            "/v2/namespaces/demo/repositories/web/tags/nope",
        )
    ]

    assert [(200, b""), (200, b""), (200, b""), (404, b"")] == [(r.status_code, r.content) for r in found]


async def test_a_trailing_slash_reaches_the_same_route(hub: httpx2.AsyncClient) -> None:
    """`…/tags/latest/` answers like `…/tags/latest`, never with a redirect."""
    response = await hub.get("/v2/namespaces/demo/repositories/web/tags/latest/")

    assert (200, "latest") == (response.status_code, response.json()["name"])


async def test_a_wrong_method_on_a_known_route_is_a_json_405(hub: httpx2.AsyncClient) -> None:
    """PUT on a repository is refused with 405 and an Allow header."""
    response = await hub.put("/v2/namespaces/demo/repositories/web", json={})

    assert (405, {"detail": 'Method "PUT" not allowed.'}) == (response.status_code, response.json())
    assert "PATCH" in response.headers["allow"]


async def test_repository_pages_link_absolutely_to_the_host_asked(hub: httpx2.AsyncClient) -> None:
    """`next`/`previous` are absolute URLs on the request's own host; a page past the end is a 404."""
    headers = bearer(await exchange(hub))
    first = (await hub.get("/v2/namespaces/demo/repositories?page_size=4", headers=headers)).json()
    second = (await hub.get(first["next"], headers=headers)).json()
    past = await hub.get("/v2/namespaces/demo/repositories?page=3&page_size=4", headers=headers)

    assert 6 == first["count"]
    assert f"{BASE}/v2/namespaces/demo/repositories?page=2&page_size=4" == first["next"]
    assert (None, f"{BASE}/v2/namespaces/demo/repositories?page=1&page_size=4") == (
        second["next"],
        second["previous"],
    )
    assert [4, 2] == [len(first["results"]), len(second["results"])]
    assert 404 == past.status_code


async def test_page_size_above_100_is_cut_to_100(hub: httpx2.AsyncClient) -> None:
    """`page_size` over 100 gets 100 results and a `next` link of page size 100, as Hub does."""
    response = await hub.get("/v2/namespaces/demo/repositories/web/tags?page_size=500")

    body = response.json()
    assert (200, 100, 180) == (response.status_code, len(body["results"]), body["count"])
    assert body["next"].endswith("page=2&page_size=100")


async def test_an_unknown_ordering_is_refused_with_the_spec_wording(hub: httpx2.AsyncClient) -> None:
    """The repository list names the valid orderings when given another."""
    response = await hub.get("/v2/namespaces/demo/repositories?ordering=stars")

    assert 400 == response.status_code
    assert {
        "fields": {
            "ordering": [
                "Invalid ordering value. Must be one of: "
                "name, -name, last_updated, -last_updated, pull_count, -pull_count"
            ]
        },
        "text": "Invalid ordering value",
    } == response.json()


async def test_repositories_filter_by_name_and_order_by_pulls(hub: httpx2.AsyncClient) -> None:
    """`name` is a partial match and `-pull_count` puts the most pulled first."""
    by_pulls = await hub.get("/v2/namespaces/demo/repositories?ordering=-pull_count")
    filtered = await hub.get("/v2/namespaces/demo/repositories?name=e")

    assert ["web", "api", "worker", "legacy-app", "empty"] == [r["name"] for r in by_pulls.json()["results"]]
    assert ["empty", "legacy-app", "web", "worker"] == sorted(r["name"] for r in filtered.json()["results"])


async def test_an_unknown_namespace_is_a_404(hub: httpx2.AsyncClient) -> None:
    """Listing a namespace that does not exist is 404 `object not found`."""
    response = await hub.get("/v2/namespaces/nobody/repositories")

    assert (404, {"message": "object not found", "errinfo": {"namespace": "nobody"}}) == (
        response.status_code,
        response.json(),
    )


async def test_a_repository_has_every_required_repository_info_field(hub: httpx2.AsyncClient) -> None:
    """`GET …/{repo}` answers the spec's `repository_info`, with permissions for the caller."""
    required = {
        "user", "name", "namespace", "status", "status_description", "description", "is_private", "is_automated",
        "star_count", "pull_count", "last_updated", "date_registered", "collaborator_count", "has_starred",
        "permissions", "media_types", "content_types", "categories", "immutable_tags_settings",
    }  # fmt: skip
    anonymous = (await hub.get("/v2/namespaces/demo/repositories/web")).json()
    owner = (await hub.get("/v2/namespaces/demo/repositories/web", headers=bearer(await exchange(hub)))).json()

    assert required <= set(anonymous)
    assert "Acme" in anonymous["description"] and anonymous["full_description"].startswith("# demo/web")
    assert ({"read": True, "write": False, "admin": False}, {"read": True, "write": True, "admin": True}) == (
        anonymous["permissions"],
        owner["permissions"],
    )


async def test_patch_updates_the_descriptions_and_last_modified(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A repo:admin JWT may PATCH descriptions; the answer is the updated repository."""
    headers = bearer(await exchange(hub))
    sb.clock.advance(5)

    response = await hub.patch(
        "/v2/namespaces/demo/repositories/web",
        json={"description": "New", "full_description": "# New"},
        headers=headers,
    )

    body = response.json()
    assert (200, "New", "# New") == (response.status_code, body["description"], body["full_description"])
    assert body["last_modified"] > body["date_registered"]
    assert "New" == sb.state.namespaces["demo"]["web"].description


async def test_patch_refuses_descriptions_over_the_limits(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """`description` > 100 and `full_description` > 25 000 bytes are 400s that change nothing."""
    headers = bearer(await exchange(hub))
    before = sb.state.namespaces["demo"]["web"].description

    short = await hub.patch("/v2/namespaces/demo/repositories/web", json={"description": "x" * 101}, headers=headers)
    full = await hub.patch(
        "/v2/namespaces/demo/repositories/web", json={"full_description": "x" * 25_001}, headers=headers
    )
    edge = await hub.patch("/v2/namespaces/demo/repositories/api", json={"description": "x" * 100}, headers=headers)

    assert [400, 400, 200] == [short.status_code, full.status_code, edge.status_code]
    assert ("bad request", {"field": "description", "max_length": "100"}) == (
        short.json()["message"],
        short.json()["errinfo"],
    )
    assert before == sb.state.namespaces["demo"]["web"].description


async def test_a_repo_write_pat_may_not_patch_or_delete(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """Below repo:admin, PATCH and DELETE tag are 403 `insufficient scope`; `permissions` show the account's
    rights, not the PAT's scope (hub-facts §10)."""
    sb.state.add_pat("demo", "dckr_pat_write", "repo:write")
    headers = bearer(await exchange(hub, secret="dckr_pat_write"))
    scope = {"message": "insufficient scope", "errinfo": {}, "detail": "insufficient scope"}

    patch = await hub.patch("/v2/namespaces/demo/repositories/web", json={"description": "x"}, headers=headers)
    delete = await hub.delete("/v2/namespaces/demo/repositories/web/tags/dev", headers=headers)
    read = await hub.get("/v2/namespaces/demo/repositories/docs", headers=headers)

    assert [(403, scope), (403, scope)] == [(patch.status_code, patch.json()), (delete.status_code, delete.json())]
    assert (200, {"read": True, "write": True, "admin": True}) == (read.status_code, read.json()["permissions"])


async def test_a_public_read_pat_cannot_see_private_repositories(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """The default PAT level reads public repositories only, even the owner's."""
    sb.state.add_pat("demo", "dckr_pat_public", "repo:public_read")
    headers = bearer(await exchange(hub, secret="dckr_pat_public"))

    listed = await hub.get("/v2/namespaces/demo/repositories?page_size=100", headers=headers)
    private = await hub.get("/v2/namespaces/demo/repositories/docs", headers=headers)

    assert "docs" not in [r["name"] for r in listed.json()["results"]]
    assert (403, "insufficient scope") == (private.status_code, private.json()["detail"])


async def test_creating_a_repository_answers_201_with_repository_info(hub: httpx2.AsyncClient) -> None:
    """`POST /v2/namespaces/{ns}/repositories` creates an empty repository; a second time is a 400."""
    headers = bearer(await exchange(hub))
    body = {"name": "new-app", "namespace": "demo", "description": "d", "is_private": True}

    created = await hub.post("/v2/namespaces/demo/repositories", json=body, headers=headers)
    again = await hub.post("/v2/namespaces/demo/repositories", json=body, headers=headers)
    bad = await hub.post("/v2/namespaces/demo/repositories", json={**body, "name": "Bad_"}, headers=headers)

    assert (201, "new-app", True) == (created.status_code, created.json()["name"], created.json()["is_private"])
    assert [400, 400] == [again.status_code, bad.status_code]


# -- tags -------------------------------------------------------------------------------------------


async def test_tags_come_newest_first_in_the_real_hub_shape(hub: httpx2.AsyncClient) -> None:
    """Tag lists default to newest push first, with `images` as an array and `v2` a bool."""
    body = (await hub.get("/v2/namespaces/demo/repositories/web/tags?page_size=100")).json()
    tags = body["results"]

    assert (180, "latest") == (body["count"], tags[0]["name"])
    assert all(TAG_KEYS <= set(t) <= TAG_KEYS | {"digest"} for t in tags)
    assert all(IMAGE_KEYS == set(i) for t in tags for i in t["images"])
    assert [t["tag_last_pushed"] for t in tags] == sorted((t["tag_last_pushed"] for t in tags), reverse=True)
    assert {True} == {t["v2"] for t in tags}
    assert {1, 2} == {len(t["images"]) for t in tags}


async def test_tag_ordering_and_name_filter_work(hub: httpx2.AsyncClient) -> None:
    """`ordering=name` sorts by name and `name=` filters by substring; other orderings are refused."""
    named = (await hub.get("/v2/namespaces/demo/repositories/web/tags?ordering=name&name=sha-")).json()
    bad = await hub.get("/v2/namespaces/demo/repositories/web/tags?ordering=pull_count")

    names = [t["name"] for t in named["results"]]
    assert names == sorted(names) and all(n.startswith("sha-") for n in names)
    assert named["count"] > len(names) == 10
    assert 400 == bad.status_code


async def test_a_few_old_tags_have_no_tag_level_digest(hub: httpx2.AsyncClient) -> None:
    """Old images carry no tag-level `digest` key, only `images[].digest`; most tags have one."""
    tags = (await hub.get("/v2/namespaces/demo/repositories/legacy-app/tags?page_size=100")).json()["results"]
    web = (await hub.get("/v2/namespaces/demo/repositories/web/tags?page_size=100")).json()["results"]

    without = [t for t in tags if "digest" not in t]
    assert without and all(t["images"][0]["digest"].startswith("sha256:") for t in without)
    assert sum("digest" in t for t in web) >= 95  # the newest 100 of 180
    assert any(t["tag_last_pulled"] is None for t in tags)


async def test_tag_pages_past_the_end_are_404(hub: httpx2.AsyncClient) -> None:
    """The tag list behaves like the repository list after its last page."""
    last = await hub.get("/v2/namespaces/demo/repositories/docs/tags?page=1", headers=bearer(await exchange(hub)))
    past = await hub.get("/v2/namespaces/demo/repositories/web/tags?page=2&page_size=100")
    beyond = await hub.get("/v2/namespaces/demo/repositories/web/tags?page=3&page_size=100")

    assert (200, None) == (last.status_code, last.json()["next"])
    assert (200, 80, None) == (past.status_code, len(past.json()["results"]), past.json()["next"])
    assert 404 == beyond.status_code


async def test_a_missing_tag_is_a_404_with_hub_wording(hub: httpx2.AsyncClient) -> None:
    """An unknown tag answers `httperror 404: tag 'x' not found` with its coordinates."""
    response = await hub.get("/v2/namespaces/demo/repositories/web/tags/nope")

    assert (
        404,
        {
            "message": "httperror 404: tag 'nope' not found",
            "errinfo": {"namespace": "demo", "repository": "web", "tag": "nope"},
        },
    ) == (response.status_code, response.json())


async def test_deleting_a_tag_really_removes_it(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """DELETE answers 204, the tag is gone from reads and lists, and a second DELETE is a 404."""
    headers = bearer(await exchange(hub))

    first = await hub.delete("/v2/namespaces/demo/repositories/web/tags/dev", headers=headers)
    read = await hub.get("/v2/namespaces/demo/repositories/web/tags/dev")
    count = (await hub.get("/v2/namespaces/demo/repositories/web/tags")).json()["count"]
    second = await hub.delete("/v2/namespaces/demo/repositories/web/tags/dev", headers=headers)

    assert [204, 404, 179, 404] == [first.status_code, read.status_code, count, second.status_code]
    assert sb.state.tag("demo", "web", "dev") is None


# -- team grants ------------------------------------------------------------------------------------


async def test_granting_a_team_records_the_permission(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """`POST /v2/repositories/{ns}/{repo}/groups` answers the grant and records it in state."""
    response = await hub.post(
        "/v2/repositories/acme/platform/groups",
        json={"group_id": 102, "permission": "write"},
        headers=bearer(await exchange(hub)),
    )

    assert (200, {"group_name": "ops", "permission": "write", "group_id": 102}) == (
        response.status_code,
        response.json(),
    )
    # One grant per team: ops had admin from the seed, and now has write.
    assert [
        ("acme", "platform", 101, "developers", "write"),
        ("acme", "platform", 102, "ops", "write"),
        ("acme", "tools", 101, "developers", "read"),
    ] == [(g.namespace, g.repository, g.group_id, g.group_name, g.permission) for g in sb.state.repo_grants]


async def test_bad_team_grants_are_refused(hub: httpx2.AsyncClient) -> None:
    """Unknown group ids and user namespaces are 404s; a bad permission is a 400."""
    headers = bearer(await exchange(hub))

    tools, web = "/v2/repositories/acme/tools/groups", "/v2/repositories/demo/web/groups"

    unknown = await hub.post(tools, json={"group_id": 7, "permission": "read"}, headers=headers)
    user_ns = await hub.post(web, json={"group_id": 101, "permission": "read"}, headers=headers)
    bad = await hub.post(tools, json={"group_id": 101, "permission": "own"}, headers=headers)
    anonymous = await hub.post(tools, json={"group_id": 101, "permission": "read"})

    assert [404, 404, 400, 401] == [r.status_code for r in (unknown, user_ns, bad, anonymous)]


async def test_only_org_owners_and_editors_may_grant_team_access(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A plain org member with a repo:admin PAT gets 403 on the groups route; an editor may grant."""
    sb.state.add_pat("bob", "dckr_pat_bob", "repo:admin")  # a member
    sb.state.add_pat("alice", "dckr_pat_alice", "repo:admin")  # an editor
    member = bearer(await exchange(hub, identifier="bob", secret="dckr_pat_bob"))
    editor = bearer(await exchange(hub, identifier="alice", secret="dckr_pat_alice"))
    body = {"group_id": 102, "permission": "read"}

    refused = await hub.post("/v2/repositories/acme/tools/groups/", json=body, headers=member)
    granted = await hub.post("/v2/repositories/acme/tools/groups/", json=body, headers=editor)

    assert (403, "permission denied") == (refused.status_code, refused.json()["message"])
    assert (200, "read") == (granted.status_code, granted.json()["permission"])


# -- routes the client must not use -----------------------------------------------------------------


async def test_unknown_routes_answer_an_html_404_and_are_logged(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """Like real Hub, an unknown route is an HTML page, not JSON."""
    response = await hub.get("/v2/no/such/route")

    assert (404, "text/html") == (response.status_code, response.headers["content-type"].split(";")[0])
    assert [("GET", "/v2/no/such/route", 404)] == [(r.method, r.path, r.status) for r in sb.requests]


async def test_legacy_routes_answer_as_hub_does_and_are_recorded(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """Legacy `/v2/repositories/...` reads and the two legacy writes answer like Hub; an OAT is refused there;
    `/v2/user/` is refused to PATs. All stay in the log, so tests can prove the client never sends them."""
    headers = bearer(await exchange(hub))
    listed = await hub.get("/v2/repositories/demo/", headers=headers)
    repo = await hub.get("/v2/repositories/demo/web/", headers=headers)
    tags = await hub.get("/v2/repositories/demo/web/tags/", headers=headers)
    user = await hub.get("/v2/user/", headers=headers)
    oat = await hub.get("/v2/repositories/acme/tools/", headers=await oat_headers(hub))

    assert (200, 200, 200, 403, 403) == tuple(r.status_code for r in (listed, repo, tags, user, oat))
    assert ("web", 180) == (repo.json()["name"], tags.json()["count"])
    assert "token issued from organization access token is not allowed" == oat.json()["detail"]
    assert [
        "/v2/repositories/demo/",
        "/v2/repositories/demo/web/",
        "/v2/repositories/demo/web/tags/",
        "/v2/user/",
        "/v2/repositories/acme/tools/",
    ] == [r.path for r in sb.api_requests(path_prefix="/v2/")]


# -- rate limits and faults -------------------------------------------------------------------------


async def test_rate_limit_headers_count_down_within_the_minute(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """Every answer carries X-RateLimit-*; Remaining drops per request and refills in the next window."""
    sb.clock.freeze(1_800_000_000.0)  # a minute boundary, so the window cannot roll over mid-test
    first = await hub.get("/v2/namespaces/demo/repositories")
    second = await hub.get("/v2/no/such/route")
    sb.clock.advance(60)
    third = await hub.get("/v2/namespaces/demo/repositories")

    assert [("180", "179", "1800000060"), ("180", "178", "1800000060"), ("180", "179", "1800000120")] == [
        (r.headers["x-ratelimit-limit"], r.headers["x-ratelimit-remaining"], r.headers["x-ratelimit-reset"])
        for r in (first, second, third)
    ]


async def test_an_enforced_rate_limit_answers_429_when_used_up(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """With enforcement on, the request after the limit gets 429 and a Retry-After to the window end."""
    sb.clock.freeze(1_800_000_030.0)
    sb.state.rate_limit, sb.state.enforce_rate_limit = 2, True

    statuses = [(await hub.get("/v2/namespaces/demo/repositories")).status_code for _ in range(3)]
    limited = await hub.get("/v2/namespaces/demo/repositories")

    assert [200, 200, 429] == statuses
    assert ("30", "0", {"detail": "Rate limit exceeded", "error": False}) == (
        limited.headers["retry-after"],
        limited.headers["x-ratelimit-remaining"],
        limited.json(),
    )


async def test_a_status_fault_fires_before_the_state_is_touched(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A faulted DELETE answers 503 and deletes nothing; the next one goes through."""
    headers = bearer(await exchange(hub))
    sb.faults.add(Fault("status", status=503, method="DELETE", path=r"/tags/"))

    faulted = await hub.delete("/v2/namespaces/demo/repositories/web/tags/dev", headers=headers)
    still_there = sb.state.tag("demo", "web", "dev") is not None
    retried = await hub.delete("/v2/namespaces/demo/repositories/web/tags/dev", headers=headers)

    assert (503, "service unavailable", True, 204) == (
        faulted.status_code,
        faulted.json()["message"],
        still_there,
        retried.status_code,
    )
    assert [("DELETE", 503), ("DELETE", 204)] == [(r.method, r.status) for r in sb.api_requests()]


async def test_a_rate_limit_fault_sends_retry_after_and_zero_remaining(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A `rate_limit` fault is a 429 with Retry-After in seconds and the X-RateLimit-* headers."""
    sb.clock.freeze(1_800_000_000.0)
    sb.faults.add(Fault("rate_limit", times=2, retry_after=7))

    responses = [await hub.get("/v2/namespaces/demo/repositories") for _ in range(3)]

    assert [429, 429, 200] == [r.status_code for r in responses]
    assert ("7", "0", "1800000007") == (
        responses[0].headers["retry-after"],
        responses[0].headers["x-ratelimit-remaining"],
        responses[0].headers["x-ratelimit-reset"],
    )
    assert {"detail": "Rate limit exceeded", "error": False} == responses[0].json()


async def test_a_drop_fault_surfaces_as_a_transport_error(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A `drop` fault cuts the connection: the caller gets an httpx2 transport error, logged as status 0."""
    sb.faults.add(Fault("drop", path=r"^/v2/namespaces/demo/repositories$"))

    with pytest.raises(httpx2.TransportError):
        await hub.get("/v2/namespaces/demo/repositories")
    after = await hub.get("/v2/namespaces/demo/repositories")

    assert 200 == after.status_code
    assert [0, 200] == [r.status for r in sb.requests]


async def test_a_slow_fault_delays_then_answers(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A `slow` fault waits `delay` seconds, then answers normally."""
    sb.faults.add(Fault("slow", delay=0.02))

    with anyio.fail_after(2):
        started = anyio.current_time()
        response = await hub.get("/v2/namespaces/demo/repositories")

    assert 200 == response.status_code
    assert anyio.current_time() - started >= 0.02


async def test_faults_match_only_their_method_and_path(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """A fault restricted to DELETE leaves GETs alone and stays armed until it matches."""
    sb.faults.add(Fault("status", status=500, method="DELETE"))

    get = await hub.get("/v2/namespaces/demo/repositories")

    assert (200, 1) == (get.status_code, len(sb.faults.pending))


async def test_random_faults_repeat_exactly_for_the_same_seed() -> None:
    """`faults.random(rate, seed)` fails the same requests the same way every time."""

    async def run_once() -> list[int]:
        sb = build_sandbox(seed=0, clock=fixed_clock())
        sb.faults.random(0.5, seed=7, kinds=("status", "rate_limit"))
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.app), base_url=BASE) as client:
            return [(await client.get("/v2/namespaces/demo/repositories")).status_code for _ in range(20)]

    first, second = await run_once(), await run_once()

    assert first == second
    assert {200} < set(first) <= {200, 429, 500, 502, 503}


async def test_random_faults_can_spare_the_token_exchange(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """With `exclude_auth`, exchanges never fail even at rate 1."""
    sb.faults.random(1.0, seed=1, kinds=("status",), exclude_auth=True)

    token = await exchange(hub)
    api = await hub.get("/v2/namespaces/demo/repositories", headers=bearer(token))

    assert api.status_code >= 500


# -- the request log and reset ----------------------------------------------------------------------


async def test_the_request_log_records_the_credential_kind_never_its_value(
    hub: httpx2.AsyncClient, sb: Sandbox
) -> None:
    """Each request is logged with method, path, query, credential kind and status, and no secret."""
    token = await exchange(hub)
    await hub.get("/v2/namespaces/demo/repositories", params={"page_size": "5"}, headers=bearer(token))
    await hub.get("/v2/namespaces/demo/repositories", headers=bearer(SANDBOX_TOKEN))
    await hub.get("/v2/namespaces/demo/repositories", headers={"Authorization": "Basic abc"})
    await hub.get("/v2/namespaces/demo/repositories")

    assert [
        ("POST", "/v2/auth/token", {}, "none", 200),
        ("GET", "/v2/namespaces/demo/repositories", {"page_size": "5"}, "jwt", 200),
        ("GET", "/v2/namespaces/demo/repositories", {}, "pat", 401),
        ("GET", "/v2/namespaces/demo/repositories", {}, "invalid", 401),
        ("GET", "/v2/namespaces/demo/repositories", {}, "none", 200),
    ] == [(r.method, r.path, r.query, r.auth, r.status) for r in sb.requests]
    assert token not in repr(sb.requests) and SANDBOX_TOKEN not in repr(sb.requests)
    assert 1 == sb.exchanges and 4 == len(sb.api_requests(method="GET"))


async def test_reset_restores_the_seed_and_clears_faults_and_log(hub: httpx2.AsyncClient, sb: Sandbox) -> None:
    """`reset()` brings deleted tags and revoked PATs back, and forgets faults, settings and requests."""
    headers = bearer(await exchange(hub))
    await hub.delete("/v2/namespaces/demo/repositories/web/tags/dev", headers=headers)
    sb.state.revoke_pat(SANDBOX_TOKEN)
    sb.state.token_lifetime = 5
    sb.faults.add(Fault("status", times=None))
    sb.faults.auth_token_route_missing = True

    sb.reset()

    assert sb.state.tag("demo", "web", "dev") is not None
    assert ([], (), False, 600) == (
        sb.requests,
        sb.faults.pending,
        sb.faults.auth_token_route_missing,
        sb.state.token_lifetime,
    )
    assert 200 == (await hub.get("/v2/namespaces/demo/repositories/docs", headers=headers)).status_code


def test_the_seed_is_the_same_for_the_same_seed_and_clock() -> None:
    """Two sandboxes built from one seed at one instant hold identical data."""

    def snapshot(seed: int) -> list[tuple[str, str, str, str | None, float, int]]:
        clock = Clock()
        clock.freeze(1_800_000_000.0)
        sb = build_sandbox(seed=seed, clock=clock)
        return [
            (ns, repo.name, tag.name, tag.digest, tag.pushed_at, tag.images[0].size)
            for ns, repos in sb.state.namespaces.items()
            for repo in repos.values()
            for tag in repo.tags.values()
        ]

    assert snapshot(0) == snapshot(0)
    assert snapshot(0) != snapshot(1)


@pytest.mark.slow
def test_the_seed_holds_the_same_data_on_every_day_of_the_year() -> None:
    """Ages, digests, sizes and pulls are the same whatever the date; only `prod-YYYYMMDD` names follow it."""

    def facts(at: float) -> list[tuple[str, str, float, float | None, str | None, int]]:
        clock = Clock()
        clock.freeze(at)
        sb = build_sandbox(seed=0, clock=clock)
        return sorted(
            (
                f"{ns}/{repo.name}",
                "prod-*" if tag.name.startswith("prod-") else tag.name,
                round(at - tag.pushed_at, 3),
                None if tag.pulled_at is None else round(at - tag.pulled_at, 3),
                tag.digest,
                tag.images[0].size,
            )
            for ns, repos in sb.state.namespaces.items()
            for repo in repos.values()
            for tag in repo.tags.values()
        )

    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    # Every day of a year, each at another hour: the seed once drew more names on days that collided.
    days = [start + day * 86400 + (day * 7 % 24) * 3600 for day in range(366)]
    expected = facts(days[0])
    assert [] == [datetime.fromtimestamp(at, UTC).isoformat() for at in days[1:] if facts(at) != expected]


def test_the_seeded_hub_has_the_documented_repositories() -> None:
    """The demo data: six `demo` repositories and two in `acme`, with fixed tag counts and team ids."""
    sb = build_sandbox(clock=fixed_clock())

    assert {
        ("demo", "web"): 180, ("demo", "api"): 160, ("demo", "worker"): 40, ("demo", "docs"): 5,
        ("demo", "legacy-app"): 25, ("demo", "empty"): 0, ("acme", "platform"): 40, ("acme", "tools"): 10,
        ("library", "nginx"): 2, ("library", "redis"): 2, ("library", "postgres"): 2, ("library", "alpine"): 2,
        ("library", "python"): 2,
    } == {(ns, n): len(r.tags) for ns, repos in sb.state.namespaces.items() for n, r in repos.items()}  # fmt: skip
    assert {101: "developers", 102: "ops"} == {i: g.name for i, g in sb.state.orgs["acme"].groups.items()}
    assert ["api", "docs", "empty", "legacy-app", "web", "worker"] == [r.name for r in sb.state.repositories("demo")]
    assert "latest" == sb.state.tags("demo", "web")[0].name


def test_an_empty_hub_has_only_the_demo_user() -> None:
    """`demo=False` leaves just the demo user and its PAT, for tests that build their own data."""
    sb = build_sandbox(demo=False, clock=fixed_clock())

    assert ({"demo": {}}, ["demo"]) == (sb.state.namespaces, list(sb.state.users))


# -- serving on loopback ----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_serving_refuses_hosts_that_are_not_loopback(host: str) -> None:
    """`serve` raises ValueError before binding anything off loopback."""
    with pytest.raises(ValueError, match="loopback"):
        serve(host=host, port=0)


async def test_the_hub_serves_over_loopback_with_links_on_its_own_port() -> None:
    """Under uvicorn, `next` links carry 127.0.0.1:PORT and a `drop` fault really cuts the connection."""
    sb = build_sandbox(clock=fixed_clock())
    server, sock = make_server(sb.app, "127.0.0.1", 0, log_level="warning")
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        with anyio.fail_after(5):
            while not server.started:
                await anyio.sleep(0.01)
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            page = (await client.get("/v2/namespaces/demo/repositories?page_size=2")).json()
            sb.faults.add(Fault("drop"))
            with pytest.raises(httpx2.RemoteProtocolError) as dropped:
                await client.get("/v2/namespaces/demo/repositories")
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    assert f"http://127.0.0.1:{port}/v2/namespaces/demo/repositories?page=2&page_size=2" == page["next"]
    assert not isinstance(dropped.value, ConnectionDropped)  # the real thing, from the socket
