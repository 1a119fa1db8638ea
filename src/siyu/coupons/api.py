"""REST endpoints of the coupons domain (scoped to the token's workspace).

Token callers claim on behalf of fans (an integration proxying a live room), so they are limited
per customer but never per address.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from siyu.coupons import grab, grab_async, service
from siyu.coupons.models import CouponCampaign, CouponClaim, CouponTemplate
from siyu.coupons.schemas import (
    CampaignIn,
    CampaignOut,
    ClaimIn,
    ClaimOut,
    CodesIn,
    CodesOut,
    IssueIn,
    IssueOut,
    MatchIn,
    MatchOut,
    RedemptionIn,
    RedemptionOut,
    RejectedCode,
    ReportOut,
    StoredClaimOut,
    TemplateIn,
    TemplateOut,
)
from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.workspace.auth import Api
from siyu.workspace.token_cache import WritingCallerDep

router = APIRouter(tags=["coupons"])
# Hot endpoints: async, and authenticated by ``token_cache`` rather than the API's
# store-backed dependency, so that a claim costs no worker thread in server mode.
hot_router = APIRouter(tags=["coupons"])


def template_out(template: CouponTemplate) -> TemplateOut:
    out = TemplateOut.model_validate(template)
    out.label = service.describe(template)
    return out


def campaign_out(db: DbSession, campaign: CouponCampaign) -> CampaignOut:
    numbers = service.numbers(db, campaign)
    return CampaignOut(
        id=campaign.id,
        template_id=campaign.template_id,
        name=campaign.name,
        channel=campaign.channel,
        quantity=campaign.quantity,
        claimed=numbers.claimed,
        remaining=numbers.remaining,
        per_customer_limit=campaign.per_customer_limit,
        segment_id=campaign.segment_id,
        code_source="pool" if campaign.uses_pool else "generated",
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        status=service.status_of(campaign, numbers.remaining),
    )


def claim_out(claimed: grab.Claimed) -> ClaimOut:
    return ClaimOut(
        claim_id=claimed.claim_id,
        code=claimed.code,
        link=claimed.link,
        campaign_id=claimed.campaign_id,
        customer_id=claimed.customer_id,
        sequence=claimed.sequence,
        claimed_at=claimed.claimed_at,
        persisted=claimed.persisted,
    )


def stored_claim_out(claim: CouponClaim) -> StoredClaimOut:
    return StoredClaimOut(
        claim_id=claim.public_id,
        code=claim.code,
        link=claim.link,
        campaign_id=claim.campaign_id,
        customer_id=claim.customer_id,
        sequence=claim.sequence,
        source=claim.source,
        claimed_at=claim.claimed_at,
        valid_from=claim.valid_from,
        valid_until=claim.valid_until,
    )


@router.post("/coupon-templates", response_model=TemplateOut, status_code=201)
def create_template(body: TemplateIn, api: Api, db: DbSession) -> TemplateOut:
    draft = service.TemplateDraft(**body.model_dump())
    return template_out(service.create_template(db, api.workspace_id, draft, api.actor()))


@router.get("/coupon-templates", response_model=Page[TemplateOut])
def list_templates(
    api: Api, db: DbSession, cursor: str | None = None, limit: int = Query(50, ge=1, le=200)
) -> Page[TemplateOut]:
    rows, next_cursor = service.list_templates(db, api.workspace_id, cursor=cursor, limit=limit)
    return Page(items=[template_out(t) for t in rows], next_cursor=next_cursor)


@router.get("/coupon-templates/{template_id}", response_model=TemplateOut)
def get_template(template_id: Int64, api: Api, db: DbSession) -> TemplateOut:
    return template_out(service.get_template(db, api.workspace_id, template_id))


@router.post("/coupon-campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(body: CampaignIn, api: Api, db: DbSession) -> CampaignOut:
    draft = service.CampaignDraft(**body.model_dump())
    return campaign_out(db, service.create_campaign(db, api.workspace_id, draft, api.actor()))


@router.get("/coupon-campaigns", response_model=Page[CampaignOut])
def list_campaigns(
    api: Api,
    db: DbSession,
    channel: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[CampaignOut]:
    rows, next_cursor = service.list_campaigns(
        db, api.workspace_id, channel=channel, cursor=cursor, limit=limit
    )
    return Page(items=[campaign_out(db, c) for c in rows], next_cursor=next_cursor)


@router.get("/coupon-campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: Int64, api: Api, db: DbSession) -> CampaignOut:
    return campaign_out(db, service.get_campaign(db, api.workspace_id, campaign_id))


@router.post("/coupon-campaigns/{campaign_id}/end", response_model=CampaignOut)
def end_campaign(campaign_id: Int64, api: Api, db: DbSession) -> CampaignOut:
    return campaign_out(db, service.end_campaign(db, api.workspace_id, campaign_id, api.actor()))


@hot_router.post("/coupon-campaigns/{campaign_id}/claims", response_model=ClaimOut, status_code=201)
async def claim(campaign_id: Int64, body: ClaimIn, caller: WritingCallerDep) -> ClaimOut:
    """Claim one coupon for a fan. Refusals are problems with distinct types:
    ``coupon-already-claimed`` and ``coupon-sold-out`` (409), ``coupon-not-started``,
    ``coupon-ended``, ``coupon-not-in-audience``, ``coupon-share-required``,
    ``coupon-channel-closed`` (403), ``coupon-rate-limited`` (429),
    ``coupon-grab-unavailable`` (503: nothing was claimed).

    Answered on the event loop from Redis in server mode; the token's resolution is cached
    there for at most ``TOKEN_CACHE_SECONDS`` (10 s), so a revoked token may claim for that
    long."""
    attempt = grab.Attempt(caller.workspace_id, campaign_id, body.customer_id, source="api")
    return claim_out(await grab_async.claim(attempt))


@router.get("/coupon-campaigns/{campaign_id}/claims", response_model=Page[StoredClaimOut])
def list_claims(
    campaign_id: Int64,
    api: Api,
    db: DbSession,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[StoredClaimOut]:
    rows, next_cursor = service.list_claims(
        db, api.workspace_id, campaign_id, cursor=cursor, limit=limit
    )
    return Page(items=[stored_claim_out(c) for c in rows], next_cursor=next_cursor)


@router.post("/coupon-campaigns/{campaign_id}/issue", response_model=IssueOut)
def issue(campaign_id: Int64, body: IssueIn, api: Api, db: DbSession) -> IssueOut:
    """Hand coupons to fans or a segment (the stock and per-customer limit still hold)."""
    report = service.issue(
        db,
        api.workspace_id,
        campaign_id,
        api.actor(),
        customer_ids=body.customer_ids,
        segment_id=body.segment_id,
    )
    return IssueOut(issued=[claim_out(c) for c in report.issued], refused=report.refused)


@router.post("/coupon-campaigns/{campaign_id}/codes", response_model=CodesOut)
def import_codes(campaign_id: Int64, body: CodesIn, api: Api, db: DbSession) -> CodesOut:
    """Add platform codes (or `code,link`) to a pool campaign before it starts."""
    rows = service.parse_pool_lines("\n".join(body.codes))
    result = service.import_codes(db, api.workspace_id, campaign_id, rows, api.actor())
    campaign = service.get_campaign(db, api.workspace_id, campaign_id)
    return CodesOut(
        added=result.added,
        duplicates=result.duplicates,
        rejected=[RejectedCode(**r) for r in result.rejected],
        quantity=campaign.quantity,
    )


@router.get("/coupon-campaigns/{campaign_id}/report", response_model=ReportOut)
def campaign_report(campaign_id: Int64, api: Api, db: DbSession) -> ReportOut:
    campaign = service.get_campaign(db, api.workspace_id, campaign_id)
    return ReportOut(**service.report(db, campaign).as_dict())


@router.post("/coupon-claims/{claim_id}/redemption", response_model=RedemptionOut, status_code=201)
def confirm_redemption(claim_id: str, body: RedemptionIn, api: Api, db: DbSession) -> RedemptionOut:
    """An operator (or the shop's system) confirms a coupon was used."""
    redemption = service.confirm_redemption(
        db, api.workspace_id, claim_id, api.actor(), order_id=body.order_id
    )
    return RedemptionOut.model_validate(redemption)


@router.post("/coupon-redemptions/match", response_model=MatchOut)
def match_redemptions(body: MatchIn, api: Api, db: DbSession) -> MatchOut:
    """Mark coupons used from the orders imported so far (also runs hourly)."""
    counts = service.match_redemptions(db, api.workspace_id, body.campaign_id)
    return MatchOut(**counts)
