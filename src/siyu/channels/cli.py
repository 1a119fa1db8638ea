"""``siyu import content FILE...``: creator-centre exports, one transaction per file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from siyu.channels.importer import PLATFORM_CHOICES
from siyu.kit.cli import WorkspaceSlug, fail, unit_of_work
from siyu.workspace.audit import cli_actor


def import_content(
    files: Annotated[
        list[Path], typer.Argument(help="Creator-centre exports (csv, xlsx).", show_default=False)
    ],
    workspace: WorkspaceSlug,
    platform: Annotated[
        str,
        typer.Option(help="auto | douyin | kuaishou | xiaohongshu | bilibili | weibo | channels"),
    ] = "auto",
    account: Annotated[
        str | None,
        typer.Option(
            help="The account (handle or id) the works were published from; it must be on the"
            " file's platform. Default: the platform's only account, if it has one.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary per file on stdout.")
    ] = False,
) -> None:
    """Import the work data exported from the platforms' creator centres.

    Posts are matched by their platform id, or title and publish time; a later export updates
    their figures and adds a day to their history, and links them to the account. Bad rows
    are listed on stderr with their row numbers and the rest apply; a file that cannot be read
    (or an account that is unknown or on another platform) is rejected whole (exit code 1).
    """
    from siyu.channels.service import import_export
    from siyu.workspace.service import get_workspace_by_slug

    if platform not in PLATFORM_CHOICES:
        raise fail(f"unknown platform {platform!r}; choose {', '.join(PLATFORM_CHOICES)}", 2)
    for path in files:
        if not path.is_file():
            raise fail(f"cannot read {path}: no such file", 2)
    failed = 0
    for path in files:
        with unit_of_work() as session:
            summary = import_export(
                session,
                get_workspace_by_slug(session, workspace),
                path,
                platform=platform,
                account=account,
                actor=cli_actor(),
                file_name=str(path),
            )
        if summary.fatal:
            failed += 1
            typer.secho(f"error: {path}: {summary.fatal}", fg=typer.colors.RED, err=True)
        for error in summary.rejects or ():
            column = f" [{error.column}]" if error.column else ""
            typer.echo(f"  {path}: row {error.row}{column}: {error.reason}", err=True)
        if as_json:
            typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
        elif not summary.fatal:
            typer.echo(
                f"{path} ({summary.platform}): {summary.rows_read:,} rows read, "
                f"{summary.posts_created:,} posts created, {summary.posts_updated:,} updated, "
                f"{summary.rows_rejected:,} rows rejected"
            )
    if failed:
        raise typer.Exit(1)
