"""The console's points pages: items, the redemption queue with bulk shipping, adjustments, the
ledger, gifts, the report and the panel on a fan's page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.loyalty import earn_rules, mall
from siyu.loyalty import tiers as loyalty_tiers
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories
from tests.factories import ACTOR

from . import helpers as h


def test_items_queue_bulk_ship_and_report(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    made = client.post(
        "/loyalty/items",
        data={
            "csrf_token": csrf,
            "name": "兰蔻小黑瓶",
            "shelf": "aspirational",
            "points_price": "500",
            "stock": "3",
            "cost": "120.50",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = client.get("/loyalty/items")
    assert "兰蔻小黑瓶" in page.text and "大牌正装" in page.text
    item = mall.list_items(session, workspace.id)[0]
    assert item.cost_fen == 12_050
    fan = h.rich_fan(session, workspace.id, "lulu", 2_000)
    first, _ = mall.redeem(session, workspace.id, fan, item.id, 1, "a", ACTOR, address="上海")
    second, _ = mall.redeem(session, workspace.id, fan, item.id, 1, "b", ACTOR, address="上海")
    session.commit()
    queue = client.get("/loyalty/redemptions")
    assert queue.status_code == 200 and f'href="/customers/{fan}"' in queue.text  # by name
    csv_text = f"兑换单号,快递,运单号\n{first.id},顺丰,SF100\n{second.id},中通\n99999,圆通,YT1\n"
    shipped = client.post(
        "/loyalty/redemptions/bulk-ship", data={"csrf_token": csrf, "text": csv_text}
    )
    assert (
        shipped.status_code == 422 and "已发货 1 单" in shipped.text and "第 3 行" in shipped.text
    )
    assert mall.get_redemption(session, workspace.id, first.id).state == "shipped"
    report = client.get("/loyalty")
    assert report.status_code == 200 and "积分报表" in report.text and "¥241.00" in report.text
    panel = client.get(f"/loyalty/customers/{fan}/panel")
    assert "可用积分" in panel.text and "1,000" in panel.text


def test_adjustment_ledger_and_gift_approval(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    fan = h.fan(session, workspace.id, "lulu")
    session.commit()
    adjusted = client.post(
        "/loyalty/adjustments",
        data={
            "csrf_token": csrf,
            "customer_id": str(fan),
            "points": "66",
            "reason": "直播抽奖",
            "key": "k1",
        },
        follow_redirects=False,
    )
    assert adjusted.status_code == 303
    ledger = client.get("/loyalty/ledger", params={"customer_id": fan})
    assert "直播抽奖" in ledger.text
    sent = client.post(
        "/loyalty/gifts",
        data={
            "csrf_token": csrf,
            "customer_id": str(fan),
            "description": "奶茶",
            "cost": "18",
            "reason": "生日",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "奶茶" in client.get("/loyalty/gifts").text
    refused = client.post(
        "/loyalty/adjustments", data={"customer_id": str(fan), "points": "1", "reason": "x"}
    )
    assert refused.status_code == 403


def test_customer_page_loads_the_points_panel(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace, Role.operator)
    fan = h.fan(session, workspace.id, "lulu")
    session.commit()
    assert f"/loyalty/customers/{fan}/panel" in client.get(f"/customers/{fan}").text


def test_tiers_rules_and_seasonal_window_in_the_console(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    tier = {
        "csrf_token": csrf,
        "code": "gold",
        "name": "金卡",
        "rank": "2",
        "min_points_12m": "800",
        "min_spend": "5000",
        "multiplier": "1.5",
    }
    assert client.post("/loyalty/tiers", data=tier, follow_redirects=False).status_code == 303
    saved = loyalty_tiers.get_tier(session, workspace.id, "gold")
    assert (saved.min_spend_fen_12m, saved.multiplier_permille) == (500_000, 1500)
    again = client.post("/loyalty/tiers", data=tier, follow_redirects=False)
    assert again.status_code == 409
    edited = client.post(
        "/loyalty/tiers/gold",
        data={**tier, "multiplier": "×2", "min_spend": ""},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    session.expire_all()
    saved = loyalty_tiers.get_tier(session, workspace.id, "gold")
    assert (saved.min_spend_fen_12m, saved.multiplier_permille) == (None, 2000)
    rule = {
        "csrf_token": csrf,
        "name": "双 11",
        "multiplier": "2",
        "platform": "douyin",
        "starts_at": "2026-11-11T00:00",
        "ends_at": "2026-11-12T00:00",
    }
    assert client.post("/loyalty/earn-rules", data=rule, follow_redirects=False).status_code == 303
    made = earn_rules.list_earn_rules(session, workspace.id)[0]
    assert made.multiplier_permille == 2000 and made.platform == "douyin"
    bad = client.post("/loyalty/earn-rules", data={**rule, "ends_at": "2026-11-10T00:00"})
    assert bad.status_code == 422
    off = client.post(f"/loyalty/earn-rules/{made.id}", data={**rule}, follow_redirects=False)
    assert off.status_code == 303
    page = client.get(f"/loyalty/rules?rule={made.id}")
    assert page.status_code == 200 and "金卡" in page.text and "2026-11-11T00:00" in page.text
    item = {
        "csrf_token": csrf,
        "name": "珊瑚绒拖鞋",
        "shelf": "seasonal",
        "points_price": "600",
        "stock": "5",
        "available_from": "2026-12-01T00:00",
        "available_until": "2026-11-01T00:00",
    }
    assert client.post("/loyalty/items", data=item).status_code == 422
    item["available_until"] = "2027-02-28T23:59"
    assert client.post("/loyalty/items", data=item, follow_redirects=False).status_code == 303
    shelf_item = mall.list_items(session, workspace.id, shelf="seasonal")[0]
    assert shelf_item.available_from is not None and shelf_item.available_until is not None
    assert "2027-02-28T23:59" in client.get(f"/loyalty/items/{shelf_item.id}").text
    operator = factories.sign_in(client, session, workspace, Role.operator)
    assert (
        client.post(
            "/loyalty/tiers", data={**tier, "csrf_token": operator, "code": "x"}
        ).status_code
        == 403
    )


def test_refused_forms_come_back_with_the_message_and_what_was_typed(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.operator)
    fan = h.fan(session, workspace.id, "lulu")
    session.commit()
    html = {"accept": "text/html"}
    item = client.post(
        "/loyalty/items",
        data={"csrf_token": csrf, "name": "保温杯", "points_price": "300", "cost": "abc"},
        headers=html,
    )
    assert item.status_code == 422, item.text
    assert "金额" in item.text
    assert 'value="保温杯"' in item.text and 'value="abc"' in item.text
    assert mall.list_items(session, workspace.id) == []

    gift = client.post(
        "/loyalty/gifts",
        data={"csrf_token": csrf, "customer_id": "99999999", "reason": "生日", "cost": "5"},
        headers=html,
    )
    assert gift.status_code == 422 and 'class="alert error"' in gift.text
    assert 'value="99999999"' in gift.text and 'value="生日"' in gift.text

    adjusted = client.post(
        "/loyalty/adjustments",
        data={"csrf_token": csrf, "customer_id": str(fan), "points": "-999999", "reason": "x"},
        headers=html,
    )
    assert 400 <= adjusted.status_code < 500, adjusted.text
    assert 'class="alert error"' in adjusted.text and 'value="-999999"' in adjusted.text


def test_bulk_shipping_that_ships_every_line_redirects(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.operator)
    item = mall.create_item(
        session, workspace.id, {"name": "杯子", "shelf": "essentials", "points_price": 10,
                                "stock": 5}, ACTOR)  # fmt: skip
    fan = h.rich_fan(session, workspace.id, "lulu", 100)
    redemption, _ = mall.redeem(session, workspace.id, fan, item.id, 1, "a", ACTOR, address="x")
    session.commit()
    shipped = client.post(
        "/loyalty/redemptions/bulk-ship",
        data={"csrf_token": csrf, "text": f"{redemption.id},顺丰,SF1\n"},
        follow_redirects=False,
    )
    assert shipped.status_code == 303 and "shipped=1" in shipped.headers["location"]
    assert "已发货 1 单" in client.get(shipped.headers["location"]).text


def test_refused_tier_and_rule_forms_come_back_filled(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    tier = client.post(
        "/loyalty/tiers",
        data={"csrf_token": csrf, "code": "vip", "name": "金卡", "rank": "1", "multiplier": "abc"},
    )
    assert tier.status_code == 422 and 'class="alert error"' in tier.text
    assert 'value="金卡"' in tier.text and 'value="abc"' in tier.text
    rule = client.post(
        "/loyalty/earn-rules",
        data={"csrf_token": csrf, "name": "双十一", "multiplier": "2", "starts_at": "明天"},
    )
    assert rule.status_code == 422 and 'value="双十一"' in rule.text and 'value="明天"' in rule.text
    assert 'value="金卡"' not in rule.text  # the other form stays blank
