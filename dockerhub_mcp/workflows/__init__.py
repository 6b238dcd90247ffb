"""Workflows over the client, shared by the MCP tools and the CLI: cleanup, audit, bulk descriptions."""

from dockerhub_mcp.workflows.audit import AuditReport, audit_pushes
from dockerhub_mcp.workflows.cleanup import (
    CleanupPlan,
    CleanupReport,
    CleanupRules,
    PlanItem,
    apply_cleanup,
    plan_cleanup,
    plan_id_of,
    unconfirmed_report,
)
from dockerhub_mcp.workflows.common import Progress, no_progress
from dockerhub_mcp.workflows.descriptions import DescriptionReport, bulk_descriptions

__all__ = [
    "AuditReport",
    "CleanupPlan",
    "CleanupReport",
    "CleanupRules",
    "DescriptionReport",
    "PlanItem",
    "Progress",
    "apply_cleanup",
    "audit_pushes",
    "bulk_descriptions",
    "no_progress",
    "plan_cleanup",
    "plan_id_of",
    "unconfirmed_report",
]
