"""Outreach in a real Chromium: an operator opens the demo's sent broadcast and sees its lift
chart drawn, plans a new broadcast whose blocked words are listed on the form, and marks a task
of today done."""

from __future__ import annotations

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_broadcast_lift_and_tasks(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[2][0])  # an operator
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/outreach")
    page.click("a:text-is('双十二预热')")
    page.wait_for_url(f"{server}/outreach/broadcasts/*")
    page.wait_for_selector("#lift-chart canvas")
    screenshot(page, "outreach-broadcast")

    page.goto(f"{server}/outreach/broadcasts/new")
    page.fill("input[name=name]", "浏览器测试")
    page.fill("textarea[name=text]", "亲亲，全网最低价")
    page.click("button.primary")
    assert "全网最低价" in page.locator(".or-findings").inner_text()

    page.goto(f"{server}/outreach/tasks")
    screenshot(page, "outreach-tasks")
    buttons = page.locator("button:has-text('标记完成')")
    if buttons.count():
        before = buttons.count()
        buttons.first.click()
        page.wait_for_url(f"{server}/outreach/tasks?notice=done")
        assert page.locator("button:has-text('标记完成')").count() == before - 1


def test_coupon_broadcast_card_and_attachment_fields(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[2][0])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/outreach")
    page.click("a:text-is('老粉回馈券')")
    page.wait_for_url(f"{server}/outreach/broadcasts/*")
    assert "老粉专属回馈券" in page.locator("#attachment-preview").inner_text()
    assert int(page.locator("#clicked-fans").inner_text().replace(",", "")) > 0
    screenshot(page, "outreach-coupon-broadcast")

    page.goto(f"{server}/outreach/broadcasts/new")
    assert not page.locator("select[name=attachment_campaign_id]").is_visible()
    page.select_option("#attachment-type", "coupon")
    assert page.locator("select[name=attachment_campaign_id]").is_visible()
    assert not page.locator("input[name=attachment_url]").is_visible()
    page.select_option("#attachment-type", "link")
    assert page.locator("input[name=attachment_url]").is_visible()
    screenshot(page, "outreach-broadcast-form")
