"""JWT minting and checking for the sandbox Hub (HS256, a fresh random key per sandbox).

Expiry is judged against the sandbox clock, never PyJWT's wall clock, so `Clock.advance()` ages tokens.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from dockerhub_mcp.sandbox.errors import invalid_token, token_expired

__all__ = ["AUDIENCE", "HUB_CLAIM", "ISSUER", "Claims", "TokenIssuer", "looks_like_jwt"]

ISSUER = "https://sandbox.hub.local"
AUDIENCE = "https://hub.docker.com"
HUB_CLAIM = "https://hub.docker.com"
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Claims:
    """What a verified sandbox JWT says about its bearer."""

    jti: str
    username: str
    scope: str
    source: str
    exp: int
    iat: int


def looks_like_jwt(token: str) -> bool:
    """Whether `token` is shaped like a JWT (three segments, a JSON header naming an `alg`)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return False
    try:
        padded = parts[0] + "=" * (-len(parts[0]) % 4)
        header: object = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return False
    return isinstance(header, dict) and "alg" in header


class TokenIssuer:
    """Signs and verifies this sandbox's JWTs; the key never leaves the instance."""

    def __init__(self, now: Callable[[], float]) -> None:
        """Use `now` (the sandbox clock) for `iat`, `exp` and expiry checks."""
        self._now = now
        # 32 random bytes: PyJWT warns on shorter HMAC keys and the test suite turns warnings into errors.
        self._key = secrets.token_bytes(32)

    def mint(
        self,
        *,
        username: str,
        user_uuid: str,
        email: str,
        scope: str,
        source: str,
        lifetime: int,
    ) -> tuple[str, str]:
        """Return `(jwt, jti)` for a bearer valid `lifetime` seconds from now, with Hub's claim layout."""
        iat = int(self._now())
        jti = str(uuid.uuid4())
        claims: dict[str, Any] = {
            "aud": AUDIENCE,
            "exp": iat + lifetime,
            "iat": iat,
            "iss": ISSUER,
            "jti": jti,
            "scope": scope,
            "sub": user_uuid,
            HUB_CLAIM: {
                "email": email,
                "session_id": str(uuid.uuid4()),
                "source": source,
                "username": username,
                "uuid": user_uuid,
            },
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM), jti

    def verify(self, token: str) -> Claims:
        """Check signature, issuer, audience and expiry (by the sandbox clock).

        Raises:
            HubError: 401 `invalid token` or 401 `token expired`.
        """
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                # Time claims are checked below against the sandbox clock, not the wall clock.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iat", "jti", "sub"],
                },
            )
        except jwt.InvalidTokenError:
            raise invalid_token() from None
        hub = payload.get(HUB_CLAIM)
        if not isinstance(hub, dict):
            raise invalid_token()
        exp, iat = payload["exp"], payload["iat"]
        if not isinstance(exp, int) or not isinstance(iat, int):
            raise invalid_token()
        if exp <= self._now():
            raise token_expired()
        return Claims(
            jti=str(payload["jti"]),
            username=str(hub.get("username", "")),
            scope=str(payload.get("scope", "")),
            source=str(hub.get("source", "")),
            exp=exp,
            iat=iat,
        )
