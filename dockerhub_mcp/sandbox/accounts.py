"""Credentials: token exchange on both auth routes, JWT checks, and who a bearer acts as."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Literal

from dockerhub_mcp.sandbox import errors
from dockerhub_mcp.sandbox.builders import HubData
from dockerhub_mcp.sandbox.errors import HubError
from dockerhub_mcp.sandbox.model import AuthKind, PatLevel, Principal, Quirks
from dockerhub_mcp.sandbox.tokens import TokenIssuer, looks_like_jwt

__all__ = ["ANONYMOUS", "HubAccounts"]

logger = logging.getLogger(__name__)

ANONYMOUS = Principal(source="anonymous", level="repo:public_read")


@dataclass(frozen=True)
class _Credential:
    source: Literal["pat", "oat", "password"]
    secret: str  # the PAT/OAT secret, or the username for a password (never logged)
    name: str  # username, or org name for an OAT
    level: PatLevel


def _same(known: str, given: str) -> bool:
    # Constant time, and on bytes: compare_digest refuses non-ASCII str.
    return secrets.compare_digest(known.encode(), given.encode())


class HubAccounts(HubData):
    """Token exchange and bearer checks on top of the stored accounts."""

    token_lifetime: int
    quirks: Quirks
    _tokens: TokenIssuer
    # jti -> (source, credential) for every JWT minted; `_revoked_jtis` are refused.
    _issued: dict[str, tuple[str, str]]
    _revoked_jtis: set[str]

    def revoke_jwts(self) -> None:
        """Reject every JWT issued so far with 401 `invalid token`; PATs stay valid."""
        self._revoked_jtis.update(self._issued)

    def exchange_token(self, identifier: object, secret: object) -> str:
        """`POST /v2/auth/token`: a JWT for a PAT (identifier = username) or an OAT (identifier = org).

        Raises:
            HubError: 400 when a field is missing, 401 for wrong or revoked credentials.
        """
        if not isinstance(identifier, str) or not isinstance(secret, str) or not identifier or not secret:
            raise errors.bad_request("identifier and secret are required", field="identifier, secret")
        credential = self._credential(identifier, secret)
        # 2FA accounts cannot use a password here; Docker tells them to use a PAT.
        if credential is None or (credential.source == "password" and self.users[credential.name].two_factor):
            raise errors.error(401, "unauthorized", "Incorrect authentication credentials")
        return self._mint(credential)

    def login(self, username: object, password: object) -> str:
        """`POST /v2/users/login` (deprecated route): a JWT for a username and a PAT or password.

        Raises:
            HubError: 400 when a field is missing, 401 shaped like the spec's `PostUsersLoginErrorResponse`.
        """
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            raise errors.bad_request("username and password are required", field="username, password")
        credential = self._credential(username, password)
        if credential is None or credential.source == "oat":
            raise HubError(401, {"detail": "Incorrect authentication credentials", "login_2fa_token": None})
        if credential.source == "password" and self.users[credential.name].two_factor:
            raise HubError(
                401,
                {
                    "detail": "Require secondary authentication on MFA enabled account",
                    "login_2fa_token": secrets.token_urlsafe(24),
                },
            )
        return self._mint(credential)

    def classify_auth(self, authorization: str | None) -> AuthKind:
        """The kind of credential an `Authorization` header carries, for the request log."""
        if authorization is None:
            return "none"
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() not in ("bearer", "jwt") or not token:
            return "invalid"
        if token.startswith("dckr_pat_") or token in self.pats:
            return "pat"
        return "jwt" if looks_like_jwt(token) else "invalid"

    def authenticate(self, authorization: str | None) -> Principal:
        """Who the request acts as: anonymous without a header, else the holder of a live JWT.

        Raises:
            HubError: 401 for a raw PAT as bearer, and for an expired, revoked or unknown bearer.
        """
        kind = self.classify_auth(authorization)
        if kind == "none" or authorization is None:
            return ANONYMOUS
        if kind == "pat":
            raise errors.raw_pat_refused()
        if kind == "invalid" or self.quirks.refuse_jwts:
            raise errors.invalid_token()
        claims = self._tokens.verify(authorization.strip().partition(" ")[2].strip())
        issued = self._issued.get(claims.jti)
        if issued is None or claims.jti in self._revoked_jtis:
            raise errors.invalid_token()
        source, secret = issued
        if source == "pat":
            pat = self.pats.get(secret)
            if pat is None or pat.revoked:
                raise errors.invalid_token()
            return Principal(source="pat", level=pat.level, username=pat.username)
        if source == "oat":
            oat = self.oats.get(secret)
            if oat is None or oat.revoked:
                raise errors.invalid_token()
            return Principal(source="oat", level="repo:admin", org=oat.org)
        if secret not in self.users:
            raise errors.invalid_token()
        return Principal(source="password", level="repo:admin", username=secret)

    def _credential(self, identifier: str, secret: str) -> _Credential | None:
        name = identifier.strip().lower()
        pat = self.pats.get(secret)
        if pat is not None:
            # Hub has been seen exchanging a PAT sent with another username: the JWT still names the owner.
            ok = not pat.revoked and (pat.username == name or self.quirks.any_identifier)
            return _Credential("pat", secret, pat.username, pat.level) if ok else None
        oat = self.oats.get(secret)
        if oat is not None:
            ok = not oat.revoked and oat.org == name
            return _Credential("oat", secret, name, "repo:admin") if ok else None
        user = self.users.get(name)
        if user is not None and user.password is not None and _same(user.password, secret):
            return _Credential("password", name, name, "repo:admin")
        return None

    def _mint(self, credential: _Credential) -> str:
        if credential.source == "oat":
            org = self.orgs[credential.name]
            subject_uuid, email = org.uuid, ""
        else:
            user = self.users[credential.name]
            subject_uuid, email = user.uuid, user.email
        token, jti = self._tokens.mint(
            username=credential.name,
            user_uuid=subject_uuid,
            email=email,
            scope=credential.level,
            source=credential.source,
            lifetime=self.token_lifetime,
        )
        self._issued[jti] = (credential.source, credential.secret)
        logger.debug("sandbox minted a %s-derived JWT for %s", credential.source, credential.name)
        return token
