"""Settings from `DOCKERHUB_*` environment variables.

The token is a `SecretStr`: its repr is masked, and the only place that reads its value is the token
exchange in `auth.py`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from dockerhub_mcp.errors import InvalidInputError
from dockerhub_mcp.operations import check_glob, check_namespace

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PLAN_TTL",
    "ConfigError",
    "HttpSettings",
    "Settings",
    "TokenKind",
    "is_loopback",
    "parse_bool",
    "parse_duration",
    "parse_patterns",
]

DEFAULT_API_URL = "https://hub.docker.com"
DEFAULT_PLAN_TTL = 24 * 3600.0
DEFAULT_CONCURRENCY = 8  # requests in flight at once; pacing still keeps them inside Hub's rate limit
MAX_CONCURRENCY = 64
MIN_PLAN_KEY = 16
TokenKind = Literal["pat", "oat"]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class ConfigError(Exception):
    """The configuration is missing or invalid; the message names the variable."""


def parse_bool(name: str, value: str) -> bool:
    """Read a boolean variable: 1/true/yes/on or 0/false/no/off (any case)."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false (got {value!r}).")


def _token_kind(env: Mapping[str, str], token: str) -> TokenKind:
    """`DOCKERHUB_TOKEN_KIND` when set, else what the token's prefix says (`dckr_oat_` is an OAT)."""
    said = env.get("DOCKERHUB_TOKEN_KIND", "").strip().lower()
    if said not in ("", "pat", "oat"):
        raise ConfigError(f"DOCKERHUB_TOKEN_KIND must be pat or oat (got {said!r}).")
    looks: TokenKind = "oat" if token.startswith("dckr_oat_") else "pat"
    if said == "oat" and token.startswith("dckr_pat_"):
        raise ConfigError("DOCKERHUB_TOKEN_KIND is oat but DOCKERHUB_TOKEN holds a personal access token (dckr_pat_).")
    if said == "pat" and looks == "oat":
        raise ConfigError("DOCKERHUB_TOKEN_KIND is pat but DOCKERHUB_TOKEN holds an organization access token.")
    return "oat" if said == "oat" else looks


def _token(env: Mapping[str, str]) -> str:
    """The PAT from DOCKERHUB_TOKEN, or from the file DOCKERHUB_TOKEN_FILE names (Docker/Kubernetes secrets)."""
    token = env.get("DOCKERHUB_TOKEN", "").strip()
    path = env.get("DOCKERHUB_TOKEN_FILE", "").strip()
    if token and path:
        raise ConfigError("Set DOCKERHUB_TOKEN or DOCKERHUB_TOKEN_FILE, not both.")
    if not path:
        return token
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        # The path is not echoed: a token pasted here by mistake must not be printed.
        raise ConfigError(f"DOCKERHUB_TOKEN_FILE cannot be read: {type(exc).__name__}.") from exc


