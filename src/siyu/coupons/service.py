"""Coupons: templates, campaigns, code pools, shares, manual issue, redemptions and reports.

The grab itself (stock, limits, answers) is ``siyu.coupons.grab``; this module holds every other
rule and query of the domain.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from siyu.coupons import engine as grab_engine
from siyu.coupons import grab
from siyu.coupons.models import (
    CouponCampaign,
    CouponClaim,
    CouponCode,
    CouponRedemption,
    CouponShare,
    CouponTemplate,
)
from siyu.coupons.schemas import public_name
from siyu.customers.service import require_customer
from siyu.db import write_beside
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import Conflict, NotFound, Problem, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import check_in_workspace, get_in_workspace
from siyu.kit.timeline import TimelineEntry
from siyu.orders import ownership as orders
from siyu.orders.ownership import CouponUse
from siyu.workspace import audit
from siyu.workspace.audit import Actor

MAX_QUANTITY = 10_000_000
MAX_POOL_IMPORT = 200_000


def _invalid(field_name: str, message: str) -> Unprocessable:
    return Unprocessable(
        "coupon-invalid",
        title=N_("The coupon settings are not valid"),
        errors=[{"field": public_name(field_name), "message": message}],
    )


# --- templates ---------------------------------------------------------------------------


@dataclass
class TemplateDraft:
    name: str
    kind: str
    threshold_fen: int = 0
    discount_fen: int = 0
    percent: int | None = None
    cap_fen: int | None = None
    valid_days: int | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    platforms: list[str] = field(default_factory=list)
    shops: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    face_value_fen: int | None = None
    cost_fen: int = 0
    how_to_use: str | None = None


def _check_amounts(draft: TemplateDraft) -> None:
    if draft.kind == "percent":
        if draft.percent is None or not 0 < draft.percent < 100:
            raise _invalid("percent", "a percentage coupon needs percent between 1 and 99")
        return
    if draft.discount_fen <= 0:
        raise _invalid("discount_fen", "the discount must be more than 0")
    if draft.kind == "threshold":
        if draft.threshold_fen <= draft.discount_fen:
            raise _invalid("threshold_fen", "the threshold must be more than the discount")
    elif draft.threshold_fen:
        raise _invalid("threshold_fen", "only threshold coupons have a threshold")


def _check_validity(draft: TemplateDraft) -> None:
    has_range = draft.valid_from is not None or draft.valid_to is not None
    if draft.valid_days is not None and has_range:
        raise _invalid("valid_days", "give valid_days or valid_from/valid_to, not both")
    if draft.valid_days is not None:
        if not 1 <= draft.valid_days <= 3650:
            raise _invalid("valid_days", "valid_days must be between 1 and 3650")
        return
    if draft.valid_from is None or draft.valid_to is None:
        raise _invalid("valid_days", "give valid_days, or both valid_from and valid_to")
    if as_utc(draft.valid_to) <= as_utc(draft.valid_from):
        raise _invalid("valid_to", "valid_to must be after valid_from")


def create_template(
    session: Session, workspace_id: int, draft: TemplateDraft, actor: Actor
) -> CouponTemplate:
    if draft.kind not in ("threshold", "fixed", "percent", "no_threshold"):
        raise _invalid("kind", "kind must be threshold, fixed, percent or no_threshold")
    if not draft.name.strip():
        raise _invalid("name", "the name is required")
    _check_amounts(draft)
    _check_validity(draft)
    face = draft.face_value_fen
    if face is None:
        face = draft.cap_fen or 0 if draft.kind == "percent" else draft.discount_fen
    template = CouponTemplate(
        workspace_id=workspace_id,
        name=draft.name.strip(),
        kind=draft.kind,
        threshold_fen=draft.threshold_fen,
        discount_fen=draft.discount_fen if draft.kind != "percent" else 0,
        percent=draft.percent if draft.kind == "percent" else None,
        cap_fen=draft.cap_fen if draft.kind == "percent" else None,
        valid_days=draft.valid_days,
        valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        platforms=sorted(set(draft.platforms)),
        shops=sorted(set(draft.shops)),
        products=sorted(set(draft.products)),
        face_value_fen=face,
        cost_fen=draft.cost_fen,
        how_to_use=draft.how_to_use,
    )
    session.add(template)
    session.flush()
    audit.record(
        session,
        actor,
        "coupon.template_created",
        workspace_id=workspace_id,
        target_type="coupon_template",
        target_id=template.id,
        detail={"name": template.name, "kind": template.kind},
    )
    return template


def get_template(session: Session, workspace_id: int, template_id: int) -> CouponTemplate:
    not_found = NotFound("coupon-template-not-found", title=N_("No such coupon template"))
    return get_in_workspace(session, CouponTemplate, workspace_id, template_id, not_found)


def list_templates(
    session: Session, workspace_id: int, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[CouponTemplate], str | None]:
    statement = select(CouponTemplate).where(CouponTemplate.workspace_id == workspace_id)
    return keyset_page(session, statement, CouponTemplate.id, cursor=cursor, limit=limit)


def template_exists(session: Session, workspace_id: int, template_id: int) -> bool:
    template = session.get(CouponTemplate, template_id)
    return template is not None and template.workspace_id == workspace_id


def all_templates(session: Session, workspace_id: int) -> list[CouponTemplate]:
    return list(
        session.scalars(
            select(CouponTemplate)
            .where(CouponTemplate.workspace_id == workspace_id)
            .order_by(CouponTemplate.id.desc())
        )
    )


def describe(template: CouponTemplate) -> str:
    """A short Chinese label of the deal, as fans read it (满99减3, 8.5折 最高减20...)."""
    yuan = _yuan
    if template.kind == "threshold":
        return f"满{yuan(template.threshold_fen)}减{yuan(template.discount_fen)}"
    if template.kind == "percent":
        rate = (100 - (template.percent or 0)) / 10
        cap = f" 最高减{yuan(template.cap_fen)}" if template.cap_fen else ""
        return f"{rate:g}折{cap}"
    if template.kind == "fixed":
        return f"立减{yuan(template.discount_fen)}"
    return f"无门槛{yuan(template.discount_fen)}元"


def _yuan(fen: int | None) -> str:
    value = (fen or 0) / 100
    return f"{value:g}"


# --- campaigns ---------------------------------------------------------------------------


@dataclass
class CampaignDraft:
    template_id: int
    channel: str
    quantity: int
    per_customer_limit: int = 1
    name: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    segment_id: int | None = None
    code_source: str = "generated"  # generated | pool


def create_campaign(
    session: Session, workspace_id: int, draft: CampaignDraft, actor: Actor
) -> CouponCampaign:
    template = get_template(session, workspace_id, draft.template_id)
    _check_campaign(session, workspace_id, draft)
    uses_pool = draft.code_source == "pool"
    quantity = 0 if uses_pool else draft.quantity  # a pool's stock is the codes imported
    campaign = CouponCampaign(
        workspace_id=workspace_id,
        template_id=template.id,
        name=(draft.name or "").strip() or template.name,
        channel=draft.channel,
        quantity=quantity,
        remaining=quantity,
        per_customer_limit=draft.per_customer_limit,
        segment_id=draft.segment_id,
        uses_pool=uses_pool,
        starts_at=draft.starts_at or utcnow(),
        ends_at=draft.ends_at,
    )
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        actor,
        "coupon.campaign_created",
        workspace_id=workspace_id,
        target_type="coupon_campaign",
        target_id=campaign.id,
        detail={"channel": campaign.channel, "quantity": quantity, "pool": uses_pool},
    )
    _refresh_live_rules(session, campaign)
    return campaign


def _check_campaign(session: Session, workspace_id: int, draft: CampaignDraft) -> None:
    if draft.channel not in ("grab", "share", "post_live", "manual", "points"):
        raise _invalid("channel", "channel must be grab, share, post_live, manual or points")
    if draft.code_source not in ("generated", "pool"):
        raise _invalid("code_source", "code_source must be generated or pool")
    if draft.code_source == "generated" and not 1 <= draft.quantity <= MAX_QUANTITY:
        raise _invalid("quantity", f"quantity must be between 1 and {MAX_QUANTITY}")
    if not 1 <= draft.per_customer_limit <= 100:
        raise _invalid("per_customer_limit", "per_customer_limit must be between 1 and 100")
    starts = draft.starts_at or utcnow()
    if draft.ends_at is not None and as_utc(draft.ends_at) <= as_utc(starts):
        raise _invalid("ends_at", "ends_at must be after starts_at")
    if draft.segment_id is not None:
        from siyu.segments.service import segment_exists

        if not segment_exists(session, workspace_id, draft.segment_id):
            raise _invalid("segment_id", "no such segment in this workspace")


def get_campaign(session: Session, workspace_id: int, campaign_id: int) -> CouponCampaign:
    return grab.load_campaign(session, workspace_id, campaign_id)


def list_campaigns(
    session: Session,
    workspace_id: int,
    *,
    channel: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[CouponCampaign], str | None]:
    statement = select(CouponCampaign).where(CouponCampaign.workspace_id == workspace_id)
    if channel:
        statement = statement.where(CouponCampaign.channel == channel)
    return keyset_page(session, statement, CouponCampaign.id, cursor=cursor, limit=limit)


def end_campaign(
    session: Session, workspace_id: int, campaign_id: int, actor: Actor
) -> CouponCampaign:
    campaign = get_campaign(session, workspace_id, campaign_id)
    now = utcnow()
    if campaign.ends_at is None or as_utc(campaign.ends_at) > now:
        campaign.ends_at = max(now, as_utc(campaign.starts_at))
        session.flush()
        _refresh_live_rules(session, campaign)
        audit.record(
            session,
            actor,
            "coupon.campaign_ended",
            workspace_id=workspace_id,
            target_type="coupon_campaign",
            target_id=campaign.id,
        )
    return campaign


def start_now(
    session: Session, workspace_id: int, campaign_id: int, actor: Actor
) -> CouponCampaign:
    """The operator opens a scheduled grab at once (the streamer says "go!")."""
    campaign = get_campaign(session, workspace_id, campaign_id)
    now = utcnow()
    if as_utc(campaign.starts_at) > now:
        campaign.starts_at = now
        if campaign.ends_at is not None and as_utc(campaign.ends_at) <= now:
            campaign.ends_at = None
        session.flush()
        _refresh_live_rules(session, campaign)
        audit.record(
            session,
            actor,
            "coupon.campaign_started",
            workspace_id=workspace_id,
            target_type="coupon_campaign",
            target_id=campaign.id,
        )
    return campaign


def _refresh_live_rules(session: Session, campaign: CouponCampaign) -> None:
    _enqueue(session, "coupons.refresh_rules", campaign)


def _enqueue(session: Session, name: str, campaign: CouponCampaign) -> None:
    """Redis follows the store once the change commits (a job, dispatched after commit)."""
    from siyu.jobs import enqueue
    from siyu.kit.redis import get_redis

    if get_redis() is None:  # embedded mode: the store is the only copy
        return

    enqueue(session, name, {"campaign_id": campaign.id}, workspace_id=campaign.workspace_id)


def status_of(campaign: CouponCampaign, remaining: int, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < as_utc(campaign.starts_at):
        return "scheduled"
    if campaign.ends_at is not None and now >= as_utc(campaign.ends_at):
        return "ended"
    if remaining <= 0:
        return "sold_out"
    return "running"


@dataclass
class CampaignNumbers:
    quantity: int
    claimed: int
    remaining: int
    answers: dict[str, int]  # server mode: answers given so far (sold_out, already, …)
    live: bool  # True when read from Redis during a grab


def numbers(session: Session, campaign: CouponCampaign) -> CampaignNumbers:
    """Claimed and remaining: Redis's live count in server mode, else the store's."""
    from siyu.kit.redis import get_redis

    client = get_redis()
    if client is not None:
        from siyu.coupons import stream

        try:
            live = stream.live_numbers(client, campaign.id)
        except Exception:
            live = None
        if live is not None:
            remaining = live.pop("remaining")
            return CampaignNumbers(
                campaign.quantity, campaign.quantity - remaining, remaining, live, True
            )
    return CampaignNumbers(
        campaign.quantity, campaign.quantity - campaign.remaining, campaign.remaining, {}, False
    )


# --- code pools --------------------------------------------------------------------------


@dataclass
class PoolImport:
    added: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def parse_pool_lines(text: str) -> list[tuple[int, str, str | None]]:
    """One code per line; ``code,link`` or a bare link. Returns (line number, code, link)."""
    rows: list[tuple[int, str, str | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        code, _, link = (part.strip() for part in line.partition(","))
        rows.append((number, code, link or None))
    return rows


def import_codes(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    rows: list[tuple[int, str, str | None]],
    actor: Actor,
) -> PoolImport:
    """Add platform codes/links to a pool campaign's stock. Only before the grab starts: a slot
    must never change its code while fans can take it."""
    campaign = get_campaign(session, workspace_id, campaign_id)
    if not campaign.uses_pool:
        raise Conflict("coupon-not-a-pool", title=N_("This campaign issues its own codes"))
    if utcnow() >= as_utc(campaign.starts_at):
        raise Conflict(
            "coupon-pool-locked", title=N_("Codes can only be added before the campaign starts")
        )
    if len(rows) > MAX_POOL_IMPORT:
        raise _invalid("codes", f"at most {MAX_POOL_IMPORT} codes per import")
    result = PoolImport()
    known = set(
        session.scalars(select(CouponCode.code).where(CouponCode.campaign_id == campaign.id))
    )
    fresh: list[tuple[str, str | None]] = []
    for number, code, link in rows:
        problem = _pool_row_problem(code, link)
        if problem:
            result.rejected.append({"line": number, "value": code[:100], "reason": problem})
        elif code in known:
            result.duplicates += 1
        else:
            known.add(code)
            fresh.append((code, link))
    _append_codes(session, campaign, fresh)
    result.added = len(fresh)
    audit.record(
        session,
        actor,
        "coupon.codes_imported",
        workspace_id=workspace_id,
        target_type="coupon_campaign",
        target_id=campaign.id,
        detail={"added": result.added, "duplicates": result.duplicates},
    )
    return result


def _pool_row_problem(code: str, link: str | None) -> str | None:
    if not code:
        return "empty code"
    if len(code) > 200:
        return "code longer than 200 characters"
    if link is not None and (len(link) > 500 or not link.startswith(("http://", "https://"))):
        return "the link must be an http(s) address of at most 500 characters"
    return None


def _append_codes(
    session: Session, campaign: CouponCampaign, codes: list[tuple[str, str | None]]
) -> None:
    if not codes:
        return
    first = campaign.quantity + 1
    session.execute(
        insert(CouponCode),
        [
            {
                "workspace_id": campaign.workspace_id,
                "campaign_id": campaign.id,
                "slot": first + i,
                "code": code,
                "link": link,
                "created_at": utcnow(),
            }
            for i, (code, link) in enumerate(codes)
        ],
    )
    session.execute(
        update(CouponCampaign)
        .where(CouponCampaign.id == campaign.id)
        .values(
            quantity=CouponCampaign.quantity + len(codes),
            remaining=CouponCampaign.remaining + len(codes),
        )
    )
    session.refresh(campaign)
    _rebuild_live_stock(session, campaign)


def _rebuild_live_stock(session: Session, campaign: CouponCampaign) -> None:
    _enqueue(session, "coupons.rebuild_stock", campaign)


def pool_size(session: Session, campaign_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CouponCode)
            .where(CouponCode.campaign_id == campaign_id)
        )
        or 0
    )


# --- shares ------------------------------------------------------------------------------


def record_share(
    session: Session, workspace_id: int, campaign_id: int, customer_id: int
) -> CouponShare:
    """The fan's tracked link for a share-to-claim campaign (one per fan and campaign)."""
    campaign = get_campaign(session, workspace_id, campaign_id)
    if campaign.channel != "share":
        raise Conflict("coupon-not-shareable", title=N_("This campaign is not share-to-claim"))
    existing = session.scalar(
        select(CouponShare).where(
            CouponShare.campaign_id == campaign.id, CouponShare.customer_id == customer_id
        )
    )
    if existing is not None:
        return existing
    share = CouponShare(
        workspace_id=workspace_id,
        campaign_id=campaign.id,
        customer_id=customer_id,
        token=secrets.token_urlsafe(12),
    )
    session.add(share)
    session.flush()
    return share


