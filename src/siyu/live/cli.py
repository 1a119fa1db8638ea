"""``siyu live ...``: lives, a live's report, counting order invites, rebuilding the board."""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, unit_of_work

live_app = typer.Typer(help="Live campaigns (直播活动).", no_args_is_help=True)
LiveId = Annotated[int, typer.Argument(help="Live id.")]


@live_app.command("list")
def list_lives(workspace: WorkspaceSlug, as_json: JsonFlag = False) -> None:
    """The workspace's lives, newest first."""
    from siyu.live import service
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        rows, _ = service.list_lives(session, workspace_id, limit=200)
        lives = [
            {
                "id": live.id,
                "title": live.title,
                "platform": live.platform,
                "starts_at": live.starts_at.isoformat(),
                "ends_at": live.ends_at.isoformat(),
                "phase": service.phase_of(live),
            }
            for live in rows
        ]
    human = "\n".join(
        f"{x['id']:>5}  {x['phase']:<8}  {x['starts_at']}  {x['title']}" for x in lives
    )
    emit({"lives": lives}, as_json, human or "no lives")


@live_app.command("report")
def report(live: LiveId, workspace: WorkspaceSlug, as_json: JsonFlag = False) -> None:
    """A live's report: reservations, visits, invites, orders, GMV (fen) and per sharer."""
    from siyu.live import service
    from siyu.live.report import live_report
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        payload = live_report(session, service.get_live(session, workspace_id, live)).as_dict()
    human = " ".join(f"{k}={v}" for k, v in payload.items() if k != "sharers")
    emit(payload, as_json, human)


@live_app.command("settle")
def settle(live: LiveId, workspace: WorkspaceSlug, as_json: JsonFlag = False) -> None:
    """Count effective invites from the orders imported so far (visitors who ordered)."""
    from siyu.live import service
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        added = service.settle_order_invites(session, service.get_live(session, workspace_id, live))
    emit({"added": added}, as_json, f"{added} order invites added")


@live_app.command("rebuild-board")
def rebuild_board(live: LiveId, workspace: WorkspaceSlug, as_json: JsonFlag = False) -> None:
    """Rebuild the live's Redis leaderboard from the store (server mode)."""
    from siyu.live import service
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        merged = service.rebuild_board(session, service.get_live(session, workspace_id, live))
    emit({"invites": merged}, as_json, f"board rebuilt from {merged} invites")
