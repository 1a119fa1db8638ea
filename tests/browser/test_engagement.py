"""A fan checks in to the demo's running camp from a phone-sized Chromium: today's task, a few
words and a photo, then the page shows the check-in done and the fan on the progress board."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from siyu.demo.seed import DEMO_SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

FIND = """
from siyu.community.service import list_members
from siyu.customers.service import link_states
from siyu.db import transaction
from siyu.engagement import service
from siyu.kit.clock import today
from siyu.workspace.service import get_workspace_by_slug

with transaction(read_only=True) as session:
    ws = get_workspace_by_slug(session, "%(slug)s")
    camp = service.list_camps(session, ws.id)[0][0]
    day = service.camp_day(camp, today(ws.timezone))
    members, _ = list_members(session, ws.id, camp.group_id, limit=200)
    ids = [m.customer_id for m in members if m.customer_id]
    live = link_states(session, ws.id, ids)
    fan = next(i for i in ids if live.get(i) == "live"
               and day not in service.days_of(session, camp, i))
    print(camp.id, fan)
"""
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_fan_checks_in_on_a_phone(server: str, server_env: dict[str, str], browser) -> None:  # type: ignore[no-untyped-def]
    camp_id, fan_id = _run(server_env, "-c", FIND % {"slug": DEMO_SLUG}).split()
    link = _run(
        server_env, "-m", "siyu.cli", "customer", "link", fan_id, "--workspace", DEMO_SLUG,
        "--base-url", server,
    )  # fmt: skip
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        phone = context.new_page()
        phone.goto(link)
        phone.wait_for_url(f"{server}/h5/me")
        phone.goto(f"{server}/h5/camps/{camp_id}")
        assert phone.locator("[data-testid=task]").inner_text().strip()
        assert "不是为了分享" in phone.content()
        phone.fill("textarea[name=note]", "今天做完了，皮肤很舒服")
        phone.set_input_files(
            "input[name=photo]",
            files=[{"name": "mask.png", "mimeType": "image/png", "buffer": PNG}],
        )
        phone.click("button.h5-button")
        phone.wait_for_url(f"{server}/h5/camps/{camp_id}?done=1")
        assert phone.locator("[data-testid=done]").is_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone
        screenshot(phone, "h5-camp-checkin-390")
    finally:
        context.close()
