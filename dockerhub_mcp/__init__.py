"""dockerhub-mcp: an MCP server for Docker Hub, with a built-in sandbox Hub."""

__version__ = "0.1.0"

__all__ = ["__version__"]
