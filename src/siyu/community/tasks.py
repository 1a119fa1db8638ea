"""Nightly fan-group jobs: group health (and the statuses and alerts it moves), KOCs, and
message retention."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.community import health, search, service
from siyu.community.models import FanGroup
from siyu.jobs import chunk_committed, job
from siyu.workspace.audit import SYSTEM


def _workspaces_with_groups(session: Session) -> list[int]:
    return list(session.scalars(select(FanGroup.workspace_id).distinct()))


@job("community.nightly", cron={"hour": 18, "minute": 10})  # 02:10 in Asia/Shanghai
def nightly(session: Session) -> None:
    """Recompute yesterday and today for every workspace with groups, then purge messages
    older than each workspace's retention."""
    for workspace_id in _workspaces_with_groups(session):
        health.compute_health(session, workspace_id, days=2)
        chunk_committed(session)
        search.purge_expired_messages(session, workspace_id)
        chunk_committed(session)


@job("community.health")
def compute_health(session: Session, workspace_id: int, days: int = 1) -> None:
    health.compute_health(session, workspace_id, days=days)


@job("community.admit_waitlists", every_seconds=600)
def admit_waitlists(session: Session) -> None:
    """A backstop for seats freed outside the service (a member removed in the store, a group
    edited by a connector): seat waiting fans wherever a family has room again."""
    for workspace_id, family_id in service.families_with_waitlist(session):
        family = service.get_family(session, workspace_id, family_id)
        service.admit_waitlisted(session, family, SYSTEM)
