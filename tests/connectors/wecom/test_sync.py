"""The full pull against the fake corp: staff, fans (linked by unionid and phone), follow
relations, tags both ways, groups as fan groups; lost relations repaired."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.community import service as community
from siyu.connectors.wecom import service
from siyu.connectors.wecom.connection import client_for
from siyu.connectors.wecom.models import WecomFollow, WecomStaff
from siyu.connectors.wecom.sync import sync_all
from siyu.customers import service as customers
from siyu.customers.identities import FanKey, resolve_customers
from siyu.kit.errors import Problem
from tests import factories
from tests.connectors.wecom.conftest import Connected


def _sync(session: Session, workspace_id: int):  # type: ignore[no-untyped-def]
    client = client_for(session, workspace_id)
    try:
        return sync_all(session, workspace_id, client)
    finally:
        client.close()


def test_sync_brings_staff_fans_tags_and_groups(session: Session, connected: Connected) -> None:
    ws = connected.workspace_id
    shop_fan = resolve_customers(session, ws, [FanKey("taobao", "tb-1", "13800001111")])
    summary = _sync(session, ws)
    assert (summary.staff, summary.contacts, summary.tags, summary.groups) == (2, 2, 2, 1)
    assert summary.group_members == 3
    assert summary.fans_linked == 1 and summary.fans_created == 1
    linked = customers.customer_by_identity(session, ws, "wecom", "wmA")
    assert linked == shop_fan.customer_ids[0]
    assert customers.customer_by_identity(session, ws, "wechat", "unionA") == linked
    ahua = customers.customer_by_identity(session, ws, "wecom", "wmB")
    assert ahua is not None
    assert [tag.name for _, tag in customers.tags_of(session, ws, ahua)] == ["VIP"]
    group = community.groups_by_ref(session, ws, ["wrChat1"])["wrChat1"]
    assert group.member_count == 2  # the two customers; staff are not fan-group members
    follows = session.scalars(select(WecomFollow).where(WecomFollow.workspace_id == ws)).all()
    assert sorted((f.external_userid, f.userid) for f in follows) == [
        ("wmA", "lin"),
        ("wmA", "zhou"),
        ("wmB", "lin"),
    ]


def test_staff_become_operators_wecom_identities(session: Session, connected: Connected) -> None:
    operator = factories.make_operator(session, connected.workspace)
    operator.display_name = "林小鹿"
    session.flush()
    _sync(session, connected.workspace_id)
    lin = session.scalars(select(WecomStaff).where(WecomStaff.userid == "lin")).one()
    assert lin.operator_id == operator.id


def test_second_sync_changes_nothing_and_repairs_a_lost_relation(
    session: Session, connected: Connected
) -> None:
    ws = connected.workspace_id
    _sync(session, ws)
    again = _sync(session, ws)
    assert (again.fans_created, again.fans_linked, again.follows_lost) == (0, 0, 0)
    connected.fake.delete_follow("zhou", "wmA")  # its callback never arrives
    repaired = _sync(session, ws)
    assert repaired.follows_lost == 1
    relation = session.scalars(
        select(WecomFollow).where(
            WecomFollow.external_userid == "wmA", WecomFollow.userid == "zhou"
        )
    ).one()
    assert relation.status == "lost" and relation.lost_at is not None


def test_tags_go_both_ways_without_echo(session: Session, connected: Connected) -> None:
    ws, fake = connected.workspace_id, connected.fake
    _sync(session, ws)
    xiaomei = customers.customer_by_identity(session, ws, "wecom", "wmA")
    assert xiaomei is not None
    vip = customers.ensure_tag(session, ws, "客户等级", "VIP", factories.ACTOR)
    customers.tag_customer(session, ws, xiaomei, vip.id, factories.ACTOR)
    pushed = _sync(session, ws)
    assert pushed.tags_marked == 2  # both staff relations of the fan
    vip_id = next(t["id"] for g in fake.tag_groups.values() for t in g["tag"] if t["name"] == "VIP")
    assert vip_id in fake.contacts["wmA"].follows["lin"].tags
    calls = len([c for c in fake.calls if c == "externalcontact/mark_tag"])
    quiet = _sync(session, ws)
    assert quiet.tags_marked == 0
    assert len([c for c in fake.calls if c == "externalcontact/mark_tag"]) == calls
    # Removed in WeCom by a staff member: the fan loses the tag in Siyu, and it is not re-pushed.
    fake.contacts["wmB"].follows["lin"].tags.clear()
    ahua = customers.customer_by_identity(session, ws, "wecom", "wmB")
    assert ahua is not None
    _sync(session, ws)
    assert customers.tags_of(session, ws, ahua) == []
    assert fake.contacts["wmB"].follows["lin"].tags == set()


def test_sync_survives_45009(session: Session, connected: Connected) -> None:
    connected.fake.fail_next("externalcontact/batch/get_by_user", 45009, times=2)
    connected.fake.fail_next("externalcontact/groupchat/get", 45033)
    client = client_for(session, connected.workspace_id, backoff_seconds=0.01)
    summary = sync_all(session, connected.workspace_id, client)
    assert summary.contacts == 2 and summary.groups == 1


def test_group_live_code_auto_creates_rooms(session: Session, connected: Connected) -> None:
    ws = connected.workspace_id
    _sync(session, ws)
    way = service.create_join_way(session, ws, name="宠粉群活码", chat_ids=["wrChat1"])
    sent = connected.fake.join_ways[way.config_id or ""]
    assert sent["scene"] == 2 and sent["auto_create_room"] == 1
    assert sent["room_base_name"] == "宠粉群活码" and way.qr_code
    with pytest.raises(Problem):
        service.create_join_way(session, ws, name="x", chat_ids=["wrUnknown"])


def test_an_operator_merge_moves_the_contact_to_the_surviving_fan(
    session: Session, connected: Connected
) -> None:
    ws = connected.workspace_id
    _sync(session, ws)
    ahua = customers.customer_by_identity(session, ws, "wecom", "wmB")
    shop = resolve_customers(session, ws, [FanKey("douyin", "dy-ahua", None)]).customer_ids[0]
    assert ahua is not None and shop is not None
    customers.merge_customers(session, ws, shop, ahua, factories.ACTOR)
    _sync(session, ws)
    assert [c.customer_id for c in service.fan_channels(session, ws, [shop])] == [shop]
