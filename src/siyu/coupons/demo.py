"""Demo coupons for ``siyu demo``: three templates, a grab an operator starts from the console
and fans claim on their phones, a share-to-claim campaign, and a finished campaign from the last
live whose coupons were used in the imported orders."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from siyu.coupons import engine as grab_engine
from siyu.coupons import grab, service
from siyu.coupons.models import CouponCampaign, CouponClaim, CouponTemplate
from siyu.kit.clock import as_utc, utcnow
from siyu.orders.ownership import buyer_ids, latest_paid_at
from siyu.workspace.audit import Actor

ACTOR = Actor("system", label="demo")
FINISHED_FANS = 300


def seed(session: Session, workspace_id: int) -> None:
    threshold, no_threshold, percent = _templates(session, workspace_id)
    _campaign(
        session,
        workspace_id,
        threshold.id,
        "今晚8点 全员抢券 满99减3",
        "grab",
        1000,
        starts_at=utcnow() + timedelta(days=1),
    )
    _campaign(
        session,
        workspace_id,
        no_threshold.id,
        "分享领券 无门槛5元",
        "share",
        500,
        starts_at=utcnow() - timedelta(hours=1),
    )
    _campaign(session, workspace_id, percent.id, "VIP 专享 85折", "manual", 200)
    _finished_campaign(session, workspace_id, threshold.id)


def _templates(session: Session, workspace_id: int) -> list[CouponTemplate]:
    drafts = [
        service.TemplateDraft(
            name="满99减3",
            kind="threshold",
            threshold_fen=9_900,
            discount_fen=300,
            valid_days=7,
            platforms=["douyin", "taobao"],
            cost_fen=300,
            how_to_use="直播间下单满99元自动可用",
        ),
        service.TemplateDraft(
            name="无门槛5元",
            kind="no_threshold",
            discount_fen=500,
            valid_days=3,
            cost_fen=500,
        ),
        service.TemplateDraft(
            name="85折 最高减20",
            kind="percent",
            percent=15,
            cap_fen=2_000,
            valid_days=14,
            cost_fen=1_000,
        ),
    ]
    return [service.create_template(session, workspace_id, d, ACTOR) for d in drafts]


def _campaign(
    session: Session,
    workspace_id: int,
    template_id: int,
    name: str,
    channel: str,
    quantity: int,
    starts_at: datetime | None = None,
) -> CouponCampaign:
    draft = service.CampaignDraft(
        template_id=template_id,
        channel=channel,
        quantity=quantity,
        name=name,
        starts_at=starts_at,
    )
    return service.create_campaign(session, workspace_id, draft, ACTOR)


def _finished_campaign(session: Session, workspace_id: int, template_id: int) -> None:
    """The last live's drop: claims are made through the engine, then dated back into the
    window of the imported orders so redemption matching finds the fans who used them."""
    latest = latest_paid_at(session, workspace_id)
    if latest is None:
        return
    opened = as_utc(latest) - timedelta(days=8)
    fans = _fans_who_bought_after(session, workspace_id, opened)
    campaign = _campaign(
        session,
        workspace_id,
        template_id,
        "上场直播 满99减3",
        "grab",
        FINISHED_FANS + 100,
        starts_at=utcnow() - timedelta(seconds=1),
    )
    for customer_id in fans:
        grab_engine.claim(
            session,
            grab.Attempt(workspace_id, campaign.id, customer_id, source="operator"),
            redis=None,
        )
    # SQLite can't do interval arithmetic on its stored timestamps: set the dates outright.
    session.execute(
        update(CouponClaim)
        .where(CouponClaim.campaign_id == campaign.id)
        .values(claimed_at=opened, valid_from=opened, valid_until=opened + timedelta(days=7))
    )
    campaign.starts_at = opened - timedelta(minutes=5)
    campaign.ends_at = opened + timedelta(hours=2)
    session.flush()
    service.match_redemptions(session, workspace_id, campaign.id)


def _fans_who_bought_after(session: Session, workspace_id: int, since: datetime) -> list[int]:
    """Half the fans bought after the drop (some will match the coupon), half did not."""
    buyers = buyer_ids(session, workspace_id, FINISHED_FANS // 2, paid_since=since)
    others = buyer_ids(session, workspace_id, FINISHED_FANS - len(buyers), excluding=buyers)
    return buyers + others
