"""The console walk: every GET console route, read from the app's routers, as every role.

Ids in paths are filled from links found on the parameterless pages of the seeded demo, so a
new page is walked as soon as some page links to it. Each walked page goes through
``PAGE_CHECKS``; another check plugs in by appending a function that takes a ``WalkedPage``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse

from siyu.app import CONSOLE_ROUTERS
from siyu.workspace.roles import Role
from siyu.workspace.service import role_allows
from tests.console_text import allowed_words, foreign_words

ROLES: tuple[Role, ...] = (Role.owner, Role.admin, Role.operator, Role.analyst)
PUBLIC_PATHS = frozenset({"/login"})
UNKNOWN_ID = "987654321"
MALFORMED_ID = "abc"
# GET forms: opened without their fields they show the form again with the field's message.
FORM_ANSWERS = {"/customers/{customer_id}/merge": 422}
# HTMX fragments of a page (the 360 page's panels, timeline and link card; the builder's inputs;
# a live's leaderboard)
FRAGMENT_SUFFIXES = ("/panel", "/timeline", "/link", "/builder", "/leaderboard")
LINK = re.compile(r"""(?:href|hx-get|data-url)="(?:https?://[^/"]+)?(/[^"?#]*)""")


@dataclass(frozen=True)
class ConsoleRoute:
    path: str
    regex: re.Pattern[str]
    params: tuple[str, ...]
    required: Role | None  # the least role the route's dependencies ask for
    html: bool  # answers HTML (pages and HTMX fragments); else a download or an event stream

    @property
    def is_page(self) -> bool:
        """A full page in the console layout (not an HTMX fragment, a download or a stream)."""
        return self.html and not self.path.endswith(FRAGMENT_SUFFIXES)

    @property
    def is_stream(self) -> bool:
        return self.path.endswith("/live")

    def expected_status(self, role: Role) -> int:
        if self.required and not role_allows(role, self.required):
            return 403
        return FORM_ANSWERS.get(self.path, 200)

    def fill(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], self.path)


def console_routes() -> list[ConsoleRoute]:
    routes = []
    for router in CONSOLE_ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            if route.path in PUBLIC_PATHS:
                continue
            routes.append(
                ConsoleRoute(
                    path=route.path,
                    regex=route.path_regex,
                    params=tuple(route.param_convertors),
                    required=_required_role(route.dependant),
                    html=route.response_class is HTMLResponse,
                )
            )
    return routes


def post_only_paths() -> list[str]:
    """Console addresses that only take a form post (a refresh or a bookmark may GET them)."""
    gets = {route.path for route in console_routes()}
    return sorted(
        {
            route.path
            for router in CONSOLE_ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute) and "POST" in route.methods
        }
        - gets
        - PUBLIC_PATHS
    )


def _required_role(dependant: Any) -> Role | None:
    """The role asked by ``require_role`` anywhere among the route's dependencies."""
    for dependency in dependant.dependencies:
        call = dependency.call
        if getattr(call, "__qualname__", "").startswith("require_role.") and call.__closure__:
            return next(
                c.cell_contents for c in call.__closure__ if isinstance(c.cell_contents, Role)
            )
        found = _required_role(dependency)
        if found:
            return found
    return None


def ids_from_links(routes: list[ConsoleRoute], html_pages: list[str]) -> dict[str, str]:
    """Path parameter values (by name) read from links that match a route."""
    values: dict[str, str] = {}
    links = {link for html in html_pages for link in LINK.findall(html)}
    for route in routes:
        if not route.params:
            continue
        for link in sorted(links):
            match = route.regex.match(link)
            if match:
                for name, value in match.groupdict().items():
                    values.setdefault(name, value)
                break
    return values


@dataclass
class WalkedPage:
    role: Role
    url: str
    route: ConsoleRoute
    status: int
    expected: int
    page: Any  # playwright Page, or None for downloads and fragments fetched without a page
    body: str
    console_errors: list[str] = field(default_factory=list)


def status_is_expected(walked: WalkedPage) -> None:
    assert walked.status < 500, f"{walked.url} as {walked.role}: {walked.status}"
    assert walked.status == walked.expected, (
        f"{walked.url} as {walked.role}: {walked.status}, expected {walked.expected}"
    )


def renders_the_layout(walked: WalkedPage) -> None:
    """Pages, error pages included, show the console's navigation and top bar."""
    if walked.page is None or not (walked.route.is_page or walked.status >= 400):
        return
    assert walked.page.locator("aside.sidebar nav").count() == 1, walked.url
    assert walked.page.locator("header.topbar h1").inner_text().strip(), walked.url


def no_browser_errors(walked: WalkedPage) -> None:
    """No script errors or invalid markup reported by Chromium on a page that loaded."""
    if walked.status == 200:
        assert not walked.console_errors, f"{walked.url}: {walked.console_errors}"


INVALID_PATTERNS = """() => [...document.querySelectorAll("[pattern]")]
  .map((field) => field.getAttribute("pattern"))
  .filter((pattern) => {
    try { new RegExp(pattern, "v"); return false; } catch { return true; }
  })"""


def patterns_compile(walked: WalkedPage) -> None:
    """Chromium compiles a field's ``pattern`` with the ``v`` flag (a bare "-" in a class is
    invalid there) and reports a broken one only when the form is checked."""
    if walked.page is not None and walked.status == 200:
        assert not walked.page.evaluate(INVALID_PATTERNS), walked.url


def reads_as_chinese(walked: WalkedPage) -> None:
    """A Chinese console page shows no raw codes or English (``tests/console_text.py``, with the
    in-process walk's allow-lists); the owner sees every page, so the owner's walk is enough."""
    if walked.role is not Role.owner or walked.page is None or walked.status != 200:
        return
    if not walked.route.is_page or 'lang="zh-CN"' not in walked.body[:500]:
        return
    path = walked.url.split("?")[0]
    found = foreign_words(walked.body, allow=allowed_words(path))
    assert not found, f"{walked.url}: {found}"


PAGE_CHECKS: list[Callable[[WalkedPage], None]] = [
    status_is_expected,
    renders_the_layout,
    no_browser_errors,
    patterns_compile,
    reads_as_chinese,
]
