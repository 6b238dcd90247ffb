"""Hub-shaped error answers: one exception the routes raise, bodies worded like real Hub."""

from __future__ import annotations

from typing import Any

__all__ = [
    "PAT_NOT_ALLOWED",
    "HubError",
    "bad_request",
    "error",
    "insufficient_scope",
    "invalid_ordering",
    "invalid_token",
    "not_found",
    "pat_not_allowed",
    "permission_denied",
    "raw_pat_refused",
    "repository_not_found",
    "tag_not_found",
    "token_expired",
    "unauthenticated",
    "value_error",
]

# The project's canonical wording for a PAT (or PAT-derived JWT) where Hub wants something else.
PAT_NOT_ALLOWED = "token issued from personal access token is not allowed"


class HubError(Exception):
    """An answer other than success; `body` is sent as JSON with `status`."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Keep the status, the JSON body and any extra headers for the route layer."""
        super().__init__(status, body.get("message") or body.get("detail") or body.get("text"))
        self.status = status
        self.body = body
        self.headers = headers or {}


def error(status: int, message: str, detail: str, **errinfo: str) -> HubError:
    """The spec's `error` shape: `{"errinfo": {...}, "detail": str, "message": str}`."""
    return HubError(status, {"errinfo": dict(errinfo), "detail": detail, "message": message})


def value_error(field: str, problem: str) -> HubError:
    """The spec's 400 `ValueError` shape, e.g. for `page_size` or `ordering`."""
    return HubError(400, {"fields": {field: [problem]}, "text": f"Invalid {field} value"})


def invalid_ordering(choices: tuple[str, ...]) -> HubError:
    """400 for an unknown `ordering`, worded as in the spec's repository-list example."""
    return HubError(
        400,
        {
            "fields": {"ordering": ["Invalid ordering value. Must be one of: " + ", ".join(choices)]},
            "text": "Invalid ordering value",
        },
    )


def bad_request(detail: str, **errinfo: str) -> HubError:
    """400 in the `error` shape (body validation)."""
    return error(400, "bad request", detail, **errinfo)


def unauthenticated() -> HubError:
    """401 for a request that needs a bearer and sent none."""
    return error(401, "unauthorized", "authentication credentials were not provided")


def invalid_token() -> HubError:
    """401 for a bearer that is not a live JWT from this Hub (bad signature, revoked, garbage)."""
    return HubError(401, {"message": "unauthorized", "errinfo": {}, "detail": "invalid token"})


def token_expired() -> HubError:
    """401 for a JWT past its `exp` by the sandbox clock."""
    return HubError(401, {"message": "unauthorized", "errinfo": {}, "detail": "token expired"})


def pat_not_allowed() -> HubError:
    """403 for a PAT-derived JWT on an OAT-only route."""
    return HubError(403, {"errinfo": {}, "detail": PAT_NOT_ALLOWED, "message": PAT_NOT_ALLOWED})


def raw_pat_refused() -> HubError:
    """401 for a raw PAT sent as bearer: Hub takes only JWTs from the token exchange (hub-facts §10)."""
    return HubError(401, {"message": "unauthorized", "errinfo": {}})


def insufficient_scope() -> HubError:
    """403 when the PAT level is below what the operation needs (docker/docs#20138)."""
    return HubError(403, {"message": "insufficient scope", "errinfo": {}, "detail": "insufficient scope"})


def permission_denied(detail: str, **errinfo: str) -> HubError:
    """403 when the account itself lacks the permission, whatever the PAT level."""
    return error(403, "permission denied", detail, **errinfo)


def not_found(detail: str, **errinfo: str) -> HubError:
    """404 in the `error` shape."""
    return error(404, "not found", detail, **errinfo)


def repository_not_found(namespace: str, repository: str | None = None) -> HubError:
    """404 for an unknown (or invisible) namespace or repository, as Hub words it."""
    errinfo = {"namespace": namespace}
    if repository is not None:
        errinfo["repository"] = repository
    return HubError(404, {"message": "object not found", "errinfo": errinfo})


def tag_not_found(namespace: str, repository: str, tag: str) -> HubError:
    """404 for an unknown tag, as real Hub words it."""
    return HubError(
        404,
        {
            "message": f"httperror 404: tag '{tag}' not found",
            "errinfo": {"namespace": namespace, "repository": repository, "tag": tag},
        },
    )
