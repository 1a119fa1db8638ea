"""Playbooks: steps fall due in the business time zone relative to the anchor, held-out fans get
no tasks, stop conditions end an enrolment, and operators work their tasks for today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.outreach import playbooks, service
from siyu.outreach.models import Enrolment, OutreachTask
from siyu.workspace.models import Workspace
from tests.factories import ACTOR, make_operator
from tests.outreach.helpers import buy, make_fans

# 23:30 in Shanghai on 7 December: the business day is still the 7th.
ANCHOR = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)


def tasks_of(session: Session, enrolment: Enrolment) -> list[OutreachTask]:
    return list(
        session.scalars(
            select(OutreachTask)
            .where(OutreachTask.enrolment_id == enrolment.id)
            .order_by(OutreachTask.due_at)
        )
    )


def test_new_contact_steps_fall_due_in_the_business_time_zone(
    session: Session, workspace: Workspace
) -> None:
    operator = make_operator(session, workspace)
    (fan,) = make_fans(session, workspace.id, 1)
    playbook = playbooks.create_from_template(session, workspace.id, "new_contact", ACTOR)
    (enrolment,) = playbooks.enrol(session, workspace.id, playbook, [(fan, ANCHOR)])
    assert enrolment.operator_id == operator.id
    due = [(t.kind, t.due_at.astimezone(UTC)) for t in tasks_of(session, enrolment)]
    assert due == [
        ("message", datetime(2026, 12, 7, 16, 30, tzinfo=UTC)),  # an hour after
        ("message", datetime(2026, 12, 8, 11, 30, tzinfo=UTC)),  # day 1, 19:30 local
        ("task", datetime(2026, 12, 10, 6, 0, tzinfo=UTC)),  # day 3, 14:00 local
        ("message", datetime(2026, 12, 14, 12, 0, tzinfo=UTC)),  # day 7, 20:00 local
    ]
    # A fan is enrolled once.
    assert playbooks.enrol(session, workspace.id, playbook, [(fan, ANCHOR)]) == []


def test_due_messages_reach_the_operator_with_ready_text(
    session: Session, workspace: Workspace
) -> None:
    operator = make_operator(session, workspace)
    (fan,) = make_fans(session, workspace.id, 1)
    playbook = playbooks.create_from_template(session, workspace.id, "new_contact", ACTOR)
    (enrolment,) = playbooks.enrol(session, workspace.id, playbook, [(fan, ANCHOR)])
    day_one = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    assert playbooks.work_due_tasks(session, workspace.id, playbook, day_one) == 2
    mine = playbooks.tasks_today(session, workspace.id, operator.id, day_one)
    assert [t.kind for t in mine] == ["message", "message"]
    assert all("{name}" not in t.text and t.text for t in mine)
    playbooks.mark_done(session, workspace.id, mine[0].id, ACTOR)
    (row,) = playbooks.completion(session, workspace.id, day_one)
    assert row == {"operator_id": operator.id, "due": 2, "done": 1}
    assert enrolment.state == "active"


def test_the_weekly_cap_skips_playbook_messages(session: Session, workspace: Workspace) -> None:
    make_operator(session, workspace)
    (fan,) = make_fans(session, workspace.id, 1)
    service.put_settings(session, workspace.id, "daily", 1, ACTOR)
    playbook = playbooks.create_from_template(session, workspace.id, "new_contact", ACTOR)
    (enrolment,) = playbooks.enrol(session, workspace.id, playbook, [(fan, ANCHOR)])
    playbooks.work_due_tasks(
        session, workspace.id, playbook, datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    )
    playbooks.work_due_tasks(
        session, workspace.id, playbook, datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    )
    states = [t.state for t in tasks_of(session, enrolment)]
    assert states[:2] == ["ready", "skipped"]


def test_ordering_stops_a_wake_up(session: Session, workspace: Workspace) -> None:
    make_operator(session, workspace)
    fans = make_fans(session, workspace.id, 2)
    playbook = playbooks.create_from_template(session, workspace.id, "wake_up", ACTOR)
    playbook.holdout_percent = 0
    enrolments = playbooks.enrol(session, workspace.id, playbook, [(f, ANCHOR) for f in fans])
    buy(session, workspace.id, fans[0], 5000, datetime(2026, 12, 8, 1, 0, tzinfo=UTC))
    playbooks.work_due_tasks(
        session, workspace.id, playbook, datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    )
    by_fan = {e.customer_id: e for e in enrolments}
    assert (by_fan[fans[0]].state, by_fan[fans[0]].stop_reason) == ("stopped", "ordered")
    assert {t.state for t in tasks_of(session, by_fan[fans[0]])} == {"skipped"}
    assert by_fan[fans[1]].state == "active"


def test_held_out_fans_get_no_tasks(session: Session, workspace: Workspace) -> None:
    make_operator(session, workspace)
    fans = make_fans(session, workspace.id, 60)
    playbook = playbooks.create_from_template(session, workspace.id, "new_contact", ACTOR)
    playbook.holdout_percent = 50
    enrolments = playbooks.enrol(session, workspace.id, playbook, [(f, ANCHOR) for f in fans])
    control = [e for e in enrolments if e.arm == "control"]
    assert 10 < len(control) < 50
    assert all(tasks_of(session, e) == [] for e in control)


def test_every_template_passes_the_content_check(session: Session, workspace: Workspace) -> None:
    for key in playbooks.TEMPLATES:
        playbooks.create_from_template(session, workspace.id, key, ACTOR)
    assert len(playbooks.list_playbooks(session, workspace.id)) == len(playbooks.TEMPLATES)


def test_a_lives_reservers_are_its_anchor(session: Session, workspace: Workspace) -> None:
    from siyu.live import service as lives
    from siyu.live.service import LiveDraft

    now = datetime.now(UTC)
    started = lives.create_live(
        session,
        workspace.id,
        LiveDraft("今晚上新", "douyin", now - timedelta(hours=1), now + timedelta(hours=1)),
        ACTOR,
    )
    later = lives.create_live(
        session,
        workspace.id,
        LiveDraft("明晚专场", "douyin", now + timedelta(days=1), now + timedelta(days=1, hours=2)),
        ACTOR,
    )
    early, late = make_fans(session, workspace.id, 2, prefix="live")
    lives.reserve(session, workspace.id, started.id, early)
    lives.reserve(session, workspace.id, later.id, late)
    anchors = playbooks.ANCHOR_SOURCES["live_start"](session, workspace.id, now - timedelta(days=1))
    assert [fan for fan, _ in anchors] == [early]
