"""``siyu camps ...``: the check-in camps of a workspace and a camp's progress board.

``siyu.cli`` is imported inside each command (it imports this module to register them).
"""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, unit_of_work

camps_app = typer.Typer(help="Check-in camps (打卡).", no_args_is_help=True)


@camps_app.command("board")
def board(
    workspace: WorkspaceSlug,
    camp_id: Annotated[int, typer.Argument(help="The camp.")],
    as_json: JsonFlag = False,
) -> None:
    """Participants by days checked in, best streak, and who completed the camp."""
    from siyu.engagement import service
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        camp = service.get_camp(session, workspace_id, camp_id)
        rows = [
            {
                "customer_id": p.customer_id,
                "checked": p.checked,
                "streak": p.streak,
                "completed": p.completed,
            }
            for p in service.board(session, camp)
        ]
        title = camp.title
    lines = [
        f"fan {r['customer_id']}: {r['checked']} days, streak {r['streak']}"
        + (" ✓" if r["completed"] else "")
        for r in rows
    ]
    emit({"camp": title, "board": rows}, as_json, "\n".join([title, *lines]))
