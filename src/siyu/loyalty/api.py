"""REST endpoints of the loyalty domain: conversions, balances, the ledger, adjustments, mall items
and redemptions (scoped to the token's workspace; errors are problem+json)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.loyalty import conversions as loyalty_conversions
from siyu.loyalty import earn_rules, service
from siyu.loyalty import gifts as loyalty_gifts
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty import tiers as loyalty_tiers
from siyu.loyalty.models import Redemption
from siyu.loyalty.schemas import (
    AdjustmentIn,
    AutoConvertIn,
    CancelIn,
    ConversionIn,
    ConversionOut,
    EarnRuleIn,
    EarnRuleOut,
    EarnRulePatch,
    EntryOut,
    GiftBudgetOut,
    GiftDecisionIn,
    GiftIn,
    GiftOut,
    ItemIn,
    ItemOut,
    ItemPatch,
    PointsOut,
    PointsSettingsBody,
    RedemptionIn,
    RedemptionOut,
    ShipIn,
    ShippingAddressIn,
    TierIn,
    TierOut,
    TierPatch,
)
from siyu.workspace.auth import Api, needs
from siyu.workspace.roles import Scope

router = APIRouter(tags=["points"])

EntryKind = Literal["earn", "redeem", "expire", "adjust", "clawback", "redemption_refund"]
RedemptionState = Literal["pending", "shipped", "delivered", "cancelled"]
GiftState = Literal["pending_approval", "approved", "rejected"]


def _redemption_out(redemption: Redemption) -> RedemptionOut:
    return RedemptionOut.model_validate(
        {
            **{k: getattr(redemption, k) for k in RedemptionOut.model_fields if k != "has_address"},
            "has_address": redemption.address_enc is not None,
        }
    )


@router.post(
    "/points/conversions",
    response_model=ConversionOut,
    status_code=201,
    responses={404: {}, 409: {"description": "Already converted"}, 422: {}},
)
def convert(body: ConversionIn, api: Api, db: DbSession) -> ConversionOut:
    """Turn one of the fan's orders into points (409 when the order was converted already; 422
    when it is someone else's, unpaid or fully refunded)."""
    result = loyalty_conversions.convert_order(
        db, api.workspace_id, body.customer_id, body.platform, body.order_no, api.actor()
    )
    return ConversionOut(
        id=result.conversion_id,
        points=result.points,
        pending_points=result.pending_points,
        balance=result.balance,
    )


@router.get("/customers/{customer_id}/points", response_model=PointsOut)
def customer_points(customer_id: Int64, api: Api, db: DbSession) -> PointsOut:
    got = service.summary(db, api.workspace_id, customer_id)
    return PointsOut(**got.__dict__)


@router.put("/customers/{customer_id}/points/auto-convert", response_model=PointsOut)
def set_auto_convert(customer_id: Int64, body: AutoConvertIn, api: Api, db: DbSession) -> PointsOut:
    """Convert the fan's eligible paid orders automatically (the ``points.settle`` job) or not."""
    service.set_auto_convert(db, api.workspace_id, customer_id, body.enabled, api.actor())
    return PointsOut(**service.summary(db, api.workspace_id, customer_id).__dict__)


@router.get("/points/settings", response_model=PointsSettingsBody)
def points_settings(api: Api, db: DbSession) -> PointsSettingsBody:
    return _settings_out(service.settings_of(db, api.workspace_id))


@router.put("/points/settings", response_model=PointsSettingsBody, openapi_extra=needs(Scope.admin))
def put_points_settings(body: PointsSettingsBody, api: Api, db: DbSession) -> PointsSettingsBody:
    """Earning, expiry, vesting and gift budgets; they apply from the next action on."""
    saved = service.save_settings(db, api.workspace_id, body.model_dump(), api.actor())
    return _settings_out(saved)


def _settings_out(settings: service.PointsSettings) -> PointsSettingsBody:
    return PointsSettingsBody(
        **{key: getattr(settings, key) for key in PointsSettingsBody.model_fields}
    )


