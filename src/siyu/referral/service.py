"""Business rules of old-brings-new (老带新): who brought whom, how deep it may go, and the reward
an inviter earns when the invitee's own first paid order arrives.

Within the law, by construction: nothing is paid for sharing or visiting, nothing is ever
charged to join, and the tree has two levels at most (the store refuses a third). A fan takes
one place in the tree, ever: a fan already invited, or already an inviter, can't be invited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.customers import service as customers
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import Conflict, NotFound, Problem, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace, insert_for
from siyu.loyalty.labels import REFERRAL_REASON
from siyu.referral.models import (
    MAX_WINDOW_DAYS,
    REWARD_KINDS,
    Referral,
    ReferralCode,
    ReferralReward,
    ReferralSettings,
)
from siyu.workspace import audit
from siyu.workspace.audit import SYSTEM, Actor

TOO_DEEP = "referral-too-deep"
CYCLE = "referral-cycle"
ALREADY_INVITED = "referral-already-invited"
ALREADY_INVITER = "referral-invitee-is-inviter"


# --- settings ---------------------------------------------------------------------------


def settings_of(session: Session, workspace_id: int) -> ReferralSettings:
    found = session.get(ReferralSettings, workspace_id)
    if found is not None:
        return found
    return ReferralSettings(
        workspace_id=workspace_id,
        max_depth=1,
        window_days=7,
        reward_kind="points",
        reward_points=100,
        reward_points_level2=0,
        coupon_campaign_id=None,
    )


def update_settings(
    session: Session,
    workspace_id: int,
    actor: Actor,
    *,
    max_depth: int,
    window_days: int,
    reward_kind: str,
    reward_points: int,
    reward_points_level2: int,
    coupon_campaign_id: int | None,
) -> ReferralSettings:
    _check_settings(session, workspace_id, max_depth, window_days, reward_kind, coupon_campaign_id)
    if reward_points < 0 or reward_points_level2 < 0:
        raise _invalid("reward_points", N_("Points must not be negative"))
    current = session.get(ReferralSettings, workspace_id)
    if current is None:
        current = ReferralSettings(workspace_id=workspace_id)
        session.add(current)
    current.max_depth = max_depth
    current.window_days = window_days
    current.reward_kind = reward_kind
    current.reward_points = reward_points
    current.reward_points_level2 = reward_points_level2 if max_depth == 2 else 0
    current.coupon_campaign_id = coupon_campaign_id if reward_kind == "coupon" else None
    current.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "referral.settings",
        workspace_id=workspace_id,
        detail={"max_depth": max_depth, "window_days": window_days, "reward_kind": reward_kind},
    )
    return current


def _check_settings(
    session: Session,
    workspace_id: int,
    max_depth: int,
    window_days: int,
    reward_kind: str,
    coupon_campaign_id: int | None,
) -> None:
    if max_depth not in (1, 2):
        raise _invalid("max_depth", N_("Referrals go one or two levels deep, never more"))
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise _invalid("window_days", N_("The window is 1 to 90 days"))
    if reward_kind not in REWARD_KINDS:
        raise _invalid("reward_kind", N_("Reward with points or a coupon"))
    if reward_kind == "coupon":
        if coupon_campaign_id is None:
            raise _invalid("coupon_campaign_id", N_("Choose the coupon campaign to reward with"))
        from siyu.coupons.service import get_campaign

        get_campaign(session, workspace_id, coupon_campaign_id)


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        "referral-settings-invalid",
        title=message,
        errors=[{"field": field, "message": message}],
    )


# --- the tree ---------------------------------------------------------------------------


def node_of(session: Session, workspace_id: int, customer_id: int) -> Referral | None:
    return session.scalar(
        select(Referral).where(
            Referral.workspace_id == workspace_id, Referral.customer_id == customer_id
        )
    )


def refer(
    session: Session,
    workspace_id: int,
    inviter_id: int,
    invitee_id: int,
    actor: Actor,
    *,
    source: str = "api",
    touched_at: datetime | None = None,
) -> Referral:
    """Tie ``invitee_id`` to ``inviter_id``. 409 with a distinct type for a chain deeper than the
    workspace allows, a cycle, a fan invited before, or a fan who is already an inviter."""
    customers.check_customers(session, workspace_id, [inviter_id, invitee_id], "customer_id")
    if inviter_id == invitee_id:
        raise _cycle()
    max_depth = settings_of(session, workspace_id).max_depth
    try:
        with session.begin_nested():
            node = _insert_under(session, workspace_id, inviter_id, invitee_id, max_depth)
            node.source = source
            node.touched_at = touched_at
            session.flush()
    except IntegrityError:  # a parallel request placed the invitee (or the CHECK refused)
        raise _refusal(session, workspace_id, inviter_id, invitee_id) from None
    audit.record(
        session,
        actor,
        "referral.created",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=invitee_id,
        detail={"inviter_id": inviter_id, "depth": node.depth, "source": source},
    )
    return node


def _insert_under(
    session: Session, workspace_id: int, inviter_id: int, invitee_id: int, max_depth: int
) -> Referral:
    """The inviter becomes a root unless already in the tree (ON CONFLICT: parallel callers
    agree), then the invitee goes one level below the inviter's stored depth."""
    insert = insert_for(session)
    session.execute(
        insert(Referral)
        .values(
            workspace_id=workspace_id,
            customer_id=inviter_id,
            depth=0,
            source="link",
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "customer_id"])
    )
    inviter = node_of(session, workspace_id, inviter_id)
    assert inviter is not None  # inserted or found just above
    if node_of(session, workspace_id, invitee_id) is not None:
        raise _refusal(session, workspace_id, inviter_id, invitee_id)
    if inviter.depth + 1 > max_depth:
        raise _too_deep(max_depth)
    node = Referral(
        workspace_id=workspace_id,
        customer_id=invitee_id,
        inviter_id=inviter_id,
        inviter_depth=inviter.depth,
        depth=inviter.depth + 1,
    )
    session.add(node)
    return node


