"""``siyu points ...``: expire due points, and check the ledger's invariants.

``siyu.cli`` is imported inside each command (it imports this module to register them).
"""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, unit_of_work

points_app = typer.Typer(help="Points (积分): expiry and ledger checks.", no_args_is_help=True)


@points_app.command("expire")
def expire(
    workspace: WorkspaceSlug,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would expire; change nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Expire every points lot past its expiry date (the nightly job does this too)."""
    from siyu.loyalty import conversions
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        summary = conversions.expire_due(session, workspace_id, dry_run=dry_run)
    counts = summary.as_dict()
    verb = "would expire" if dry_run else "expired"
    emit(
        {**counts, "dry_run": dry_run, "workspace": workspace},
        as_json,
        f"{verb} {counts['points']} points in {counts['lots']} lots of {counts['customers']} fans",
    )


@points_app.command("check")
def check(
    workspace: Annotated[
        str | None, typer.Option("--workspace", help="Only this workspace (default: all).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify balance = sum of entries = sum of lots, debt and pending, for every fan."""
    from siyu.loyalty import reports
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = (
            workspaces.get_workspace_by_slug(session, workspace).id if workspace else None
        )
        drifts = reports.check_invariants(session, workspace_id)
    lines = [
        f"drift: workspace {d.workspace_id} fan {d.customer_id} {d.what}: cached {d.cached}, "
        f"computed {d.computed}"
        for d in drifts
    ]
    emit(
        {"ok": not drifts, "drifts": [d.__dict__ for d in drifts]},
        as_json,
        "\n".join(lines) if drifts else "ok: every points account matches its ledger",
    )
    if drifts:
        raise typer.Exit(1)
