"""``siyu import orders FILE...``: import seller export files, one transaction per file."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from siyu.kit.cli import WorkspaceSlug, fail, unit_of_work
from siyu.kit.money import format_yuan
from siyu.orders.importers import PLATFORMS, FatalImportError
from siyu.workspace.audit import cli_actor

if TYPE_CHECKING:  # the service (and the store) load only when a command runs
    from siyu.orders.service import ImportSummary
    from siyu.orders.service import Progress as Advance

import_app = typer.Typer(help="Import data from files.", no_args_is_help=True)

PLATFORM_CHOICES = ("auto", *PLATFORMS)
DEFAULT_REPORT_DIR = Path("var/reports")
# Taobao's item file attaches items to orders already imported, so it goes after the order
# lists given with it, even when a shell glob (Export*.csv) lists it first.
_ITEM_FILE_PREFIX = "exportorderdetaillist"


@import_app.command("orders")
def import_orders(
    files: Annotated[
        list[Path], typer.Argument(help="Export files (csv, xlsx, xls, jsonl).", show_default=False)
    ],
    workspace: WorkspaceSlug,
    platform: Annotated[
        str, typer.Option(help="auto | taobao | douyin | kuaishou | youzan | xiaohongshu | generic")
    ] = "auto",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check everything, write nothing.")
    ] = False,
    report_dir: Annotated[
        Path, typer.Option("--report-dir", help="Where reject reports (CSV) are written.")
    ] = DEFAULT_REPORT_DIR,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary per file on stdout.")
    ] = False,
) -> None:
    """Import order export files. Exits non-zero when a file is rejected as a whole."""

    if platform not in PLATFORM_CHOICES:
        raise fail(f"unknown platform {platform!r}; choose {', '.join(PLATFORM_CHOICES)}", 2)
    for path in files:
        if not path.is_file():
            raise fail(f"cannot read {path}: no such file", 2)
    _check_workspace(workspace)
    failed = 0
    for path in _import_order(files):
        summary = _import_one(path, workspace, platform, dry_run, report_dir, as_json)
        if summary.fatal:
            failed += 1
            typer.secho(f"error: {path}: {summary.fatal}", fg=typer.colors.RED, err=True)
        _print_summary(summary, as_json, dry_run)
    if failed:
        raise typer.Exit(1)


@import_app.command("intimacy")
def import_intimacy(
    file: Annotated[
        Path, typer.Argument(help="Fan-club list (csv, xlsx, xls).", show_default=False)
    ],
    workspace: WorkspaceSlug,
    platform: Annotated[
        str | None,
        typer.Option(help="The platform of every row, when the file has no platform column."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
) -> None:
    """Import fan-club intimacy levels (粉丝亲密度): a fan id and a level per row.

    Rows that cannot be used are listed on stderr with their row numbers; the rest apply. The
    whole file is read and checked first; the levels then go in a short transaction per batch
    (requests are not held up), and setting a level twice changes nothing, so a run that failed
    half-way is completed by running the file again.
    """
    from siyu.customers.intimacy_file import read_intimacy_file
    from siyu.customers.service import import_intimacy_file
    from siyu.workspace import service

    if not file.is_file():
        raise fail(f"cannot read {file}: no such file", 2)
    try:
        parsed = read_intimacy_file(file, platform)
    except FatalImportError as fatal:
        raise fail(f"{file}: {fatal.message}", 2) from fatal
    with unit_of_work() as session:
        ws = service.get_workspace_by_slug(session, workspace)
        summary = import_intimacy_file(session, ws.id, str(file), parsed, cli_actor())
    for number, reason in parsed.rejected:
        typer.echo(f"  row {number}: {reason}", err=True)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(
        f"{file}: {parsed.rows_read:,} rows read, {summary['updated']:,} levels set, "
        f"{summary['unknown_fans']:,} fans not found, {len(parsed.rejected):,} rows rejected"
    )


def _import_order(files: Sequence[Path]) -> list[Path]:
    return sorted(files, key=lambda path: path.name.lower().startswith(_ITEM_FILE_PREFIX))


def _check_workspace(slug: str) -> None:
    from siyu.workspace import service

    with unit_of_work() as session:
        service.get_workspace_by_slug(session, slug)


def _import_one(
    path: Path, slug: str, platform: str, dry_run: bool, report_dir: Path, as_json: bool
) -> ImportSummary:
    from siyu.orders.service import import_file
    from siyu.workspace import service

    report_path = report_dir / f"{path.stem}.rejects.csv"
    report_path.unlink(missing_ok=True)  # a report left from an earlier run would mislead
    with unit_of_work() as session, _progress(path.name, enabled=not as_json) as advance:
        return import_file(
            session,
            service.get_workspace_by_slug(session, slug),
            path,
            platform=platform,
            dry_run=dry_run,
            actor=cli_actor(),
            progress=advance,
            report_path=report_path,
        )


@contextmanager
def _progress(label: str, *, enabled: bool) -> Iterator[Advance | None]:
    """Rows read so far on stderr (the total is unknown until the file is read); only on a
    terminal, so logs and pipes get the summaries alone."""
    from rich.console import Console

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda rows: bar.advance(task, rows)


def _print_summary(summary: ImportSummary, as_json: bool, dry_run: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
        return
    if summary.fatal:
        return
    prefix = "dry run, nothing written: " if dry_run else ""
    typer.echo(
        f"{prefix}{summary.file} ({summary.platform}): {summary.rows_read:,} rows read, "
        f"{summary.orders_created:,} orders created, {summary.orders_updated:,} updated, "
        f"{summary.orders_unchanged:,} unchanged, {summary.rows_rejected:,} rows rejected, "
        f"{summary.customers_created:,} new fans; paid {format_yuan(summary.paid_amount_fen)}, "
        f"refunded {format_yuan(summary.refund_amount_fen)}"
    )
    if summary.report:
        typer.echo(f"  rejected rows: {summary.report}")