def open_share(session: Session, token: str) -> CouponShare:
    """A visit through a tracked link: counted, and the campaign shown to the visitor."""
    share = session.scalar(select(CouponShare).where(CouponShare.token == token))
    if share is None:
        raise NotFound("coupon-share-not-found", title=N_("This share link doesn't work"))
    share_id = share.id
    # A count beside the page's read: a viral link must not queue its visitors for the lock.
    write_beside(
        session,
        lambda s: s.execute(
            update(CouponShare)
            .where(CouponShare.id == share_id)
            .values(visits=CouponShare.visits + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    return share


def share_of(session: Session, campaign_id: int, customer_id: int) -> CouponShare | None:
    return session.scalar(
        select(CouponShare).where(
            CouponShare.campaign_id == campaign_id, CouponShare.customer_id == customer_id
        )
    )


def share_count(session: Session, campaign_id: int) -> tuple[int, int]:
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(CouponShare.visits), 0)).where(
            CouponShare.campaign_id == campaign_id
        )
    ).one()
    return int(row[0]), int(row[1])


# --- manual issue ------------------------------------------------------------------------


@dataclass
class IssueReport:
    issued: list[grab.Claimed] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # problem slug → customers


def issue(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    actor: Actor,
    *,
    customer_ids: list[int] | None = None,
    segment_id: int | None = None,
) -> IssueReport:
    """An operator hands coupons to fans or to a segment's members, through the same engine
    as the grab (stock and limits hold); each fan's refusal is counted, not fatal."""
    campaign = get_campaign(session, workspace_id, campaign_id)
    targets = list(dict.fromkeys(customer_ids or []))
    if segment_id is not None:
        targets += [
            c for c in _segment_members(session, workspace_id, segment_id) if c not in targets
        ]
    if not targets:
        raise _invalid("customer_ids", "give customer_ids or a segment_id with members")
    report = IssueReport()
    engine = None if campaign.channel == "points" else "default"  # see issue_for_points
    for customer_id in targets:
        attempt = grab.Attempt(workspace_id, campaign.id, customer_id, source="operator")
        try:
            with session.begin_nested():
                report.issued.append(grab_engine.claim(session, attempt, redis=engine))
        except Problem as refusal:
            report.refused[refusal.slug] = report.refused.get(refusal.slug, 0) + 1
    audit.record(
        session,
        actor,
        "coupon.issued",
        workspace_id=workspace_id,
        target_type="coupon_campaign",
        target_id=campaign.id,
        detail={"issued": len(report.issued), "refused": report.refused, "segment": segment_id},
    )
    return report


