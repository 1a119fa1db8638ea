"""``siyu community ...``: group health, KOCs and GMV guided from the command line.

``siyu.cli`` is imported inside each command (it imports this module to register it).
"""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, unit_of_work

community_app = typer.Typer(help="Fan groups: health, KOCs, GMV guided.", no_args_is_help=True)


@community_app.command("health")
def health_command(
    workspace: WorkspaceSlug,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Days to recompute.")] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Recompute daily group health, KOCs and statuses (what the nightly job does)."""
    from siyu.community import health
    from siyu.workspace import service as workspace_service

    with unit_of_work() as session:
        workspace_id = workspace_service.get_workspace_by_slug(session, workspace).id
        run = health.compute_health(session, workspace_id, days=days)
    summary = run.__dict__
    emit(
        summary,
        as_json,
        f"{run.groups} groups, {run.rows} daily rows, {run.kocs} KOCs, "
        f"{run.status_changes} status changes",
    )


@community_app.command("gmv")
def gmv_command(
    workspace: WorkspaceSlug,
    since_days: Annotated[int, typer.Option("--since-days", min=1, max=366)] = 30,
    window_days: Annotated[int | None, typer.Option("--window-days", min=1, max=30)] = None,
    as_json: JsonFlag = False,
) -> None:
    """GMV guided by each group: members' paid orders in the days after a staff push."""
    from siyu.community import health
    from siyu.workspace import service as workspace_service

    with unit_of_work() as session:
        workspace_id = workspace_service.get_workspace_by_slug(session, workspace).id
        rows = health.gmv_guided(
            session, workspace_id, since_days=since_days, window_days=window_days
        )
    top = sorted(rows, key=lambda r: -r.gmv_fen)
    lines = "\n".join(
        f"group {r.group_id}: ¥{r.gmv_fen / 100:,.2f} from {r.orders} orders, {r.pushes} pushes"
        for r in top
    )
    emit({"groups": [r.__dict__ for r in top]}, as_json, lines or "no groups")
