"""Helpers for the coupons tests: fans, a template and a campaign built through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.coupons import service
from siyu.coupons.models import CouponCampaign, CouponTemplate
from siyu.customers import service as customers
from siyu.customers.identities import FanKey
from siyu.kit.clock import utcnow
from tests.factories import ACTOR


def make_fans(session: Session, workspace_id: int, count: int, prefix: str = "fan") -> list[int]:
    keys = [FanKey("douyin", f"{prefix}{i}", None, nickname=f"粉丝{i}") for i in range(count)]
    ids = customers.resolve_customers(session, workspace_id, keys).customer_ids
    return [int(i or 0) for i in ids]


def make_template(session: Session, workspace_id: int, **overrides: Any) -> CouponTemplate:
    fields: dict[str, Any] = {
        "name": "满99减3",
        "kind": "threshold",
        "threshold_fen": 9900,
        "discount_fen": 300,
        "valid_days": 7,
        "cost_fen": 300,
    }
    fields.update(overrides)
    return service.create_template(session, workspace_id, service.TemplateDraft(**fields), ACTOR)


def make_campaign(
    session: Session, workspace_id: int, quantity: int = 10, **overrides: Any
) -> CouponCampaign:
    template = overrides.pop("template", None) or make_template(session, workspace_id)
    fields: dict[str, Any] = {
        "template_id": template.id,
        "channel": "grab",
        "quantity": quantity,
        "per_customer_limit": 1,
        "starts_at": utcnow() - timedelta(seconds=1),
    }
    fields.update(overrides)
    return service.create_campaign(session, workspace_id, service.CampaignDraft(**fields), ACTOR)
