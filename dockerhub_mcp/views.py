"""The MCP Apps views (extension `io.modelcontextprotocol/ui`): one `ui://` HTML resource per view a tool
links to (`ToolSpec.view`, stamped on the tool as `_meta.ui.resourceUri`).

Each view is one self-contained HTML file in the package (`dockerhub_mcp/ui/`, built from `ui/` by
`bash ui/build.sh`), read only when a host reads the resource: starting the server reads none of them.
The views declare no CSP domains, so hosts apply the spec's strict default: they fetch nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from mcp.server.apps import APP_MIME_TYPE, Apps
from mcp.server.mcpserver.resources import FunctionResource

from dockerhub_mcp.tools import TOOLS, view_uri

__all__ = ["APP_MIME_TYPE", "VIEW_TITLES", "read_view", "views_extension"]

VIEW_TITLES = {
    "cleanup-plan": "Tag cleanup plan view: rules, space freed per repository, the tags, apply",
    "audit": "Recent pushes view: a timeline per repository, with deletions from the audit log",
}


def read_view(name: str) -> str:
    """The HTML of the view `name`, from the installed package."""
    return resources.files("dockerhub_mcp").joinpath("ui", f"{name}.html").read_text(encoding="utf-8")


def _reader(name: str) -> Callable[[], str]:
    return lambda: read_view(name)


def views_extension() -> Apps:
    """The SDK's MCP Apps extension holding a lazily read resource for every view a tool links to."""
    apps = Apps()
    for name in dict.fromkeys(spec.view for spec in TOOLS if spec.view is not None):
        apps.add_resource(
            FunctionResource(
                uri=view_uri(name),
                name=f"{name}-view",
                title=VIEW_TITLES[name].split(":")[0],
                description=VIEW_TITLES[name],
                mime_type=APP_MIME_TYPE,
                fn=_reader(name),
            )
        )
    return apps
