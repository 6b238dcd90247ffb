"""What the workflows share: progress reporting, bounded concurrency, markdown tables."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import anyio

from dockerhub_mcp.errors import DockerHubError

__all__ = ["Progress", "bounded_map", "clip", "human_bytes", "markdown_table", "no_progress"]

T = TypeVar("T")
R = TypeVar("R")


Progress = Callable[[float, float | None, str | None], Awaitable[None]]
"""`await progress(done, total, message)`: the MCP progress notification, or a terminal progress bar."""


async def no_progress(_done: float, _total: float | None, _message: str | None) -> None:
    """A progress callback that reports nothing."""


async def bounded_map(fn: Callable[[T], Awaitable[R]], items: Sequence[T], *, concurrency: int) -> list[R]:
    """Run `fn` over `items` with at most `concurrency` at once; results keep the order of `items`.

    A fixed pool of workers takes items in turn, so memory does not grow with the number of items.
    """
    results: dict[int, R] = {}
    queue = iter(enumerate(items))

    async def worker() -> None:
        for index, item in queue:
            results[index] = await fn(item)

    try:
        async with anyio.create_task_group() as tg:
            for _ in range(max(1, min(concurrency, len(items)))):
                tg.start_soon(worker)
    except BaseExceptionGroup as group:
        # Callers handle the client's own errors, not task-group wrappers: hand the first one on.
        leaves = list(_leaves(group))
        if leaves and all(isinstance(e, DockerHubError) for e in leaves):
            raise leaves[0] from None
        raise
    return [results[index] for index in range(len(items))]


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


def human_bytes(size: int) -> str:
    """`1536` -> `1.5 KB` (decimal units, as Docker Hub shows sizes)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def clip(text: str, limit: int = 160) -> str:
    """`text` cut to `limit` characters (with an ellipsis): results stay bounded however long Hub's words."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(value: object) -> str:
    # Hub-supplied names are data: keep them from breaking out of the table.
    return clip(str(value)).replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
