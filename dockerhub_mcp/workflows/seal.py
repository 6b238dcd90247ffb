"""The seal of a cleanup plan: an HMAC-SHA256 over its canonical JSON, keyed per server.

The key is `DOCKERHUB_MCP_PLAN_KEY`, or a random key of this process when that is unset (then plans
cannot outlive the process, and plan files cannot be written).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from dockerhub_mcp.config import Settings

__all__ = ["PLAN_ID", "canonical", "seal"]

PLAN_ID = re.compile(r"[0-9a-f]{64}")
_PROCESS_KEY = secrets.token_bytes(32)


def canonical(body: Mapping[str, Any]) -> bytes:
    """The one byte form of a plan body that the seal covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(body: Mapping[str, Any], settings: Settings) -> str:
    """The HMAC-SHA256 (hex) of a plan body's canonical JSON, with this server's plan key."""
    key = settings.plan_key.get_secret_value().encode() if settings.plan_key is not None else _PROCESS_KEY
    return hmac.new(key, canonical(body), hashlib.sha256).hexdigest()