def _segment_members(session: Session, workspace_id: int, segment_id: int) -> list[int]:
    from siyu.segments.service import member_ids, segment_exists

    if not segment_exists(session, workspace_id, segment_id):
        raise _invalid("segment_id", "no such segment in this workspace")
    return member_ids(session, workspace_id, segment_id)


# --- claims ------------------------------------------------------------------------------


def parse_claim_id(claim_id: str) -> tuple[int, int]:
    campaign, _, slot = claim_id.partition("-")
    if not (campaign.isdigit() and slot.isdigit()):
        raise NotFound("coupon-claim-not-found", title=N_("No such coupon claim"))
    return int(campaign), int(slot)


def get_claim(session: Session, workspace_id: int, claim_id: str) -> CouponClaim:
    campaign_id, slot = parse_claim_id(claim_id)
    found = session.scalar(
        select(CouponClaim).where(
            CouponClaim.workspace_id == workspace_id,
            CouponClaim.campaign_id == campaign_id,
            CouponClaim.slot == slot,
        )
    )
    if found is None:
        raise NotFound("coupon-claim-not-found", title=N_("No such coupon claim"))
    return found


def list_claims(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[CouponClaim], str | None]:
    get_campaign(session, workspace_id, campaign_id)
    statement = select(CouponClaim).where(
        CouponClaim.workspace_id == workspace_id, CouponClaim.campaign_id == campaign_id
    )
    return keyset_page(session, statement, CouponClaim.id, cursor=cursor, limit=limit)


