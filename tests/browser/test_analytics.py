"""Segments and analytics in a real Chromium: the dashboard's charts over the demo's figures,
the funnel, the builder's live count and its explanation of a bad filter, and a segment page."""

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


def test_dashboard_builder_and_segment(server: str, page) -> None:  # type: ignore[no-untyped-def]
    _log_in(page, server)

    page.goto(f"{server}/analytics")
    for chart in ("#chart-moves", "#chart-gmv", "#chart-cohorts"):
        page.wait_for_selector(f"{chart} canvas")
    assert page.locator(".segment-cell").count() == 10  # the standard ten, zeros included
    page.locator("#funnel .funnel li").first.wait_for()  # the funnel runs on load
    assert page.locator("#funnel .funnel li").count() == 5
    screenshot(page, "analytics-dashboard")

    page.goto(f"{server}/analytics/segments")
    box = page.locator("#builder textarea[name=filter]")
    box.fill("orders >= 2")
    page.locator("#preview .segment-count strong").wait_for()
    first = int(page.locator("#preview .segment-count strong").inner_text().replace(",", ""))
    assert first > 0
    box.fill("orders >= 2 and net_paid >= 2000")
    page.wait_for_function(
        "n => Number(document.querySelector('#preview .segment-count strong')"
        "?.innerText.replace(/,/g, '')) < n",
        arg=first,
    )
    screenshot(page, "analytics-builder")

    box.fill("orders >= and")
    page.locator("#preview .alert.error").wait_for()
    assert "column" in page.locator("#preview .alert.error").inner_text()
    screenshot(page, "analytics-builder-error")

    page.locator("table.table a", has_text="复购粉丝").click()
    page.wait_for_url(f"{server}/analytics/segments/*")
    assert page.locator(".fan-table tbody tr").count() > 1
    screenshot(page, "analytics-segment")
