"""The callback URL: verification, refusals, encrypted events from the fake corp, the welcome
sent once, events as hints, unknown events stored and ignored."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.community import service as community
from siyu.connectors.wecom import service
from siyu.connectors.wecom.connection import client_for
from siyu.connectors.wecom.fake import change_contact
from siyu.connectors.wecom.models import WecomCallbackEvent, WecomFollow, WecomWelcome
from siyu.connectors.wecom.sync import sync_all
from siyu.customers import service as customers
from siyu.customers.identities import FanKey, resolve_customers
from tests.connectors.wecom.conftest import Connected


def _url(connected: Connected) -> str:
    return f"/wecom/callback/{connected.workspace.slug}"


def _events(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(WecomCallbackEvent)) or 0)


def test_url_verification(client: TestClient, connected: Connected) -> None:
    query = connected.fake.verification("echo-123")
    answer = client.get(_url(connected), params=query)
    assert answer.status_code == 200 and answer.text == "echo-123"
    query["msg_signature"] = "0" * 40
    assert client.get(_url(connected), params=query).status_code == 403


def test_refused_callbacks_change_nothing(
    client: TestClient, session: Session, connected: Connected
) -> None:
    fields = change_contact("edit_external_contact", "lin", "wmA")
    params, body = connected.fake.sealed(fields)
    bad = client.post(_url(connected), params={**params, "msg_signature": "f" * 40}, content=body)
    assert bad.status_code == 403
    other = connected.fake.__class__(corp_id="wwothercorp")  # same key, another ReceiveId
    params, body = other.sealed(fields)
    assert client.post(_url(connected), params=params, content=body).status_code == 403
    params, _ = connected.fake.sealed(fields)
    garbage = client.post(
        _url(connected), params=params, content=b"<xml><Encrypt>%%%</Encrypt></xml>"
    )
    assert garbage.status_code in (400, 403)
    assert client.post(_url(connected), params=params, content=b"not xml").status_code == 400
    missing = client.post(f"/wecom/callback/{connected.workspace.slug}", content=body)
    assert missing.status_code == 403  # no signature
    assert _events(session) == 0


def test_add_contact_with_state_creates_fan_attributes_channel_and_welcomes_once(
    client: TestClient, session: Session, connected: Connected
) -> None:
    ws, fake = connected.workspace_id, connected.fake
    client_ = client_for(session, ws)
    sync_all(session, ws, client_)
    shop = resolve_customers(session, ws, [FanKey("douyin", "dy-9", "13900002222")])
    way = service.create_contact_way(
        session,
        ws,
        channel_kind="parcel_card",
        channel_ref="card-2026-12",
        welcome_text="感谢购买！加我领售后礼包",
        welcome_attachments=[
            {"msgtype": "link", "link": {"title": "礼包", "url": "https://x.test"}}
        ],
    )
    session.commit()
    fields = fake.add_contact("lin", "wmNew", "新粉丝", state=way.state, mobiles=["13900002222"])
    answers = fake.push(client.post, _url(connected), fields, deliveries=2)
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.text for a in answers] == ["success", "success"]
    assert len(fake.welcomes) == 1
    assert fake.welcomes[0]["text"]["content"] == "感谢购买！加我领售后礼包"
    assert fake.welcomes[0]["attachments"][0]["msgtype"] == "link"
    assert fake.welcomes[0]["welcome_code"] == fields["WelcomeCode"]
    session.expire_all()
    fan = customers.customer_by_identity(session, ws, "wecom", "wmNew")
    assert fan == shop.customer_ids[0]  # linked by the phone in remark_mobiles
    channels = service.fan_channels(session, ws, [fan])
    assert [(c.channel_kind, c.channel_ref) for c in channels] == [("parcel_card", "card-2026-12")]
    event = session.scalars(select(WecomCallbackEvent)).one()
    assert event.deliveries == 2 and event.status == "handled"
    assert session.scalars(select(WecomWelcome)).one().status == "sent"


def test_unknown_state_gets_the_default_welcome(
    client: TestClient, session: Session, connected: Connected
) -> None:
    fields = connected.fake.add_contact("lin", "wmOther", "路人", state="made-in-wecom-admin")
    connected.fake.push(client.post, _url(connected), fields)
    assert connected.fake.welcomes[0]["text"]["content"] == service.DEFAULT_WELCOME
    follow = session.scalars(
        select(WecomFollow).where(WecomFollow.external_userid == "wmOther")
    ).one()
    assert follow.state == "made-in-wecom-admin" and follow.channel_kind is None


def test_del_follow_user_marks_the_relation_lost(
    client: TestClient, session: Session, connected: Connected
) -> None:
    fake = connected.fake
    fake.push(client.post, _url(connected), fake.add_contact("lin", "wmC", "小C"))
    fake.push(client.post, _url(connected), fake.delete_follow("lin", "wmC"))
    session.expire_all()
    follow = session.scalars(select(WecomFollow).where(WecomFollow.external_userid == "wmC")).one()
    assert follow.status == "lost" and follow.lost_at is not None
    assert customers.customer_by_identity(session, connected.workspace_id, "wecom", "wmC")


def test_group_events_are_hints_and_unknown_events_are_ignored(
    client: TestClient, session: Session, connected: Connected
) -> None:
    fake, ws = connected.fake, connected.workspace_id
    fake.push(client.post, _url(connected), fake.add_contact("lin", "wmD", "小D"))
    fake.chats["wrChat1"].members["wmD"] = {
        "userid": "wmD",
        "type": 2,
        "join_time": 1,
        "join_scene": 3,
    }
    update = {
        "Event": "change_external_chat",
        "ChatId": "wrChat1",
        "ChangeType": "update",
        "UpdateDetail": "add_member",
        "JoinScene": "3",
        "MemChangeCnt": "1",
    }
    fake.push(client.post, _url(connected), update)
    group = community.groups_by_ref(session, ws, ["wrChat1"])["wrChat1"]
    session.refresh(group)
    assert group.member_count == 3
    fake.push(
        client.post,
        _url(connected),
        {"Event": "change_external_chat", "ChatId": "wrChat1", "ChangeType": "dismiss"},
    )
    session.refresh(group)
    assert group.status == "dismissed"
    fake.push(client.post, _url(connected), {"Event": "something_new", "ChangeType": "x"})
    statuses = dict(
        session.execute(select(WecomCallbackEvent.event, WecomCallbackEvent.status)).all()
    )
    assert statuses["something_new"] == "ignored"


def test_a_handled_event_survives_45009(
    client: TestClient, session: Session, connected: Connected
) -> None:
    fake = connected.fake
    fake.fail_next("externalcontact/get", 45009)
    fake.push(client.post, _url(connected), fake.add_contact("zhou", "wmE", "小E"))
    assert customers.customer_by_identity(session, connected.workspace_id, "wecom", "wmE")
