"""The demo's public channels: a month of exports for three platforms through the real
importer, the calendar and the content → fans → GMV report filled."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.channels import demo, figures
from siyu.channels.models import ContentAccount, ContentUpload, PlannedPost, Post, PostDay
from siyu.kit.clock import today, utcnow
from siyu.workspace.models import Workspace


def test_the_demo_fills_figures_calendar_and_report(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    paid = (utcnow() + timedelta(minutes=10)).isoformat()
    orders = [
        {"platform": "douyin", "order_no": f"D-{n}", "buyer_id": f"fan-{n}", "status": "paid",
         "paid_at": paid, "paid_amount_fen": 9_900}
        for n in range(8)
    ]  # fmt: skip
    assert api.post("/api/v1/orders:batch", json={"orders": orders}).status_code == 200

    demo.seed(session, workspace.id)
    session.commit()

    uploads = session.scalars(select(ContentUpload)).all()
    assert len(uploads) == len(demo.EXPORT_DAYS_AGO) * 3
    assert all(u.status == "completed" and u.rows_rejected == 0 for u in uploads)
    assert {u.platform for u in uploads} == {"douyin", "xiaohongshu", "bilibili"}
    history_days = session.scalar(select(func.count(func.distinct(PostDay.day))))
    assert history_days == len(demo.EXPORT_DAYS_AGO)
    summary = figures.summary(session, workspace.id, workspace.timezone, platform=None, days=30)
    assert summary["works"] > 10 and summary["plays"] > 0
    cal = figures.calendar(
        session, workspace.id, workspace.timezone, "month", today(workspace.timezone)
    )
    assert any(day.plans for day in cal.days)
    kinds = set(session.scalars(select(PlannedPost.kind)))
    assert {"live_announcement", "group_entry", "video"} <= kinds
    linked = session.execute(
        select(ContentAccount.handle, func.count())
        .join(Post, Post.account_id == ContentAccount.id)
        .group_by(ContentAccount.handle)
    )
    per_account = {handle: count for handle, count in linked}
    assert set(per_account) == {demo.HANDLES[p] for p in ("douyin", "xiaohongshu", "bilibili")}
    assert sum(per_account.values()) == session.scalar(select(func.count()).select_from(Post))
    report = figures.report(session, workspace.id)
    assert report.total.fans == 8 and report.total.buyers == 8
    assert report.total.gmv_fen == 8 * 9_900
    assert report.materials and report.platforms