def _refusal(session: Session, workspace_id: int, inviter_id: int, invitee_id: int) -> Conflict:
    """Why the invitee can't go under the inviter, read from the committed tree."""
    invitee = node_of(session, workspace_id, invitee_id)
    if invitee is None:  # only the depth CHECK refuses an invitee not yet in the tree
        return _too_deep(settings_of(session, workspace_id).max_depth)
    if invitee_id in ancestors(session, workspace_id, inviter_id):
        return _cycle()
    if invitee.inviter_id is not None:
        return Conflict(
            ALREADY_INVITED,
            title=N_("This fan was already invited by someone"),
            inviter_id=invitee.inviter_id,
        )
    return Conflict(ALREADY_INVITER, title=N_("This fan already invites others"))


def _too_deep(max_depth: int) -> Conflict:
    return Conflict(
        TOO_DEEP,
        title=N_("The referral chain would be deeper than this workspace allows"),
        max_depth=max_depth,
    )


def _cycle() -> Conflict:
    return Conflict(CYCLE, title=N_("A fan can't invite themselves or whoever invited them"))


def ancestors(session: Session, workspace_id: int, customer_id: int) -> list[int]:
    """The fan's inviter, then the inviter's inviter (two levels at most)."""
    chain: list[int] = []
    node = node_of(session, workspace_id, customer_id)
    while node is not None and node.inviter_id is not None and len(chain) < 2:
        chain.append(node.inviter_id)
        node = node_of(session, workspace_id, node.inviter_id)
    return chain


def get_referral(session: Session, workspace_id: int, referral_id: int) -> Referral:
    not_found = NotFound("referral-not-found", title=N_("No such referral"))
    found = get_in_workspace(session, Referral, workspace_id, referral_id, not_found)
    if found.inviter_id is None:  # a root is a place in the tree, not a referral
        raise not_found
    return found


def list_referrals(
    session: Session,
    workspace_id: int,
    *,
    inviter_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Referral], str | None]:
    query = select(Referral).where(
        Referral.workspace_id == workspace_id, Referral.inviter_id.is_not(None)
    )
    if inviter_id is not None:
        query = query.where(Referral.inviter_id == inviter_id)
    return keyset_page(session, query, Referral.id, cursor=cursor, limit=limit)


