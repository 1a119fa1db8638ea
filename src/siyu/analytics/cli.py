"""``siyu analytics ...``: refresh a workspace's figures, write the RFM file for analysts.

``siyu.cli`` is imported inside each command (it imports this module to register it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, fail, unit_of_work

analytics_app = typer.Typer(help="Segments and analytics.", no_args_is_help=True)

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Business day YYYY-MM-DD, inclusive (default: today)."),
]
MODES = ("standard", "cn8", "lifetimes")


def _as_of(text: str | None) -> date | None:

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"invalid --as-of {text!r}: expected YYYY-MM-DD", 2) from None


@analytics_app.command("refresh")
def refresh(workspace: WorkspaceSlug, as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    """Recompute every fan's metrics, RFM, stage and scores, and the dashboard reports."""
    from siyu.analytics.refresh import refresh_in_short_transactions
    from siyu.workspace import service

    day = _as_of(as_of)
    with unit_of_work() as session:
        workspace_id = service.get_workspace_by_slug(session, workspace).id
    summary = refresh_in_short_transactions(workspace_id, day)
    payload = {
        "workspace": workspace,
        "as_of": summary.as_of.isoformat(),
        "customers": summary.customers,
        "buyers": summary.buyers,
        "lifecycle_changes": summary.lifecycle_changes,
        "clv_fitted": summary.clv_fitted,
    }
    emit(payload, as_json, str(summary))


@analytics_app.command("rfm")
def rfm(
    workspace: WorkspaceSlug,
    out: Annotated[Path, typer.Option("--out", help="Output file: .csv or .xlsx.")],
    as_of: AsOf = None,
    mode: Annotated[str, typer.Option("--mode", help="standard | cn8 | lifetimes")] = "standard",
) -> None:
    """One row per fan with a paid order: identities, then the mode's columns."""
    from siyu.analytics.service import rfm_file
    from siyu.kit.tabular import format_for, write_table
    from siyu.workspace import service

    if mode not in MODES:
        raise fail(f"invalid --mode {mode!r}: choose {', '.join(MODES)}", 2)
    try:
        format_for(out)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if not out.parent.is_dir():
        raise fail(f"cannot write {out}: folder {out.parent} does not exist", 2)
    day = _as_of(as_of)
    with unit_of_work() as session:
        workspace_id = service.get_workspace_by_slug(session, workspace).id
        result = rfm_file(session, workspace_id, mode, day)  # type: ignore[arg-type]
    rows = write_table(out, result.table, sheet=f"RFM {mode}")
    typer.echo(f"wrote {rows} fans ({mode}, as of {result.as_of}) to {out}")
