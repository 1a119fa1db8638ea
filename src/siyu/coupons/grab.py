"""The grab engine: hands out one coupon per attempt, never more than the stock, never more than
a customer's limit, and gives every attempt a true answer.

Two engines behind one function, ``claim``:

* embedded (no Redis): one conditional ``UPDATE … SET remaining = remaining - 1 WHERE
  remaining > 0 RETURNING remaining`` and the claim insert, in one savepoint of the caller's
  transaction. The value returned is the claim's *slot*; the unique (campaign, customer,
  sequence) constraint backs the per-customer limit up when two attempts of one customer race.
* server mode (``SIYU_REDIS_URL``): a Lua script (``siyu.coupons.stream``) checks the window,
  the rate, the stock and the limit, decrements, and appends the claim to the campaign's stream
  in one step; a consumer persists the stream to the store.

Embedded mode refuses a campaign known to be sold out from process memory (for a few seconds
at most) without loading it: stock only ever goes down during a grab, so the cache can only be
stale in the safe direction. The memory is keyed by workspace too, so it never answers for
another workspace's campaign. Both engines check the fan's limit before the stock: a fan whose
"claimed" answer was lost and who retries after the sell-out hears "already claimed" (embedded
mode returns the coupon with it), not "sold out".
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.coupons.models import CouponCampaign, CouponClaim, CouponCode, CouponTemplate
from siyu.customers.service import require_customer
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
)
from siyu.kit.i18n import N_
from siyu.kit.sql import get_in_workspace

SOLD_OUT_MEMORY_SECONDS = 5.0
FAN_SOURCES = ("fan", "api")  # sources that claim for themselves (not an operator or the mall)


# --- answers ------------------------------------------------------------------------------


def campaign_not_found() -> NotFound:
    return NotFound("coupon-campaign-not-found", title=N_("No such coupon campaign"))


def already_claimed(code: str | None = None, link: str | None = None) -> Conflict:
    held: dict[str, Any] = {} if code is None else {"code": code, "link": link}
    return Conflict("coupon-already-claimed", title=N_("You already have this coupon"), **held)


def sold_out() -> Conflict:
    return Conflict("coupon-sold-out", title=N_("All coupons have been taken"))


def not_started(starts_at: datetime) -> Forbidden:
    return Forbidden(
        "coupon-not-started",
        title=N_("The grab has not started yet"),
        starts_at=as_utc(starts_at).isoformat(),
    )


def ended() -> Forbidden:
    return Forbidden("coupon-ended", title=N_("This coupon campaign has ended"))


def not_in_audience() -> Forbidden:
    return Forbidden("coupon-not-in-audience", title=N_("This coupon is for selected fans only"))


def share_required() -> Forbidden:
    return Forbidden("coupon-share-required", title=N_("Share the link first to claim"))


def channel_closed() -> Forbidden:
    return Forbidden("coupon-channel-closed", title=N_("This coupon can't be claimed here"))


def rate_limited(retry_after: int = 1) -> TooManyRequests:
    return TooManyRequests(
        "coupon-rate-limited",
        title=N_("Too many attempts, try again in a moment"),
        headers={"Retry-After": str(retry_after)},
    )


def grab_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "coupon-grab-unavailable",
        title=N_("Coupon grabbing is unavailable right now; nothing was claimed. Try again soon."),
        headers={"Retry-After": "2"},
    )


# --- the result --------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    campaign_id: int
    customer_id: int
    slot: int
    sequence: int
    code: str
    link: str | None
    claimed_at: datetime
    persisted: bool  # False in server mode until the consumer writes it
    left: int | None = None  # the campaign's stock just after this claim, for the fan's page

    @property
    def claim_id(self) -> str:
        return f"{self.campaign_id}-{self.slot}"


@dataclass(frozen=True)
class Attempt:
    workspace_id: int
    campaign_id: int
    customer_id: int
    source: str = "fan"  # fan | api | operator | points
    ip: str | None = None  # fan pages: limited per address; token callers pass None


# --- the sold-out memory -------------------------------------------------------------------

_sold_out_until: dict[tuple[int, int], float] = {}  # (workspace, campaign) → until


def remember_sold_out(workspace_id: int, campaign_id: int) -> None:
    _sold_out_until[workspace_id, campaign_id] = time.monotonic() + SOLD_OUT_MEMORY_SECONDS


def known_sold_out(workspace_id: int, campaign_id: int) -> bool:
    until = _sold_out_until.get((workspace_id, campaign_id))
    if until is None:
        return False
    if until < time.monotonic():
        _sold_out_until.pop((workspace_id, campaign_id), None)
        return False
    return True


def refuse_sold_out(session: Session, attempt: Attempt) -> NoReturn:
    """Sold out — unless the fan already holds all the coupons they may claim (a retry whose
    first answer was lost): then "already claimed", with their coupon."""
    held = _latest_claim(session, attempt)
    if held is not None and held.sequence >= held.per_customer_limit:
        raise already_claimed(held.code, held.link)
    raise sold_out()


def refuse_already_claimed(session: Session, attempt: Attempt) -> NoReturn:
    """Answer "already claimed", with the fan's latest coupon of the campaign."""
    held = _latest_claim(session, attempt)
    raise already_claimed(held.code, held.link) if held else already_claimed()


