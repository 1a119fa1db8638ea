"""Referral jobs: rewards for invitees whose first paid order came in with an import."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from siyu.jobs import chunk_committed, job
from siyu.referral import service

log = logging.getLogger("siyu.referral")


@job("referral.settle", every_seconds=600)
def settle(session: Session) -> None:
    """Beside ``points.settle``: imported orders are looked at every ten minutes."""
    for workspace_id in service.workspace_ids_with_referrals(session):
        paid = service.settle_rewards(session, workspace_id)
        chunk_committed(session)
        if paid:
            log.info("referral rewards paid in workspace %s: %s", workspace_id, paid)
