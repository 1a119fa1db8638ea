"""Read functions of the coupons domain for other domains: who holds coupons and how many are
still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.coupons.models import CouponCampaign, CouponClaim, CouponRedemption, CouponTemplate


def claimants(workspace_id: int) -> Select[Any]:
    """Customer ids that ever claimed a coupon."""
    return select(CouponClaim.customer_id).where(CouponClaim.workspace_id == workspace_id)


@dataclass(frozen=True)
class Outstanding:
    coupons: int
    face_value_fen: int


def coupons_outstanding(session: Session, workspace_id: int, now: datetime) -> Outstanding:
    """Claimed coupons not yet used and still valid at ``now``, and their face value."""
    used = select(CouponRedemption.claim_id).where(CouponRedemption.workspace_id == workspace_id)
    count, face = session.execute(
        select(func.count(), func.coalesce(func.sum(CouponTemplate.face_value_fen), 0))
        .select_from(CouponClaim)
        .join(CouponCampaign, CouponCampaign.id == CouponClaim.campaign_id)
        .join(CouponTemplate, CouponTemplate.id == CouponCampaign.template_id)
        .where(
            CouponClaim.workspace_id == workspace_id,
            CouponClaim.id.not_in(used),
            (CouponClaim.valid_until.is_(None)) | (CouponClaim.valid_until > now),
        )
    ).one()
    return Outstanding(int(count), int(face))