def _latest_claim(session: Session, attempt: Attempt) -> Any:
    return session.execute(
        select(
            CouponClaim.code,
            CouponClaim.link,
            CouponClaim.sequence,
            CouponCampaign.per_customer_limit,
        )
        .join(CouponCampaign, CouponCampaign.id == CouponClaim.campaign_id)
        .where(
            CouponClaim.workspace_id == attempt.workspace_id,
            CouponClaim.campaign_id == attempt.campaign_id,
            CouponClaim.customer_id == attempt.customer_id,
        )
        .order_by(CouponClaim.sequence.desc())
        .limit(1)
    ).first()


# --- shared rules ------------------------------------------------------------------------


def new_code() -> str:
    """A self-issued code: 10 characters, no look-alikes (0/O, 1/I/L)."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def validity(template: CouponTemplate, claimed_at: datetime) -> tuple[datetime, datetime | None]:
    """When a claimed coupon can be used: the template's range, or N days from the claim."""
    start = as_utc(template.valid_from) if template.valid_from else claimed_at
    if template.valid_to is not None:
        return start, as_utc(template.valid_to)
    if template.valid_days:
        return start, claimed_at + timedelta(days=template.valid_days)
    return start, None


def check_channel(campaign: CouponCampaign, source: str) -> None:
    """Fans claim from grab, share and post-live campaigns; operators issue manual ones; the
    points mall sells points ones. Operators may also issue from any campaign with stock."""
    if source == "operator":
        return
    if campaign.channel == "points" and source != "points":
        raise channel_closed()
    if campaign.channel == "manual":
        raise channel_closed()


def check_window(campaign: CouponCampaign, now: datetime) -> None:
    if now < as_utc(campaign.starts_at):
        raise not_started(campaign.starts_at)
    if campaign.ends_at is not None and now >= as_utc(campaign.ends_at):
        raise ended()


def check_audience(session: Session, campaign: CouponCampaign, customer_id: int) -> None:
    if campaign.segment_id is None:
        return
    from siyu.segments.service import is_member

    if not is_member(session, campaign.workspace_id, campaign.segment_id, customer_id):
        raise not_in_audience()


def check_share(session: Session, campaign: CouponCampaign, attempt: Attempt) -> None:
    if campaign.channel != "share" or attempt.source not in FAN_SOURCES:
        return
    from siyu.coupons.models import CouponShare

    shared = session.scalar(
        select(CouponShare.id).where(
            CouponShare.campaign_id == campaign.id, CouponShare.customer_id == attempt.customer_id
        )
    )
    if shared is None:
        raise share_required()


def load_campaign(session: Session, workspace_id: int, campaign_id: int) -> CouponCampaign:
    return get_in_workspace(
        session, CouponCampaign, workspace_id, campaign_id, campaign_not_found()
    )


# --- the engines ---------------------------------------------------------------------------


