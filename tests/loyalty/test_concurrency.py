"""Parallel requests on real, separate connections (SQLite file or PostgreSQL schema): one order
converts once, and stock and balances stay exact under a rush of redemptions."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.kit.errors import Conflict, Problem
from siyu.loyalty import conversions, mall, reports, service
from siyu.loyalty.models import PointsAccount, PointsConversion, Redemption
from siyu.workspace import service as workspaces
from tests.concurrency import in_parallel, scratch_store
from tests.factories import ACTOR

from . import helpers as h

pytestmark = pytest.mark.concurrency

WORKERS = 16


def _workspace(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        workspace_id = workspaces.create_workspace(session, "conc-points", "积分并发", ACTOR).id
        session.commit()
    return workspace_id


def _outcome(result: object) -> str:
    if isinstance(result, Problem):
        return result.slug
    if isinstance(result, BaseException):
        return f"error: {result!r}"
    return "ok"


def test_fifty_parallel_conversions_of_one_order_credit_it_once() -> None:
    with scratch_store() as sessions:
        ws = _workspace(sessions)
        with sessions() as session:
            order = h.order(session, ws, "lulu", paid_fen=52_000)
            customer_id, number = order.customer_id, order.order_no
            session.commit()
        assert customer_id is not None

        def convert(_: int) -> int:
            with sessions() as session:
                result = conversions.convert_order(
                    session, ws, customer_id, "taobao", number, ACTOR
                )
                session.commit()
                return result.points

        results = in_parallel(WORKERS, 50, convert)
        outcomes = Counter(_outcome(r) for r in results)
        assert outcomes == {"ok": 1, "order-already-converted": 49}, outcomes
        assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
        with sessions() as session:
            assert service.summary(session, ws, customer_id).balance == 520
            assert session.scalar(select(func.count()).select_from(PointsConversion)) == 1
            assert reports.check_invariants(session) == []


def test_five_hundred_parallel_redemptions_of_twenty_in_stock() -> None:
    fans, points_each, price, stock = 50, 100, 10, 20
    with scratch_store() as sessions:
        ws = _workspace(sessions)
        with sessions() as session:
            customer_ids = [h.rich_fan(session, ws, f"fan-{n}", points_each) for n in range(fans)]
            item_id = h.item(session, ws, points_price=price, stock=stock, virtual=True).id
            session.commit()

        def redeem(i: int) -> int:
            with sessions() as session:
                redemption, _ = mall.redeem(
                    session, ws, customer_ids[i % fans], item_id, 1, f"rush-{i}", ACTOR
                )
                session.commit()
                return redemption.id

        results = in_parallel(WORKERS, 500, redeem)
        outcomes = Counter(_outcome(r) for r in results)
        assert outcomes == {"ok": stock, "out-of-stock": 500 - stock}, outcomes
        with sessions() as session:
            assert mall.get_item(session, ws, item_id).stock == 0
            assert session.scalar(select(func.count()).select_from(Redemption)) == stock
            total = session.scalar(select(func.sum(PointsAccount.balance)))
            assert total == fans * points_each - stock * price
            per_fan = dict(
                session.execute(
                    select(Redemption.customer_id, func.count()).group_by(Redemption.customer_id)
                ).all()
            )
            for customer_id in customer_ids:
                spent = per_fan.get(customer_id, 0) * price
                assert service.summary(session, ws, customer_id).balance == points_each - spent
            assert reports.check_invariants(session) == []


def test_one_fan_racing_herself_never_goes_below_zero() -> None:
    with scratch_store() as sessions:
        ws = _workspace(sessions)
        with sessions() as session:
            customer_id = h.rich_fan(session, ws, "lulu", 55)
            item_id = h.item(session, ws, points_price=10, stock=100, virtual=True).id
            session.commit()

        def redeem(i: int) -> int:
            with sessions() as session:
                redemption, _ = mall.redeem(session, ws, customer_id, item_id, 1, f"me-{i}", ACTOR)
                session.commit()
                return redemption.id

        outcomes = Counter(_outcome(r) for r in in_parallel(WORKERS, 40, redeem))
        assert outcomes == {"ok": 5, "insufficient-points": 35}, outcomes
        with sessions() as session:
            assert service.summary(session, ws, customer_id).balance == 5
            assert mall.get_item(session, ws, item_id).stock == 95
            assert reports.check_invariants(session) == []
