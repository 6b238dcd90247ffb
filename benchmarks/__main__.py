"""`python -m benchmarks [--quick]`: measure every performance figure of the README and print one table.

Everything runs against the sandbox Hub: in memory, on loopback with injected latency, or on virtual time.
--quick shrinks every size so the whole run takes seconds (a smoke run; its figures are not the README's).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime

import anyio

from benchmarks import figures
from benchmarks.figures import Row

SECTIONS = ("exchanges", "cleanup", "pacing", "context", "coldstart", "memory")


def machine() -> str:
    """One line about where the figures come from."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"{memory:.0f} GiB RAM, Python {platform.python_version()}"
    )


def table(rows: list[Row]) -> str:
    """The rows as a markdown table."""
    lines = ["| figure | measured | target | met |", "|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.figure} | {row.value} | {row.target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every figure")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this part (repeatable)")
    args = parser.parse_args(argv)
    quick, only = args.quick, set(args.only or SECTIONS)
    figures.quiet()
    rows: list[Row] = []
    if "exchanges" in only:
        rows += anyio.run(figures.exchanges)
    if "cleanup" in only:
        rows += figures.cleanup_at_speed(*((4, 50, 0.01) if quick else (20, 100, 0.05)))
    if "pacing" in only:
        rows += anyio.run(figures.pacing, 1 if quick else 5)
    if "context" in only:
        rows += anyio.run(figures.context_bytes)
        for repositories, tags in ((2, 100),) if quick else ((20, 100), (100, 200)):
            rows.append(anyio.run(figures.plan_result, repositories, tags))
    if "coldstart" in only:
        rows += figures.cold_start(2 if quick else 15)
    if "memory" in only:
        rows += figures.peak_memory(*((4, 50) if quick else (100, 200)))
    sys.stdout.write(f"dockerhub-mcp benchmarks{' (--quick)' if quick else ''}: {machine()}\n\n{table(rows)}\n")
    return 1 if any(row.met is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
