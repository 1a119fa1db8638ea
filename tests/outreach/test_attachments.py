"""Broadcast attachments: the API checks them strictly (and their words), WeCom receives them in
its documented format (images uploaded as temporary media first, a coupon link made per fan in
a task per fan), the landing counts each fan's opens once per fan and sends the fan on, a bad
token answers a 404 page, and the console form shows its refusals."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom.fake import FakeWecom
from siyu.outreach import attachments, service
from siyu.outreach.models import BroadcastMember, OutreachTask
from siyu.workspace.models import Role, Workspace
from tests import factories
from tests.coupons import make_campaign
from tests.factories import ACTOR
from tests.loyalty.helpers import item as make_item
from tests.outreach.helpers import connected_fans, everyone, fake_corp, make_fans

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(48))
PNG64 = base64.b64encode(PNG).decode()
GIF64 = base64.b64encode(b"GIF89a" + bytes(16)).decode()
LANDING = re.compile(r"/h5/o/([A-Za-z0-9_.\-]+)")


def _body(segment: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": "周末回馈",
        "segment_id": segment,
        "channel": "operator_task",
        "text": "周末回馈活动开始了",
        **extra,
    }


def _plan(
    session: Session,
    workspace_id: int,
    segment: int,
    attachment: dict[str, Any],
    *,
    channel: str = "operator_task",
    text: str = "周末回馈活动开始了",
) -> int:
    created = service.create_broadcast(
        session,
        workspace_id,
        name=text[:10],
        segment_id=segment,
        channel=channel,
        text=text,
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
        attachment=attachment,
    )
    service.request_send(session, workspace_id, created.broadcast.id, ACTOR)
    service.send_broadcast(session, workspace_id, created.broadcast.id)
    return created.broadcast.id


def test_the_api_checks_attachments_strictly(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    make_fans(session, workspace.id, 3)
    segment = everyone(session, workspace.id)
    campaign = make_campaign(session, workspace.id)
    other = factories.make_workspace(session)
    foreign = make_campaign(session, other.id)
    session.commit()
    refused = [
        {"type": "video", "title": "x"},
        {"type": "link", "title": "直播预告"},
        {"type": "link", "title": "直播预告", "url": "ftp://example.com/a"},
        {"type": "link", "title": "直播预告", "url": "https://example.com", "color": "red"},
        {"type": "coupon"},
        {"type": "mall_item", "item_id": "x"},
        {"type": "image", "image_base64": "not base64 at all!"},
        {"type": "image", "image_base64": GIF64},
        {
            "type": "miniprogram",
            "title": "小程序",
            "appid": "bad",
            "page": "p",
            "cover_base64": PNG64,
        },
        {"type": "miniprogram", "title": "小程序", "appid": "wx8bd80126147dfa3c", "page": "p"},
    ]
    for attachment in refused:
        answer = api.post("/api/v1/broadcasts", json=_body(segment, attachment=attachment))
        assert answer.status_code == 422, (attachment, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    alien = api.post(
        "/api/v1/broadcasts",
        json=_body(segment, attachment={"type": "coupon", "campaign_id": foreign.id}),
    )
    assert alien.status_code == 404
    missing_item = api.post(
        "/api/v1/broadcasts",
        json=_body(segment, attachment={"type": "mall_item", "item_id": 999999}),
    )
    assert missing_item.status_code == 404
    moments_card = _body(
        segment,
        channel="moments",
        attachment={
            "type": "miniprogram",
            "title": "小程序",
            "appid": "wx8bd80126147dfa3c",
            "page": "pages/index.html",
            "cover_base64": PNG64,
        },
    )
    assert api.post("/api/v1/broadcasts", json=moments_card).status_code == 422
    banned = api.post(
        "/api/v1/broadcasts",
        json=_body(
            segment, attachment={"type": "coupon", "campaign_id": campaign.id, "title": "亲亲专享"}
        ),
    )
    assert banned.status_code == 422
    assert "亲亲" in {f["term"] for f in banned.json()["findings"]}

    plain = api.post("/api/v1/broadcasts", json=_body(segment))
    assert plain.status_code == 201
    assert api.get(f"/api/v1/broadcasts/{plain.json()['id']}").json()["attachment"] is None
    created = api.post(
        "/api/v1/broadcasts",
        json=_body(
            segment,
            text="本周回馈券已备好",
            attachment={"type": "coupon", "campaign_id": campaign.id, "description": "今晚可用"},
        ),
    )
    assert created.status_code == 201, created.text
    shown = api.get(f"/api/v1/broadcasts/{created.json()['id']}").json()
    assert shown["attachment"] == {
        "type": "coupon",
        "campaign_id": campaign.id,
        "title": campaign.name,
        "description": "今晚可用",
        "cover_url": None,
    }
    assert shown["clicks"] == 0 and shown["clicked_fans"] == 0


def test_the_landing_counts_once_per_fan_and_sends_the_fan_on(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    make_fans(session, workspace.id, 3)
    factories.make_operator(session, workspace)
    segment = everyone(session, workspace.id)
    campaign = make_campaign(session, workspace.id)
    broadcast_id = _plan(
        session, workspace.id, segment, {"type": "coupon", "campaign_id": campaign.id}
    )
    texts = session.scalars(
        select(OutreachTask.text).where(OutreachTask.broadcast_id == broadcast_id)
    ).all()
    session.commit()
    tokens = [LANDING.findall(text)[0] for text in texts]
    assert len(set(tokens)) == 3  # one link per fan

    first = api.get(f"/h5/o/{tokens[0]}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"/h5/coupons/{campaign.id}"
    assert "siyu_fan" in first.headers.get("set-cookie", "")
    assert api.get(first.headers["location"]).status_code == 200  # signed in as the fan
    api.cookies.clear()
    assert api.get(f"/h5/o/{tokens[0]}", follow_redirects=False).status_code == 303
    assert api.get(f"/h5/o/{tokens[1]}", follow_redirects=False).status_code == 303
    shown = api.get(f"/api/v1/broadcasts/{broadcast_id}").json()
    assert (shown["clicks"], shown["clicked_fans"]) == (3, 2)

    forged = URLSafeTimedSerializer("not-our-key", salt=attachments.LINK_SALT).dumps(
        {"w": workspace.id, "b": broadcast_id, "c": 1}
    )
    no_such_broadcast = attachments.link_token(workspace.id, 999999, None)
    for bad in ("nonsense", tokens[2][:-3] + "abc", forged, no_such_broadcast):
        page = api.get(f"/h5/o/{bad}", headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 404
        assert "text/html" in page.headers["content-type"]
    shown = api.get(f"/api/v1/broadcasts/{broadcast_id}").json()
    assert (shown["clicks"], shown["clicked_fans"]) == (3, 2)


def test_a_mall_item_link_lands_on_the_item(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    make_fans(session, workspace.id, 1)
    factories.make_operator(session, workspace)
    segment = everyone(session, workspace.id)
    item = make_item(session, workspace.id)
    broadcast_id = _plan(session, workspace.id, segment, {"type": "mall_item", "item_id": item.id})
    text = session.scalar(
        select(OutreachTask.text).where(OutreachTask.broadcast_id == broadcast_id)
    )
    session.commit()
    assert text is not None
    landed = api.get(f"/h5/o/{LANDING.findall(text)[0]}", follow_redirects=False)
    assert landed.headers["location"] == f"/h5/points/mall/{item.id}"


# --- through the fake WeCom -----------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with fake_corp() as corp_fake:
        yield corp_fake


@pytest.fixture
def wecom_fans(session: Session, workspace: Workspace, fake: FakeWecom) -> dict[str, int]:
    return connected_fans(session, workspace, fake)


def _templates_since(fake: FakeWecom, before: set[str]) -> list[dict[str, Any]]:
    return [t for msgid, t in fake.templates.items() if msgid not in before]


def test_wecom_receives_images_and_cards_as_uploaded_media(
    session: Session, workspace: Workspace, fake: FakeWecom, wecom_fans: dict[str, int]
) -> None:
    segment = everyone(session, workspace.id)
    before = set(fake.templates)
    _plan(
        session,
        workspace.id,
        segment,
        {"type": "image", "image_base64": PNG64},
        channel="wecom_single",
        text="新品上架，看图",
    )
    assert "media/upload" in fake.calls
    templates = _templates_since(fake, before)
    assert {t["sender"] for t in templates} == {"lin", "zhou"}
    for template in templates:
        (image,) = template["attachments"]
        assert image["msgtype"] == "image"
        assert fake.media[image["image"]["media_id"]] == PNG

    before = set(fake.templates)
    card = {
        "type": "miniprogram",
        "title": "小鹿商城",
        "appid": "wx8bd80126147dfa3c",
        "page": "pages/index/index.html",
        "cover_base64": PNG64,
    }
    _plan(session, workspace.id, segment, card, channel="wecom_single", text="商城小程序上新")
    for template in _templates_since(fake, before):
        (program,) = template["attachments"]
        assert program["msgtype"] == "miniprogram"
        assert program["miniprogram"]["appid"] == "wx8bd80126147dfa3c"
        assert program["miniprogram"]["page"] == "pages/index/index.html"
        assert fake.media[program["miniprogram"]["pic_media_id"]] == PNG


def test_a_coupon_goes_to_each_fan_in_a_task_of_its_own(
    session: Session, workspace: Workspace, fake: FakeWecom, wecom_fans: dict[str, int]
) -> None:
    segment = everyone(session, workspace.id)
    campaign = make_campaign(session, workspace.id)
    before = set(fake.templates)
    broadcast_id = _plan(
        session,
        workspace.id,
        segment,
        {
            "type": "coupon",
            "campaign_id": campaign.id,
            "cover_url": "https://img.example.com/c.png",
        },
        channel="wecom_single",
        text="专属回馈券已备好",
    )
    templates = _templates_since(fake, before)
    assert sorted(t["external_userid"][0] for t in templates) == ["wmA", "wmB", "wmC"]
    links = [t["attachments"][0] for t in templates]
    assert all(link["msgtype"] == "link" for link in links)
    assert all(link["link"]["picurl"] == "https://img.example.com/c.png" for link in links)
    urls = {link["link"]["url"] for link in links}
    assert len(urls) == 3 and all(LANDING.search(url) for url in urls)
    kept = dict(
        session.execute(
            select(BroadcastMember.customer_id, BroadcastMember.message_id).where(
                BroadcastMember.broadcast_id == broadcast_id
            )
        ).all()
    )
    assert set(kept.values()) == {t["msgid"] for t in templates}

    fake.confirm_template(kept[wecom_fans["wmB"]])
    service.follow_up(session, workspace.id, broadcast_id)
    statuses = dict(
        session.execute(
            select(BroadcastMember.customer_id, BroadcastMember.status).where(
                BroadcastMember.broadcast_id == broadcast_id
            )
        ).all()
    )
    assert statuses[wecom_fans["wmB"]] == "sent"
    assert statuses[wecom_fans["wmA"]] == "planned"


def test_moments_share_one_counted_link(
    session: Session, workspace: Workspace, fake: FakeWecom, wecom_fans: dict[str, int]
) -> None:
    segment = everyone(session, workspace.id)
    link = {
        "type": "link",
        "title": "直播预告",
        "url": "https://live.example.com/12",
        "description": "今晚八点",
    }
    _plan(session, workspace.id, segment, link, channel="moments", text="今晚八点直播预告")
    bodies = list(fake.moments.values())
    assert bodies
    urls = {body["attachments"][0]["link"]["url"] for body in bodies}
    assert len(urls) == 1 and LANDING.search(urls.pop())
    assert bodies[0]["attachments"][0]["link"]["desc"] == "今晚八点"


# --- the console ------------------------------------------------------------------------------


def test_the_console_form_takes_an_attachment(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    make_fans(session, workspace.id, 4)
    segment = everyone(session, workspace.id)
    campaign = make_campaign(session, workspace.id, name="周末回馈券")
    session.commit()
    html = {"Accept": "text/html"}
    page = client.get("/outreach/broadcasts/new", headers=html)
    assert page.status_code == 200 and "attachment_type" in page.text and "周末回馈券" in page.text
    form = {
        "csrf_token": csrf,
        "name": "周末回馈",
        "segment_id": str(segment),
        "channel": "operator_task",
        "text": "周末回馈活动开始了",
        "holdout_percent": "0",
    }
    no_url = client.post(
        "/outreach/broadcasts",
        data=form | {"attachment_type": "link", "attachment_title": "直播预告"},
        headers=html,
    )
    assert no_url.status_code == 422
    assert "text/html" in no_url.headers["content-type"]
    assert 'value="直播预告"' in no_url.text  # the form comes back filled
    gif = client.post(
        "/outreach/broadcasts",
        data=form | {"attachment_type": "image"},
        files={"attachment_image": ("a.gif", base64.b64decode(GIF64), "image/gif")},
        headers=html,
    )
    assert gif.status_code == 422
    image = client.post(
        "/outreach/broadcasts",
        data=form | {"attachment_type": "image", "text": "新品图片来了"},
        files={"attachment_image": ("a.png", PNG, "image/png")},
        headers=html,
        follow_redirects=False,
    )
    assert image.status_code == 303, image.text
    detail = client.get(image.headers["location"], headers=html)
    media = re.search(r'src="(/outreach/media/\d+)"', detail.text)
    assert media is not None
    assert client.get(media.group(1)).content == PNG

    created = client.post(
        "/outreach/broadcasts",
        data=form
        | {
            "text": "回馈券今晚可用",
            "attachment_type": "coupon",
            "attachment_campaign_id": str(campaign.id),
        },
        headers=html,
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    shown = client.get(created.headers["location"], headers=html)
    assert "attachment-preview" in shown.text and "周末回馈券" in shown.text
    assert 'id="clicks"' in shown.text


@pytest.mark.parametrize("role", [Role.owner, Role.admin, Role.operator, Role.analyst])
def test_every_role_sees_the_attachment(
    client: TestClient, session: Session, workspace: Workspace, role: Role
) -> None:
    make_fans(session, workspace.id, 2)
    segment = everyone(session, workspace.id)
    created = service.create_broadcast(
        session,
        workspace.id,
        name="图片群发",
        segment_id=segment,
        channel="operator_task",
        text="看看新品",
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
        attachment={"type": "image", "image_base64": PNG64},
    )
    session.commit()
    factories.sign_in(client, session, workspace, role)
    page = client.get(
        f"/outreach/broadcasts/{created.broadcast.id}", headers={"Accept": "text/html"}
    )
    assert page.status_code == 200 and "attachment-preview" in page.text
    media_id = (created.broadcast.attachment or {})["media_id"]
    assert client.get(f"/outreach/media/{media_id}").status_code == 200
    assert client.get("/outreach/media/999999").status_code == 404
