"""Fan groups in a real Chromium: the groups list with sparklines, a group page with its activity
chart, and the rule tester answering sample texts (including a traditional, full-width one)."""

from __future__ import annotations

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _log_in(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[0][0])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")


def test_groups_group_page_and_rule_tester(server: str, page) -> None:  # type: ignore[no-untyped-def]
    _log_in(page, server)

    page.goto(f"{server}/community")
    rows = page.locator("table.table tbody tr")
    assert rows.count() >= 20  # the demo has 72 groups, a page of them shows
    page.wait_for_selector(".spark canvas")  # ECharts drew the 14-day sparklines
    screenshot(page, "community-groups")

    first = page.locator("table.table tbody tr a").first
    name = first.inner_text()
    first.click()
    page.wait_for_url(f"{server}/community/groups/*")
    assert page.locator(".topbar h1").inner_text() == name
    page.wait_for_selector(".chart canvas")  # the activity chart
    assert page.locator("section.card h2", has_text="KOC").count() == 1
    screenshot(page, "community-group")

    page.goto(f"{server}/community/rules")
    page.fill("input[name=text]", "请问链接在哪里")
    page.click("form[hx-post='/community/rules/test'] button")
    result = page.locator("#test-result .test-result")
    result.wait_for()
    assert "链接在群公告置顶哦" in result.inner_text()
    screenshot(page, "community-rule-tester")

    # Full-width letters and traditional characters meet the keywords SKU and 面膜.
    page.fill("input[name=text]", "ＳＫＵ面膜還有嗎")
    page.click("form[hx-post='/community/rules/test'] button")
    page.locator("#test-result", has_text="面膜规格见置顶图").wait_for()
    assert "sku面膜还有吗" in page.locator("#test-result code").inner_text()

    page.fill("input[name=text]", "今天天气真好")
    page.click("form[hx-post='/community/rules/test'] button")
    page.locator("#test-result", has_text="没有").wait_for()
    screenshot(page, "community-rule-tester-none")
