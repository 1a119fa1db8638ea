"""Points in a real Chromium: a fan on a phone opens their signed link, goes from "我的" to their
points, converts an order and redeems a gift with an address; an operator then finds the
redemption in the console's queue."""

from __future__ import annotations

import subprocess
import sys

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD, DEMO_SLUG
from tests.browser.conftest import ARTIFACTS, screenshot

pytestmark = pytest.mark.browser

ORDER_NO = "6930000000000000777"
SEED = """
from datetime import UTC, datetime, timedelta
from siyu.db import transaction
from siyu.customers.identities import FanKey
from siyu.customers.service import resolve_customers
from siyu.orders.schemas import OrderIn
from siyu.orders.service import record_orders
from siyu.workspace.audit import Actor
from siyu.workspace.service import get_workspace_by_slug

with transaction() as session:
    ws = get_workspace_by_slug(session, "%(slug)s")
    key = FanKey("douyin", "dy_browser_points", "13700007777", nickname="小满爱囤货")
    (fan,) = resolve_customers(session, ws.id, [key]).customer_ids
    record_orders(session, ws.id, [OrderIn(
        platform="douyin", order_no="%(order_no)s", buyer_id="dy_browser_points",
        status="completed", paid_at=datetime.now(UTC) - timedelta(days=6),
        paid_amount_fen=45900)], Actor("system", label="browser test"))
    print(fan)
"""


def _run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_fan_converts_and_redeems_on_a_phone_and_the_operator_sees_it(  # type: ignore[no-untyped-def]
    server: str, server_env: dict[str, str], browser, page
) -> None:
    fan_id = _run(server_env, "-c", SEED % {"slug": DEMO_SLUG, "order_no": ORDER_NO}).splitlines()[
        -1
    ]
    url = _run(
        server_env, "-m", "siyu.cli", "customer", "link", fan_id, "--workspace", DEMO_SLUG,
        "--base-url", server,
    )  # fmt: skip
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        phone = context.new_page()
        phone.goto(url)
        phone.wait_for_url(f"{server}/h5/me")
        assert "0 积分" in phone.locator("a[href='/h5/points']").inner_text()
        screenshot(phone, "h5-me-points-cards-390")
        phone.click("a[href='/h5/points']")
        phone.wait_for_url(f"{server}/h5/points")
        assert phone.locator("[data-testid=balance]").inner_text() == "0"

        phone.click("a[href='/h5/points/convert']")
        phone.select_option("select[name=platform]", "douyin")
        phone.fill("input[name=order_no]", ORDER_NO)
        phone.click("button[type=submit]")
        assert "459" in phone.locator(".pt-ok").inner_text()
        assert phone.locator("select[name=platform]").input_value() == "douyin"
        screenshot(phone, "h5-points-convert-390")

        phone.goto(f"{server}/h5/points")
        assert phone.locator("[data-testid=balance]").inner_text() == "459"
        screenshot(phone, "h5-points-home-390")

        phone.goto(f"{server}/h5/points/mall?shelf=essentials")
        screenshot(phone, "h5-points-mall-390")
        phone.click(".pt-item:has-text('纯棉洗脸巾')")
        phone.fill("[name=name]", "小满")
        phone.fill("[name=phone]", "13700007777")
        phone.fill("[name=province]", "浙江省")
        phone.fill("[name=city]", "杭州市")
        phone.fill("[name=district]", "西湖区")
        phone.fill("[name=address]", "文三路 90 号")
        screenshot(phone, "h5-points-item-390")
        phone.click("button[type=submit]")
        phone.wait_for_url(f"{server}/h5/points/redemptions*")
        assert "纯棉洗脸巾" in phone.content()
        screenshot(phone, "h5-points-redemptions-390")

        phone.goto(f"{server}/h5/points")
        assert phone.locator("[data-testid=balance]").inner_text() == "159"
    finally:
        context.close()

    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[2][0])  # an operator
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/loyalty/redemptions?state=pending")
    row = page.locator(f"tr:has(a[href='/customers/{fan_id}'])")
    assert row.count() == 1
    assert "纯棉洗脸巾" in row.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "loyalty-redemption-queue.png"))  # the top of the queue
