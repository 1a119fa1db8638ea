"""The fan's points pages on a phone: balance, converting an order, the mall, redeeming."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.customers.fan_links import sign_fan_link
from siyu.loyalty import service
from siyu.workspace.models import Workspace

from . import helpers as h


def _as_fan(client: TestClient, workspace: Workspace, customer_id: int) -> None:
    opened = client.get(
        "/h5/open", params={"t": sign_fan_link(workspace.id, customer_id)}, follow_redirects=False
    )
    assert opened.status_code == 303


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found
    return found.group(1)


def test_fan_converts_an_order_and_redeems_a_gift(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    order = h.order(session, workspace.id, "小鹿", paid_fen=39_900)
    me = order.customer_id
    assert me is not None
    gift = h.item(
        session, workspace.id, name="珊瑚绒拖鞋", shelf="seasonal", points_price=300, stock=5
    )
    session.commit()
    _as_fan(client, workspace, me)
    home = client.get("/h5/points")
    assert home.status_code == 200 and "我的积分" in home.text
    form = client.get("/h5/points/convert")
    token = _csrf(form.text)
    refused = client.post(
        "/h5/points/convert", data={"platform": "taobao", "order_no": order.order_no}
    )
    assert refused.status_code == 403
    done = client.post(
        "/h5/points/convert",
        data={"platform": "taobao", "order_no": order.order_no, "csrf_token": token},
    )
    assert done.status_code == 200 and "399" in done.text
    again = client.post(
        "/h5/points/convert",
        data={"platform": "taobao", "order_no": order.order_no, "csrf_token": token},
    )
    assert again.status_code == 409 and "已经" in again.text
    mall = client.get("/h5/points/mall", params={"shelf": "seasonal"})
    assert "珊瑚绒拖鞋" in mall.text
    page = client.get(f"/h5/points/mall/{gift.id}")
    key = re.search(r'name="key" value="(\w+)"', page.text)
    assert key
    redeemed = client.post(
        f"/h5/points/mall/{gift.id}/redeem",
        data={
            "quantity": "1",
            "name": "小鹿",
            "phone": "138 0000 1111",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "address": "文三路 90 号",
            "key": key.group(1),
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert redeemed.status_code == 303, redeemed.text
    mine = client.get(redeemed.headers["location"])
    assert "珊瑚绒拖鞋" in mine.text and "待发货" in mine.text
    assert service.summary(session, workspace.id, me).balance == 99
    poor = client.post(
        f"/h5/points/mall/{gift.id}/redeem",
        data={
            "quantity": "1",
            **{"name": "小鹿", "phone": "13800001111", "address": "杭州"},
            **{"key": "other", "csrf_token": token},
        },
    )
    assert poor.status_code == 409 and "积分不足" in poor.text


def test_points_pages_need_a_fan_session(client: TestClient) -> None:
    assert client.get("/h5/points", follow_redirects=False).status_code == 303


def test_my_page_links_the_points_cards_with_the_balance(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    me = h.rich_fan(session, workspace.id, "小鹿", 1_234)
    session.commit()
    _as_fan(client, workspace, me)
    page = client.get("/h5/me").text
    assert 'href="/h5/points"' in page and 'href="/h5/points/mall"' in page
    assert "1,234" in page
    assert page.count("Opening soon") + page.count("即将开放") == 0  # every card opens a page
    assert 'href="/h5/coupons"' in page and 'href="/h5/groups"' in page
