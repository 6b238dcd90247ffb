"""Sealed cleanup plans: the server's plan store, and plan files for approval flows.

A plan's `plan_id` is an HMAC-SHA256, keyed with `DOCKERHUB_MCP_PLAN_KEY` (or a random key of this
process), over the canonical JSON of everything else in the plan: the namespace, rules, every tag, the
time it was made and its expiry, and the username and API URL it was made for. Whoever does not hold the
key cannot make a valid id for a list of their own, and a plan edited, expired or made for another
account or Hub is refused before anything is sent.
"""

from __future__ import annotations

import hmac
import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from dockerhub_mcp.config import Settings
from dockerhub_mcp.errors import InvalidInputError
from dockerhub_mcp.workflows.cleanup import CleanupPlan
from dockerhub_mcp.workflows.seal import PLAN_ID, canonical, seal

__all__ = [
    "MAX_STORED_BYTES",
    "MAX_STORED_PLANS",
    "PLAN_FILE_FORMAT",
    "PlanStore",
    "check_current",
    "plan_uri",
    "read_plan_file",
    "write_plan_file",
]

PLAN_FILE_FORMAT = "dockerhub-mcp/cleanup-plan@1"
MAX_STORED_PLANS = 32
MAX_STORED_BYTES = 64 * 1024 * 1024  # canonical JSON: about 200 bytes a tag, so some 300,000 tags in all


def plan_uri(plan_id: str) -> str:
    """The resource holding the whole plan."""
    return f"dockerhub://plans/{plan_id}"


def _again(plan_id: str, why: str) -> InvalidInputError:
    shown = f"{plan_id[:12]}…" if PLAN_ID.fullmatch(plan_id) else repr(plan_id[:40])
    return InvalidInputError(
        f"Plan {shown} {why}: nothing was sent. Plan again (plan_tag_cleanup, or `dockerhub-mcp cleanup`)."
    )


def check_current(plan: CleanupPlan, settings: Settings, now: datetime) -> None:
    """Refuse a plan made for another account or Hub, or past its expiry.

    Raises:
        InvalidInputError: the plan cannot be applied here and now.
    """
    if (plan.username, plan.api_url) != (settings.username, settings.api_url):
        raise _again(
            plan.plan_id,
            f"was made for {plan.username!r} at {plan.api_url}, not this connection "
            f"({settings.username!r} at {settings.api_url})",
        )
    if now >= plan.expires_at:
        raise _again(plan.plan_id, f"expired at {plan.expires_at:%Y-%m-%d %H:%M} UTC")


def _verified(plan_id: str, body: Mapping[str, Any], settings: Settings) -> CleanupPlan:
    if not hmac.compare_digest(seal(body, settings), plan_id):
        raise _again(plan_id, "does not match its seal: it was edited, or sealed with another DOCKERHUB_MCP_PLAN_KEY")
    return CleanupPlan.model_validate({**body, "plan_id": plan_id})


class PlanStore:
    """The plans this server issued, kept sealed until they expire or room is needed; and, per plan, the
    outcomes of its last apply.

    Plans are kept as their canonical JSON (a 20,000-tag plan is about 4 MB), at most `max_plans` of them
    and `max_bytes` in all; the oldest go first.
    """

    def __init__(self, *, max_plans: int = MAX_STORED_PLANS, max_bytes: int = MAX_STORED_BYTES) -> None:
        self._plans: OrderedDict[str, bytes] = OrderedDict()
        self._outcomes: dict[str, bytes] = {}
        self._expiry: dict[str, datetime] = {}  # by plan id, so listing the current ones reads no plan
        self._max_plans = max_plans
        self._max_bytes = max_bytes
        self._last: CleanupPlan | None = None  # the last plan read back, so paging through one is cheap

    def add(self, plan: CleanupPlan) -> None:
        """Keep `plan` (already sealed) so it can be applied and read by its id."""
        self._plans[plan.plan_id] = canonical(plan.body())
        self._expiry[plan.plan_id] = plan.expires_at
        self._last = plan
        while len(self._plans) > self._max_plans or (
            len(self._plans) > 1 and sum(map(len, self._plans.values())) > self._max_bytes
        ):
            dropped, _ = self._plans.popitem(last=False)
            self._outcomes.pop(dropped, None)
            self._expiry.pop(dropped, None)

    def get(self, plan_id: str, settings: Settings, now: datetime) -> CleanupPlan:
        """The plan `plan_id`, checked: issued here, sealed, for this connection, not expired.

        Raises:
            InvalidInputError: an unknown, expired or foreign plan (the message says to plan again).
        """
        stored = self._plans.get(plan_id) if PLAN_ID.fullmatch(plan_id) else None
        if stored is None:
            raise _again(plan_id, "is not a plan this server issued (or it was dropped to make room)")
        plan = self._last if self._last is not None and self._last.plan_id == plan_id else None
        if plan is None:
            plan = _verified(plan_id, json.loads(stored), settings)
            self._last = plan
        check_current(plan, settings, now)
        return plan

    def ids(self, now: datetime) -> list[str]:
        """The ids of the plans kept that have not expired at `now`, oldest first."""
        return [plan_id for plan_id in self._plans if now < self._expiry[plan_id]]

    def keep_outcomes(self, plan_id: str, outcomes: str) -> None:
        """Keep the JSON of the last apply's outcomes of `plan_id` (while the plan itself is kept)."""
        if plan_id in self._plans:
            self._outcomes[plan_id] = outcomes.encode()

    def outcomes(self, plan_id: str) -> str | None:
        """The JSON of the last apply's outcomes of `plan_id`, if it was applied here."""
        found = self._outcomes.get(plan_id)
        return found.decode() if found is not None else None


def write_plan_file(path: Path, plan: CleanupPlan) -> None:
    """Write `plan` with its seal to `path`, for `cleanup --plan FILE --apply` to apply later."""
    document = {"format": PLAN_FILE_FORMAT, "plan_id": plan.plan_id, "plan": plan.body()}
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_plan_file(path: Path, settings: Settings, now: datetime) -> CleanupPlan:
    """Read and verify a sealed plan file: its seal, its connection and its expiry.

    Raises:
        InvalidInputError: unreadable, edited, foreign or expired (nothing may be sent).
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"The plan file {str(path)!r} cannot be read as JSON ({type(exc).__name__}).") from exc
    plan_id = document.get("plan_id") if isinstance(document, dict) else None
    body = document.get("plan") if isinstance(document, dict) else None
    if document.get("format") != PLAN_FILE_FORMAT or not isinstance(plan_id, str) or not isinstance(body, dict):
        raise InvalidInputError(f"{str(path)!r} is not a plan file written by `dockerhub-mcp cleanup --save-plan`.")
    try:
        plan = _verified(plan_id, body, settings)
    except ValueError as exc:  # sealed, but not a plan this version can read
        raise _again(plan_id, "is not in a shape this version can apply") from exc
    check_current(plan, settings, now)
    return plan
