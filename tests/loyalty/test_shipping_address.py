"""A redemption's shipping address: a recipient (name, phone, address, province/city/district)
or the older single text, stored encrypted, masked in the shipping queue, revealed by an
audited action; the fan page collects the same fields."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.fan_links import sign_fan_link
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty.models import Redemption
from siyu.workspace.models import AuditEntry, Workspace
from siyu.workspace.roles import Role
from tests import factories

from . import helpers as h

RECIPIENT = {
    "name": "王芳",
    "phone": "138-0013-8000",
    "address": "文三路 90 号",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
}


def _redeem(api: TestClient, session: Session, workspace: Workspace, address: object) -> dict:
    fan = h.rich_fan(session, workspace.id, "xiaolu", 1_000)
    gift = h.item(session, workspace.id)
    session.commit()
    body = {"customer_id": fan, "item_id": gift.id, "idempotency_key": "k", "address": address}
    return {"response": api.post("/api/v1/mall/redemptions", json=body), "body": body}


def _stored(session: Session) -> Redemption:
    session.expire_all()
    redemption = session.scalars(select(Redemption)).one()
    return redemption


def test_a_recipient_is_stored_encrypted_and_masked(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    sent = _redeem(api, session, workspace, RECIPIENT)

    assert sent["response"].status_code == 201, sent["response"].text
    assert sent["response"].json()["has_address"]
    redemption = _stored(session)
    assert redemption.address_enc is not None and "王芳".encode() not in redemption.address_enc
    assert b"13800138000" not in redemption.address_enc
    assert redemption.address_masked == "王* 138****8000 浙江省杭州市西湖区"
    clear = loyalty_mall.redemption_address(session, redemption, h.ACTOR, reason="ship")
    assert clear == "王芳 13800138000 浙江省杭州市西湖区 文三路 90 号"
    replay = api.post("/api/v1/mall/redemptions", json=sent["body"])
    assert replay.status_code == 200


def test_the_single_text_still_works(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    sent = _redeem(api, session, workspace, "上海市徐汇区漕溪北路 1 号 林小姐 13900001111")

    assert sent["response"].status_code == 201, sent["response"].text
    redemption = _stored(session)
    assert redemption.address_masked == "上海市徐汇区…"
    clear = loyalty_mall.redemption_address(session, redemption, h.ACTOR, reason="ship")
    assert clear == "上海市徐汇区漕溪北路 1 号 林小姐 13900001111"


@pytest.mark.parametrize(
    "address",
    [
        {**RECIPIENT, "phone": "call me"},
        {"name": "王芳", "address": "文三路"},
        {**RECIPIENT, "name": ""},
        {**RECIPIENT, "zip": "310000"},
        "x" * 301,
    ],
)
def test_a_bad_recipient_is_a_422(
    api: TestClient, session: Session, workspace: Workspace, address: object
) -> None:
    assert _redeem(api, session, workspace, address)["response"].status_code == 422


def test_the_queue_shows_the_masked_line_and_reveals_with_an_audit(
    client: TestClient, api: TestClient, session: Session, workspace: Workspace
) -> None:
    _redeem(api, session, workspace, RECIPIENT)
    operator = factories.make_operator(session, workspace, Role.operator)
    session.commit()
    factories.login(client, operator.email)
    csrf = factories.csrf_of(client, "/loyalty")
    redemption = _stored(session)

    queue = client.get("/loyalty/redemptions")
    shown = client.post(
        f"/loyalty/redemptions/{redemption.id}/address", headers={"X-CSRF-Token": csrf}
    )

    assert "王* 138****8000 浙江省杭州市西湖区" in queue.text and "文三路" not in queue.text
    assert shown.status_code == 200 and "文三路 90 号" in shown.text
    audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "pii.reveal")).all()
    assert [a.target_id for a in audits] == [str(redemption.id)]


def _fan_form(client: TestClient, session: Session, workspace: Workspace) -> tuple[int, str, str]:
    fan = h.rich_fan(session, workspace.id, "xiaolu", 1_000)
    gift = h.item(session, workspace.id)
    session.commit()
    opened = client.get("/h5/open", params={"t": sign_fan_link(workspace.id, fan)})
    assert opened.status_code == 200
    page = client.get(f"/h5/points/mall/{gift.id}")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert csrf
    assert 'name="phone" type="tel"' in page.text and "收货人" in page.text
    return gift.id, csrf.group(1), page.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请填写收货人姓名。"),
        ("phone", "一三八", "请填写收货人手机号（仅数字）。"),
        ("address", " ", "请填写详细地址。"),
    ],
)
def test_the_fan_form_says_what_is_missing_in_chinese(
    client: TestClient, session: Session, workspace: Workspace, field: str, value: str, message: str
) -> None:
    gift_id, csrf, _ = _fan_form(client, session, workspace)

    response = client.post(
        f"/h5/points/mall/{gift_id}/redeem",
        data={**RECIPIENT, field: value, "quantity": "1", "key": "k", "csrf_token": csrf},
    )

    assert response.status_code == 422
    assert message in response.text and 'value="文三路' not in response.text
    assert session.scalars(select(Redemption)).first() is None


def test_the_fan_form_redeems_with_a_recipient(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    gift_id, csrf, _ = _fan_form(client, session, workspace)

    response = client.post(
        f"/h5/points/mall/{gift_id}/redeem",
        data={**RECIPIENT, "quantity": "1", "key": "k", "csrf_token": csrf},
        follow_redirects=False,
    )

    assert response.status_code == 303, response.text
    assert _stored(session).address_masked == "王* 138****8000 浙江省杭州市西湖区"
