"""The scheduled-run commands (`cleanup`, `audit`, `describe`): the workflows, with no model involved.

They call the same functions as the MCP tools. Output is the markdown summary, or with `--json` the
same structured result the tool returns. A progress bar is drawn on stderr when it is a terminal.
Exit codes: 0 success, 1 when any item failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError

from dockerhub_mcp.client import DockerHubClient
from dockerhub_mcp.errors import DockerHubError, InvalidInputError
from dockerhub_mcp.workflows import (
    CleanupPlan,
    CleanupRules,
    apply_plan,
    audit_pushes,
    bulk_descriptions,
    no_progress,
    plan_cleanup,
    read_plan_file,
    write_plan_file,
)
from dockerhub_mcp.workflows import Progress as ProgressCallback
from dockerhub_mcp.workflows.summaries import plan_markdown

__all__ = ["add_commands", "run_command"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_DURATION = re.compile(r"(\d+)([hdw]?)")
_HOURS = {"h": 1, "d": 24, "w": 24 * 7, "": 24}
_MAX_HOURS = 36_500 * 24


def duration_hours(text: str) -> float:
    """Parse `90d`, `36h`, `2w` or a bare number of days into hours (at most a century)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90d, 36h or 2w")
    if len(match.group(1)) > 7 or int(match.group(1)) * _HOURS[match.group(2)] > _MAX_HOURS:
        raise argparse.ArgumentTypeError(f"{text!r} is longer than a century")
    return int(match.group(1)) * _HOURS[match.group(2)]