def invitees_of(session: Session, workspace_id: int, inviter_ids: list[int]) -> list[Referral]:
    if not inviter_ids:
        return []
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.workspace_id == workspace_id, Referral.inviter_id.in_(inviter_ids))
            .order_by(Referral.id)
        )
    )


def roots(session: Session, workspace_id: int, limit: int = 50) -> list[Referral]:
    """Fans at the top of the tree, the most recent first."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.workspace_id == workspace_id, Referral.depth == 0)
            .order_by(Referral.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class InviterRow:
    customer_id: int
    invitees: int
    rewards: int
    points: int


def top_inviters(session: Session, workspace_id: int, limit: int = 10) -> list[InviterRow]:
    """Inviters by direct invitees, with the rewards they were paid (any level)."""
    counts = session.execute(
        select(Referral.inviter_id, func.count())
        .where(Referral.workspace_id == workspace_id, Referral.inviter_id.is_not(None))
        .group_by(Referral.inviter_id)
        .order_by(func.count().desc(), Referral.inviter_id)
        .limit(limit)
    ).all()
    ids = [row[0] for row in counts]
    paid = {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in session.execute(
            select(ReferralReward.beneficiary_id, func.count(), func.sum(ReferralReward.points))
            .where(
                ReferralReward.workspace_id == workspace_id,
                ReferralReward.beneficiary_id.in_(ids),
            )
            .group_by(ReferralReward.beneficiary_id)
        )
    }
    return [InviterRow(cid, int(n), *paid.get(cid, (0, 0))) for cid, n in counts if cid is not None]


@dataclass(frozen=True)
class Totals:
    referrals: int
    second_level: int
    rewards: int
    points: int


def totals(session: Session, workspace_id: int) -> Totals:
    referrals, second = session.execute(
        select(func.count(Referral.inviter_id), func.count().filter(Referral.depth == 2)).where(
            Referral.workspace_id == workspace_id
        )
    ).one()
    rewards, points = session.execute(
        select(func.count(), func.coalesce(func.sum(ReferralReward.points), 0)).where(
            ReferralReward.workspace_id == workspace_id
        )
    ).one()
    return Totals(int(referrals), int(second), int(rewards), int(points))


def list_rewards(
    session: Session, workspace_id: int, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[ReferralReward], str | None]:
    query = select(ReferralReward).where(ReferralReward.workspace_id == workspace_id)
    return keyset_page(session, query, ReferralReward.id, cursor=cursor, limit=limit)


# --- invite links and first touch --------------------------------------------------------


def invite_code(session: Session, workspace_id: int, customer_id: int) -> ReferralCode:
    """The fan's personal invite code, made on first ask (parallel asks agree)."""
    insert = insert_for(session)
    session.execute(
        insert(ReferralCode)
        .values(
            workspace_id=workspace_id,
            customer_id=customer_id,
            code=secrets.token_urlsafe(6),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "customer_id"])
    )
    code = session.scalar(
        select(ReferralCode).where(
            ReferralCode.workspace_id == workspace_id, ReferralCode.customer_id == customer_id
        )
    )
    assert code is not None
    return code


def code_owner(session: Session, code: str) -> ReferralCode | None:
    return session.scalar(select(ReferralCode).where(ReferralCode.code == code))


def claim_first_touch(
    session: Session,
    workspace_id: int,
    customer_id: int,
    inviter_id: int,
    touched_at: datetime,
) -> Referral | None:
    """Turn a first touch (the invite link's cookie) into a referral when the visitor has since
    become a fan: only a fan created after the touch and within the window counts (an old fan
    opening a friend's link is not brought by it)."""
    settings = settings_of(session, workspace_id)
    now = utcnow()
    if as_utc(touched_at) < now - timedelta(days=settings.window_days):
        return None
    customer = customers.get_customer(session, workspace_id, customer_id)
    if as_utc(customer.created_at) < as_utc(touched_at) or customer_id == inviter_id:
        return None
    if node_of(session, workspace_id, customer_id) is not None:
        return None
    actor = Actor("fan", customer_id, customer.display_name)
    try:
        return refer(
            session,
            workspace_id,
            inviter_id,
            customer_id,
            actor,
            source="link",
            touched_at=touched_at,
        )
    except Problem:
        return None


# --- rewards for first paid orders ---------------------------------------------------------


