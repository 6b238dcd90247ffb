"""Workflows over the client, shared by the MCP tools and the CLI: cleanup, audit, bulk descriptions."""

from dockerhub_mcp.workflows.apply import CleanupReport, ItemOutcome, apply_plan, chosen, report_of
from dockerhub_mcp.workflows.audit import AuditReport, audit_pushes
from dockerhub_mcp.workflows.cleanup import CleanupPlan, CleanupRules, plan_cleanup
from dockerhub_mcp.workflows.common import Progress, no_progress
from dockerhub_mcp.workflows.descriptions import DescriptionReport, bulk_descriptions
from dockerhub_mcp.workflows.plans import PlanStore, read_plan_file, write_plan_file

__all__ = [
    "AuditReport",
    "CleanupPlan",
    "CleanupReport",
    "CleanupRules",
    "DescriptionReport",
    "ItemOutcome",
    "PlanStore",
    "Progress",
    "apply_plan",
    "audit_pushes",
    "bulk_descriptions",
    "chosen",
    "no_progress",
    "plan_cleanup",
    "read_plan_file",
    "report_of",
    "write_plan_file",
]
