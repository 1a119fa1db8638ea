"""Demo check-in camp: a 7-day camp in the first fan group, on its fifth day, with the
members' check-ins of the past days, today's through the service, and the completions."""

from __future__ import annotations

import base64
import random
from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.community.service import all_groups, list_members
from siyu.engagement import service
from siyu.engagement.models import CheckIn
from siyu.kit.clock import today
from siyu.kit.errors import Problem
from siyu.workspace.audit import SYSTEM
from siyu.workspace.service import find_workspace

TODAY = 5
TASKS = (
    "早起喝一杯温水，拍下你的水杯",
    "晚间护肤：卸妆、洁面、精华、面霜，记录用了哪几步",
    "做十分钟颈部拉伸",
    "记录今天的三餐，少油少糖",
    "敷一片补水面膜，说说感受",
    "睡前一小时放下手机",
    "复盘这一周：皮肤最大的变化是什么",
)
# A 1×1 PNG stands for the photos fans attach: the console links each one.
PHOTO = service.Photo(
    base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
    ),
    "image/png",
)
NOTES = ("完成啦", "今天坚持住了", "打卡！", "和闺蜜一起做的", "感觉皮肤水润了", "明天继续")


def seed(session: Session, workspace_id: int) -> None:
    groups = all_groups(session, workspace_id)
    workspace = find_workspace(session, workspace_id)
    if not groups or workspace is None:
        return
    group = groups[0]
    members, _ = list_members(session, workspace_id, group.id, limit=60)
    fans = [m.customer_id for m in members if m.customer_id is not None]
    draft = service.CampDraft(
        group_id=group.id,
        title="七天护肤打卡营",
        starts_on=today(workspace.timezone) - timedelta(days=TODAY - 1),
        tasks=list(TASKS),
        rule="cumulative",
        required_days=4,
        reward_points=100,
    )
    camp = service.create_camp(session, workspace_id, SYSTEM, draft)
    rng = random.Random(7)
    for fan in fans:
        days = [d for d in range(1, TODAY) if rng.random() < 0.75]
        session.add_all(
            CheckIn(
                workspace_id=workspace_id,
                camp_id=camp.id,
                customer_id=fan,
                day=day,
                note=rng.choice(NOTES),
            )
            for day in days
        )
    session.flush()
    for fan in fans:
        if rng.random() < 0.5:
            try:
                service.check_in(
                    session,
                    workspace_id,
                    camp.id,
                    fan,
                    note=rng.choice(NOTES),
                    photo=PHOTO if rng.random() < 0.3 else None,
                    tz=workspace.timezone,
                )
            except Problem:
                continue
        service.complete_if_due(session, camp, fan)
