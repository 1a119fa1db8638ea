"""Mall items that are coupons: redeeming one issues a claimed coupon to the fan (through the
coupons domain), and no virtual item ever lands in the shipping queue."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.coupons import service as coupons
from siyu.customers.fan_links import sign_fan_link
from siyu.kit.errors import Problem
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty import service
from siyu.workspace.models import Workspace
from tests.factories import ACTOR

from . import helpers as h


def _template(session: Session, workspace_id: int) -> int:
    draft = coupons.TemplateDraft(
        name="无门槛 10 元券", kind="no_threshold", discount_fen=1000, valid_days=30
    )
    return coupons.create_template(session, workspace_id, draft, ACTOR).id


def test_a_coupon_item_issues_a_claimed_coupon_and_ships_nothing(
    session: Session, workspace: Workspace
) -> None:
    template_id = _template(session, workspace.id)
    fan = h.rich_fan(session, workspace.id, "小鹿", 1000)
    item = h.item(session, workspace.id, name="10 元券", coupon_template_id=template_id, stock=5)
    assert item.virtual  # a coupon is handed over on the spot

    redemption, _ = loyalty_mall.redeem(session, workspace.id, fan, item.id, 2, "k-1", ACTOR)

    assert redemption.state == "delivered" and redemption.delivered_at is not None
    held = coupons.coupons_of(session, workspace.id, fan)
    assert [c.template.id for c in held] == [template_id, template_id]
    assert {c.claim.source for c in held} == {"points"}
    assert all(c.campaign.channel == "points" for c in held)
    assert held[0].claim.valid_until is not None
    queue, _ = loyalty_mall.list_redemptions(session, workspace.id, state="pending")
    assert queue == []
    assert service.summary(session, workspace.id, fan).balance == 800
    # A replay of the same request issues nothing more.
    loyalty_mall.redeem(session, workspace.id, fan, item.id, 2, "k-1", ACTOR)
    assert len(coupons.coupons_of(session, workspace.id, fan)) == 2


def test_a_virtual_item_without_a_coupon_is_not_shipped_either(
    session: Session, workspace: Workspace
) -> None:
    fan = h.rich_fan(session, workspace.id, "阿圆", 500)
    item = h.item(session, workspace.id, name="直播间抽奖资格", virtual=True)
    redemption, _ = loyalty_mall.redeem(session, workspace.id, fan, item.id, 1, "k-2", ACTOR)
    assert redemption.state == "delivered"
    shipped_goods = h.item(session, workspace.id, name="珊瑚绒拖鞋")
    parcel, _ = loyalty_mall.redeem(
        session, workspace.id, fan, shipped_goods.id, 1, "k-3", ACTOR, address="上海市徐汇区"
    )
    queue, _ = loyalty_mall.list_redemptions(session, workspace.id, state="pending")
    assert [r.id for r in queue] == [parcel.id]


def test_an_unknown_coupon_template_is_refused(session: Session, workspace: Workspace) -> None:
    with pytest.raises(Problem) as refused:
        h.item(session, workspace.id, coupon_template_id=999_999)
    assert refused.value.slug == "coupon-template-unknown"


def test_a_refused_coupon_undoes_the_points_and_the_stock(
    session: Session, workspace: Workspace
) -> None:
    template_id = _template(session, workspace.id)
    fan = h.rich_fan(session, workspace.id, "北北", 100_000)
    item = h.item(session, workspace.id, coupon_template_id=template_id, stock=500)
    campaign = coupons.points_campaign(session, workspace.id, template_id)
    campaign.per_customer_limit = 1  # the fan may hold one coupon of this template
    loyalty_mall.redeem(session, workspace.id, fan, item.id, 1, "k-4", ACTOR)
    with pytest.raises(Problem) as refused:
        loyalty_mall.redeem(session, workspace.id, fan, item.id, 1, "k-5", ACTOR)
    assert refused.value.slug == "coupon-already-claimed"
    assert loyalty_mall.get_item(session, workspace.id, item.id).stock == 499
    assert service.summary(session, workspace.id, fan).balance == 100_000 - 100


def test_the_fan_redeems_a_coupon_in_the_mall_and_finds_it_in_my_coupons(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    template_id = _template(session, workspace.id)
    fan = h.rich_fan(session, workspace.id, "糖糖", 1000)
    item = h.item(session, workspace.id, name="10 元券", coupon_template_id=template_id)
    session.commit()
    client.get("/h5/open", params={"t": sign_fan_link(workspace.id, fan)})
    page = client.get(f"/h5/points/mall/{item.id}")
    assert 'name="address"' not in page.text  # nothing to ship, no address asked
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text)
    assert token and key
    done = client.post(
        f"/h5/points/mall/{item.id}/redeem",
        data={"quantity": "1", "csrf_token": token.group(1), "key": key.group(1)},
    )
    assert done.status_code == 200 and "优惠券已放进" in done.text
    mine = client.get("/h5/coupons")
    assert "无门槛 10 元券" in mine.text


def test_the_console_item_form_offers_coupon_templates(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    from tests import factories

    _template(session, workspace.id)
    operator = factories.make_operator(session, workspace)
    session.commit()
    factories.login(client, operator.email)
    page = client.get("/loyalty/items")
    assert page.status_code == 200
    assert 'name="coupon_template_id"' in page.text and "无门槛 10 元券" in page.text
