"""API shapes of the referral domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from siyu.kit.bounds import Int64
from siyu.referral.models import Referral


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inviter_id: Int64 = Field(description="The fan whose link brought the invitee.")
    invitee_id: Int64 = Field(description="The fan brought in.")


class ReferralOut(BaseModel):
    id: int
    inviter_id: int
    invitee_id: int
    depth: int = Field(description="1: invited by a fan at the top; 2: by an invitee of one.")
    source: str
    touched_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, node: Referral) -> ReferralOut:
        assert node.inviter_id is not None  # roots are not referrals
        return cls(
            id=node.id,
            inviter_id=node.inviter_id,
            invitee_id=node.customer_id,
            depth=node.depth,
            source=node.source,
            touched_at=node.touched_at,
            created_at=node.created_at,
        )


class RewardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invitee_id: int
    beneficiary_id: int
    level: int
    order_id: int
    order_paid_fen: int
    kind: str
    points: int
    coupon_claim_id: str | None
    created_at: datetime
