"""Routes of the sandbox Hub: parse the request, ask the state, answer in Hub's JSON shapes.

No rule lives here: who may do what, and every error wording, comes from `state.py` and `errors.py`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from dockerhub_mcp.sandbox import errors
from dockerhub_mcp.sandbox.errors import HubError
from dockerhub_mcp.sandbox.middleware import HubMiddleware
from dockerhub_mcp.sandbox.model import Principal
from dockerhub_mcp.sandbox.shapes import (
    audit_json,
    group_json,
    invite_json,
    member_json,
    org_json,
    repo_group_json,
    repository_info,
    repository_list_entry,
    search_json,
    tag_json,
    user_json,
)
from dockerhub_mcp.sandbox.state import OAT_ONLY_ROUTES, HubState

__all__ = ["NOT_FOUND_HTML", "build_app"]

T = TypeVar("T")

# Real Hub answers unknown routes with an HTML page, not JSON (hub-feedback#2250).
NOT_FOUND_HTML = (
    "<!DOCTYPE html><html><head><title>404 Page Not Found | Docker Hub</title></head>"
    "<body><h1>404</h1><p>Page not found.</p></body></html>"
)
_MAX_PAGE_SIZE = 100
_DEFAULT_PAGE_SIZE = 10


def _int_param(request: Request, name: str, default: int, maximum: int | None = None, *, minimum: int = 1) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.value_error(name, "A valid integer is required.") from None
    if value < minimum:
        raise errors.value_error(name, f"Ensure this value is greater than or equal to {minimum}.")
    if maximum is not None and value > maximum:
        raise errors.value_error(name, f"Ensure this value is less than or equal to {maximum}.")
    return value


def _text_param(request: Request, name: str) -> str | None:
    return request.query_params.get(name) or None


def _time_param(request: Request, name: str) -> float | None:
    raw = _text_param(request, name)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise errors.value_error(name, "Enter a valid date/time.") from None


def _group_id(request: Request) -> int:
    raw = request.path_params["group_id"]
    if not raw.isdigit():
        raise errors.not_found(f"group {raw!r} not found")
    return int(raw)


def _page(request: Request, items: Sequence[T], *, stale_next: bool = False) -> tuple[list[T], dict[str, Any]]:
    """Cut one page out of `items`; the links are absolute, built from the URL the request came to (with
    `stale_next`, the last page links a next one anyway, as Hub has been seen to)."""
    page = _int_param(request, "page", 1)
    # Hub cuts a page_size over 100 to 100 rather than refusing it (hub-facts §10).
    size = min(_int_param(request, "page_size", _DEFAULT_PAGE_SIZE), _MAX_PAGE_SIZE)
    start = (page - 1) * size
    if page > 1 and start >= len(items):
        raise errors.not_found("Invalid page.", page=str(page))
    more = start + size < len(items) or (stale_next and start < len(items))
    links = {
        "count": len(items),
        "next": _page_url(request, page + 1, size) if more else None,
        "previous": _page_url(request, page - 1, size) if page > 1 else None,
    }
    return list(items[start : start + size]), links


def _page_url(request: Request, page: int, size: int) -> str:
    # `page` and `page_size` first, as in Hub's own links; other filters (name, ordering) carried along.
    others = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "page_size")]
    return str(request.url.replace(query=urlencode([("page", page), ("page_size", size), *others])))


async def _json_object(request: Request) -> dict[str, object]:
    raw = await request.body()
    try:
        body: object = json.loads(raw) if raw else None
    except ValueError:
        raise errors.bad_request("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise errors.bad_request("request body must be a JSON object")
    return {str(k): v for k, v in body.items()}


class _Routes:
    """One endpoint per Hub operation, bound to a `HubState`."""

    def __init__(self, state: HubState) -> None:
        self.state = state

    def _who(self, request: Request) -> Principal:
        return self.state.authenticate(request.headers.get("authorization"))

    # -- authentication ------------------------------------------------------------------------------

    async def auth_token(self, request: Request) -> Response:
        if self.state.faults.auth_token_route_missing:
            return HTMLResponse(NOT_FOUND_HTML, status_code=404)
        body = await _json_object(request)
        return JSONResponse({"access_token": self.state.exchange_token(body.get("identifier"), body.get("secret"))})

    async def users_login(self, request: Request) -> Response:
        body = await _json_object(request)
        answer: dict[str, Any] = {"token": self.state.login(body.get("username"), body.get("password"))}
        if request.query_params.get("refresh_token") == "true":
            # Undocumented, and clients never need it (hub-tool stores it and re-logs in instead).
            answer["refresh_token"] = secrets.token_urlsafe(32)
        return JSONResponse(answer)

    # -- repositories --------------------------------------------------------------------------------

    async def repositories(self, request: Request) -> Response:
        principal = self._who(request)
        namespace = request.path_params["namespace"]
        if request.method == "POST":
            repo = self.state.create_repository(principal, namespace, await _json_object(request))
            return JSONResponse(repository_info(repo, self.state.permission(principal, repo)), status_code=201)
        repos = self.state.list_repositories(
            principal, namespace, name=_text_param(request, "name"), ordering=_text_param(request, "ordering")
        )
        results, links = _page(request, repos)
        return JSONResponse({**links, "results": [repository_list_entry(r) for r in results]})

    async def repository(self, request: Request) -> Response:
        principal = self._who(request)
        namespace, name = request.path_params["namespace"], request.path_params["repository"]
        if request.method == "PATCH":
            _canonical_write(self.state)
            repo = self.state.update_repository(principal, namespace, name, await _json_object(request))
        else:
            repo = self.state.read_repository(principal, namespace, name)
        # `permissions` are the account's rights, not the PAT's scope (hub-facts §10).
        return JSONResponse(repository_info(repo, self.state.permission(principal, repo)))

    async def tags(self, request: Request) -> Response:
        principal = self._who(request)
        quirks = self.state.quirks
        tags = self.state.list_tags(
            principal,
            request.path_params["namespace"],
            request.path_params["repository"],
            tag_name=None if quirks.ignore_tag_name_filter else _text_param(request, "name"),
            ordering=_text_param(request, "ordering"),
        )
        results, links = _page(request, tags, stale_next=quirks.stale_next)
        now = self.state.clock.now()
        return JSONResponse({**links, "results": [tag_json(t, now) for t in results]})

    async def tag(self, request: Request, *, canonical: bool = True) -> Response:
        principal = self._who(request)
        where = (request.path_params["namespace"], request.path_params["repository"], request.path_params["tag"])
        if request.method == "DELETE":
            if canonical:
                _canonical_write(self.state)
            self.state.delete_tag(principal, *where)
            return Response(status_code=204)
        return JSONResponse(tag_json(self.state.read_tag(principal, *where), self.state.clock.now()))

    async def repository_groups(self, request: Request) -> Response:
        principal = self._who(request)
        where = (request.path_params["namespace"], request.path_params["repository"])
        if request.method == "POST":
            grant = self.state.grant_group(principal, *where, await _json_object(request))
            return JSONResponse(repo_group_json(grant))
        results, links = _page(request, self.state.repo_groups(principal, *where))
        return JSONResponse({**links, "results": [repo_group_json(g) for g in results]})

    async def repository_group(self, request: Request) -> Response:
        principal = self._who(request)
        where = (request.path_params["namespace"], request.path_params["repository"], _group_id(request))
        if request.method == "DELETE":
            self.state.revoke_repo_group(principal, *where)
            return Response(status_code=204)
        if request.method == "PATCH":
            grant = self.state.update_repo_group(principal, *where, await _json_object(request))
        else:
            grant = self.state.repo_group(principal, *where)
        return JSONResponse(repo_group_json(grant))

    # -- accounts and organizations ------------------------------------------------------------------

    async def user_orgs(self, request: Request) -> Response:
        principal = self._who(request)
        self.state.check_route_kind(principal, request.method, request.url.path)
        results, links = _page(request, self.state.user_orgs(principal))
        user = principal.username or ""
        return JSONResponse(
            {
                **links,
                "results": [
                    org_json(org, role=role, teams=sorted(g.name for g in org.groups.values() if user in g.members))
                    for org, role in results
                ],
            }
        )

    async def org(self, request: Request) -> Response:
        self._who(request)
        return JSONResponse(org_json(self.state.org_profile(request.path_params["org_name"])))

    async def user(self, request: Request) -> Response:
        self._who(request)
        return JSONResponse(user_json(self.state.user_profile(request.path_params["username"])))

    async def members(self, request: Request) -> Response:
        principal = self._organization_caller(request)
        org = request.path_params["org_name"]
        found = self.state.members(
            principal, org, search=_text_param(request, "search"), role=_text_param(request, "role")
        )
        results, links = _page(request, found)
        email = self.state.shows_emails(principal, org)
        return JSONResponse({**links, "results": [member_json(u, r, t, email=email) for u, r, t in results]})

    async def groups(self, request: Request) -> Response:
        principal = self._organization_caller(request)
        results, links = _page(request, self.state.list_groups(principal, request.path_params["org_name"]))
        return JSONResponse({**links, "results": [group_json(g) for g in results]})

    async def group(self, request: Request) -> Response:
        principal = self._organization_caller(request)
        where = (request.path_params["org_name"], request.path_params["group_name"])
        return JSONResponse(group_json(self.state.get_group(principal, *where)))

    async def group_members(self, request: Request) -> Response:
        principal = self._organization_caller(request)
        where = (request.path_params["org_name"], request.path_params["group_name"])
        if request.method == "POST":
            self.state.add_group_member(principal, *where, await _json_object(request))
            return Response(status_code=200)
        results, links = _page(request, self.state.group_members(principal, *where))
        return JSONResponse({**links, "results": [user_json(u) for u in results]})

    async def group_member(self, request: Request) -> Response:
        principal = self._organization_caller(request)
        where = (request.path_params["org_name"], request.path_params["group_name"], request.path_params["username"])
        self.state.remove_group_member(principal, *where)
        return Response(status_code=204)

    async def invites(self, request: Request) -> Response:
        principal = self._organization_caller(request)
        found = self.state.pending_invites(principal, request.path_params["org_name"])
        return JSONResponse({"data": [invite_json(i) for i in found]})

    async def audit_logs(self, request: Request) -> Response:
        principal = self._organization_caller(request)
        events = self.state.audit_events(
            principal,
            request.path_params["account"],
            action=_text_param(request, "action"),
            name=_text_param(request, "name"),
            actor=_text_param(request, "actor"),
            since=_time_param(request, "from"),
            until=_time_param(request, "to"),
        )
        # Audit logs page without count or links: `{logs: [...]}`, 25 a page unless asked.
        page = _int_param(request, "page", 1)
        size = _int_param(request, "page_size", 25, _MAX_PAGE_SIZE)
        chosen = events[(page - 1) * size : page * size]
        return JSONResponse({"logs": [audit_json(e) for e in chosen]})

    async def search(self, request: Request) -> Response:
        badges = [b for b in (_text_param(request, "badges") or "").split(",") if b]
        found = self.state.search(request.query_params.get("query", ""), badges=badges)
        start = _int_param(request, "from", 0, minimum=0)
        size = _int_param(request, "size", 25, _MAX_PAGE_SIZE)
        chosen = found[start : start + size]
        return JSONResponse({"total": len(found), "results": [search_json(r, self.state.badge(r)) for r in chosen]})

    def _organization_caller(self, request: Request) -> Principal:
        principal = self._who(request)
        self.state.check_route_kind(principal, request.method, request.url.path)
        return principal

    # -- OAT-only, legacy and never-called routes ----------------------------------------------------

    async def oat_only(self, request: Request) -> Response:
        self._organization_caller(request)
        raise errors.error(501, "not implemented", "the sandbox Hub does not serve this operation")

    async def legacy(self, request: Request) -> Response:
        """The `/v2/repositories/{ns}/...` forms: reads and the two writes real clients use, answered as Hub
        answers them (an OAT is refused on every one)."""
        principal = self._who(request)
        if principal.source == "oat":
            raise errors.error(403, "forbidden", "token issued from organization access token is not allowed")
        namespace = request.path_params["namespace"]
        repository = request.path_params.get("repository")
        tag = request.path_params.get("tag")
        if repository is None:
            if request.method != "GET":
                raise errors.error(405, "method not allowed", f"{request.method} is not served here")
            return await self.repositories(request)
        if tag is not None:
            return await self.tag(request, canonical=False)
        if request.url.path.rstrip("/").endswith("/tags"):
            return await self.tags(request)
        if request.method == "PATCH":
            repo = self.state.update_repository(principal, namespace, repository, await _json_object(request))
            return JSONResponse(repository_info(repo, self.state.permission(principal, repo)))
        if request.method in ("GET", "HEAD"):
            return await self.repository(request)
        raise errors.error(405, "method not allowed", f"{request.method} is not served here")

    async def current_user(self, request: Request) -> Response:
        principal = self._who(request)
        if principal.source == "anonymous":
            raise errors.unauthenticated()
        if principal.source == "oat":
            raise errors.error(403, "forbidden", "token issued from organization access token is not allowed")
        if principal.source != "password" or principal.username is None:
            # PAT-derived JWTs get 403 here on real Hub (hub-feedback#2247).
            raise errors.error(403, "forbidden", "access to the resource is forbidden with personal access token")
        user = self.state.users[principal.username]
        return JSONResponse({"id": user.uuid, "username": user.username, "full_name": "", "type": "User"})


def _canonical_write(state: HubState) -> None:
    """Where the canonical write routes are switched off, answer as a Hub without them would."""
    if state.quirks.canonical_writes == "405":
        raise errors.HubError(405, {"detail": "Method not allowed."})
    if state.quirks.canonical_writes == "html_404":
        raise _HtmlNotFound


class _HtmlNotFound(Exception):
    """Answer with Hub's HTML 404 page (an unknown route), not JSON."""


