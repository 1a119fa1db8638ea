"""Outreach jobs: sending a broadcast, following up its tasks, and running playbooks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.db import database
from siyu.jobs import job
from siyu.outreach import service


@job("outreach.send_broadcast", max_attempts=3)
def send_broadcast(session: Session, broadcast_id: int) -> None:
    from siyu.outreach.models import Broadcast

    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is not None:
        service.send_broadcast(session, broadcast.workspace_id, broadcast_id)


@job("outreach.follow_up", every_seconds=300, max_attempts=1)
def follow_up(session: Session) -> None:
    """Each sending broadcast in a short transaction of its own."""
    for workspace_id, broadcast_id in service.broadcasts_sending(session):
        with database.session() as own:
            service.follow_up(own, workspace_id, broadcast_id)
            own.commit()
