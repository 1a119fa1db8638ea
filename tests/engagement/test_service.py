"""Camps: one check-in a day by members, consecutive and cumulative rules, one reward."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.engagement import service
from siyu.engagement.models import CampCompletion, CheckIn
from siyu.kit.errors import Conflict, Unprocessable
from siyu.loyalty.service import summary
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from tests.engagement.helpers import group_with_members, running_camp
from tests.referral.helpers import make_fan

TZ = "Asia/Shanghai"


def _backfill(session: Session, camp_id: int, ws: int, customer_id: int, days: list[int]) -> None:
    """Check-ins of earlier camp days (as if made on those days)."""
    session.add_all(
        CheckIn(workspace_id=ws, camp_id=camp_id, customer_id=customer_id, day=d, note="做到了")
        for d in days
    )
    session.flush()


def test_members_check_in_once_a_day(session: Session, workspace: Workspace) -> None:
    ws = workspace.id
    group_id, (fan,) = group_with_members(session, ws, 1)
    camp = running_camp(session, ws, group_id, day=2)
    assert service.camp_day(camp, camp.starts_on + timedelta(days=1)) == 2
    row = service.check_in(session, ws, camp.id, fan, note="喝了温水", photo=None, tz=TZ)
    assert row.day == 2
    with pytest.raises(Conflict) as twice:
        service.check_in(session, ws, camp.id, fan, note="again", photo=None, tz=TZ)
    assert twice.value.slug == "already-checked-in"
    stranger = make_fan(session, ws).id
    with pytest.raises(Conflict) as outsider:
        service.check_in(session, ws, camp.id, stranger, note="hi", photo=None, tz=TZ)
    assert outsider.value.slug == "camp-not-member"
    with pytest.raises(Unprocessable):
        service.check_in(session, ws, camp.id, fan, note="  ", photo=None, tz=TZ)
    with pytest.raises(Unprocessable):
        photo = service.Photo(b"GIF89a", "image/gif")
        service.check_in(session, ws, camp.id, fan, note=None, photo=photo, tz=TZ)
    with pytest.raises(IntegrityError), session.begin_nested():
        _backfill(session, camp.id, ws, fan, [2])


def test_consecutive_rule_rewards_a_streak_once(session: Session, workspace: Workspace) -> None:
    ws = workspace.id
    group_id, (steady, gappy) = group_with_members(session, ws, 2)
    camp = running_camp(session, ws, group_id, day=4, required_days=3, reward_points=70)
    _backfill(session, camp.id, ws, steady, [2, 3])
    _backfill(session, camp.id, ws, gappy, [1, 3])
    service.check_in(session, ws, camp.id, steady, note="拉伸", photo=None, tz=TZ)
    service.check_in(session, ws, camp.id, gappy, note="拉伸", photo=None, tz=TZ)
    assert summary(session, ws, steady).balance == 70
    assert summary(session, ws, gappy).balance == 0
    assert service.complete_if_due(session, camp, steady) is None  # once
    assert summary(session, ws, steady).balance == 70
    board = service.board(session, camp)
    assert [(p.customer_id, p.checked, p.streak, p.completed) for p in board] == [
        (steady, 3, 3, True),
        (gappy, 3, 2, False),
    ]
    assert service.checkins_per_day(session, camp)[:4] == [1, 1, 2, 2]


def test_cumulative_rule_counts_days_in_total(session: Session, workspace: Workspace) -> None:
    ws = workspace.id
    group_id, (fan,) = group_with_members(session, ws, 1)
    camp = running_camp(session, ws, group_id, day=5, rule="cumulative", required_days=3)
    _backfill(session, camp.id, ws, fan, [1, 3])
    service.check_in(session, ws, camp.id, fan, note="早睡", photo=None, tz=TZ)
    assert session.query(CampCompletion).filter_by(customer_id=fan).count() == 1


def test_camps_refuse_bad_drafts(session: Session, workspace: Workspace) -> None:
    ws = workspace.id
    group_id, _ = group_with_members(session, ws, 0)
    for changes in [{"tasks": []}, {"required_days": 9}, {"rule": "weekly"}, {"title": " "}]:
        draft = service.CampDraft(
            group_id=group_id, title="打卡", starts_on=date(2026, 1, 1), tasks=["a"] * 7
        )
        for key, value in changes.items():
            setattr(draft, key, value)
        with pytest.raises(Unprocessable):
            service.create_camp(session, ws, SYSTEM, draft)