@dataclass
class FanCoupon:
    claim: CouponClaim
    campaign: CouponCampaign
    template: CouponTemplate
    used: bool


def coupons_of(session: Session, workspace_id: int, customer_id: int) -> list[FanCoupon]:
    """A fan's coupons, newest first, with what each is and whether it was used; 404 for a fan
    the workspace does not have."""
    require_customer(session, workspace_id, customer_id)
    rows = session.execute(
        select(CouponClaim, CouponCampaign, CouponTemplate, CouponRedemption.id)
        .join(CouponCampaign, CouponCampaign.id == CouponClaim.campaign_id)
        .join(CouponTemplate, CouponTemplate.id == CouponCampaign.template_id)
        .outerjoin(CouponRedemption, CouponRedemption.claim_id == CouponClaim.id)
        .where(CouponClaim.workspace_id == workspace_id, CouponClaim.customer_id == customer_id)
        .order_by(CouponClaim.id.desc())
        .limit(200)
    ).all()
    return [FanCoupon(c, k, t, r is not None) for c, k, t, r in rows]


def claims_count(session: Session, campaign_id: int, customer_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CouponClaim)
            .where(CouponClaim.campaign_id == campaign_id, CouponClaim.customer_id == customer_id)
        )
        or 0
    )


# --- redemptions -------------------------------------------------------------------------


