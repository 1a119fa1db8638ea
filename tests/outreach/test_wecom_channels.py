"""Broadcasts through the fake WeCom: one mass-message task per staff member, the daily quota
keeps a fan who already got a mass message today out of the next plan, per-fan results come
from get_groupmsg_send_result (status 3 is WeCom's quota speaking), reminders stop at three a
day, and the welcome message passes the content check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom import service as wecom
from siyu.connectors.wecom.connection import client_for
from siyu.connectors.wecom.fake import FakeWecom
from siyu.connectors.wecom.sync import sync_all
from siyu.kit.clock import utcnow
from siyu.outreach import service
from siyu.outreach.models import BroadcastTask
from siyu.workspace.models import Workspace
from tests.factories import ACTOR
from tests.outreach.helpers import connected_fans, everyone, fake_corp, members


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with fake_corp() as corp_fake:
        yield corp_fake


@pytest.fixture
def fans(session: Session, workspace: Workspace, fake: FakeWecom) -> dict[str, int]:
    return connected_fans(session, workspace, fake)


def broadcast(session: Session, workspace: Workspace, text: str, segment: int) -> int:
    created = service.create_broadcast(
        session,
        workspace.id,
        name=text[:10],
        segment_id=segment,
        channel="wecom_single",
        text=text,
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
    )
    service.request_send(session, workspace.id, created.broadcast.id, ACTOR)
    service.send_broadcast(session, workspace.id, created.broadcast.id)
    return created.broadcast.id


def test_per_staff_tasks_results_and_the_daily_quota(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    service.put_settings(session, workspace.id, "daily", None, ACTOR)
    segment = everyone(session, workspace.id)
    first = broadcast(session, workspace, "周五晚8点新品直播，记得来看", segment)
    tasks = {
        t.sender: t
        for t in session.scalars(select(BroadcastTask).where(BroadcastTask.broadcast_id == first))
    }
    assert set(tasks) == {"lin", "zhou"}
    lin = fake.templates[tasks["lin"].external_id or ""]
    assert sorted(lin["external_userid"]) == ["wmA", "wmB"]
    assert fake.templates[tasks["zhou"].external_id or ""]["external_userid"] == ["wmC"]

    # Lin confirms; WeCom says 阿花 had already received a mass message today.
    fake.confirm_template(tasks["lin"].external_id or "", {"wmB": 3})
    service.follow_up(session, workspace.id, first)
    statuses = members(session, first)
    assert statuses[fans["wmA"]] == "sent"
    assert statuses[fans["wmB"]] == "quota_refused"
    assert statuses[fans["wmC"]] == "planned"
    counts = service.broadcast_counts(session, service.get_broadcast(session, workspace.id, first))
    assert (counts.planned, counts.sent, counts.failed) == (3, 1, 1)
    # Zhou has not confirmed: reminded once, not again within the spacing, never past three.
    assert fake.templates[tasks["zhou"].external_id or ""]["reminders"] == 1
    service.follow_up(session, workspace.id, first)
    assert fake.templates[tasks["zhou"].external_id or ""]["reminders"] == 1
    for _ in range(5):
        tasks["zhou"].reminded_at = utcnow() - timedelta(hours=3)
        service.follow_up(session, workspace.id, first)
    assert fake.templates[tasks["zhou"].external_id or ""]["reminders"] == 3

    # Under the daily quota, today's second broadcast plans nobody who got the first.
    second = service.create_broadcast(
        session,
        workspace.id,
        name="晚场",
        segment_id=segment,
        channel="wecom_single",
        text="今晚还有福利款",
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
    ).broadcast
    assert set(members(session, second.id).values()) == {"quota_blocked"}


def test_a_fan_who_deleted_the_staff_is_lost(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    fake.delete_follow("zhou", "wmC")
    client = client_for(session, workspace.id)
    try:
        sync_all(session, workspace.id, client)
    finally:
        client.close()
    created = service.create_broadcast(
        session,
        workspace.id,
        name="新品",
        segment_id=everyone(session, workspace.id),
        channel="wecom_single",
        text="新品到了",
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
    ).broadcast
    assert created.excluded["lost"] == 1


def test_the_welcome_passes_the_content_check(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    assert service.check_welcome in wecom.WELCOME_TEXT_CHECKS
    with pytest.raises(service.ContentRefused):
        service.check_welcome(session, workspace.id, "亲亲，欢迎来到全网最低价小店")
    assert service.check_welcome(session, workspace.id, "你好，我是小鹿") == "你好，我是小鹿"


def test_a_playbook_enrols_new_contacts(
    session: Session, workspace: Workspace, fake: FakeWecom, fans: dict[str, int]
) -> None:
    from siyu.outreach import playbooks

    playbook = playbooks.create_from_template(session, workspace.id, "new_contact", ACTOR)
    assert playbooks.enrol_due(session, workspace.id, playbook) == 3
    assert playbooks.enrol_due(session, workspace.id, playbook) == 0
