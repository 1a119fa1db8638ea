"""Live jobs: counting the order invites of recent lives as orders are imported."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.jobs import job
from siyu.kit.clock import utcnow
from siyu.live import service

SETTLE_DAYS = 3  # orders of a live arrive within days of it (exports lag, grace period)


@job("live.settle_order_invites", every_seconds=3600, max_attempts=2)
def settle_order_invites(session: Session) -> None:
    """Visitors who ordered in a recent live become effective invites of their sharer."""
    for live in service.lives_ended_since(session, utcnow() - timedelta(days=SETTLE_DAYS)):
        service.settle_order_invites(session, live)