def confirm_redemption(
    session: Session,
    workspace_id: int,
    claim_id: str,
    actor: Actor,
    *,
    order_id: int | None = None,
) -> CouponRedemption:
    claim = get_claim(session, workspace_id, claim_id)
    if session.scalar(select(CouponRedemption).where(CouponRedemption.claim_id == claim.id)):
        raise Conflict("coupon-already-used", title=N_("This coupon is already marked used"))
    amount = 0
    if order_id is not None:
        paid = orders.paid_amount_of(session, workspace_id, order_id)
        if paid is None:
            raise _invalid("order_id", "no such order in this workspace")
        amount = paid
    redemption = CouponRedemption(
        workspace_id=workspace_id,
        campaign_id=claim.campaign_id,
        claim_id=claim.id,
        order_id=order_id,
        method="operator",
        order_amount_fen=amount,
        redeemed_at=utcnow(),
        operator_id=actor.id if actor.type == "operator" else None,
    )
    session.add(redemption)
    session.flush()
    audit.record(
        session,
        actor,
        "coupon.redemption_confirmed",
        workspace_id=workspace_id,
        target_type="coupon_claim",
        target_id=claim_id,
        detail={"order_id": order_id},
    )
    return redemption


def match_redemptions(
    session: Session, workspace_id: int, campaign_id: int | None = None
) -> dict[str, int]:
    """Mark claimed coupons used from imported orders, in bulk SQL per campaign: first an order
    of the fan that carries the code, then one that meets the template's rule (paid in the
    coupon's validity, at or above the threshold, on an applicable platform/shop/product).
    Closed and fully refunded orders never count. Safe to run again: used claims are skipped."""
    statement = select(CouponCampaign, CouponTemplate).join(
        CouponTemplate, CouponTemplate.id == CouponCampaign.template_id
    )
    statement = statement.where(CouponCampaign.workspace_id == workspace_id)
    if campaign_id is not None:
        check_in_workspace(session, CouponCampaign, workspace_id, [campaign_id], "campaign_id")
        statement = statement.where(CouponCampaign.id == campaign_id)
    counts = {"code": 0, "rule": 0}
    for campaign, template in session.execute(statement).all():
        for method in ("code", "rule"):
            counts[method] += _match(session, campaign, template, method)
    return counts


