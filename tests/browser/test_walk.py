"""Every console page as every role, every error path, the console and the fan pages at phone
width: no 5xx, the status the role should get, the layout on every page, no browser errors.

Screenshots of the owner's walk and the phone walks go to ``var/screenshots`` (not committed).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from siyu.app import FAN_ROUTERS
from siyu.demo.seed import DEMO_PASSWORD, DEMO_SLUG
from siyu.workspace.roles import Role
from tests.browser.walk import (
    MALFORMED_ID,
    PAGE_CHECKS,
    ROLES,
    UNKNOWN_ID,
    ConsoleRoute,
    WalkedPage,
    console_routes,
    ids_from_links,
    post_only_paths,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
ROUTES = console_routes()
ROUTES_BY_PATH = {route.path: route for route in ROUTES}
WITH_IDS = [route.path for route in ROUTES if route.params]
PAGES = [route.path for route in ROUTES if route.is_page]
FAN_PATHS = [
    route.path
    for router in FAN_ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute) and "GET" in route.methods and route.path != "/h5/open"
]


def _sign_in(context: Any, server: str, role: Role) -> None:
    login = context.request.get(f"{server}/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text())
    assert csrf, "the login form carries a CSRF token"
    done = context.request.post(
        f"{server}/login",
        form={
            "email": f"{role.value}@demo.siyu.local",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf.group(1),
        },
        max_redirects=0,
    )
    assert done.status == 303, done.text()


@pytest.fixture(scope="module")
def signed_in(server: str, browser: Any) -> Iterator[dict[Role, Any]]:
    """One desktop browser context per role, signed in."""
    contexts = {}
    for role in ROLES:
        # The owner reads the console in Chinese: its walk checks the text (reads_as_chinese).
        locale = "zh-CN" if role is Role.owner else None
        context = browser.new_context(viewport={"width": 1360, "height": 860}, locale=locale)
        _sign_in(context, server, role)
        contexts[role] = context
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.fixture(scope="module")
def seeded_ids(server: str, signed_in: dict[Role, Any]) -> dict[str, str]:
    """Ids for every path parameter, from links on the owner's parameterless pages."""
    request = signed_in[Role.owner].request
    pages = [request.get(f"{server}{r.path}").text() for r in ROUTES if r.html and not r.params]
    return ids_from_links(ROUTES, pages)


def _visit(
    context: Any, server: str, route: ConsoleRoute, url: str, role: Role, *, shot: bool = False
) -> WalkedPage:
    if not route.html or route.is_stream:
        response = context.request.get(f"{server}{url}", max_redirects=0)
        return WalkedPage(role, url, route, response.status, 200, None, response.text())
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Screenshots wait for scripts and charts; the rest only for the document.
    response = page.goto(f"{server}{url}", wait_until="load" if shot else "domcontentloaded")
    return WalkedPage(role, url, route, response.status, 200, page, page.content(), errors)


def _check(walked: WalkedPage, shot: str | None = None) -> None:
    try:
        if shot and walked.page is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            walked.page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"))
        for check in PAGE_CHECKS:
            check(walked)
    finally:
        if walked.page is not None:
            walked.page.close()


def _shot_name(prefix: str, url: str) -> str:
    return prefix + (re.sub(r"[^\w]+", "-", url).strip("-") or "home")


def _url(route: ConsoleRoute, ids: dict[str, str]) -> str:
    missing = [name for name in route.params if name not in ids]
    assert not missing, f"no page links to {route.path}: seed data or a link is missing"
    return route.fill(ids)


@pytest.mark.parametrize("path", [r.path for r in ROUTES])
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_every_console_page_as_every_role(
    server: str, signed_in: dict[Role, Any], seeded_ids: dict[str, str], role: Role, path: str
) -> None:
    route = ROUTES_BY_PATH[path]
    if route.is_stream:
        pytest.skip("an event stream: its unknown and malformed ids are walked")
    url = _url(route, seeded_ids)
    shot = _shot_name(f"{role.value}-", url) if role is Role.owner else None
    walked = _visit(signed_in[role], server, route, url, role, shot=bool(shot))
    walked.expected = route.expected_status(role)
    _check(walked, shot)


@pytest.mark.parametrize("variant", [UNKNOWN_ID, MALFORMED_ID], ids=["unknown", "malformed"])
@pytest.mark.parametrize("path", WITH_IDS)
def test_unknown_and_malformed_ids_are_404(
    server: str, signed_in: dict[Role, Any], path: str, variant: str
) -> None:
    route = ROUTES_BY_PATH[path]
    url = route.fill(dict.fromkeys(route.params, variant))
    shot = _shot_name("error-", url) if route.is_page and variant == UNKNOWN_ID else None
    walked = _visit(signed_in[Role.owner], server, route, url, Role.owner, shot=bool(shot))
    # A fragment for an unknown fan is empty rather than missing: the fan's page is the 404.
    fragment = route.html and not route.is_page
    walked.expected = walked.status if fragment and variant == UNKNOWN_ID else 404
    _check(walked, shot)


