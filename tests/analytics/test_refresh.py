"""The refresh writes every fan's figures back to the store, keeps the life-cycle history and
the workspace reports, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.analytics.models import AnalyticsReport, CustomerMetrics, LifecycleChange
from siyu.analytics.refresh import refresh_workspace, replay_lifecycle
from siyu.workspace.models import Workspace

from .store_data import AS_OF, paid, seed_history


def metrics_by_buyer(session: Session, ids: dict[str, int]) -> dict[str, CustomerMetrics]:
    rows = session.scalars(
        select(CustomerMetrics).where(CustomerMetrics.customer_id.in_(ids.values()))
    )
    by_id = {row.customer_id: row for row in rows}
    return {buyer: by_id[customer_id] for buyer, customer_id in ids.items()}


def test_refresh_writes_every_fan(session: Session, workspace: Workspace) -> None:
    ids = seed_history(session, workspace.id)
    summary = refresh_workspace(session, workspace.id, AS_OF)
    assert summary.customers == 6 and summary.buyers == 5
    m = metrics_by_buyer(session, ids)
    assert m["whale"].paid_orders == 3 and m["whale"].net_paid_fen == 290_000
    assert m["whale"].days_since_last_order == 3
    assert m["whale"].platforms == ",douyin,"
    assert m["whale"].repurchase and m["whale"].rfm_segment == "Champions"
    assert m["newbie"].lifecycle_stage == "new"
    assert m["sleeper"].lifecycle_stage == "sleeping"
    assert m["gone"].lifecycle_stage == "lost"
    assert m["lurker"].paid_orders == 0 and m["lurker"].rfm_segment is None
    assert m["lurker"].lifecycle_stage is None
    assert {row.cn8_segment for row in m.values()} - {None} <= {
        "重要价值客户",
        "重要发展客户",
        "重要保持客户",
        "重要挽留客户",
        "一般价值客户",
        "一般发展客户",
        "一般保持客户",
        "一般挽留客户",
    }


def test_refresh_reports(session: Session, workspace: Workspace) -> None:
    seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    reports = {
        r.kind: r.payload
        for r in session.scalars(
            select(AnalyticsReport).where(AnalyticsReport.workspace_id == workspace.id)
        )
    }
    overview = reports["overview"]
    assert overview["buyers"] == 5 and overview["repeat_buyers"] == 3
    assert overview["repurchase_rate"] == 0.6
    assert overview["gmv_fen"] == (900 + 1200 + 800 + 120 + 99 + 59 + 300 + 80 + 60) * 100
    assert overview["gmv_30d_fen"] == (900 + 120 + 59) * 100
    assert reports["channels"]["rows"][0]["shop"] == "小鹿直播间"
    assert reports["cohorts"]["rows"] and reports["gmv"]["rows"]


def test_second_refresh_records_moves(session: Session, workspace: Workspace) -> None:
    seed_history(session, workspace.id)
    first = refresh_workspace(session, workspace.id, AS_OF)
    assert first.lifecycle_changes == 0  # the first refresh is the starting point
    from datetime import timedelta

    later = refresh_workspace(session, workspace.id, AS_OF + timedelta(days=40))
    assert later.lifecycle_changes > 0
    moves = session.scalars(
        select(LifecycleChange).where(LifecycleChange.workspace_id == workspace.id)
    ).all()
    assert any(m.from_stage == "new" and m.to_stage == "active" for m in moves)


def test_replay_builds_weekly_history(session: Session, workspace: Workspace) -> None:
    seed_history(session, workspace.id)
    recorded = replay_lifecycle(session, workspace.id, weeks=30, end=AS_OF)
    assert recorded > 0
    days = {m.changed_on for m in session.scalars(select(LifecycleChange))}
    assert all((AS_OF - day).days % 7 == 0 for day in days)


def test_group_messages_feed_koc_and_activity(session: Session, workspace: Workspace) -> None:
    from siyu.community.models import GroupMessage as Message

    ids = seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    before = metrics_by_buyer(session, ids)
    talk = [
        Message(
            workspace_id=workspace.id,
            msg_id=f"m{i}",
            chat="group",
            sender_ref="wm-sleeper",
            sender_role="fan",
            customer_id=ids["sleeper"],
            text="买家秀来啦",
            is_buyer_show=i == 0,
            sent_at=paid(2),
        )
        for i in range(3)
    ]
    talk.append(
        Message(
            workspace_id=workspace.id,
            msg_id="r1",
            chat="group",
            sender_ref="wm-other",
            sender_role="fan",
            text="好看！",
            reply_to_ref="wm-sleeper",
            sent_at=paid(1),
        )
    )
    session.add_all(talk)
    session.flush()
    refresh_workspace(session, workspace.id, AS_OF)
    session.expire_all()
    after = metrics_by_buyer(session, ids)
    assert after["sleeper"].koc_score > before["sleeper"].koc_score
    assert after["sleeper"].activity_score > before["sleeper"].activity_score


def test_overview_gives_the_30_day_change(session: Session, workspace: Workspace) -> None:
    seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    overview = (
        session.scalars(
            select(AnalyticsReport).where(
                AnalyticsReport.workspace_id == workspace.id, AnalyticsReport.kind == "overview"
            )
        )
        .one()
        .payload
    )
    # last 30 days: 900 + 120 + 59; the 30 before: the whale's 1,200 forty days ago
    assert overview["gmv_prev_30d_fen"] == 120_000
    assert overview["gmv_30d_change"] == round((107_900 - 120_000) / 120_000, 4)


def test_refresh_in_short_transactions_writes_what_one_transaction_writes(
    session: Session, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siyu import jobs
    from siyu.analytics import refresh

    ids = seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    whole = {
        buyer: (row.paid_orders, row.rfm_segment, row.lifecycle_stage)
        for buyer, row in metrics_by_buyer(session, ids).items()
    }
    session.commit()
    monkeypatch.setattr(refresh, "JOB_CHUNK_ROWS", 2)  # six fans: three chunks
    monkeypatch.setattr(jobs, "JOB_CHUNK_PAUSE_SECONDS", 0)
    summary = refresh.refresh_in_short_transactions(workspace.id, AS_OF)
    assert summary.customers == 6
    session.expire_all()
    chunked = {
        buyer: (row.paid_orders, row.rfm_segment, row.lifecycle_stage)
        for buyer, row in metrics_by_buyer(session, ids).items()
    }
    assert chunked == whole
    count = select(func.count()).where(CustomerMetrics.workspace_id == workspace.id)
    assert session.scalar(count) == 6
