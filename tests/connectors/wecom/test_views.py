"""Console pages and the chat sidebar, in Chinese and English."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom.connection import client_for, connection_of
from siyu.connectors.wecom.models import WecomContactWay
from siyu.connectors.wecom.sync import sync_all
from siyu.customers import service as customers
from siyu.kit.clock import utcnow
from siyu.kit.web import LOCALE_COOKIE
from siyu.orders.schemas import OrderIn
from siyu.orders.service import record_orders
from siyu.workspace.models import Role, Workspace
from tests import factories
from tests.connectors.wecom.conftest import API_BASE, Connected


def _admin(client: TestClient, session: Session, workspace: Workspace, name: str = "") -> int:
    operator = factories.make_operator(session, workspace, Role.admin)
    if name:
        operator.display_name = name
    session.commit()
    factories.login(client, operator.email)
    return operator.id


def test_settings_connect_test_and_health(
    client: TestClient, session: Session, workspace: Workspace, fake
) -> None:  # type: ignore[no-untyped-def]
    _admin(client, session, workspace)
    page = client.get("/settings/wecom")
    assert page.status_code == 200 and f"/wecom/callback/{workspace.slug}" in page.text
    csrf = factories.csrf_of(client, "/settings/wecom")
    form = {
        "csrf_token": csrf,
        "corp_id": fake.corp_id,
        "agent_id": "1000002",
        "secret": fake.secret,
        "callback_token": fake.crypto.token,
        "encoding_aes_key": "short",
        "api_base": API_BASE,
    }
    refused = client.post("/settings/wecom", data=form)
    assert refused.status_code == 422 and "EncodingAESKey" in refused.text
    form["encoding_aes_key"] = fake.crypto.encoding_aes_key
    saved = client.post("/settings/wecom", data=form, follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get("/settings/wecom").text
    assert fake.secret not in shown and fake.crypto.encoding_aes_key not in shown
    # Secrets left empty keep the saved ones.
    kept = client.post(
        "/settings/wecom",
        data=form | {"secret": "", "callback_token": "", "encoding_aes_key": ""},
        follow_redirects=False,
    )
    assert kept.status_code == 303
    tested = client.post("/settings/wecom/test", data={"csrf_token": csrf}, follow_redirects=True)
    assert tested.status_code == 200 and "2" in tested.text
    fake.fail_next("externalcontact/get_follow_user_list", 60020)
    failed = client.post("/settings/wecom/test", data={"csrf_token": csrf}, follow_redirects=True)
    assert "60020" in failed.text
    health = client.get("/settings/wecom/health")
    assert health.status_code == 200 and "60020" in health.text
    assert "连接器状态" in health.text  # Chinese by default
    client.cookies.set(LOCALE_COOKIE, "en")
    assert "Connector health" in client.get("/settings/wecom/health").text


def test_live_codes_page_creates_a_code_and_reports(
    client: TestClient, session: Session, connected: Connected
) -> None:
    ws = connected.workspace_id
    sync_all(session, ws, client_for(session, ws))
    session.commit()
    _admin(client, session, connected.workspace)
    csrf = factories.csrf_of(client, "/wecom/live-codes")
    bad = client.post(
        "/wecom/live-codes",
        data={"csrf_token": csrf, "channel_kind": "nowhere", "channel_ref": "x"},
    )
    assert bad.status_code == 422
    made = client.post(
        "/wecom/live-codes",
        data={
            "csrf_token": csrf,
            "name": "包裹卡12月",
            "channel_kind": "parcel_card",
            "channel_ref": "pc-12",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    way = session.scalars(select(WecomContactWay)).one()
    fields = connected.fake.add_contact("lin", "wmP", "包裹粉", state=way.state)
    connected.fake.push(client.post, f"/wecom/callback/{connected.workspace.slug}", fields)
    page = client.get("/wecom/live-codes")
    assert page.status_code == 200 and "包裹卡12月" in page.text
    qr = client.get(f"/wecom/live-codes/{way.id}/qr.png")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    assert client.get("/wecom/live-codes/999999/qr.png").status_code == 404


def test_sidebar_signs_in_by_oauth_and_shows_the_fan(
    client: TestClient, session: Session, connected: Connected
) -> None:
    ws, fake, slug = connected.workspace_id, connected.fake, connected.workspace.slug
    _admin(client, session, connected.workspace, name="林小鹿")
    client.cookies.clear()
    sync_all(session, ws, client_for(session, ws))
    fan = customers.customer_by_identity(session, ws, "wecom", "wmA")
    assert fan is not None and connection_of(session, ws) is not None
    order = OrderIn(
        platform="taobao",
        order_no="TB-1",
        buyer_id="tb-xiaomei",
        phone="13800001111",
        status="paid",
        paid_at=utcnow() - timedelta(days=30),
        paid_amount_fen=12_900,
    )
    record_orders(session, ws, [order], factories.ACTOR)
    session.commit()
    assert client.get(f"/wecom/sidebar?workspace={slug}&external_userid=wmA").status_code == 401
    code = fake.issue_oauth_code("lin")
    opened = client.get(f"/wecom/sidebar?workspace={slug}&code={code}&external_userid=wmA")
    assert opened.status_code == 200 and "¥129" in opened.text
    page = client.get(f"/wecom/sidebar?workspace={slug}&external_userid=wmA")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    vip = customers.ensure_tag(session, ws, "客户等级", "VIP", factories.ACTOR)
    session.commit()
    tagged = client.post(
        "/wecom/sidebar/tag",
        data={
            "csrf_token": csrf,
            "workspace": slug,
            "external_userid": "wmA",
            "tag_id": str(vip.id),
        },
    )
    assert tagged.status_code == 200
    assert any(tag.name == "VIP" for _, tag in customers.tags_of(session, ws, fan))
    vip_wecom = next(
        t["id"] for g in fake.tag_groups.values() for t in g["tag"] if t["name"] == "VIP"
    )
    assert vip_wecom in fake.contacts["wmA"].follows["lin"].tags
    forged = client.post(
        "/wecom/sidebar/note",
        data={"csrf_token": "x", "workspace": slug, "external_userid": "wmA", "body": "hi"},
    )
    assert forged.status_code == 403
    noted = client.post(
        "/wecom/sidebar/note",
        data={"csrf_token": csrf, "workspace": slug, "external_userid": "wmA", "body": "喜欢粉色"},
    )
    assert noted.status_code == 200 and "喜欢粉色" in noted.text
    assert (
        client.get(f"/wecom/sidebar?workspace={slug}&external_userid=wmNobody").status_code == 404
    )


def test_sidebar_opened_outside_wecom(client: TestClient) -> None:
    page = client.get("/wecom/sidebar")
    assert page.status_code == 200 and "请从企业微信中打开此页面" in page.text
    assert client.get("/wecom/sidebar?workspace=nobody&external_userid=x").status_code == 404
