"""Points jobs: settling conversions (refund claw-backs, vesting, opted-in auto-conversion) often,
and the nightly expiry, tier recomputation and invariant check."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from siyu.jobs import chunk_committed, job
from siyu.loyalty import conversions as loyalty_conversions
from siyu.loyalty import reports, tiers

log = logging.getLogger("siyu.loyalty")


class LedgerDrift(RuntimeError):
    """The cached balances disagree with the ledger: the job fails loudly for an operator."""


@job("points.settle", every_seconds=600)
def settle(session: Session) -> None:
    for workspace_id in reports.workspace_ids_with_points(session):
        settled = loyalty_conversions.settle_conversions(session, workspace_id)
        converted = loyalty_conversions.auto_convert(session, workspace_id)
        chunk_committed(session)
        if any(settled.values()) or converted:
            log.info(
                "points settled in workspace %s: %s, auto-converted %s",
                workspace_id,
                settled,
                converted,
            )


EXPIRY_CHUNK_LOTS = 500


def _expire_in_chunks(session: Session, workspace_id: int) -> loyalty_conversions.ExpirySummary:
    """Expire lots a chunk at a time, each in a short transaction of its own."""
    total = loyalty_conversions.ExpirySummary()
    while True:
        chunk = loyalty_conversions.expire_due(session, workspace_id, limit=EXPIRY_CHUNK_LOTS)
        chunk_committed(session)
        total.lots += chunk.lots
        total.points += chunk.points
        total.customers |= chunk.customers
        if chunk.lots < EXPIRY_CHUNK_LOTS:
            return total


@job("points.nightly", cron={"hour": 16, "minute": 10})  # 00:10 in Asia/Shanghai
def nightly(session: Session) -> None:
    for workspace_id in reports.workspace_ids_with_points(session):
        expired = _expire_in_chunks(session, workspace_id)
        changes = tiers.recompute_tiers(session, workspace_id)
        chunk_committed(session)
        log.info(
            "points nightly in workspace %s: expired %s, tier changes %s",
            workspace_id,
            expired.as_dict(),
            changes,
        )
    drifts = reports.check_invariants(session)
    if drifts:
        raise LedgerDrift(f"{len(drifts)} points accounts disagree with the ledger: {drifts[:5]}")
