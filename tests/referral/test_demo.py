"""The demo's referral tree pays rewards from orders, and its camp runs with check-ins."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.engagement import demo as camp_demo
from siyu.engagement import service as camps
from siyu.kit.clock import utcnow
from siyu.referral import demo, service
from siyu.workspace.models import Workspace
from tests.engagement.helpers import group_with_members
from tests.referral.helpers import add_paid_order, make_fan


def test_demo_tree_and_camp(session: Session, workspace: Workspace) -> None:
    ws = workspace.id
    for n in range(60):
        fan = make_fan(session, ws)
        add_paid_order(session, ws, fan.id, paid_at=utcnow() - timedelta(days=60 - n))
    demo.seed(session, ws)
    totals = service.totals(session, ws)
    assert totals.referrals >= 40 and totals.second_level >= 1
    assert totals.rewards >= totals.referrals  # every invitee's first order paid its inviter
    group_with_members(session, ws, 12)
    camp_demo.seed(session, ws)
    (camp,), _ = camps.list_camps(session, ws)
    assert camp.days == 7 and sum(camps.checkins_per_day(session, camp)) > 0