def test_unknown_console_address_is_a_404_page(server: str, signed_in: dict[Role, Any]) -> None:
    route = ConsoleRoute("/no-such-page", re.compile("^/no-such-page$"), (), None, True)
    walked = _visit(signed_in[Role.operator], server, route, "/no-such-page", Role.operator)
    walked.expected = 404
    _check(walked)


@pytest.mark.parametrize("path", post_only_paths())
def test_opening_a_form_address_is_an_error_page(
    server: str, signed_in: dict[Role, Any], path: str
) -> None:
    """405, or 404 where the address reads as a page with a malformed id
    (``/analytics/segments/count`` as ``/analytics/segments/{segment_id}``)."""
    url = re.sub(r"\{\w+\}", "1", path)
    response = signed_in[Role.operator].request.get(
        f"{server}{url}", headers={"accept": "text/html"}
    )
    assert response.status in (404, 405), f"{url}: {response.status}"
    assert 'class="sidebar"' in response.text()


def test_favicon_is_served(server: str, signed_in: dict[Role, Any]) -> None:
    response = signed_in[Role.analyst].request.get(f"{server}/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/")


@pytest.fixture(scope="module")
def phone_operator(server: str, browser: Any) -> Iterator[Any]:
    context = browser.new_context(**PHONE)
    _sign_in(context, server, Role.operator)
    yield context
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_console_pages_fit_a_phone(
    server: str, phone_operator: Any, seeded_ids: dict[str, str], path: str
) -> None:
    route = ROUTES_BY_PATH[path]
    if route.expected_status(Role.operator) == 403:
        pytest.skip("not open to an operator")
    url = _url(route, seeded_ids)
    walked = _visit(phone_operator, server, route, url, Role.operator, shot=True)
    walked.expected = route.expected_status(Role.operator)
    page = walked.page
    assert page.locator("aside.sidebar nav").is_hidden(), "the navigation folds away on a phone"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{walked.url} is {width} px wide: wide content must scroll in place"
    _check(walked, _shot_name("phone-", url))


def test_phone_navigation_opens(server: str, phone_operator: Any) -> None:
    page = phone_operator.new_page()
    try:
        page.goto(f"{server}/customers")
        page.click("label.nav-toggle")
        page.locator("aside.sidebar nav").wait_for(state="visible")
        page.click("aside.sidebar nav a[href='/orders']")
        page.wait_for_url(f"{server}/orders")
    finally:
        page.close()


# --- fan pages ---------------------------------------------------------------------------------


def _fan_link(server: str, env: dict[str, str], customer_id: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "siyu.cli",
            "customer",
            "link",
            customer_id,
            "--workspace",
            DEMO_SLUG,
            "--base-url",
            server,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def phone_fan(
    server: str,
    server_env: dict[str, str],
    browser: Any,
    signed_in: dict[Role, Any],
    seeded_ids: dict[str, str],
) -> Iterator[tuple[Any, dict[str, str]]]:
    """A demo fan signed in on a phone, and ids for fan page parameters."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(_fan_link(server, server_env, seeded_ids["customer_id"]))
    page.wait_for_url(f"{server}/h5/me")
    html = [page.content()]
    for path in ("/h5/points/mall", "/h5/coupons", "/h5/lives"):
        html.append(context.request.get(f"{server}{path}").text())
    families = signed_in[Role.owner].request.get(f"{server}/community/families")
    html.append(families.text())  # the live-code addresses
    page.close()
    fan_routes = [_fan_route(path) for path in FAN_PATHS]
    yield context, {**seeded_ids, **ids_from_links(fan_routes, html)}
    context.close()


def _fan_route(path: str) -> ConsoleRoute:
    route = next(
        r for router in FAN_ROUTERS for r in router.routes if getattr(r, "path", "") == path
    )
    assert isinstance(route, APIRoute)
    return ConsoleRoute(path, route.path_regex, tuple(route.param_convertors), None, True)


@pytest.mark.parametrize("path", FAN_PATHS)
def test_fan_pages_fit_a_phone(
    phone_fan: tuple[Any, dict[str, str]], server: str, path: str
) -> None:
    context, ids = phone_fan
    route = _fan_route(path)
    if any(name not in ids for name in route.params):
        pytest.skip(f"no fan page links to {path}")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        response = page.goto(f"{server}{route.fill(ids)}")
        assert response.status == 200, f"{page.url}: {response.status}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{page.url} is {width} px wide"
        assert not errors, errors
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{_shot_name('fan-', path)}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("path", [p for p in FAN_PATHS if "{" in p])
def test_fan_pages_with_unknown_ids_are_404(
    phone_fan: tuple[Any, dict[str, str]], server: str, path: str
) -> None:
    context, _ids = phone_fan
    route = _fan_route(path)
    response = context.request.get(f"{server}{route.fill(dict.fromkeys(route.params, UNKNOWN_ID))}")
    assert response.status == 404, f"{path}: {response.status}"