def _match(
    session: Session, campaign: CouponCampaign, template: CouponTemplate, method: str
) -> int:
    claim = CouponClaim
    use = CouponUse(code=claim.code) if method == "code" else _template_use(template)
    first_order = orders.first_order_using(
        claim.workspace_id, claim.customer_id, claim.claimed_at, use
    )
    unused = ~exists().where(CouponRedemption.claim_id == claim.id)
    candidates = (
        select(claim.id.label("claim_id"), first_order.label("order_id"))
        .where(claim.campaign_id == campaign.id, unused)
        .subquery()
    )
    paid = orders.settled_orders(campaign.workspace_id)
    chosen = select(
        literal(campaign.workspace_id),
        literal(campaign.id),
        candidates.c.claim_id,
        paid.c.id,
        literal(method),
        paid.c.paid_amount_fen,
        paid.c.paid_at,
        literal(utcnow()),
    ).join(paid, paid.c.id == candidates.c.order_id)
    columns = [
        "workspace_id",
        "campaign_id",
        "claim_id",
        "order_id",
        "method",
        "order_amount_fen",
        "redeemed_at",
        "created_at",
    ]
    statement = insert(CouponRedemption).from_select(columns, chosen)
    return len(session.execute(statement.returning(CouponRedemption.id)).all())


def _template_use(template: CouponTemplate) -> CouponUse:
    """Paid in the coupon's validity, at or above the threshold, where the template applies."""
    return CouponUse(
        valid_from=CouponClaim.valid_from,
        valid_until=CouponClaim.valid_until,
        min_paid_fen=max(template.threshold_fen, 1),
        platforms=tuple(template.platforms or ()),
        shops=tuple(template.shops or ()),
        products=tuple(template.products or ()),
    )


