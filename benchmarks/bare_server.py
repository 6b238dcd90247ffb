"""The floor for cold start: a bare mcp 2.x server with N trivial tools over stdio (N from argv)."""

from __future__ import annotations

import sys

from mcp.server import MCPServer


def main(count: int) -> None:
    """Serve `count` tools that echo their argument, on stdio."""
    mcp: MCPServer[object] = MCPServer("bare")
    for i in range(count):

        def tool(text: str) -> str:
            """Echo the text."""
            return text

        mcp.add_tool(tool, name=f"tool_{i}")
    mcp.run()


if __name__ == "__main__":
    main(int(sys.argv[1]))
