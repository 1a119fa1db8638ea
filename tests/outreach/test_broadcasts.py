"""Broadcasts: the audience is split by operator, excluded and held-out fans are recorded before
sending, the quota ledger refuses fans who already got their mass message, results come back
per fan, and the lift report compares the arms by intention to treat."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.clock import as_utc, utcnow
from siyu.outreach import lift, service
from siyu.outreach.models import BroadcastMember, OutreachTask
from siyu.workspace.models import Workspace
from tests.factories import ACTOR, make_operator
from tests.outreach.helpers import buy, days_after, everyone, make_fans


def statuses(session: Session, broadcast_id: int) -> dict[int, str]:
    rows = session.execute(
        select(BroadcastMember.customer_id, BroadcastMember.status).where(
            BroadcastMember.broadcast_id == broadcast_id
        )
    )
    return {int(c): s for c, s in rows}


def create(session: Session, workspace: Workspace, segment_id: int, **kwargs: object) -> int:
    fields: dict[str, object] = {
        "name": "周五上新",
        "segment_id": segment_id,
        "channel": "operator_task",
        "text": "{name}，周五晚8点新品直播，记得来看",
        "holdout_percent": 0,
        "send_at": None,
    } | kwargs
    return service.create_broadcast(session, workspace.id, actor=ACTOR, **fields).broadcast.id  # type: ignore[arg-type]


def test_exclusions_holdout_and_quota_are_recorded_before_sending(
    session: Session, workspace: Workspace
) -> None:
    make_operator(session, workspace)
    make_operator(session, workspace)
    fans = make_fans(session, workspace.id, 40)
    service.unsubscribe(session, workspace.id, fans[0], ACTOR)
    service.put_settings(session, workspace.id, "daily", 1, ACTOR)
    segment = everyone(session, workspace.id)
    first = create(session, workspace, segment, name="早场", text="早上好，今天上新")
    service.request_send(session, workspace.id, first, ACTOR)
    service.send_broadcast(session, workspace.id, first)
    got_one_today = [c for c, s in statuses(session, first).items() if s == "planned"]
    assert len(got_one_today) == 39

    second = create(session, workspace, segment, holdout_percent=50)
    members = statuses(session, second)
    counts = Counter(members.values())
    assert counts["unsubscribed"] == 1
    assert counts["held_out"] > 5
    # Hand-sent messages are no WeCom mass messages, but the workspace's weekly cap of one
    # holds them back.
    assert counts["planned"] == 0
    assert counts["quota_blocked"] == 39 - counts["held_out"]


def test_fans_without_consent_are_excluded_and_counted(
    session: Session, workspace: Workspace
) -> None:
    make_operator(session, workspace)
    make_fans(session, workspace.id, 3)
    make_fans(session, workspace.id, 2, consent=False, prefix="quiet")
    created = service.create_broadcast(
        session,
        workspace.id,
        name="试",
        segment_id=everyone(session, workspace.id),
        channel="operator_task",
        text="今晚见",
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
    ).broadcast
    assert created.audience_size == 5
    assert created.excluded == {"no_consent": 2, "unsubscribed": 0, "lost": 0}


def test_the_holdout_is_stable_by_fan() -> None:
    first = [service.held_out("broadcast:7", c, 20) for c in range(1, 2000)]
    again = [service.held_out("broadcast:7", c, 20) for c in range(1, 2000)]
    assert first == again
    assert 300 < sum(first) < 500


def test_send_splits_by_operator_and_results_come_back(
    session: Session, workspace: Workspace
) -> None:
    one = make_operator(session, workspace)
    two = make_operator(session, workspace)
    make_fans(session, workspace.id, 10)
    broadcast_id = create(session, workspace, everyone(session, workspace.id))
    service.request_send(session, workspace.id, broadcast_id, ACTOR)
    service.send_broadcast(session, workspace.id, broadcast_id)
    broadcast = service.get_broadcast(session, workspace.id, broadcast_id)
    rows = service.operator_status(session, broadcast)
    assert {r["operator_id"] for r in rows} == {one.id, two.id}
    assert sum(r["fans"] for r in rows) == 10
    # Sending twice (a retried job) creates nothing more.
    service.send_broadcast(session, workspace.id, broadcast_id)
    tasks = list(
        session.scalars(select(OutreachTask).where(OutreachTask.broadcast_id == broadcast_id))
    )
    assert len(tasks) == 10
    for task in tasks[:6]:
        task.state = "done"
    session.flush()
    service.follow_up(session, workspace.id, broadcast_id)
    counts = service.broadcast_counts(session, broadcast)
    assert (counts.planned, counts.sent, counts.failed) == (10, 6, 0)
    assert broadcast.state == "sending"
    for task in tasks[6:]:
        task.state = "done"
    session.flush()
    service.follow_up(session, workspace.id, broadcast_id)
    assert broadcast.state == "sent"


def test_lift_by_intention_to_treat(session: Session, workspace: Workspace) -> None:
    make_operator(session, workspace)
    fans = make_fans(session, workspace.id, 60)
    broadcast_id = create(session, workspace, everyone(session, workspace.id), holdout_percent=50)
    service.request_send(session, workspace.id, broadcast_id, ACTOR)
    broadcast = service.send_broadcast(session, workspace.id, broadcast_id)
    sent_at = as_utc(broadcast.sent_at or utcnow())
    members = statuses(session, broadcast_id)
    treated = [c for c in fans if members[c] != "held_out"]
    control = [c for c in fans if members[c] == "held_out"]
    for customer_id in treated[:10]:
        buy(session, workspace.id, customer_id, 10_000, days_after(sent_at, 1))
    buy(session, workspace.id, control[0], 10_000, days_after(sent_at, 2))
    buy(session, workspace.id, control[1], 10_000, days_after(sent_at, 20))  # outside 7 days
    session.flush()
    result = lift.broadcast_lift(session, broadcast, 7)
    assert (result.treated.fans, result.control.fans) == (len(treated), len(control))
    assert (result.treated.buyers, result.treated.gmv_fen) == (10, 100_000)
    assert (result.control.buyers, result.control.gmv_fen) == (1, 10_000)
    expected = round((100_000 / len(treated) - 10_000 / len(control)) * len(treated))
    assert abs(result.incremental_gmv_fen - expected) <= 1
    low, high = result.ci95_fen
    assert low is not None and high is not None
    assert low < result.incremental_gmv_fen < high
    assert result.delivery_rate == 0.0


def test_broadcast_api(api: TestClient, session: Session, workspace: Workspace) -> None:
    make_operator(session, workspace)
    make_fans(session, workspace.id, 8)
    segment = everyone(session, workspace.id)
    session.commit()
    refused = api.post(
        "/api/v1/broadcasts",
        json={
            "name": "x",
            "segment_id": segment,
            "channel": "operator_task",
            "text": "亲亲，全网最低价",
        },
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert {f["term"] for f in refused.json()["findings"]} == {"亲亲", "全网最低价"}
    created = api.post(
        "/api/v1/broadcasts",
        json={
            "name": "周五上新",
            "segment_id": segment,
            "channel": "operator_task",
            "text": "周五晚8点新品直播",
            "holdout_percent": 25,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["audience_size"] == 8
    assert body["excluded"] == {"no_consent": 0, "unsubscribed": 0, "lost": 0}
    sent = api.post(f"/api/v1/broadcasts/{body['id']}/send")
    assert sent.status_code == 202
    shown = api.get(f"/api/v1/broadcasts/{body['id']}").json()
    assert shown["state"] == "sending"
    assert shown["planned"] == 8 - body["holdout_size"]
    assert api.post(f"/api/v1/broadcasts/{body['id']}/send").status_code == 422
    lift_body = api.get(f"/api/v1/broadcasts/{body['id']}/lift?days=7").json()
    assert set(lift_body) >= {
        "days",
        "treated",
        "control",
        "incremental_gmv_fen",
        "ci95_fen",
        "delivery_rate",
    }
    assert api.get(f"/api/v1/broadcasts/{body['id']}/lift?days=0").status_code == 422
    assert api.get("/api/v1/broadcasts/999999").status_code == 404
    assert (
        api.post(
            "/api/v1/broadcasts",
            json={"name": "x", "segment_id": 999999, "channel": "operator_task", "text": "好"},
        ).status_code
        == 404
    )
    assert api.put(
        "/api/v1/outreach/settings", json={"wecom_quota": "weekly7", "max_per_fan_per_week": 3}
    ).json() == {"wecom_quota": "weekly7", "max_per_fan_per_week": 3}
    assert api.put("/api/v1/outreach/settings", json={"wecom_quota": "hourly"}).status_code == 422


def test_unsubscribe_api(api: TestClient, session: Session, workspace: Workspace) -> None:
    (fan,) = make_fans(session, workspace.id, 1)
    session.commit()
    assert api.post("/api/v1/outreach/unsubscribes", json={"customer_id": fan}).status_code == 204
    assert api.post("/api/v1/outreach/unsubscribes", json={"customer_id": fan}).status_code == 204
    assert service.unsubscribed_ids(session, workspace.id) == {fan}
    missing = api.post("/api/v1/outreach/unsubscribes", json={"customer_id": 999999})
    assert missing.status_code == 404


def test_hand_sent_texts_carry_the_fans_name(session: Session, workspace: Workspace) -> None:
    make_operator(session, workspace)
    make_fans(session, workspace.id, 2)
    broadcast_id = create(session, workspace, everyone(session, workspace.id))
    service.request_send(session, workspace.id, broadcast_id, ACTOR)
    service.send_broadcast(session, workspace.id, broadcast_id)
    texts = session.scalars(
        select(OutreachTask.text).where(OutreachTask.broadcast_id == broadcast_id)
    )
    assert all(t.endswith("周五晚8点新品直播，记得来看") and "{name}" not in t for t in texts)


def test_an_unknown_placeholder_is_refused(session: Session, workspace: Workspace) -> None:
    import pytest

    from siyu.kit.errors import Unprocessable

    with pytest.raises(Unprocessable) as refused:
        create(session, workspace, everyone(session, workspace.id), text="{nickname}，今晚见")
    assert refused.value.slug == "invalid-placeholder"


def _send_in_own_transaction(factory: Any, workspace_id: int, broadcast_id: int) -> str:
    with factory() as db, db.begin():
        return service.send_broadcast(db, workspace_id, broadcast_id).state


def test_parallel_send_runs_create_each_task_once() -> None:
    from siyu.outreach.models import Broadcast, Receipt
    from tests import factories
    from tests.concurrency import in_parallel, scratch_store

    with scratch_store() as factory:
        with factory() as db, db.begin():
            ws = factories.make_workspace(db)
            make_operator(db, ws)
            make_operator(db, ws)
            fans = make_fans(db, ws.id, 12)
            broadcast_id = create(db, ws, everyone(db, ws.id))
            db.get_one(Broadcast, broadcast_id).state = "scheduled"
            workspace_id = ws.id
        outcomes = in_parallel(
            4, 4, lambda _: _send_in_own_transaction(factory, workspace_id, broadcast_id)
        )
        assert outcomes == ["sending"] * 4, outcomes
        with factory() as db:
            tasks = db.scalars(
                select(OutreachTask).where(OutreachTask.broadcast_id == broadcast_id)
            ).all()
            receipts = db.scalars(select(Receipt).where(Receipt.source_id == broadcast_id)).all()
        assert sorted(t.customer_id for t in tasks) == sorted(fans)
        assert len(receipts) == len(fans)
