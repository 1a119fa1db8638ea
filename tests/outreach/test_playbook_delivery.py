"""Playbook messages through the fake WeCom, and per-fan results of every channel.

With a WeCom connection, a due "message to the fan" step becomes one add_msg_template task per
sender for the fans due in that run, in the business time zone; fans the quota refuses are not
sent and are recorded as quota blocked; a blocked text stops the step; the follow-up writes each
fan's result on their step task. Group and moments broadcasts get per-fan results (per-chat
results attributed to the chat's fan members; the moment's send result)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom.fake import FakeWecom
from siyu.customers import service as customers
from siyu.kit.web import LOCALE_COOKIE
from siyu.outreach import ledger, lift, playbooks, service
from siyu.outreach.models import (
    BroadcastTask,
    OutreachTask,
    Playbook,
    PlaybookSend,
)
from siyu.workspace.models import Role, Workspace
from tests import factories
from tests.factories import ACTOR
from tests.outreach.helpers import connected_fans, everyone, fake_corp, members

# 23:30 in Shanghai on 7 December: the business day is still the 7th.
ANCHOR = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
DAY_ONE_1930 = datetime(2026, 12, 8, 11, 30, tzinfo=UTC)  # day 1, 19:30 local
DAY_THREE_1400 = datetime(2026, 12, 10, 6, 0, tzinfo=UTC)
DAY_SEVEN_2000 = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with fake_corp() as corp_fake:
        corp_fake.add_chat("wrChat2", "周运营的群", "zhou", {"zhou": 1})
        yield corp_fake


@pytest.fixture
def fans(session: Session, workspace: Workspace, fake: FakeWecom) -> dict[str, int]:
    return connected_fans(session, workspace, fake)


def new_templates(fake: FakeWecom, before: set[str]) -> dict[str, list[str]]:
    """sender → receivers of the mass-message tasks created since ``before``."""
    return {
        t["sender"]: sorted(t.get("external_userid") or t.get("chat_id_list") or [])
        for msgid, t in fake.templates.items()
        if msgid not in before
    }


def tasks_at(session: Session, position: int, playbook: Playbook) -> dict[int, OutreachTask]:
    steps = playbooks.steps_of(session, playbook)
    step = next(s for s in steps if s.position == position)
    rows = session.scalars(select(OutreachTask).where(OutreachTask.step_id == step.id))
    return {int(t.customer_id or 0): t for t in rows}


def follow_sends(session: Session, workspace: Workspace) -> None:
    for workspace_id, send_id in playbooks.sends_waiting(session):
        if workspace_id == workspace.id:
            playbooks.follow_send(session, workspace_id, send_id)


def enrolled_new_contacts(session: Session, workspace: Workspace, fans: dict[str, int]) -> Playbook:
    playbook = playbooks.create_from_template(session, workspace.id, "new_contact", ACTOR)
    playbooks.enrol(session, workspace.id, playbook, [(fan, ANCHOR) for fan in fans.values()])
    return playbook


def test_new_contact_steps_go_out_as_wecom_tasks_per_sender_in_the_business_time_zone(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    playbook = enrolled_new_contacts(session, workspace, fans)
    work = playbooks.work_due_tasks

    before = set(fake.templates)
    work(session, workspace.id, playbook, DAY_ONE_1930.replace(minute=29))
    # Only the "an hour after" step is due: one task per staff member, the fans' external ids.
    assert new_templates(fake, before) == {"lin": ["wmA", "wmB"], "zhou": ["wmC"]}
    assert all(t["chat_type"] == "single" for t in fake.templates.values())
    assert all("{name}" not in t["text"]["content"] for t in fake.templates.values())

    before = set(fake.templates)
    work(session, workspace.id, playbook, DAY_ONE_1930)
    assert new_templates(fake, before) == {"lin": ["wmA", "wmB"], "zhou": ["wmC"]}
    day_one = tasks_at(session, 2, playbook)
    assert {t.delivery for t in day_one.values()} == {"planned"}
    assert all(t.send_id is not None and t.state == "ready" for t in day_one.values())

    # Day 3 is a task for the operator: no WeCom task; day 7 goes out again per sender.
    before = set(fake.templates)
    work(session, workspace.id, playbook, DAY_THREE_1400)
    assert new_templates(fake, before) == {}
    assert {t.state for t in tasks_at(session, 3, playbook).values()} == {"ready"}
    work(session, workspace.id, playbook, DAY_SEVEN_2000)
    assert new_templates(fake, before) == {"lin": ["wmA", "wmB"], "zhou": ["wmC"]}
    # WeCom sends are confirmed in the WeCom client, not from the hand-send list.
    listed = playbooks.tasks_today(session, workspace.id, None, DAY_SEVEN_2000)
    assert {t.kind for t in listed} == {"task"}


def test_quota_blocked_and_unconsented_fans_are_not_sent(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    service.put_settings(session, workspace.id, "daily", None, ACTOR)
    due = DAY_ONE_1930.replace(minute=29)
    # 阿花 already got a mass message today (a broadcast), 小周粉 withdrew consent.
    ledger.record(session, workspace.id, "broadcast", 1, "wecom_single", [fans["wmB"]], due)
    customers.set_marketing_consent(session, workspace.id, fans["wmC"], False, ACTOR)
    playbook = enrolled_new_contacts(session, workspace, fans)
    before = set(fake.templates)
    playbooks.work_due_tasks(session, workspace.id, playbook, due)
    assert new_templates(fake, before) == {"lin": ["wmA"]}
    first = tasks_at(session, 1, playbook)
    assert first[fans["wmB"]].delivery == "quota_blocked"
    assert first[fans["wmB"]].state == "skipped" and first[fans["wmB"]].send_id is None
    assert first[fans["wmC"]].delivery == "no_consent"
    # The daily quota is now used for 小美 too: the day-1 step (same local day) plans nobody.
    before = set(fake.templates)
    playbooks.work_due_tasks(session, workspace.id, playbook, DAY_ONE_1930)
    assert new_templates(fake, before) == {}
    assert tasks_at(session, 2, playbook)[fans["wmA"]].delivery == "quota_blocked"


def test_a_blocked_text_stops_the_step_and_the_page_shows_why(
    client: TestClient,
    session: Session,
    workspace: Workspace,
    fake: FakeWecom,
    fans: dict[str, int],
) -> None:
    playbook = enrolled_new_contacts(session, workspace, fans)
    service.add_term(
        session,
        workspace.id,
        term="小助手",
        category="address",
        severity="block",
        suggestion="小鹿",
        actor=ACTOR,
    )
    before = set(fake.templates)
    due = DAY_ONE_1930.replace(minute=29)
    playbooks.work_due_tasks(session, workspace.id, playbook, due)
    assert new_templates(fake, before) == {}
    first = tasks_at(session, 1, playbook)
    assert {(t.state, t.delivery) for t in first.values()} == {("blocked", "content_blocked")}
    factories.sign_in(client, session, workspace, Role.operator)
    client.cookies.set(LOCALE_COOKIE, "zh_CN")
    page = client.get("/outreach/playbooks", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "违反话术规则被拦截 3" in page.text
    assert "禁止发送 · 称呼" in page.text
    assert "content_blocked" not in page.text


def test_follow_up_writes_each_fans_result_and_reminds(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    playbook = enrolled_new_contacts(session, workspace, fans)
    due = DAY_ONE_1930.replace(minute=29)
    playbooks.work_due_tasks(session, workspace.id, playbook, due)
    sends = {
        s.sender: s
        for s in session.scalars(
            select(PlaybookSend).where(PlaybookSend.workspace_id == workspace.id)
        )
    }
    assert {s: r.fans for s, r in sends.items()} == {"lin": 2, "zhou": 1}
    fake.confirm_template(sends["lin"].external_id or "", {"wmB": 3})
    follow_sends(session, workspace)
    first = tasks_at(session, 1, playbook)
    assert (first[fans["wmA"]].state, first[fans["wmA"]].delivery) == ("done", "sent")
    assert first[fans["wmB"]].delivery == "quota_refused"
    assert first[fans["wmC"]].delivery == "planned"
    assert sends["lin"].state == "confirmed" and sends["zhou"].state == "waiting"
    assert fake.templates[sends["zhou"].external_id or ""]["reminders"] == 1
    waiting = [s for w, s in playbooks.sends_waiting(session) if w == workspace.id]
    assert waiting == [sends["zhou"].id]
    counts = playbooks.step_deliveries(session, workspace.id, playbook)
    step_one = tasks_at(session, 1, playbook)[fans["wmA"]].step_id or 0
    assert counts[step_one] == {"sent": 1, "quota_refused": 1, "planned": 1}


def test_group_steps_go_through_the_group_channel(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    playbook = playbooks.create_from_template(session, workspace.id, "group_warmup", ACTOR)
    playbooks.enrol(session, workspace.id, playbook, [(fans["wmA"], ANCHOR), (fans["wmB"], ANCHOR)])
    before = set(fake.templates)
    day_zero = datetime(2026, 12, 7, 15, 31, tzinfo=UTC)  # day 0 at 20:00 is before the anchor
    playbooks.work_due_tasks(session, workspace.id, playbook, day_zero)
    assert new_templates(fake, before) == {"lin": ["wrChat1"]}
    (template,) = [t for m, t in fake.templates.items() if m not in before]
    fake.confirm_template(template["msgid"])
    follow_sends(session, workspace)
    first = tasks_at(session, 1, playbook)
    assert {t.delivery for t in first.values()} == {"sent"}


def _broadcast(session: Session, workspace: Workspace, channel: str) -> int:
    created = service.create_broadcast(
        session,
        workspace.id,
        name=channel,
        segment_id=everyone(session, workspace.id),
        channel=channel,
        text="周五晚8点新品直播，记得来看",
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
    )
    service.request_send(session, workspace.id, created.broadcast.id, ACTOR)
    service.send_broadcast(session, workspace.id, created.broadcast.id)
    return created.broadcast.id


def _task_ids(session: Session, broadcast_id: int) -> dict[str, str]:
    rows = session.scalars(select(BroadcastTask).where(BroadcastTask.broadcast_id == broadcast_id))
    return {t.sender: t.external_id or "" for t in rows}


def test_group_results_are_per_fan_member_of_each_chat(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    broadcast_id = _broadcast(session, workspace, "wecom_group")
    tasks = _task_ids(session, broadcast_id)
    assert fake.templates[tasks["lin"]]["chat_id_list"] == ["wrChat1"]
    assert fake.templates[tasks["zhou"]]["chat_id_list"] == ["wrChat2"]
    fake.confirm_template(tasks["lin"])
    fake.confirm_template(tasks["zhou"])
    service.follow_up(session, workspace.id, broadcast_id)
    statuses = members(session, broadcast_id)
    # 小美 and 阿花 are members of the chat that got it; 小周粉 is in none of zhou's chats.
    assert statuses == {fans["wmA"]: "sent", fans["wmB"]: "sent", fans["wmC"]: "failed"}
    broadcast = service.get_broadcast(session, workspace.id, broadcast_id)
    assert broadcast.state == "sent"
    assert lift.broadcast_lift(session, broadcast, 7).delivery_rate == pytest.approx(2 / 3)


def test_moment_results_are_per_fan(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    broadcast_id = _broadcast(session, workspace, "moments")
    jobs = _task_ids(session, broadcast_id)
    assert set(jobs) == {"lin", "zhou"}
    service.follow_up(session, workspace.id, broadcast_id)
    assert set(members(session, broadcast_id).values()) == {"planned"}  # nobody published
    fake.publish_moment(jobs["lin"], "lin", reached=["wmA"])
    service.follow_up(session, workspace.id, broadcast_id)
    statuses = members(session, broadcast_id)
    assert statuses == {fans["wmA"]: "sent", fans["wmB"]: "failed", fans["wmC"]: "planned"}
    broadcast = service.get_broadcast(session, workspace.id, broadcast_id)
    assert broadcast.state == "sending"
    fake.publish_moment(jobs["zhou"], "zhou")
    service.follow_up(session, workspace.id, broadcast_id)
    assert members(session, broadcast_id)[fans["wmC"]] == "sent"
    assert broadcast.state == "sent"
    assert lift.broadcast_lift(session, broadcast, 7).delivery_rate == pytest.approx(2 / 3)


def _work_in_own_transaction(factory: Any, workspace_id: int, playbook_id: int) -> int:
    with factory() as db, db.begin():
        playbook = playbooks.get_playbook(db, workspace_id, playbook_id)
        return playbooks.work_due_tasks(db, workspace_id, playbook, DAY_ONE_1930.replace(minute=29))


def test_parallel_runs_create_each_senders_task_once(fake: FakeWecom) -> None:
    from tests.concurrency import in_parallel, scratch_store

    with scratch_store() as factory:
        with factory() as db, db.begin():
            ws = factories.make_workspace(db)
            found = connected_fans(db, ws, fake)
            playbook_id = enrolled_new_contacts(db, ws, found).id
            workspace_id = ws.id
        before = set(fake.templates)
        outcomes = in_parallel(
            4, 4, lambda _: _work_in_own_transaction(factory, workspace_id, playbook_id)
        )
        assert all(isinstance(n, int) for n in outcomes), outcomes
        assert new_templates(fake, before) == {"lin": ["wmA", "wmB"], "zhou": ["wmC"]}
        assert len(fake.templates) - len(before) == 2
        with factory() as db:
            sends = db.scalars(select(PlaybookSend)).all()
        assert sorted(s.sender for s in sends) == ["lin", "zhou"]
