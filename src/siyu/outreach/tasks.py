"""Outreach jobs: sending a broadcast, following up its tasks, and running playbooks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.db import database
from siyu.jobs import job
from siyu.outreach import service


# Not retried: a run that failed half-way may have created WeCom tasks that a second run would
# create again. The broadcast stays scheduled and the failure shows in the jobs page.
@job("outreach.send_broadcast", max_attempts=1)
def send_broadcast(session: Session, broadcast_id: int) -> None:
    from siyu.outreach.models import Broadcast

    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is not None:
        service.send_broadcast(session, broadcast.workspace_id, broadcast_id)


@job("outreach.follow_up", every_seconds=300, max_attempts=1)
def follow_up(session: Session) -> None:
    """Each sending broadcast, then each playbook WeCom task waiting for results, in a short
    transaction of its own."""
    from siyu.outreach import playbooks

    for workspace_id, broadcast_id in service.broadcasts_sending(session):
        with database.session() as own:
            service.follow_up(own, workspace_id, broadcast_id)
            own.commit()
    for workspace_id, send_id in playbooks.sends_waiting(session):
        with database.session() as own:
            playbooks.follow_send(own, workspace_id, send_id)
            own.commit()


@job("outreach.playbooks", every_seconds=300, max_attempts=1)
def run_playbooks(session: Session) -> None:
    """Enrol fans whose anchor happened and work due steps, one playbook per transaction."""
    from siyu.kit.clock import utcnow
    from siyu.outreach import playbooks

    for workspace_id, playbook_id in playbooks.active_playbooks(session):
        with database.session() as own:
            playbook = playbooks.get_playbook(own, workspace_id, playbook_id)
            playbooks.enrol_due(own, workspace_id, playbook)
            own.commit()
            playbooks.work_due_tasks(own, workspace_id, playbook, utcnow())
            own.commit()
