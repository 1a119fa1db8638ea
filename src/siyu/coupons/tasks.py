"""Coupon jobs: persisting the grab stream, reconciling Redis with the store, following rule
changes, and matching redemptions from imported orders."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from siyu.coupons import service
from siyu.coupons.models import CouponCampaign
from siyu.db import database
from siyu.jobs import job
from siyu.kit.redis import get_redis
from siyu.workspace import service as workspace_service

log = logging.getLogger("siyu.coupons")


@job("coupons.consume", every_seconds=15, max_attempts=1)
def consume(session: Session) -> None:
    """Safety net for ``siyu coupons consume``: drain whatever the streams hold."""
    from siyu.coupons import stream

    client = get_redis()
    if client is not None:
        stream.drain(database.session, client)


@job("coupons.reconcile", every_seconds=300, max_attempts=1)
def reconcile(session: Session) -> None:
    from siyu.coupons import stream

    client = get_redis()
    if client is None:
        return
    for result in stream.reconcile(database.session, client):
        if result.repaired:
            log.warning("coupon campaign %s reconciled: %s", result.campaign_id, result.repaired)


@job("coupons.refresh_rules", max_attempts=3)
def refresh_rules(session: Session, campaign_id: int) -> None:
    """A campaign was created or changed: Redis (server mode) is armed with its rules ahead of
    the drop, so the first seconds of a grab don't all race to arm it from the store."""
    from siyu.coupons import stream

    client = get_redis()
    campaign = session.get(CouponCampaign, campaign_id)
    if client is not None and campaign is not None:
        stream.arm(session, client, campaign)


@job("coupons.rebuild_stock", max_attempts=3)
def rebuild_stock(session: Session, campaign_id: int) -> None:
    """The stock grew (codes imported before the start): Redis re-arms from the store."""
    from siyu.coupons import stream

    client = get_redis()
    campaign = session.get(CouponCampaign, campaign_id)
    if client is None or campaign is None:
        return
    stream.drain(database.session, client)
    stream.forget(client, campaign_id)
    stream.arm(session, client, campaign)


@job("coupons.match_redemptions", every_seconds=3600, max_attempts=3)
def match_redemptions(session: Session, workspace_id: int | None = None) -> None:
    ids = [workspace_id] if workspace_id is not None else workspace_service.workspace_ids(session)
    for ws in ids:
        counts = service.match_redemptions(session, ws)
        if any(counts.values()):
            log.info("workspace %s: coupons used %s", ws, counts)