async def _hub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubError)
    return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)


async def _html_not_found(request: Request, exc: Exception) -> Response:
    return HTMLResponse(NOT_FOUND_HTML, status_code=404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    headers = exc.headers if isinstance(exc, HTTPException) else None
    return JSONResponse({"detail": f'Method "{request.method}" not allowed.'}, status_code=405, headers=headers)


def build_app(state: HubState) -> Starlette:
    """The sandbox Hub as a Starlette app over `state`."""
    r = _Routes(state)
    ns, repo = "/v2/namespaces/{namespace}/repositories", "/v2/namespaces/{namespace}/repositories/{repository}"
    everything = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes = [
        Route("/v2/auth/token", r.auth_token, methods=["POST"]),
        Route("/v2/users/login", r.users_login, methods=["POST"]),
        Route(ns, r.repositories, methods=["GET", "POST"]),
        Route(repo, r.repository, methods=["GET", "PATCH"]),
        Route(repo + "/tags", r.tags, methods=["GET"]),
        Route(repo + "/tags/{tag}", r.tag, methods=["GET", "DELETE"]),
        Route("/v2/repositories/{namespace}/{repository}/groups", r.repository_groups, methods=["GET", "POST"]),
        Route(
            "/v2/repositories/{namespace}/{repository}/groups/{group_id}",
            r.repository_group,
            methods=["GET", "PATCH", "DELETE"],
        ),
        Route("/v2/repositories/{namespace}", r.legacy, methods=everything),
        Route("/v2/repositories/{namespace}/{repository}", r.legacy, methods=everything),
        Route("/v2/repositories/{namespace}/{repository}/tags", r.legacy, methods=everything),
        Route("/v2/repositories/{namespace}/{repository}/tags/{tag}", r.legacy, methods=everything),
        Route("/v2/user", r.current_user, methods=["GET"]),
        Route("/v2/user/orgs", r.user_orgs, methods=["GET"]),
        Route("/v2/orgs/{org_name}", r.org, methods=["GET"]),
        Route("/v2/users/{username}", r.user, methods=["GET"]),
        Route("/v2/orgs/{org_name}/members", r.members, methods=["GET"]),
        Route("/v2/orgs/{org_name}/groups", r.groups, methods=["GET"]),
        Route("/v2/orgs/{org_name}/groups/{group_name}", r.group, methods=["GET"]),
        Route("/v2/orgs/{org_name}/groups/{group_name}/members", r.group_members, methods=["GET", "POST"]),
        Route("/v2/orgs/{org_name}/groups/{group_name}/members/{username}", r.group_member, methods=["DELETE"]),
        Route("/v2/orgs/{org_name}/invites", r.invites, methods=["GET"]),
        Route("/v2/auditlogs/{account}", r.audit_logs, methods=["GET"]),
        Route("/api/search/v4", r.search, methods=["GET"]),
        # The rest of the OAT-only operations: refused to PATs like the others, else not served.
        *(Route(rule.template, r.oat_only, methods=sorted(rule.methods)) for rule in OAT_ONLY_ROUTES),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(HubMiddleware, state=state)],
        exception_handlers={
            HubError: _hub_error,
            _HtmlNotFound: _html_not_found,
            404: _html_not_found,
            405: _method_not_allowed,
        },
    )
    # The middleware already folds a trailing slash; never answer with a redirect (clients keep them off).
    app.router.redirect_slashes = False
    return app