def parse_duration(name: str, value: str, *, default: float, low: float, high: float) -> float:
    """A duration in seconds from `90`, `90s`, `30m`, `24h` or `7d`, between `low` and `high` seconds."""
    raw = value.strip().lower()
    if not raw:
        return default
    number, unit = (raw[:-1], raw[-1]) if raw[-1] in _UNITS else (raw, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        seconds = -1.0
    if not low <= seconds <= high:
        raise ConfigError(f"{name} must be from {_human(low)} to {_human(high)}, like 30s, 90m or 24h (got {value!r}).")
    return seconds


def _human(seconds: float) -> str:
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _api_url(env: Mapping[str, str], *, sandbox: bool) -> str:
    """DOCKERHUB_API_URL, checked: a URL with a host, https unless it points at this machine.

    The scheme is compared as parsed (any case): `HTTP://remote` is plain http, and the PAT would cross
    the wire in clear at every exchange.
    """
    api_url = env.get("DOCKERHUB_API_URL", "").strip() or DEFAULT_API_URL
    try:
        parts = urlsplit(api_url)
        host = parts.hostname or ""
    except ValueError as exc:  # e.g. `http://[127.0.0.1]`: brackets hold IPv6 addresses only
        raise ConfigError("DOCKERHUB_API_URL is not a valid URL.") from exc
    if parts.scheme.lower() == "http" and not is_loopback(host) and not sandbox:
        raise ConfigError("DOCKERHUB_API_URL must use https:// (plain http is allowed only for loopback).")
    return api_url


def _duration(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    return parse_duration(name, env.get(name, ""), default=default, low=low, high=high)


def _plan_key(env: Mapping[str, str]) -> SecretStr | None:
    key = env.get("DOCKERHUB_MCP_PLAN_KEY", "").strip()
    if not key:
        return None
    if len(key) < MIN_PLAN_KEY:
        # The length only: the value is a secret and is never echoed.
        raise ConfigError(f"DOCKERHUB_MCP_PLAN_KEY must be at least {MIN_PLAN_KEY} characters (use a random value).")
    return SecretStr(key)


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_patterns(value: str | None) -> tuple[str, ...]:
    """`DOCKERHUB_PROTECTED_TAGS`: comma-separated tag globs; unset means `latest`, empty means none."""
    if value is None:
        return ("latest",)
    try:
        return tuple(check_glob(p.strip()) for p in value.split(",") if p.strip())
    except InvalidInputError as exc:
        raise ConfigError(f"DOCKERHUB_PROTECTED_TAGS: {exc}") from exc


class Settings(BaseModel):
    """The server's configuration."""

    model_config = ConfigDict(frozen=True)

    username: str = Field(description="The Docker ID, or with an organization access token the organization.")
    token: SecretStr
    token_kind: TokenKind = "pat"
    api_url: str = DEFAULT_API_URL
    label: str | None = None
    read_only: bool = False
    sandbox: bool = False
    protected_tags: tuple[str, ...] = ("latest",)
    timeout: float = Field(default=30.0, gt=0)
    max_retry_wait: float = Field(default=60.0, ge=0)
    attempts: int = Field(default=4, ge=1, le=10)
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)
    plan_ttl: float = Field(default=DEFAULT_PLAN_TTL, gt=0)
    plan_key: SecretStr | None = Field(default=None, repr=False)

    @field_validator("api_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        value = parts._replace(scheme=parts.scheme.lower()).geturl()
        # No userinfo: credentials belong in DOCKERHUB_TOKEN, and the URL is shown by get_connection and --check.
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
            raise ValueError("DOCKERHUB_API_URL must be an http(s) URL with a host, no credentials")
        if "?" in value or "#" in value:
            raise ValueError("DOCKERHUB_API_URL must be an http(s) URL without query or fragment")
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, read_only: bool = False, sandbox: bool = False) -> Settings:
        """Read the settings from `env` (for `sandbox`, `env` carries the sandbox's credentials and API URL).

        Raises:
            ConfigError: a required variable is missing or empty, or a value is invalid.
        """
        raw_username = env.get("DOCKERHUB_USERNAME", "").strip()
        token = _token(env)
        for name, value in (("DOCKERHUB_USERNAME", raw_username), ("DOCKERHUB_TOKEN", token)):
            if not value:
                hint = " (or DOCKERHUB_TOKEN_FILE)" if name == "DOCKERHUB_TOKEN" else ""
                raise ConfigError(f"{name}{hint} is not set: export it (see README, Configuration).")
        # Never echo these values: a token pasted into the wrong variable must not be printed.
        if raw_username.startswith(("dckr_", "eyJ")):
            raise ConfigError(
                "DOCKERHUB_USERNAME holds an access token: are DOCKERHUB_USERNAME and DOCKERHUB_TOKEN swapped?"
            )
        username = raw_username.lower()  # Docker IDs are lowercase; Hub matches them case-insensitively
        try:
            check_namespace(username)
        except InvalidInputError as exc:
            raise ConfigError(
                "DOCKERHUB_USERNAME is not a Docker ID or organization name: use 2-255 lowercase letters, digits, "
                "'-' or '_'."
            ) from exc
        api_url = _api_url(env, sandbox=sandbox)
        read_only = read_only or parse_bool("DOCKERHUB_READ_ONLY", env.get("DOCKERHUB_READ_ONLY", ""))
        protected = parse_patterns(env.get("DOCKERHUB_PROTECTED_TAGS"))
        try:
            return cls(
                username=username,
                token=SecretStr(token),
                token_kind=_token_kind(env, token),
                api_url=api_url,
                label=env.get("DOCKERHUB_LABEL", "").strip() or None,
                read_only=read_only,
                protected_tags=protected,
                timeout=_duration(env, "DOCKERHUB_TIMEOUT", 30.0, low=0.001, high=3600),
                max_retry_wait=_duration(env, "DOCKERHUB_MAX_RETRY_WAIT", 60.0, low=0.001, high=3600),
                concurrency=_count(env, "DOCKERHUB_CONCURRENCY", DEFAULT_CONCURRENCY, high=MAX_CONCURRENCY),
                plan_ttl=_duration(env, "DOCKERHUB_PLAN_TTL", DEFAULT_PLAN_TTL, low=60, high=30 * 86400),
                plan_key=_plan_key(env),
                sandbox=sandbox,
            )
        except ValueError as exc:
            raise ConfigError(
                "DOCKERHUB_API_URL must be an http(s) URL with a host and no credentials, query or fragment."
            ) from exc


class HttpSettings(BaseModel):
    """How the streamable HTTP transport is served: its key, names, and limits sized for a personal server."""

    model_config = ConfigDict(frozen=True)

    key: SecretStr | None = Field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()
    max_sessions: int = 32
    session_idle: float = 600.0
    max_connections: int = 64
    header_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HttpSettings:
        """Read `DOCKERHUB_MCP_*` from `env`.

        Raises:
            ConfigError: a value is out of range (the message names the variable).
        """
        key = env.get("DOCKERHUB_MCP_HTTP_KEY", "").strip()
        return cls(
            key=SecretStr(key) if key else None,
            allowed_hosts=tuple(h.strip() for h in env.get("DOCKERHUB_MCP_ALLOWED_HOSTS", "").split(",") if h.strip()),
            max_sessions=_count(env, "DOCKERHUB_MCP_MAX_SESSIONS", 32, high=10_000),
            session_idle=_duration(env, "DOCKERHUB_MCP_SESSION_IDLE", 600.0, low=1, high=86400),
            max_connections=_count(env, "DOCKERHUB_MCP_MAX_CONNECTIONS", 64, high=100_000),
            header_timeout=_duration(env, "DOCKERHUB_MCP_HEADER_TIMEOUT", 10.0, low=0.1, high=600),
        )


def _count(env: Mapping[str, str], name: str, default: int, *, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise ConfigError(f"{name} must be a whole number from 1 to {high} (got {raw!r}).")
    return int(raw)