@dataclass
class CampaignReport:
    claimed: int
    customers: int
    used: int
    gmv_fen: int
    cost_fen: int
    conversion: float  # used / claimed

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def report(session: Session, campaign: CouponCampaign) -> CampaignReport:
    template = session.get_one(CouponTemplate, campaign.template_id)
    claimed, customers = session.execute(
        select(func.count(), func.count(func.distinct(CouponClaim.customer_id))).where(
            CouponClaim.campaign_id == campaign.id
        )
    ).one()
    used, gmv = session.execute(
        select(func.count(), func.coalesce(func.sum(CouponRedemption.order_amount_fen), 0)).where(
            CouponRedemption.campaign_id == campaign.id
        )
    ).one()
    claimed, used = int(claimed), int(used)
    return CampaignReport(
        claimed=claimed,
        customers=int(customers),
        used=used,
        gmv_fen=int(gmv),
        cost_fen=used * template.cost_fen,
        conversion=round(used / claimed, 4) if claimed else 0.0,
    )


def claims_per_second(session: Session, campaign_id: int, since: datetime) -> list[int]:
    """Store-side claim timestamps bucketed per second since ``since`` (the embedded monitor)."""
    rows = session.scalars(
        select(CouponClaim.claimed_at).where(
            CouponClaim.campaign_id == campaign_id, CouponClaim.claimed_at >= since
        )
    ).all()
    buckets: dict[int, int] = {}
    for moment in rows:
        second = int(as_utc(moment).timestamp())
        buckets[second] = buckets.get(second, 0) + 1
    return [
        buckets.get(s, 0)
        for s in range(int(as_utc(since).timestamp()), int(utcnow().timestamp()) + 1)
    ]


# --- the fan's timeline ------------------------------------------------------------------


def timeline_of(
    session: Session, workspace_id: int, customer_id: int, limit: int = 20
) -> list[TimelineEntry]:
    """Coupons the fan received (and used) for the 360 page's activity timeline."""
    entries = []
    for held in coupons_of(session, workspace_id, customer_id)[:limit]:
        text = gettext("Received the coupon %(name)s") % {"name": held.template.name}
        if held.used:
            text += " · " + gettext("used")
        href = f"/coupons/campaigns/{held.campaign.id}"
        entries.append(TimelineEntry(held.claim.claimed_at, "coupon", text, href))
    return entries


# --- the points mall ---------------------------------------------------------------------

POINTS_CAMPAIGN_LIMIT = 100  # coupons of one template a fan may hold from the mall


def points_campaign(session: Session, workspace_id: int, template_id: int) -> CouponCampaign:
    """The template's points-mall campaign, opened on first use: its claims are the coupons
    fans bought with points, counted and matched to orders like any other campaign's."""
    template = get_template(session, workspace_id, template_id)
    found = session.scalar(
        select(CouponCampaign)
        .where(
            CouponCampaign.workspace_id == workspace_id,
            CouponCampaign.template_id == template.id,
            CouponCampaign.channel == "points",
            CouponCampaign.ends_at.is_(None),
        )
        .order_by(CouponCampaign.id)
        .limit(1)
    )
    if found is not None:
        return found
    campaign = CouponCampaign(
        workspace_id=workspace_id,
        template_id=template.id,
        name=template.name,
        channel="points",
        quantity=MAX_QUANTITY,  # the mall item's stock is the real limit
        remaining=MAX_QUANTITY,
        per_customer_limit=POINTS_CAMPAIGN_LIMIT,
        starts_at=utcnow(),
    )
    session.add(campaign)
    session.flush()
    return campaign


def issue_for_points(
    session: Session, workspace_id: int, template_id: int, customer_id: int, quantity: int = 1
) -> list[grab.Claimed]:
    """Coupons a fan redeemed in the points mall, claimed in the caller's transaction.

    Always the store's engine, also in server mode: the claim must commit or roll back with
    the points it was paid with, which a Redis stream persisted later can't promise. Points
    campaigns are claimed nowhere else (fans can't grab them), so Redis never holds their
    stock."""
    campaign = points_campaign(session, workspace_id, template_id)
    attempt = grab.Attempt(workspace_id, campaign.id, customer_id, source="points")
    return [grab_engine.claim(session, attempt, redis=None) for _ in range(quantity)]