@router.get("/customers/{customer_id}/points/entries", response_model=Page[EntryOut])
def customer_entries(
    customer_id: Int64,
    api: Api,
    db: DbSession,
    kind: EntryKind | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[EntryOut]:
    service.summary(db, api.workspace_id, customer_id)  # 404 for an unknown fan
    entries, next_cursor = service.list_entries(
        db, api.workspace_id, customer_id=customer_id, kind=kind, cursor=cursor, limit=limit
    )
    return Page(items=[EntryOut.model_validate(e) for e in entries], next_cursor=next_cursor)


@router.get("/points/entries", response_model=Page[EntryOut])
def entries(
    api: Api,
    db: DbSession,
    customer_id: Int64 | None = None,
    kind: EntryKind | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[EntryOut]:
    """The ledger, newest first."""
    found, next_cursor = service.list_entries(
        db, api.workspace_id, customer_id=customer_id, kind=kind, cursor=cursor, limit=limit
    )
    return Page(items=[EntryOut.model_validate(e) for e in found], next_cursor=next_cursor)


@router.post("/points/adjustments", response_model=EntryOut, status_code=201)
def adjust(body: AdjustmentIn, api: Api, db: DbSession, response: Response) -> EntryOut:
    """Give or take points with a reason. Re-sending the same key and body returns the first
    entry (200); the same key with another body is a 422."""
    entry, replay = service.adjust(
        db,
        api.workspace_id,
        body.customer_id,
        body.points,
        body.reason,
        api.actor(),
        body.idempotency_key,
    )
    if replay:
        response.status_code = 200
    return EntryOut.model_validate(entry)


@router.post("/mall/items", response_model=ItemOut, status_code=201)
def create_item(body: ItemIn, api: Api, db: DbSession) -> ItemOut:
    item = loyalty_mall.create_item(db, api.workspace_id, body.model_dump(), api.actor())
    return ItemOut.model_validate(item)


@router.get("/mall/items", response_model=list[ItemOut])
def list_items(
    api: Api,
    db: DbSession,
    shelf: Literal["aspirational", "essentials", "seasonal"] | None = None,
    available: bool = False,
) -> list[ItemOut]:
    found = loyalty_mall.list_items(db, api.workspace_id, shelf=shelf, available_only=available)
    return [ItemOut.model_validate(i) for i in found]


@router.get("/mall/items/{item_id}", response_model=ItemOut)
def get_item(item_id: Int64, api: Api, db: DbSession) -> ItemOut:
    return ItemOut.model_validate(loyalty_mall.get_item(db, api.workspace_id, item_id))


@router.patch("/mall/items/{item_id}", response_model=ItemOut)
def update_item(item_id: Int64, body: ItemPatch, api: Api, db: DbSession) -> ItemOut:
    values = body.model_dump(exclude_unset=True)
    item = loyalty_mall.update_item(db, api.workspace_id, item_id, values, api.actor())
    return ItemOut.model_validate(item)


@router.post(
    "/mall/redemptions",
    response_model=RedemptionOut,
    status_code=201,
    responses={409: {"description": "insufficient-points, out-of-stock or limit reached"}},
)
def redeem(body: RedemptionIn, api: Api, db: DbSession, response: Response) -> RedemptionOut:
    """Reserve points and stock together. 409 ``urn:siyu:problem:insufficient-points`` or
    ``urn:siyu:problem:out-of-stock``; a replay of the same key and body returns the first
    redemption (200)."""
    redemption, replay = loyalty_mall.redeem(
        db,
        api.workspace_id,
        body.customer_id,
        body.item_id,
        body.quantity,
        body.idempotency_key,
        api.actor(),
        address=body.address.as_address()
        if isinstance(body.address, ShippingAddressIn)
        else body.address,
    )
    if replay:
        response.status_code = 200
    return _redemption_out(redemption)


@router.get("/mall/redemptions", response_model=Page[RedemptionOut])
def list_redemptions(
    api: Api,
    db: DbSession,
    state: RedemptionState | None = None,
    customer_id: Int64 | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[RedemptionOut]:
    found, next_cursor = loyalty_mall.list_redemptions(
        db, api.workspace_id, state=state, customer_id=customer_id, cursor=cursor, limit=limit
    )
    return Page(items=[_redemption_out(r) for r in found], next_cursor=next_cursor)


@router.get("/mall/redemptions/{redemption_id}", response_model=RedemptionOut)
def get_redemption(redemption_id: Int64, api: Api, db: DbSession) -> RedemptionOut:
    return _redemption_out(loyalty_mall.get_redemption(db, api.workspace_id, redemption_id))


@router.post("/mall/redemptions/{redemption_id}/ship", response_model=RedemptionOut)
def ship(redemption_id: Int64, body: ShipIn, api: Api, db: DbSession) -> RedemptionOut:
    redemption = loyalty_mall.ship(
        db, api.workspace_id, redemption_id, body.carrier, body.tracking_no, api.actor()
    )
    return _redemption_out(redemption)


@router.post("/mall/redemptions/{redemption_id}/deliver", response_model=RedemptionOut)
def deliver(redemption_id: Int64, api: Api, db: DbSession) -> RedemptionOut:
    return _redemption_out(loyalty_mall.deliver(db, api.workspace_id, redemption_id, api.actor()))


@router.post("/mall/redemptions/{redemption_id}/cancel", response_model=RedemptionOut)
def cancel(redemption_id: Int64, body: CancelIn, api: Api, db: DbSession) -> RedemptionOut:
    """Cancel a pending redemption: points and stock go back."""
    redemption = loyalty_mall.cancel(db, api.workspace_id, redemption_id, body.reason, api.actor())
    return _redemption_out(redemption)


# --- tiers and earn rules ------------------------------------------------------------------


@router.get("/points/tiers", response_model=list[TierOut])
def list_tiers(api: Api, db: DbSession) -> list[TierOut]:
    return [TierOut.model_validate(t) for t in loyalty_tiers.list_tiers(db, api.workspace_id)]


@router.post("/points/tiers", response_model=TierOut, status_code=201, responses={409: {}})
def create_tier(body: TierIn, api: Api, db: DbSession) -> TierOut:
    """A tier reached by ``min_points_12m`` points earned or (when set) ``min_spend_fen_12m``
    spent in the last 12 months; fans move at the nightly recomputation. 409 ``tier-exists``."""
    values = body.model_dump(exclude={"code"})
    return TierOut.model_validate(
        loyalty_tiers.create_tier(db, api.workspace_id, body.code, values, api.actor())
    )


@router.patch("/points/tiers/{code}", response_model=TierOut)
def update_tier(code: str, body: TierPatch, api: Api, db: DbSession) -> TierOut:
    values = body.model_dump(exclude_unset=True)
    return TierOut.model_validate(
        loyalty_tiers.update_tier(db, api.workspace_id, code, values, api.actor())
    )


@router.get("/points/earn-rules", response_model=list[EarnRuleOut])
def list_earn_rules(api: Api, db: DbSession) -> list[EarnRuleOut]:
    return [EarnRuleOut.model_validate(r) for r in earn_rules.list_earn_rules(db, api.workspace_id)]


@router.post("/points/earn-rules", response_model=EarnRuleOut, status_code=201)
def create_earn_rule(body: EarnRuleIn, api: Api, db: DbSession) -> EarnRuleOut:
    """A multiplier (‰) on earning, for a platform, a payment-time window or a segment."""
    rule = earn_rules.add_earn_rule(
        db,
        api.workspace_id,
        body.name,
        body.multiplier_permille,
        platform=body.platform,
        segment_id=body.segment_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        actor=api.actor(),
    )
    return EarnRuleOut.model_validate(rule)


@router.patch("/points/earn-rules/{rule_id}", response_model=EarnRuleOut)
def update_earn_rule(rule_id: Int64, body: EarnRulePatch, api: Api, db: DbSession) -> EarnRuleOut:
    values = body.model_dump(exclude_unset=True)
    rule = earn_rules.update_earn_rule(db, api.workspace_id, rule_id, values, api.actor())
    return EarnRuleOut.model_validate(rule)


# --- operator gifts ------------------------------------------------------------------------


@router.post("/points/gifts", response_model=GiftOut, status_code=201, responses={403: {}, 409: {}})
def send_gift(body: GiftIn, api: Api, db: DbSession) -> GiftOut:
    """A gift sent as ``operator_id``: counted in their monthly budget (409
    ``gift-budget-exceeded``, for admins too); above the approval threshold it waits for an admin
    (``pending_approval``) unless the operator is an admin."""
    gift = loyalty_gifts.send_gift_for(
        db,
        api.workspace_id,
        body.operator_id,
        body.customer_id,
        api.actor(),
        description=body.description,
        reason=body.reason,
        cost_fen=body.cost_fen,
        item_id=body.item_id,
        address=body.address,
    )
    return GiftOut.model_validate(gift)


@router.get("/points/gifts", response_model=Page[GiftOut])
def list_gifts(
    api: Api,
    db: DbSession,
    state: GiftState | None = None,
    operator_id: Int64 | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[GiftOut]:
    found, next_cursor = loyalty_gifts.gifts_page(
        db, api.workspace_id, state=state, operator_id=operator_id, cursor=cursor, limit=limit
    )
    return Page(items=[GiftOut.model_validate(g) for g in found], next_cursor=next_cursor)


@router.get("/points/gifts/budget", response_model=GiftBudgetOut)
def gift_budget(operator_id: Int64, api: Api, db: DbSession) -> GiftBudgetOut:
    """An operator's budget this month, what they spent, and the approval threshold."""
    budget = loyalty_gifts.budget_status(db, api.workspace_id, operator_id)
    return GiftBudgetOut(**budget.__dict__)


@router.get("/points/gifts/{gift_id}", response_model=GiftOut)
def get_gift(gift_id: Int64, api: Api, db: DbSession) -> GiftOut:
    return GiftOut.model_validate(loyalty_gifts.get_gift(db, api.workspace_id, gift_id))


@router.post("/points/gifts/{gift_id}/approve", response_model=GiftOut, responses={409: {}})
def approve_gift(gift_id: Int64, body: GiftDecisionIn, api: Api, db: DbSession) -> GiftOut:
    """An admin approves a waiting gift (a mall item then joins the redemption queue); 409
    ``gift-already-decided``; 403 when ``admin_id`` isn't an admin."""
    gift = loyalty_gifts.decide_gift_for(
        db, api.workspace_id, gift_id, True, body.admin_id, api.actor()
    )
    return GiftOut.model_validate(gift)


@router.post("/points/gifts/{gift_id}/reject", response_model=GiftOut, responses={409: {}})
def reject_gift(gift_id: Int64, body: GiftDecisionIn, api: Api, db: DbSession) -> GiftOut:
    gift = loyalty_gifts.decide_gift_for(
        db, api.workspace_id, gift_id, False, body.admin_id, api.actor()
    )
    return GiftOut.model_validate(gift)