def duration_days(text: str) -> int:
    """Parse a duration of whole days (`90d`, `2w`, `48h`); anything else is refused, never rounded.

    Rounding `12h` down to 0 days would make a retention window delete everything.
    """
    hours = duration_hours(text)
    if hours % 24:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days (retention is kept in days)")
    return int(hours // 24)


def count(text: str) -> int:
    """A whole number, 0 or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `cleanup`, `audit` and `describe` to the command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--namespace", help="user or organization (default: DOCKERHUB_USERNAME)")
    common.add_argument("--json", action="store_true", help="print the structured result as JSON")
    # SUPPRESS: an unset sub-command flag must not override `dockerhub-mcp --sandbox cleanup ...`.
    common.add_argument("--sandbox", action="store_true", default=argparse.SUPPRESS, help="use the sandbox Hub")

    cleanup = commands.add_parser("cleanup", parents=[common], help="delete tags past a retention window")
    cleanup.add_argument("--repository", action="append", help="repository to clean (repeatable; default all)")
    cleanup.add_argument("--older-than", type=duration_days, metavar="AGE", help="e.g. 90d (unless --plan)")
    cleanup.add_argument("--keep-latest", type=count, metavar="N", help="keep the N newest tags")
    cleanup.add_argument("--keep", action="append", metavar="GLOB", help="tag glob to keep (default: latest)")
    cleanup.add_argument("--only-never-pulled", action="store_true", help="delete only tags never pulled")
    cleanup.add_argument("--unpulled-for", type=duration_days, metavar="AGE", help="keep tags pulled within AGE")
    cleanup.add_argument("--allow-protected", action="store_true", help="also delete DOCKERHUB_PROTECTED_TAGS")
    cleanup.add_argument("--apply", action="store_true", help="delete (default: only show the plan)")
    cleanup.add_argument("--report", type=Path, metavar="FILE", help="write each outcome to FILE as it happens")
    cleanup.add_argument(
        "--save-plan", type=Path, metavar="FILE", help="write the sealed plan to FILE and delete nothing"
    )
    cleanup.add_argument("--plan", type=Path, metavar="FILE", help="show, or with --apply apply, a saved plan")

    audit = commands.add_parser("audit", parents=[common], help="what was pushed recently")
    audit.add_argument("--since", type=duration_hours, default=24.0, metavar="AGE", help="window (default 24h)")

    describe = commands.add_parser("describe", parents=[common], help="find and replace in descriptions")
    describe.add_argument("--find", required=True, help="literal text to find")
    describe.add_argument("--replace", required=True, help="replacement text")
    describe.add_argument("--field", choices=("description", "full_description", "both"), default="description")
    describe.add_argument("--repository", action="append", help="repository to edit (repeatable; default all)")
    describe.add_argument("--name-filter", help="only repositories whose name contains this")
    describe.add_argument("--apply", action="store_true", help="write (default: dry run)")
    describe.add_argument("--report", type=Path, metavar="FILE", help="write each outcome to FILE as it happens")


@asynccontextmanager
async def _progress_bar(stream: TextIO) -> AsyncIterator[ProgressCallback]:
    if not stream.isatty():
        yield no_progress
        return
    # rich loads only where a bar is drawn: not for the server, not for cron.
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task("starting", total=None)

        async def update(done: float, total: float | None, message: str | None) -> None:
            bar.update(task, completed=done, total=total, description=(message or "")[:60])

        yield update


@contextmanager
def _report_file(path: Path | None) -> Iterator[Callable[[BaseModel], None]]:
    """Append each outcome to `path` as a JSON line the moment it is known, so a run that is killed or
    interrupted still leaves a record of what it did; the final line is the whole report, or an
    `interrupted` line when the run did not finish."""
    if path is None:
        yield lambda _record: None
        return
    with path.open("a", encoding="utf-8") as stream:

        def record(item: BaseModel) -> None:
            stream.write(item.model_dump_json() + "\n")
            stream.flush()

        try:
            yield record
        except BaseException:
            stream.write('{"interrupted": true}\n')
            raise


def _emit(result: BaseModel, summary: str, as_json: bool, out: TextIO) -> None:
    out.write((result.model_dump_json(indent=2, exclude_none=True) if as_json else summary) + "\n")


async def run_command(args: argparse.Namespace, client: DockerHubClient, out: TextIO | None = None) -> int:
    """Run one scheduled-run command against `client`, printing to `out` (default: the current stdout)."""
    out = out if out is not None else sys.stdout
    namespace = args.namespace or client.settings.username
    for flag in ("report", "save_plan"):
        path = getattr(args, flag, None)
        if path is not None and not (path.parent.is_dir() and (not path.exists() or path.is_file())):
            name = "--" + flag.replace("_", "-")
            print(f"dockerhub-mcp {args.command}: {name} {str(path)!r} cannot be written", file=sys.stderr)
            return EXIT_USAGE
    try:
        async with _progress_bar(sys.stderr) as progress:
            return await _COMMANDS[args.command](args, client, namespace, progress, out)
    except InvalidInputError as exc:
        print(f"dockerhub-mcp {args.command}: {exc}", file=sys.stderr)
        # Our own checks mean bad usage; Hub refusing something mid-run is a failed run.
        return EXIT_USAGE if exc.status is None else EXIT_FAILED
    except ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        print(f"dockerhub-mcp {args.command}: invalid value for {fields}", file=sys.stderr)
        return EXIT_USAGE
    except DockerHubError as exc:
        print(f"dockerhub-mcp {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED


_RULE_FLAGS = ("older_than", "keep_latest", "keep", "unpulled_for", "repository", "namespace")
_SWITCHES = ("only_never_pulled", "allow_protected")


async def _cleanup(
    args: argparse.Namespace, client: DockerHubClient, namespace: str, progress: ProgressCallback, out: TextIO
) -> int:
    plan = await (_saved_plan(args, client) if args.plan is not None else _new_plan(args, client, namespace, progress))
    if not args.apply:
        note = f"Plan saved to {args.save_plan}" if args.save_plan else "Dry run"
        _emit(plan, plan_markdown(plan) + f"\n\n{note}: nothing deleted (add --apply).", args.json, out)
        return EXIT_FAILED if plan.failures else EXIT_OK
    with _report_file(args.report) as record:
        report = await apply_plan(client, plan, progress=progress, on_outcome=record)
        record(report)
    _emit(report, plan_markdown(plan) + "\n\n" + report.summary_markdown, args.json, out)
    return EXIT_FAILED if plan.failures or report.totals["failed"] else EXIT_OK


def _needs_plan_key(client: DockerHubClient, flag: str) -> None:
    if client.settings.plan_key is None:
        raise InvalidInputError(
            f"{flag} needs DOCKERHUB_MCP_PLAN_KEY (the same secret where the plan is made and where it is applied)."
        )


async def _new_plan(
    args: argparse.Namespace, client: DockerHubClient, namespace: str, progress: ProgressCallback
) -> CleanupPlan:
    if args.older_than is None:
        raise InvalidInputError("--older-than is required (or --plan FILE, to use a saved plan).")
    if args.save_plan is not None:
        if args.apply:
            raise InvalidInputError("--save-plan writes a plan to apply later with --plan FILE --apply; drop --apply.")
        _needs_plan_key(client, "--save-plan")
    rules = CleanupRules(
        older_than_days=args.older_than,
        keep_latest=args.keep_latest or 0,
        keep=args.keep if args.keep is not None else ["latest"],
        only_never_pulled=args.only_never_pulled,
        unpulled_for_days=args.unpulled_for,
    )
    plan = await plan_cleanup(
        client, namespace, rules, repositories=args.repository, allow_protected=args.allow_protected, progress=progress
    )
    if args.save_plan is not None:
        write_plan_file(args.save_plan, plan)
    return plan


async def _saved_plan(args: argparse.Namespace, client: DockerHubClient) -> CleanupPlan:
    given = [f"--{name.replace('_', '-')}" for name in _RULE_FLAGS if getattr(args, name) is not None]
    given += [f"--{name.replace('_', '-')}" for name in _SWITCHES if getattr(args, name)]
    if args.save_plan is not None:
        given.append("--save-plan")
    if given:
        raise InvalidInputError(f"A saved plan holds its own namespace and rules: drop {', '.join(given)}.")
    _needs_plan_key(client, "--plan")
    return read_plan_file(args.plan, client.settings, client.now())


async def _audit(
    args: argparse.Namespace, client: DockerHubClient, namespace: str, progress: ProgressCallback, out: TextIO
) -> int:
    report = await audit_pushes(client, namespace, since_hours=args.since, progress=progress)
    _emit(report, report.summary_markdown, args.json, out)
    return EXIT_FAILED if any(r.error for r in report.repositories) else EXIT_OK


async def _describe(
    args: argparse.Namespace, client: DockerHubClient, namespace: str, progress: ProgressCallback, out: TextIO
) -> int:
    with _report_file(args.report) as record:
        report = await bulk_descriptions(
            client,
            namespace,
            find=args.find,
            replace=args.replace,
            field=args.field,
            repositories=args.repository,
            name_filter=args.name_filter,
            dry_run=not args.apply,
            progress=progress,
            on_outcome=record,
        )
        record(report)
    note = "" if args.apply else "\n\nDry run: nothing written (add --apply)."
    _emit(report, report.summary_markdown + note, args.json, out)
    return EXIT_FAILED if report.totals["failed"] else EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, DockerHubClient, str, ProgressCallback, TextIO], Awaitable[int]]] = {
    "cleanup": _cleanup,
    "audit": _audit,
    "describe": _describe,
}
