"""The points rules, one at a time: conversion eligibility, vesting, refunds and debt, FIFO lots,
expiry, redemptions and their states, idempotency, tiers, gifts and the invariant check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.kit.crypto import decrypt_pii
from siyu.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from siyu.loyalty import conversions, earn_rules, mall, reports, service
from siyu.loyalty import gifts as loyalty_gifts
from siyu.loyalty import tiers as loyalty_tiers
from siyu.loyalty.models import PointsLot
from siyu.workspace.models import Workspace
from tests.factories import ACTOR, make_operator

from . import helpers as h


def _balance(session: Session, ws: Workspace, customer_id: int) -> int:
    return service.summary(session, ws.id, customer_id).balance


def _clean(session: Session, ws: Workspace) -> None:
    assert reports.check_invariants(session, ws.id) == []


def test_points_for_whole_yuan_times_multiplier() -> None:
    assert conversions.points_for(12_399, 1000) == 123
    assert conversions.points_for(99, 1000) == 0
    assert conversions.points_for(10_000, 1500) == 150
    assert conversions.points_for(10_050, 1000, per_yuan=2) == 200


def test_completed_order_converts_at_once(session: Session, workspace: Workspace) -> None:
    o = h.order(session, workspace.id, "lulu", paid_fen=29_900, refund_fen=1_000)
    result = conversions.convert_order(
        session, workspace.id, o.customer_id, "taobao", o.order_no, ACTOR
    )
    assert (result.points, result.pending_points, result.balance) == (289, 0, 289)
    _clean(session, workspace)


def test_each_order_converts_once(session: Session, workspace: Workspace) -> None:
    o = h.order(session, workspace.id, "lulu")
    conversions.convert_order(session, workspace.id, o.customer_id, "taobao", o.order_no, ACTOR)
    with pytest.raises(Conflict) as caught:
        conversions.convert_order(session, workspace.id, o.customer_id, "taobao", o.order_no, ACTOR)
    assert caught.value.slug == "order-already-converted"


def test_refusals(session: Session, workspace: Workspace) -> None:
    mine = h.order(session, workspace.id, "lulu")
    theirs = h.order(session, workspace.id, "other")
    unpaid = h.order(session, workspace.id, "lulu", paid=False, status="created")
    refunded = h.order(session, workspace.id, "lulu", refund_fen=12_345)
    me = mine.customer_id
    assert me is not None
    cases = {
        theirs.order_no: "order-not-the-fans",
        unpaid.order_no: "order-unpaid",
        refunded.order_no: "order-refunded",
    }
    for number, slug in cases.items():
        with pytest.raises(Unprocessable) as caught:
            conversions.convert_order(session, workspace.id, me, "taobao", number, ACTOR)
        assert caught.value.slug == slug
    with pytest.raises(NotFound):
        conversions.convert_order(session, workspace.id, me, "taobao", "NOPE", ACTOR)


def test_paid_order_is_pending_until_completed(session: Session, workspace: Workspace) -> None:
    o = h.order(session, workspace.id, "lulu", status="paid", paid_fen=5_000)
    cid = o.customer_id
    assert cid is not None
    result = conversions.convert_order(session, workspace.id, cid, "taobao", o.order_no, ACTOR)
    assert (result.points, result.pending_points, result.balance) == (0, 50, 0)
    assert service.summary(session, workspace.id, cid).pending == 50
    assert conversions.settle_conversions(session, workspace.id)["vested"] == 0
    h.order(session, workspace.id, "lulu", order_no=o.order_no, status="completed", paid_fen=5_000)
    assert conversions.settle_conversions(session, workspace.id)["vested"] == 1
    got = service.summary(session, workspace.id, cid)
    assert (got.balance, got.pending) == (50, 0)
    _clean(session, workspace)


def test_pending_vests_n_days_after_payment(session: Session, workspace: Workspace) -> None:
    o = h.order(session, workspace.id, "lulu", status="shipped", paid_fen=5_000)
    assert o.customer_id is not None
    conversions.convert_order(session, workspace.id, o.customer_id, "taobao", o.order_no, ACTOR)
    later = utcnow() + timedelta(days=14)
    assert conversions.settle_conversions(session, workspace.id, later)["vested"] == 1
    _clean(session, workspace)


def test_refund_claws_back_and_spent_points_become_debt(
    session: Session, workspace: Workspace
) -> None:
    o = h.order(session, workspace.id, "lulu", paid_fen=20_000)
    cid = o.customer_id
    assert cid is not None
    conversions.convert_order(session, workspace.id, cid, "taobao", o.order_no, ACTOR)
    gift = h.item(session, workspace.id, points_price=150, virtual=True)
    mall.redeem(session, workspace.id, cid, gift.id, 1, "r1", ACTOR)
    assert _balance(session, workspace.id and workspace, cid) == 50
    h.order(session, workspace.id, "lulu", order_no=o.order_no, paid_fen=20_000, refund_fen=20_000)
    conversions.settle_conversions(session, workspace.id)
    got = service.summary(session, workspace.id, cid)
    assert (got.balance, got.debt) == (0, 150)
    _clean(session, workspace)
    # The next order settles the debt first.
    nxt = h.order(session, workspace.id, "lulu", paid_fen=30_000)
    conversions.convert_order(session, workspace.id, cid, "taobao", nxt.order_no, ACTOR)
    got = service.summary(session, workspace.id, cid)
    assert (got.balance, got.debt) == (150, 0)
    _clean(session, workspace)


def test_partial_refund_of_a_pending_conversion_shrinks_it(
    session: Session, workspace: Workspace
) -> None:
    o = h.order(session, workspace.id, "lulu", status="paid", paid_fen=10_000)
    cid = o.customer_id
    assert cid is not None
    conversions.convert_order(session, workspace.id, cid, "taobao", o.order_no, ACTOR)
    h.order(
        session,
        workspace.id,
        "lulu",
        order_no=o.order_no,
        status="paid",
        paid_fen=10_000,
        refund_fen=4_000,
    )
    conversions.settle_conversions(session, workspace.id)
    assert service.summary(session, workspace.id, cid).pending == 60
    _clean(session, workspace)


def test_spending_takes_the_soonest_expiring_points_first(
    session: Session, workspace: Workspace
) -> None:
    old = h.order(
        session, workspace.id, "lulu", paid_fen=10_000, paid_at=utcnow() - timedelta(days=300)
    )
    new = h.order(session, workspace.id, "lulu", paid_fen=10_000)
    cid = old.customer_id
    assert cid is not None
    for o in (new, old):
        conversions.convert_order(session, workspace.id, cid, "taobao", o.order_no, ACTOR)
    lots = session.scalars(select(PointsLot).where(PointsLot.customer_id == cid)).all()
    # Earned now, both expire at the end of the 12th month after today: equal expiry, id order.
    assert all(lot.remaining == 100 for lot in lots)
    gift = h.item(session, workspace.id, points_price=120, virtual=True)
    mall.redeem(session, workspace.id, cid, gift.id, 1, "fifo", ACTOR)
    remaining = [
        lot.remaining
        for lot in session.scalars(
            select(PointsLot)
            .where(PointsLot.customer_id == cid)
            .order_by(PointsLot.expires_at, PointsLot.id)
            .execution_options(populate_existing=True)
        )
    ]
    assert remaining == [0, 80]


def test_expiry_at_the_end_of_the_twelfth_month(session: Session, workspace: Workspace) -> None:
    settings = service.settings_of(session, workspace.id)
    earned = datetime(2026, 3, 15, 4, tzinfo=UTC)  # 12:00 in Shanghai
    expires = service.expiry_for(settings, earned)
    assert expires.astimezone(UTC) == datetime(2027, 3, 31, 15, 59, 59, 999999, tzinfo=UTC)


def test_expiry_job_expires_due_lots_once(session: Session, workspace: Workspace) -> None:
    cid = h.rich_fan(session, workspace.id, "lulu", 300)
    soon = service.summary(session, workspace.id, cid)
    assert soon.expiring_soon == 0 and soon.next_expiry is not None
    later = soon.next_expiry + timedelta(seconds=1)
    dry = conversions.expire_due(session, workspace.id, now=later, dry_run=True)
    assert dry.points == 300 and _balance(session, workspace, cid) == 300
    done = conversions.expire_due(session, workspace.id, now=later)
    assert done.as_dict() == {"lots": 1, "points": 300, "customers": 1}
    assert conversions.expire_due(session, workspace.id, now=later).points == 0
    assert _balance(session, workspace, cid) == 0
    _clean(session, workspace)


def test_redeem_cancel_returns_points_and_stock(session: Session, workspace: Workspace) -> None:
    cid = h.rich_fan(session, workspace.id, "lulu", 500)
    gift = h.item(session, workspace.id, points_price=200, stock=3)
    redemption, replay = mall.redeem(
        session, workspace.id, cid, gift.id, 2, "k1", ACTOR, address="上海市徐汇区漕溪北路 1 号"
    )
    assert not replay and redemption.points == 400
    assert redemption.address_enc is not None
    assert "上海" in decrypt_pii(redemption.address_enc, context=service.ADDRESS_CONTEXT)
    assert mall.get_item(session, workspace.id, gift.id).stock == 1
    mall.cancel(session, workspace.id, redemption.id, "fan changed mind", ACTOR)
    assert _balance(session, workspace, cid) == 500
    assert mall.get_item(session, workspace.id, gift.id).stock == 3
    with pytest.raises(Conflict) as caught:
        mall.ship(session, workspace.id, redemption.id, "SF", "SF123", ACTOR)
    assert caught.value.slug == "redemption-state-conflict"
    _clean(session, workspace)


def test_fulfilment_states(session: Session, workspace: Workspace) -> None:
    cid = h.rich_fan(session, workspace.id, "lulu", 500)
    gift = h.item(session, workspace.id)
    r, _ = mall.redeem(session, workspace.id, cid, gift.id, 1, "k", ACTOR, address="北京")
    with pytest.raises(Conflict):
        mall.deliver(session, workspace.id, r.id, ACTOR)
    shipped = mall.ship(session, workspace.id, r.id, "顺丰", "SF1001", ACTOR)
    assert (shipped.state, shipped.carrier, shipped.tracking_no) == ("shipped", "顺丰", "SF1001")
    assert mall.deliver(session, workspace.id, r.id, ACTOR).state == "delivered"
    with pytest.raises(Conflict):
        mall.cancel(session, workspace.id, r.id, "late", ACTOR)


def test_refusals_of_redemptions(session: Session, workspace: Workspace) -> None:
    cid = h.rich_fan(session, workspace.id, "lulu", 150)
    gift = h.item(session, workspace.id, points_price=100, stock=1, per_customer_limit=1)
    with pytest.raises(Unprocessable) as caught:
        mall.redeem(session, workspace.id, cid, gift.id, 1, "a", ACTOR)
    assert caught.value.slug == "address-required"
    with pytest.raises(Conflict) as conflict:
        mall.redeem(session, workspace.id, cid, gift.id, 2, "b", ACTOR, address="x")
    assert conflict.value.slug == "insufficient-points"
    mall.redeem(session, workspace.id, cid, gift.id, 1, "c", ACTOR, address="x")
    rich = h.rich_fan(session, workspace.id, "mimi", 1000)
    with pytest.raises(Conflict) as conflict:
        mall.redeem(session, workspace.id, rich, gift.id, 1, "d", ACTOR, address="x")
    assert conflict.value.slug == "out-of-stock"
    mall.update_item(session, workspace.id, gift.id, {"stock_delta": 5}, ACTOR)
    with pytest.raises(Conflict) as conflict:
        mall.redeem(session, workspace.id, cid, gift.id, 1, "e", ACTOR, address="x")
    assert conflict.value.slug in {"redemption-limit-reached", "insufficient-points"}
    _clean(session, workspace)


def test_idempotency_key_replays_or_refuses(session: Session, workspace: Workspace) -> None:
    cid = h.rich_fan(session, workspace.id, "lulu", 500)
    gift = h.item(session, workspace.id, virtual=True)
    first, replay1 = mall.redeem(session, workspace.id, cid, gift.id, 1, "same", ACTOR)
    again, replay2 = mall.redeem(session, workspace.id, cid, gift.id, 1, "same", ACTOR)
    assert (first.id, replay1, replay2) == (again.id, False, True)
    assert _balance(session, workspace, cid) == 400
    with pytest.raises(Unprocessable) as caught:
        mall.redeem(session, workspace.id, cid, gift.id, 2, "same", ACTOR)
    assert caught.value.slug == "idempotency-key-reused"
    entry, _ = service.adjust(session, workspace.id, cid, -50, "typo", ACTOR, "adj-1")
    same, replay = service.adjust(session, workspace.id, cid, -50, "typo", ACTOR, "adj-1")
    assert same.id == entry.id and replay
    with pytest.raises(Unprocessable):
        service.adjust(session, workspace.id, cid, -60, "typo", ACTOR, "adj-1")
    with pytest.raises(Conflict):
        service.adjust(session, workspace.id, cid, -10_000, "too much", ACTOR, "adj-2")
    _clean(session, workspace)


def test_tiers_and_tier_multiplier(session: Session, workspace: Workspace) -> None:
    for code, name, rank, floor, mult in (
        ("normal", "普通", 0, 0, 1000),
        ("silver", "银卡", 1, 200, 1200),
        ("gold", "金卡", 2, 1000, 1500),
    ):
        loyalty_tiers.save_tier(session, workspace.id, code, name, rank, floor, mult)
    cid = h.rich_fan(session, workspace.id, "lulu", 250)
    assert loyalty_tiers.recompute_tiers(session, workspace.id) == 1
    assert service.summary(session, workspace.id, cid).tier_name == "银卡"
    o = h.order(session, workspace.id, "lulu", paid_fen=10_000)
    result = conversions.convert_order(session, workspace.id, cid, "taobao", o.order_no, ACTOR)
    assert result.points == 120
    assert [c.to_tier for c in loyalty_tiers.tier_history(session, workspace.id, cid)] == ["silver"]
    reserved = h.item(session, workspace.id, min_tier_code="gold", virtual=True)
    with pytest.raises(Forbidden):
        mall.redeem(session, workspace.id, cid, reserved.id, 1, "t", ACTOR)


def test_campaign_and_platform_multipliers(session: Session, workspace: Workspace) -> None:
    now = utcnow()
    earn_rules.add_earn_rule(
        session, workspace.id, "双11", 2000, starts_at=now - timedelta(days=5), ends_at=now
    )
    earn_rules.add_earn_rule(session, workspace.id, "抖音", 1500, platform="douyin")
    o = h.order(session, workspace.id, "lulu", paid_fen=10_000)
    assert o.customer_id is not None
    assert (
        conversions.convert_order(
            session, workspace.id, o.customer_id, "taobao", o.order_no, ACTOR
        ).points
        == 200
    )
    d = h.order(session, workspace.id, "dy", paid_fen=10_000, platform="douyin")
    assert d.customer_id is not None
    assert (
        conversions.convert_order(
            session, workspace.id, d.customer_id, "douyin", d.order_no, ACTOR
        ).points
        == 300
    )


def test_gifts_budget_and_approval(session: Session, workspace: Workspace) -> None:
    operator = make_operator(session, workspace)
    cid = h.fan(session, workspace.id, "lulu")
    loyalty_gifts.set_gift_budget(session, workspace.id, operator.id, 10_000, ACTOR)
    tea = loyalty_gifts.send_gift(
        session,
        workspace.id,
        operator.id,
        cid,
        description="一杯奶茶",
        reason="生日",
        cost_fen=2_000,
        actor=ACTOR,
    )
    assert tea.state == "approved"
    big = loyalty_gifts.send_gift(
        session,
        workspace.id,
        operator.id,
        cid,
        description="面霜",
        reason="老粉",
        cost_fen=6_000,
        actor=ACTOR,
    )
    assert big.state == "pending_approval"
    with pytest.raises(Conflict) as caught:
        loyalty_gifts.send_gift(
            session,
            workspace.id,
            operator.id,
            cid,
            description="包",
            reason="x",
            cost_fen=3_000,
            actor=ACTOR,
        )
    assert caught.value.slug == "gift-budget-exceeded"
    loyalty_gifts.decide_gift(session, workspace.id, big.id, False, operator.id, ACTOR)
    assert loyalty_gifts.gift_budget(session, workspace.id, operator.id) == (10_000, 2_000)
    towel = h.item(session, workspace.id, cost_fen=1_500, stock=2)
    sent = loyalty_gifts.send_gift(
        session,
        workspace.id,
        operator.id,
        cid,
        description="",
        reason="复购",
        cost_fen=None,
        actor=ACTOR,
        item_id=towel.id,
        address="杭州",
    )
    assert sent.redemption_id is not None and sent.cost_fen == 1_500
    assert mall.get_item(session, workspace.id, towel.id).stock == 1
    report = reports.report(session, workspace.id)
    assert report.gift_cost_fen == 3_500


def test_report_and_check(session: Session, workspace: Workspace) -> None:
    cid = h.rich_fan(session, workspace.id, "lulu", 1_000)
    o = h.order(session, workspace.id, "lulu", paid_fen=50_000)
    conversions.convert_order(session, workspace.id, cid, "taobao", o.order_no, ACTOR)
    gift = h.item(session, workspace.id, points_price=300, cost_fen=3_000, virtual=True)
    mall.redeem(session, workspace.id, cid, gift.id, 1, "r", ACTOR)
    got = reports.report(session, workspace.id)
    assert (got.issued, got.adjusted, got.redeemed, got.outstanding) == (500, 1_000, 300, 1_200)
    assert got.redemption_cost_fen == 3_000 and got.outstanding_cost_fen == 12_000
    _clean(session, workspace)


def test_merged_fan_can_convert_the_source_fans_order(
    session: Session, workspace: Workspace
) -> None:
    from siyu.customers import service as customers

    a = h.order(session, workspace.id, "old-account", paid_fen=10_000)
    b_id = h.fan(session, workspace.id, "new-account")
    assert a.customer_id is not None
    customers.merge_customers(session, workspace.id, b_id, a.customer_id, ACTOR)
    result = conversions.convert_order(session, workspace.id, b_id, "taobao", a.order_no, ACTOR)
    assert result.points == 100


def test_check_reports_drift(session: Session, workspace: Workspace) -> None:
    from sqlalchemy import update

    from siyu.loyalty.models import PointsAccount

    cid = h.rich_fan(session, workspace.id, "lulu", 100)
    session.execute(
        update(PointsAccount).where(PointsAccount.customer_id == cid).values(balance=90)
    )
    drifts = reports.check_invariants(session, workspace.id)
    assert {d.what for d in drifts} == {"balance-vs-entries", "balance-vs-lots"}
    assert drifts[0].cached == 90 and drifts[0].computed == 100


def test_segment_multiplier_and_reserved_item(session: Session, workspace: Workspace) -> None:
    from siyu.segments import service as segments

    douyin = segments.create_segment(
        session, workspace.id, name="抖音粉丝", filter_text='platform = "douyin"', actor=ACTOR
    )
    earn_rules.add_earn_rule(session, workspace.id, "抖音粉丝双倍", 2000, segment_id=douyin.id)
    dy = h.order(session, workspace.id, "dy-fan", paid_fen=10_000, platform="douyin")
    tb = h.order(session, workspace.id, "tb-fan", paid_fen=10_000)
    assert dy.customer_id is not None and tb.customer_id is not None
    got = conversions.convert_order(
        session, workspace.id, dy.customer_id, "douyin", dy.order_no, ACTOR
    )
    assert got.points == 200
    got = conversions.convert_order(
        session, workspace.id, tb.customer_id, "taobao", tb.order_no, ACTOR
    )
    assert got.points == 100
    only = h.item(session, workspace.id, segment_id=douyin.id, points_price=50, virtual=True)
    mall.redeem(session, workspace.id, dy.customer_id, only.id, 1, "s1", ACTOR)
    with pytest.raises(Forbidden):
        mall.redeem(session, workspace.id, tb.customer_id, only.id, 1, "s2", ACTOR)


def test_points_past_expiry_never_spent_before_the_nightly_job(
    session: Session, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siyu.loyalty import ledger

    cid = h.rich_fan(session, workspace.id, "lulu", 300)
    old_lot_ends = service.summary(session, workspace.id, cid).next_expiry
    assert old_lot_ends is not None
    later = old_lot_ends + timedelta(seconds=1)
    for module in (service, mall, ledger):
        monkeypatch.setattr(module, "utcnow", lambda: later)
    service.adjust(session, workspace.id, cid, 100, "new lot", ACTOR, "fresh")
    assert _balance(session, workspace, cid) == 100  # the 300 past expiry don't show
    dear = h.item(session, workspace.id, points_price=200, stock=3, virtual=True)
    with pytest.raises(Conflict) as refused:
        mall.redeem(session, workspace.id, cid, dear.id, 1, "dear", ACTOR)
    assert refused.value.slug == "insufficient-points"
    assert refused.value.extra["balance"] == 100
    cheap = h.item(session, workspace.id, points_price=100, stock=3, virtual=True)
    redemption, _ = mall.redeem(session, workspace.id, cid, cheap.id, 1, "cheap", ACTOR)
    assert redemption.lots_used and _balance(session, workspace, cid) == 0
    kinds = [e.kind for e in service.list_entries(session, workspace.id, customer_id=cid)[0]]
    assert kinds[:2] == ["redeem", "expire"]
    assert conversions.expire_due(session, workspace.id, now=later).points == 0
    _clean(session, workspace)


def test_tier_from_points_or_spend(session: Session, workspace: Workspace) -> None:
    loyalty_tiers.save_tier(session, workspace.id, "normal", "普通", 0, 0)
    loyalty_tiers.save_tier(
        session, workspace.id, "silver", "银卡", 1, 500, 1200, min_spend_fen_12m=100_000
    )
    loyalty_tiers.save_tier(session, workspace.id, "gold", "金卡", 2, 5000, 1500)
    pointsy = h.rich_fan(session, workspace.id, "pointsy", 600)  # silver by points
    h.order(session, workspace.id, "spender", paid_fen=80_000)
    h.order(session, workspace.id, "spender", paid_fen=30_000)  # ¥1100 spent, no points at all
    small = h.order(session, workspace.id, "small", paid_fen=20_000)
    old = h.order(
        session, workspace.id, "old", paid_fen=500_000, paid_at=utcnow() - timedelta(days=400)
    )
    spender = h.order(session, workspace.id, "spender", paid_fen=100).customer_id
    assert spender is not None and small.customer_id and old.customer_id
    loyalty_tiers.recompute_tiers(session, workspace.id)
    tiers = {
        cid: service.summary(session, workspace.id, cid).tier_code
        for cid in (pointsy, spender, small.customer_id, old.customer_id)
    }
    assert tiers[pointsy] == "silver" and tiers[spender] == "silver"
    assert tiers[small.customer_id] is None and tiers[old.customer_id] is None  # no account
    assert "110100 fen" in loyalty_tiers.tier_history(session, workspace.id, spender)[0].reason
    # the spend-reached tier's multiplier applies to the next conversion
    o = h.order(session, workspace.id, "spender", paid_fen=10_000)
    assert (
        conversions.convert_order(
            session, workspace.id, spender, "taobao", o.order_no, ACTOR
        ).points
        == 120
    )
    with pytest.raises(Unprocessable) as bad:
        loyalty_tiers.save_tier(session, workspace.id, "Bad Code", "x", 0, 0)
    assert bad.value.slug == "tier-code-invalid"
    with pytest.raises(Unprocessable):
        loyalty_tiers.save_tier(session, workspace.id, "neg", "负", 0, 0, min_spend_fen_12m=-1)
    _clean(session, workspace)
