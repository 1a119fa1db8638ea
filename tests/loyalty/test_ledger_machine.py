"""Random sequences of earn / redeem / cancel / expire / refund / claw-back / adjust on one fan,
with the clock jumping past every expiry now and then, checked after every step against a small
model and the ledger's invariants."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session

from siyu.kit import clock
from siyu.kit.errors import Conflict
from siyu.loyalty import conversions as loyalty_conversions
from siyu.loyalty import ledger, mall, reports, service
from siyu.workspace.models import Workspace
from tests.factories import ACTOR, make_workspace

from . import helpers as h

_keys = itertools.count(1)


class ShiftedClock:
    """The loyalty domain's clock, moved forward by the machine (past every lot's expiry)."""

    offset = timedelta(0)

    @classmethod
    def now(cls) -> datetime:
        return clock.utcnow() + cls.offset


HOME = "上海市徐汇区漕溪北路 88 号"


class OneFanLedger(RuleBasedStateMachine):
    session: Session

    def __init__(self) -> None:
        super().__init__()
        self.ws: Workspace = make_workspace(self.session)
        self.fan = h.fan(self.session, self.ws.id, "machine")
        # A parcel (not virtual): its redemptions wait to ship, so they can be cancelled.
        self.item = h.item(self.session, self.ws.id, points_price=30, stock=1000).id
        ShiftedClock.offset = timedelta(0)
        self.epoch = 0  # how many times the clock jumped past every expiry
        self.balance = 0  # spendable
        self.due = 0  # past expiry, not yet expired (still in the cached balance)
        self.debt = 0
        self.pending = 0
        self.paid_at: dict[str, datetime] = {}
        self.vested: list[
            tuple[str, int, int]
        ] = []  # (order no, paid fen, points) still refundable
        self.waiting: list[tuple[str, int, int]] = []  # pending conversions
        self.open: list[tuple[int, int, int]] = []  # (redemption id, points, epoch) cancellable

    def _earn(self, points: int) -> None:
        settle = min(self.debt, points)
        self.debt -= settle
        self.balance += points - settle

    @rule(yuan=st.integers(min_value=0, max_value=500), completed=st.booleans())
    def convert(self, yuan: int, completed: bool) -> None:
        order = h.order(
            self.session,
            self.ws.id,
            "machine",
            paid_fen=yuan * 100 + 37,
            status="completed" if completed else "paid",
            paid_at=ShiftedClock.now() - timedelta(days=2),
        )
        self.paid_at[order.order_no] = ShiftedClock.now() - timedelta(days=2)
        result = loyalty_conversions.convert_order(
            self.session, self.ws.id, self.fan, "taobao", order.order_no, ACTOR
        )
        if completed:
            assert result.points == yuan
            self._earn(yuan)
            self.vested.append((order.order_no, yuan * 100 + 37, yuan))
        else:
            assert result.pending_points == yuan
            self.pending += yuan
            self.waiting.append((order.order_no, yuan * 100 + 37, yuan))

    @precondition(lambda self: self.waiting)
    @rule()
    def complete(self) -> None:
        number, paid, points = self.waiting.pop(0)
        h.order(
            self.session,
            self.ws.id,
            "machine",
            order_no=number,
            paid_fen=paid,
            paid_at=self.paid_at[number],
        )
        loyalty_conversions.settle_conversions(self.session, self.ws.id)
        self.pending -= points
        self._earn(points)
        self.vested.append((number, paid, points))

    @rule(quantity=st.integers(min_value=1, max_value=4))
    def redeem(self, quantity: int) -> None:
        cost = 30 * quantity
        key = f"m-{next(_keys)}"
        if self.balance < cost:
            with pytest.raises(Conflict):
                mall.redeem(
                    self.session,
                    self.ws.id,
                    self.fan,
                    self.item,
                    quantity,
                    key,
                    ACTOR,
                    address=HOME,
                )
            return
        redemption, _ = mall.redeem(
            self.session, self.ws.id, self.fan, self.item, quantity, key, ACTOR, address=HOME
        )
        self.balance -= cost
        self.due = 0  # spending expires the due lots first
        self.open.append((redemption.id, cost, self.epoch))

    @precondition(lambda self: self.open)
    @rule(which=st.integers(min_value=0, max_value=50))
    def cancel(self, which: int) -> None:
        redemption_id, cost, epoch = self.open.pop(which % len(self.open))
        mall.cancel(self.session, self.ws.id, redemption_id, "changed mind", ACTOR)
        if epoch == self.epoch:
            self.balance += cost
        else:  # back into lots that are past their expiry by now
            self.due += cost

    @precondition(lambda self: self.vested)
    @rule(which=st.integers(min_value=0, max_value=50), share=st.sampled_from([1, 2, 4]))
    def refund(self, which: int, share: int) -> None:
        """Refund all (share 1), half (2) or a quarter (4) of a converted order."""
        number, paid, points = self.vested.pop(which % len(self.vested))
        refund = paid // share
        h.order(
            self.session,
            self.ws.id,
            "machine",
            order_no=number,
            paid_fen=paid,
            refund_fen=refund,
            paid_at=self.paid_at[number],
        )
        loyalty_conversions.settle_conversions(self.session, self.ws.id)
        worth = loyalty_conversions.points_for(paid - refund, 1000)
        clawed = points - worth
        if clawed:  # a claw-back expires the due lots before taking anything; none, nothing
            self.due = 0
        taken = min(self.balance, clawed)
        self.balance -= taken
        self.debt += clawed - taken

    @rule(points=st.integers(min_value=-200, max_value=200).filter(bool))
    def adjust(self, points: int) -> None:
        key = f"adj-{next(_keys)}"
        if points < 0 and self.balance < -points:
            with pytest.raises(Conflict):
                service.adjust(self.session, self.ws.id, self.fan, points, "fix", ACTOR, key)
            return
        service.adjust(self.session, self.ws.id, self.fan, points, "fix", ACTOR, key)
        if points > 0:
            self._earn(points)
        else:
            self.balance += points
            self.due = 0

    @rule()
    def expire_everything(self) -> None:
        later = ShiftedClock.now() + timedelta(days=800)
        expired = loyalty_conversions.expire_due(self.session, self.ws.id, now=later)
        assert expired.points == self.balance + self.due
        self.balance = self.due = 0

    @rule()
    def jump_past_expiry(self) -> None:
        """Time passes beyond every lot's expiry, and the nightly job hasn't run: those points
        must neither show nor be spendable."""
        ShiftedClock.offset += timedelta(days=800)
        self.epoch += 1
        self.due += self.balance
        self.balance = 0
        # every pending conversion is now past its vesting days: the settle job vests them
        loyalty_conversions.settle_conversions(self.session, self.ws.id)
        for number, paid, points in self.waiting:
            self.pending -= points
            self._earn(points)
            self.vested.append((number, paid, points))
        self.waiting = []

    @invariant()
    def ledger_matches_model(self) -> None:
        got = service.summary(self.session, self.ws.id, self.fan)
        assert (got.balance, got.debt, got.pending) == (self.balance, self.debt, self.pending)
        assert got.balance >= 0
        assert reports.check_invariants(self.session, self.ws.id) == []


def test_ledger_state_machine(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    OneFanLedger.session = session
    for module in (service, loyalty_conversions, mall, ledger):
        monkeypatch.setattr(module, "utcnow", ShiftedClock.now)
    run_state_machine_as_test(
        OneFanLedger,
        settings=settings(
            max_examples=40,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
