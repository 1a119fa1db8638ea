"""Groups, memberships and live-code routing, including parallel newcomers on a real store."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.community import service
from siyu.community.models import FanGroup, GroupInvitation, GroupMembership
from siyu.customers.models import CustomerIdentity
from siyu.kit.errors import Conflict
from siyu.orders.models import Order
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from tests import factories
from tests.community.helpers import make_family, make_fan
from tests.concurrency import in_parallel, scratch_store


def test_capacity_is_checked_by_the_service_and_the_store(
    session: Session, workspace: Workspace
) -> None:
    with pytest.raises(Exception) as refused:
        service.create_group(session, workspace.id, SYSTEM, name="大群", capacity=501)
    assert getattr(refused.value, "slug", "") == "capacity-out-of-range"
    group = service.create_group(session, workspace.id, SYSTEM, name="小群", capacity=1)
    assert group.capacity == 1 and group.status == "activating"
    service.add_member(session, workspace.id, group.id, SYSTEM, member_ref="wx-1")
    with pytest.raises(Conflict) as full:
        service.add_member(session, workspace.id, group.id, SYSTEM, member_ref="wx-2")
    assert full.value.slug == "group-full"
    with pytest.raises(IntegrityError), session.begin_nested():
        group.member_count = 2  # the CHECK constraint is the last line
        session.flush()


def test_leaving_frees_a_seat_and_adding_twice_is_idempotent(
    session: Session, workspace: Workspace
) -> None:
    group = service.create_group(session, workspace.id, SYSTEM, name="群", capacity=1)
    first = service.add_member(session, workspace.id, group.id, SYSTEM, member_ref="wx-1")
    again = service.add_member(session, workspace.id, group.id, SYSTEM, member_ref="wx-1")
    assert again.id == first.id
    service.remove_member(session, workspace.id, first.id, SYSTEM)
    service.add_member(session, workspace.id, group.id, SYSTEM, member_ref="wx-2")
    session.refresh(group)
    assert group.member_count == 1


def test_live_code_fills_groups_in_order_and_opens_the_next(
    session: Session, workspace: Workspace
) -> None:
    family: Any = make_family(session, workspace.id, group_capacity=2)
    fans = [make_fan(session, workspace.id) for _ in range(5)]
    results = [
        service.route_newcomer(session, workspace.id, family.slug, fan.id, SYSTEM) for fan in fans
    ]
    assert [r.outcome for r in results] == ["joined"] * 5
    names = [r.group.name for r in results if r.group]
    assert names == ["小鹿福利1群", "小鹿福利1群", "小鹿福利2群", "小鹿福利2群", "小鹿福利3群"]
    assert [r.opened_group for r in results] == [True, False, True, False, True]
    again = service.route_newcomer(session, workspace.id, family.slug, fans[0].id, SYSTEM)
    assert again.outcome == "already_member" and again.group and again.group.number == 1


def test_capped_family_puts_newcomers_on_the_waitlist(
    session: Session, workspace: Workspace
) -> None:
    family: Any = make_family(session, workspace.id, group_capacity=1, max_groups=1)
    first, second, third = (make_fan(session, workspace.id) for _ in range(3))
    assert (
        service.route_newcomer(session, workspace.id, family.slug, first.id, SYSTEM).outcome
        == "joined"
    )
    waiting = service.route_newcomer(session, workspace.id, family.slug, second.id, SYSTEM)
    assert waiting.outcome == "waitlisted" and waiting.waitlist_position == 1
    later = service.route_newcomer(session, workspace.id, family.slug, third.id, SYSTEM)
    assert later.waitlist_position == 2


def test_ineligible_fans_get_reasons(session: Session, workspace: Workspace) -> None:
    family: Any = make_family(session, workspace.id, min_paid_orders=2, min_intimacy_level=5)
    newcomer = make_fan(session, workspace.id, paid_orders=1)
    result = service.route_newcomer(session, workspace.id, family.slug, newcomer.id, SYSTEM)
    assert result.outcome == "ineligible"
    assert [code for code, _ in result.reasons] == ["paid_orders", "intimacy"]
    # Entry rules are alternatives: 2 paid orders is enough without the intimacy level.
    regular = make_fan(session, workspace.id, paid_orders=2)
    assert (
        service.route_newcomer(session, workspace.id, family.slug, regular.id, SYSTEM).outcome
        == "joined"
    )


def test_regional_families_route_by_region(session: Session, workspace: Workspace) -> None:
    family: Any = make_family(
        session, workspace.id, group_type="regional", match_region=True, name_base="小鹿"
    )
    zhejiang = make_fan(session, workspace.id, region="浙江")
    guangdong = make_fan(session, workspace.id, region="广东")
    unknown = make_fan(session, workspace.id, region=None)
    a = service.route_newcomer(session, workspace.id, family.slug, zhejiang.id, SYSTEM)
    b = service.route_newcomer(session, workspace.id, family.slug, guangdong.id, SYSTEM)
    assert a.group and a.group.region == "浙江" and a.group.name == "小鹿浙江1群"
    assert b.group and b.group.region == "广东" and b.group.id != a.group.id
    c = service.route_newcomer(session, workspace.id, family.slug, unknown.id, SYSTEM)
    assert c.outcome == "ineligible" and c.reasons[0][0] == "region_unknown"


def _douyin_fan(session: Session, workspace_id: int, external_id: str, **fields: Any) -> Any:
    fan = make_fan(session, workspace_id, **fields)
    session.add(
        CustomerIdentity(
            workspace_id=workspace_id,
            customer_id=fan.id,
            platform="douyin",
            external_id=external_id,
        )
    )
    session.flush()
    return fan


def test_segment_entry_rule_admits_members_and_refuses_others(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    """A family whose only entry rule is a segment: its member joins without any paid order,
    a fan outside it is refused with the segment reason, through the service and the fan page."""
    from siyu.customers.fan_links import issue_fan_link
    from siyu.segments import service as segments

    douyin = segments.create_segment(
        session, workspace.id, name="抖音粉丝", filter_text='platform = "douyin"', actor=SYSTEM
    )
    make_family(
        session, workspace.id, slug="douyin-fans", min_paid_orders=None, segment_id=douyin.id
    )
    member = _douyin_fan(session, workspace.id, "dy-1", paid_orders=0)
    outsider = make_fan(session, workspace.id, paid_orders=5)
    page_member = _douyin_fan(session, workspace.id, "dy-2", paid_orders=0)
    page_outsider = make_fan(session, workspace.id, paid_orders=5)

    joined = service.route_newcomer(session, workspace.id, "douyin-fans", member.id, SYSTEM)
    assert joined.outcome == "joined" and joined.group is not None
    refused = service.route_newcomer(session, workspace.id, "douyin-fans", outsider.id, SYSTEM)
    assert refused.outcome == "ineligible" and refused.reasons == [("segment", None)]

    links = {
        fan.id: issue_fan_link(session, workspace.id, fan.id, SYSTEM).url
        for fan in (page_member, page_outsider)
    }
    session.commit()
    client.get(links[page_member.id].replace("http://127.0.0.1:8000", ""), follow_redirects=False)
    welcome = client.get("/h5/groups/douyin-fans")
    assert welcome.status_code == 200 and "欢迎加入小鹿福利1群" in welcome.text
    client.cookies.clear()
    client.get(links[page_outsider.id].replace("http://127.0.0.1:8000", ""), follow_redirects=False)
    polite = client.get("/h5/groups/douyin-fans")
    assert polite.status_code == 200
    assert "这个群只面向特定的粉丝圈子" in polite.text  # the fan pages speak Chinese
    assert "欢迎加入" not in polite.text
    seated = session.scalars(
        select(GroupMembership.customer_id).where(
            GroupMembership.workspace_id == workspace.id, GroupMembership.left_at.is_(None)
        )
    ).all()
    assert sorted(seated) == sorted([member.id, page_member.id])


def test_live_code_api_and_fan_page(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    response = api.post(
        "/api/v1/group-families",
        json={"name": "福利群", "slug": "fuli", "group_capacity": 200, "min_paid_orders": 2},
    )
    assert response.status_code == 201, response.text
    assert response.json()["live_code_url"].endswith(f"/h5/g/{workspace.slug}/fuli")
    fan = make_fan(session, workspace.id)
    poor = make_fan(session, workspace.id, paid_orders=0)
    session.commit()
    joined = api.post("/api/v1/live-codes/fuli/join", json={"customer_id": fan.id}).json()
    assert joined["outcome"] == "joined" and joined["group"]["name"] == "福利群1群"
    refused = api.post("/api/v1/live-codes/fuli/join", json={"customer_id": poor.id}).json()
    assert refused["outcome"] == "ineligible" and refused["reasons"][0]["code"] == "paid_orders"
    assert api.post("/api/v1/live-codes/nope/join", json={"customer_id": fan.id}).status_code == 404
    bad = api.post("/api/v1/groups", json={"name": "x", "capacity": 900})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_fan_page_explains_politely(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    from siyu.customers.fan_links import issue_fan_link

    make_family(session, workspace.id, slug="vip-fans", min_paid_orders=3)
    fan = make_fan(session, workspace.id, paid_orders=1)
    link = issue_fan_link(session, workspace.id, fan.id, SYSTEM)
    session.commit()
    client.get(link.url.replace("http://127.0.0.1:8000", ""), follow_redirects=False)
    page = client.get("/h5/groups/vip-fans", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "3" in page.text


def _route_in_own_transaction(factory: Any, workspace_id: int, slug: str, customer_id: int) -> str:
    with factory() as db, db.begin():
        return service.route_newcomer(db, workspace_id, slug, customer_id, SYSTEM).outcome


def test_parallel_newcomers_never_overfill_a_group() -> None:
    with scratch_store() as factory:
        with factory() as db, db.begin():
            ws = factories.make_workspace(db)
            family: Any = make_family(db, ws.id, slug="rush", group_capacity=3)
            fan_ids = [make_fan(db, ws.id).id for _ in range(16)]
            workspace_id = ws.id
        outcomes = in_parallel(
            8,
            len(fan_ids),
            lambda i: _route_in_own_transaction(factory, workspace_id, "rush", fan_ids[i]),
        )
        assert all(outcome == "joined" for outcome in outcomes), outcomes
        with factory() as db:
            rows = db.execute(
                select(FanGroup.id, FanGroup.capacity, FanGroup.member_count).where(
                    FanGroup.workspace_id == workspace_id
                )
            ).all()
            members = dict(
                db.execute(
                    select(GroupMembership.group_id, func.count())
                    .where(GroupMembership.left_at.is_(None))
                    .group_by(GroupMembership.group_id)
                ).all()
            )
        assert sum(members.values()) == 16
        for group_id, capacity, count in rows:
            assert count == members.get(group_id, 0) <= capacity
        assert len(rows) == 6  # 16 fans, 3 a group: no group opened that wasn't needed
        del family


def _waitlisted(session: Session, workspace_id: int, family_id: int) -> list[int]:
    return list(
        session.scalars(
            select(GroupInvitation.customer_id)
            .where(
                GroupInvitation.workspace_id == workspace_id,
                GroupInvitation.family_id == family_id,
                GroupInvitation.status == "waitlisted",
            )
            .order_by(GroupInvitation.id)
        )
    )


def _seated(session: Session, workspace_id: int) -> set[int]:
    return set(
        session.scalars(
            select(GroupMembership.customer_id).where(
                GroupMembership.workspace_id == workspace_id, GroupMembership.left_at.is_(None)
            )
        )
    )


def test_a_freed_seat_goes_to_the_first_waitlisted_fan(
    session: Session, workspace: Workspace
) -> None:
    family: Any = make_family(session, workspace.id, group_capacity=2, max_groups=1)
    members = [make_fan(session, workspace.id) for _ in range(2)]
    waiting = [make_fan(session, workspace.id) for _ in range(3)]
    for fan in members + waiting:
        service.route_newcomer(session, workspace.id, family.slug, fan.id, SYSTEM)
    assert _waitlisted(session, workspace.id, family.id) == [fan.id for fan in waiting]
    # The first in line stops qualifying: they keep their place but are passed over.
    session.execute(delete(Order).where(Order.customer_id == waiting[0].id))
    leaving = service.open_membership(
        session, workspace.id, _group_of(session, members[0].id), f"customer:{members[0].id}"
    )
    assert leaving is not None
    service.remove_member(session, workspace.id, leaving.id, SYSTEM)
    assert _seated(session, workspace.id) == {members[1].id, waiting[1].id}
    assert _waitlisted(session, workspace.id, family.id) == [waiting[0].id, waiting[2].id]
    admitted = session.scalar(
        select(GroupMembership).where(GroupMembership.customer_id == waiting[1].id)
    )
    assert admitted is not None and admitted.scene == "invitation"
    # Removing the same member again frees nothing more.
    service.remove_member(session, workspace.id, leaving.id, SYSTEM)
    assert _waitlisted(session, workspace.id, family.id) == [waiting[0].id, waiting[2].id]


def _group_of(session: Session, customer_id: int) -> int:
    return int(
        session.scalar(
            select(GroupMembership.group_id).where(
                GroupMembership.customer_id == customer_id, GroupMembership.left_at.is_(None)
            )
        )
        or 0
    )


def test_raising_the_cap_or_a_capacity_admits_the_waitlist_in_order(
    session: Session, workspace: Workspace
) -> None:
    family: Any = make_family(session, workspace.id, group_capacity=1, max_groups=1)
    fans = [make_fan(session, workspace.id) for _ in range(5)]
    for fan in fans:
        service.route_newcomer(session, workspace.id, family.slug, fan.id, SYSTEM)
    first_group = _group_of(session, fans[0].id)
    service.update_family(session, workspace.id, family.id, SYSTEM, max_groups=2)
    second = session.scalar(
        select(FanGroup).where(FanGroup.family_id == family.id, FanGroup.number == 2)
    )
    assert second is not None and second.name == "小鹿福利2群"  # a new group opened for fans[1]
    assert _group_of(session, fans[1].id) == second.id
    service.update_group(session, workspace.id, first_group, SYSTEM, capacity=3)
    assert _group_of(session, fans[2].id) == _group_of(session, fans[3].id) == first_group
    assert _waitlisted(session, workspace.id, family.id) == [fans[4].id]


def _leave_in_own_transaction(factory: Any, workspace_id: int, membership_id: int) -> str:
    with factory() as db, db.begin():
        service.remove_member(db, workspace_id, membership_id, SYSTEM)
        return "left"


def test_parallel_leaves_and_newcomers_hand_seats_to_the_waitlist_in_order() -> None:
    """4 members leave while 4 newcomers open the live code, all at once: every freed seat goes
    to the head of the waitlist in the leaving transaction, so newcomers queue behind it and no
    group ever holds more than its capacity."""
    with scratch_store() as factory:
        with factory() as db, db.begin():
            ws = factories.make_workspace(db)
            family: Any = make_family(db, ws.id, slug="cap", group_capacity=2, max_groups=2)
            members = [make_fan(db, ws.id).id for _ in range(4)]
            waiting = [make_fan(db, ws.id).id for _ in range(6)]
            newcomers = [make_fan(db, ws.id).id for _ in range(4)]
            for fan_id in members + waiting:
                service.route_newcomer(db, ws.id, "cap", fan_id, SYSTEM)
            memberships = [
                int(
                    db.scalar(
                        select(GroupMembership.id).where(GroupMembership.customer_id == fan_id)
                    )
                    or 0
                )
                for fan_id in members
            ]
            workspace_id, family_id = ws.id, family.id

        def act(i: int) -> str:
            if i % 2:
                return _route_in_own_transaction(factory, workspace_id, "cap", newcomers[i // 2])
            return _leave_in_own_transaction(factory, workspace_id, memberships[i // 2])

        outcomes = in_parallel(4, 8, act)
        assert outcomes.count("left") == 4 and outcomes.count("waitlisted") == 4, outcomes
        with factory() as db:
            assert _seated(db, workspace_id) == set(waiting[:4])
            queue = _waitlisted(db, workspace_id, family_id)
            assert queue[:2] == waiting[4:] and sorted(queue[2:]) == sorted(newcomers)
            for count, capacity, actual in db.execute(
                select(
                    FanGroup.member_count,
                    FanGroup.capacity,
                    select(func.count())
                    .where(
                        GroupMembership.group_id == FanGroup.id,
                        GroupMembership.left_at.is_(None),
                    )
                    .scalar_subquery(),
                ).where(FanGroup.workspace_id == workspace_id)
            ):
                assert count == actual <= capacity
