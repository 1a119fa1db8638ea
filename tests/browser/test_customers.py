"""Fans in a real Chromium: the list, a fan's 360 page with an audited reveal and a note, and the
fan's own "我的" page on a phone, opened from a link printed by ``siyu customer link``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD, DEMO_SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

SEED = """
from datetime import UTC, datetime, timedelta
from siyu.db import transaction
from siyu.customers.identities import FanKey
from siyu.customers.service import resolve_customers
from siyu.orders.schemas import ItemIn, OrderIn
from siyu.orders.service import record_orders
from siyu.workspace.audit import Actor
from siyu.workspace.service import get_workspace_by_slug

with transaction() as session:
    ws = get_workspace_by_slug(session, "%(slug)s")
    key = FanKey("douyin", "dy_browser_tangtang", "13700003333", nickname="糖糖爱逛直播间",
                 real_name="唐甜", region="杭州")
    (fan,) = resolve_customers(session, ws.id, [key]).customer_ids
    paid = datetime.now(UTC) - timedelta(days=9)
    record_orders(session, ws.id, [OrderIn(
        platform="douyin", order_no="6930000000000000001", buyer_id="dy_browser_tangtang",
        status="completed", paid_at=paid, paid_amount_fen=25900,
        items=[ItemIn(title="保湿面霜 50g", quantity=1, unit_price_fen=25900)])],
        Actor("system", label="browser test"))
    print(fan)
"""


def _run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def fan(server: str, server_env: dict[str, str]) -> tuple[str, dict[str, str]]:
    return _run(server_env, "-c", SEED % {"slug": DEMO_SLUG}), server_env


def _sign_in(page, server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")


def test_list_and_a_fan_s_360_page(server: str, page, fan) -> None:  # type: ignore[no-untyped-def]
    fan_id, _env = fan
    _sign_in(page, server, DEMO_OPERATORS[2][0])  # an operator
    page.click("nav .nav-item:has-text('粉丝')")
    page.wait_for_url(f"{server}/customers")
    assert page.locator(".topbar h1").inner_text() == "粉丝"
    screenshot(page, "customers-list-zh")

    page.fill("input[name=q]", "糖糖爱逛")
    page.click(".fan-search button.primary")
    page.click(f"a[href='/customers/{fan_id}']")
    page.wait_for_url(f"{server}/customers/{fan_id}")
    assert "137****3333" in page.locator("#pii").inner_text()
    assert "13700003333" not in page.content()
    assert "保湿面霜" in page.locator("#orders").inner_text()

    page.click("#pii button")  # HTMX swaps the audited clear values in place
    page.locator(".pii.revealed").wait_for()
    assert "13700003333" in page.locator("#pii").inner_text()

    page.fill("textarea[name=body]", "喜欢保湿款，周五晚上的直播一般都在")
    page.click("#notes button.primary")
    page.wait_for_url(f"{server}/customers/{fan_id}#notes")
    assert "周五晚上的直播" in page.locator(".notes").inner_text()
    page.evaluate("window.scrollTo(0, 0)")  # sticky bars would land mid-shot otherwise
    screenshot(page, "customer-360-zh")


def test_the_fan_s_own_page_on_a_phone(server: str, browser, fan) -> None:  # type: ignore[no-untyped-def]
    fan_id, env = fan
    url = _run(
        env, "-m", "siyu.cli", "customer", "link", fan_id, "--workspace", DEMO_SLUG,
        "--base-url", server,
    )  # fmt: skip
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        phone = context.new_page()
        phone.goto(url)
        phone.wait_for_url(f"{server}/h5/me")
        assert "糖糖爱逛直播间，你好呀" in phone.locator(".fan-hello").inner_text()
        assert "137****3333" in phone.content() and "13700003333" not in phone.content()
        screenshot(phone, "h5-me-390")
    finally:
        context.close()