def workspace_ids_with_referrals(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Referral.workspace_id).where(Referral.inviter_id.is_not(None)).distinct()
        )
    )


def _unrewarded(session: Session, workspace_id: int, limit: int) -> list[Referral]:
    """Invitees without a first-level reward yet, oldest first."""
    rewarded = select(ReferralReward.invitee_id).where(
        ReferralReward.workspace_id == workspace_id, ReferralReward.level == 1
    )
    return list(
        session.scalars(
            select(Referral)
            .where(
                Referral.workspace_id == workspace_id,
                Referral.inviter_id.is_not(None),
                Referral.customer_id.not_in(rewarded),
            )
            .order_by(Referral.id)
            .limit(limit)
        )
    )


def settle_rewards(session: Session, workspace_id: int, limit: int = 1000) -> int:
    """Reward the inviters of invitees whose own first paid order has arrived since they were
    referred. Idempotent: a reward per invitee and level, whoever runs this and how often."""
    from siyu.orders.service import first_paid_orders

    settings = settings_of(session, workspace_id)
    nodes = _unrewarded(session, workspace_id, limit)
    firsts = first_paid_orders(session, workspace_id, [n.customer_id for n in nodes])
    paid = 0
    for node in nodes:
        first = firsts.get(node.customer_id)
        if first is None or first.paid_at < as_utc(node.touched_at or node.created_at):
            continue  # no order yet, or a buyer before the referral: not brought by it
        paid += _reward_levels(session, settings, node, first)
    return paid


def _reward_levels(session: Session, settings: ReferralSettings, node: Referral, first: Any) -> int:
    chain = ancestors(session, node.workspace_id, node.customer_id)[: settings.max_depth]
    paid = 0
    for level, beneficiary in enumerate(chain, start=1):
        points = settings.reward_points if level == 1 else settings.reward_points_level2
        if settings.reward_kind == "points" and points <= 0:
            continue
        if settings.reward_kind == "coupon" and level == 2:
            continue  # a coupon rewards the inviter who brought the buyer, not the level above
        paid += _pay(session, settings, node, first, level, beneficiary, points)
    return paid


def _pay(
    session: Session,
    settings: ReferralSettings,
    node: Referral,
    first: Any,
    level: int,
    beneficiary: int,
    points: int,
) -> int:
    """One reward row and its payment in one savepoint: a duplicate (a parallel settle) or a
    refused coupon leaves nothing behind."""
    reward = ReferralReward(
        workspace_id=node.workspace_id,
        invitee_id=node.customer_id,
        beneficiary_id=beneficiary,
        level=level,
        order_id=first.order_id,
        order_paid_fen=first.paid_amount_fen,
        kind=settings.reward_kind,
        points=points if settings.reward_kind == "points" else 0,
    )
    try:
        with session.begin_nested():
            session.add(reward)
            session.flush()
            _deliver(session, settings, reward)
    except (IntegrityError, Problem):
        return 0
    return 1


def _deliver(session: Session, settings: ReferralSettings, reward: ReferralReward) -> None:
    if reward.kind == "points":
        from siyu.loyalty.service import adjust

        adjust(
            session,
            reward.workspace_id,
            reward.beneficiary_id,
            reward.points,
            REFERRAL_REASON,
            SYSTEM,
            f"referral-{reward.invitee_id}-{reward.level}",
        )
        return
    from siyu.coupons.service import issue

    assert settings.coupon_campaign_id is not None
    report = issue(
        session,
        reward.workspace_id,
        settings.coupon_campaign_id,
        SYSTEM,
        customer_ids=[reward.beneficiary_id],
    )
    if not report.issued:
        raise Conflict("referral-coupon-refused", title=N_("The reward coupon is not available"))
    claimed = report.issued[0]
    reward.coupon_claim_id = f"{claimed.campaign_id}-{claimed.slot}"


def rewards_of(session: Session, workspace_id: int, beneficiary_id: int) -> list[ReferralReward]:
    return list(
        session.scalars(
            select(ReferralReward)
            .where(
                ReferralReward.workspace_id == workspace_id,
                ReferralReward.beneficiary_id == beneficiary_id,
            )
            .order_by(ReferralReward.id.desc())
            .limit(100)
        )
    )
