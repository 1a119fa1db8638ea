"""Builders for camp tests: a fan group with members, and a camp running in it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from siyu.community import service as community
from siyu.engagement import service
from siyu.engagement.models import Camp
from siyu.kit.clock import today
from siyu.workspace.audit import SYSTEM
from tests.referral.helpers import make_fan

TASKS = [
    "晨起喝一杯温水",
    "十分钟拉伸",
    "记录今日饮食",
    "早睡一小时",
    "走路八千步",
    "读十页书",
    "复盘一周",
]


def group_with_members(session: Session, workspace_id: int, members: int) -> tuple[int, list[int]]:
    group = community.create_group(session, workspace_id, SYSTEM, name="小鹿打卡群")
    fans = [make_fan(session, workspace_id).id for _ in range(members)]
    for fan in fans:
        community.add_member(session, workspace_id, group.id, SYSTEM, customer_id=fan)
    return group.id, fans


def running_camp(
    session: Session,
    workspace_id: int,
    group_id: int,
    *,
    day: int = 1,
    rule: str = "consecutive",
    required_days: int | None = None,
    reward_points: int = 50,
) -> Camp:
    """A 7-day camp whose ``day``-th day is today (Asia/Shanghai)."""
    starts_on: date = today("Asia/Shanghai") - timedelta(days=day - 1)
    draft = service.CampDraft(
        group_id=group_id,
        title="七天早起打卡",
        starts_on=starts_on,
        tasks=TASKS,
        rule=rule,
        required_days=required_days,
        reward_points=reward_points,
    )
    return service.create_camp(session, workspace_id, SYSTEM, draft)
