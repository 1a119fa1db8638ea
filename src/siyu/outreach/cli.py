"""``siyu outreach ...``: the content check, a broadcast's numbers and lift, and running the
follow-up and playbooks now (the jobs also run them every few minutes)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, unit_of_work

outreach_app = typer.Typer(
    help="Outreach: broadcasts, playbooks, the content check.", no_args_is_help=True
)


def _workspace_id(session: Session, slug: str) -> int:
    from siyu.workspace import service as workspaces

    return workspaces.get_workspace_by_slug(session, slug).id


@outreach_app.command("check")
def check(
    text: Annotated[str, typer.Argument(help="The text to check.")],
    workspace: WorkspaceSlug,
    as_json: JsonFlag = False,
) -> None:
    """Findings on a text (exit code 1 when one of them blocks the send)."""
    from siyu.outreach import content, service

    with unit_of_work() as session:
        findings = service.check_content(session, _workspace_id(session, workspace), text)
    ok = not content.blocks(findings)
    lines = [f"{f.severity} {f.category}: {f.term} [{f.start}:{f.end}]" for f in findings]
    emit(
        {"ok": ok, "findings": [f.as_dict() for f in findings]},
        as_json,
        "\n".join(lines) or "ok",
    )
    if not ok:
        raise typer.Exit(1)


@outreach_app.command("show")
def show(
    broadcast: Annotated[int, typer.Argument(help="Broadcast id.")],
    workspace: WorkspaceSlug,
    days: Annotated[int, typer.Option(min=1, max=90, help="Lift window after the send.")] = 7,
    as_json: JsonFlag = False,
) -> None:
    """A broadcast's counts and its lift over the holdout."""
    from siyu.outreach import lift, service

    with unit_of_work() as session:
        found = service.get_broadcast(session, _workspace_id(session, workspace), broadcast)
        counts = service.broadcast_counts(session, found)
        result = lift.broadcast_lift(session, found, days)
        payload = {
            "state": found.state,
            "audience_size": found.audience_size,
            "holdout_size": found.holdout_size,
            "planned": counts.planned,
            "sent": counts.sent,
            "incremental_gmv_fen": result.incremental_gmv_fen,
            "ci95_fen": list(result.ci95_fen),
        }
    emit(
        payload,
        as_json,
        f"{found.name}: {found.state}, planned {counts.planned}, sent {counts.sent}; "
        f"incremental GMV {result.incremental_gmv_fen} fen, 95% {list(result.ci95_fen)}",
    )


@outreach_app.command("follow-up")
def follow_up(as_json: JsonFlag = False) -> None:
    """Pull results and send reminders for every broadcast being sent."""
    from siyu.outreach import service

    with unit_of_work() as session:
        sending = service.broadcasts_sending(session)
        for workspace_id, broadcast_id in sending:
            service.follow_up(session, workspace_id, broadcast_id)
    emit({"broadcasts": len(sending)}, as_json, f"followed up {len(sending)} broadcasts")


@outreach_app.command("run-playbooks")
def run_playbooks(as_json: JsonFlag = False) -> None:
    """Enrol fans whose anchor happened and work the steps due now."""
    from siyu.kit.clock import utcnow
    from siyu.outreach import playbooks

    enrolled = worked = 0
    with unit_of_work() as session:
        for workspace_id, playbook_id in playbooks.active_playbooks(session):
            playbook = playbooks.get_playbook(session, workspace_id, playbook_id)
            enrolled += playbooks.enrol_due(session, workspace_id, playbook)
            worked += playbooks.work_due_tasks(session, workspace_id, playbook, utcnow())
    emit(
        {"enrolled": enrolled, "worked": worked},
        as_json,
        f"enrolled {enrolled} fans, worked {worked} due steps",
    )