def claim_in_store(session: Session, attempt: Attempt) -> Claimed:
    """The embedded engine: one attempt against the store (``engine.claim`` chooses)."""
    if known_sold_out(attempt.workspace_id, attempt.campaign_id):
        refuse_sold_out(session, attempt)
    return _claim_from_store(session, attempt)


def _claim_from_store(session: Session, attempt: Attempt) -> Claimed:
    campaign = load_campaign(session, attempt.workspace_id, attempt.campaign_id)
    now = utcnow()
    check_channel(campaign, attempt.source)
    check_window(campaign, now)
    if campaign.remaining <= 0:
        remember_sold_out(campaign.workspace_id, campaign.id)
        refuse_sold_out(session, attempt)
    _check_rates(session, attempt)
    # Fan pages carry a signed identity; it is still checked against the workspace.
    require_customer(session, attempt.workspace_id, attempt.customer_id)
    check_share(session, campaign, attempt)
    check_audience(session, campaign, attempt.customer_id)
    template = session.get_one(CouponTemplate, campaign.template_id)
    # A customer's two attempts racing on PostgreSQL can both read the same count; the loser
    # hits the (campaign, customer, sequence) constraint, its savepoint (and decrement) rolls
    # back, and it counts again.
    for _ in range(campaign.per_customer_limit + 1):
        try:
            with session.begin_nested():
                return _take_one(session, campaign, template, attempt, now)
        except IntegrityError:
            continue
    raise already_claimed()


def _take_one(
    session: Session,
    campaign: CouponCampaign,
    template: CouponTemplate,
    attempt: Attempt,
    now: datetime,
) -> Claimed:
    taken = int(
        session.scalar(
            select(func.count())
            .select_from(CouponClaim)
            .where(
                CouponClaim.campaign_id == campaign.id,
                CouponClaim.customer_id == attempt.customer_id,
            )
        )
        or 0
    )
    if taken >= campaign.per_customer_limit:
        refuse_already_claimed(session, attempt)
    left = session.execute(
        update(CouponCampaign)
        .where(CouponCampaign.id == campaign.id, CouponCampaign.remaining > 0)
        .values(remaining=CouponCampaign.remaining - 1)
        .returning(CouponCampaign.remaining)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if left is None:
        remember_sold_out(campaign.workspace_id, campaign.id)
        raise sold_out()
    slot = campaign.quantity - int(left)
    code, link = pool_code(session, campaign, slot) if campaign.uses_pool else (new_code(), None)
    valid_from, valid_until = validity(template, now)
    session.add(
        CouponClaim(
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            customer_id=attempt.customer_id,
            slot=slot,
            sequence=taken + 1,
            code=code,
            link=link,
            source=attempt.source,
            claimed_at=now,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    )
    session.flush()
    return Claimed(
        campaign.id,
        attempt.customer_id,
        slot,
        taken + 1,
        code,
        link,
        now,
        persisted=True,
        left=int(left),
    )


def pool_code(session: Session, campaign: CouponCampaign, slot: int) -> tuple[str, str | None]:
    row = session.execute(
        select(CouponCode.code, CouponCode.link).where(
            CouponCode.campaign_id == campaign.id, CouponCode.slot == slot
        )
    ).one_or_none()
    if row is None:  # stock and pool are created together; a gap is a bug, not a fan's problem
        raise Problem("coupon-pool-gap", status=500, title=N_("The code pool is incomplete"))
    return str(row.code), row.link


def _check_rates(session: Session, attempt: Attempt) -> None:
    from siyu.kit.counters import SqlCounter

    settings = get_settings()
    counter = SqlCounter(session)
    per_customer = settings.grab_customer_attempts_per_second
    if per_customer and attempt.source in FAN_SOURCES:
        key = f"coupon:{attempt.campaign_id}:c:{attempt.customer_id}"
        if not counter.hit(key, per_customer, 1).allowed:
            raise rate_limited()
    per_ip = settings.grab_ip_attempts_per_second
    if per_ip and attempt.ip and not counter.hit(f"coupon:ip:{attempt.ip}", per_ip, 1).allowed:
        raise rate_limited()
