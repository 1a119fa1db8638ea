"""Jinja2 for the console and fan pages: shared layout in ``siyu/templates``, each domain's
pages in ``siyu/<domain>/templates/<domain>/``."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from siyu.customers.platforms import PLATFORM_LABELS
from siyu.kit.clock import as_utc
from siyu.kit.crypto import mask_phone
from siyu.kit.i18n import current_locale, gettext, ngettext
from siyu.kit.money import format_yuan
from siyu.kit.navigation import MAIN_NAV, SETTINGS_NAV
from siyu.system.labels import job_label
from siyu.workspace.labels import audit_action_label
from siyu.workspace.roles import ROLE_LABELS

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def template_dirs() -> list[Path]:
    dirs = [PACKAGE_DIR / "templates"]
    dirs += sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.is_dir())
    return dirs


def local_time(
    moment: datetime | None, tz: str = "Asia/Shanghai", fmt: str = "%Y-%m-%d %H:%M"
) -> str:
    if moment is None:
        return "—"
    return as_utc(moment).astimezone(ZoneInfo(tz)).strftime(fmt)


def number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


class _FanLabel(Protocol):
    name: str | None
    fallback: str
    href: str


def readable_json(value: Any) -> str:
    """A JSON value as people read it: Chinese as is (no \\u escapes), spaced separators."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def platform_name(code: str | None) -> str:
    """淘宝, 抖音 …: a platform code as operators call it, in their language."""
    if not code:
        return "—"
    return gettext(PLATFORM_LABELS.get(code, code))


def fan_link(label: _FanLabel | None, fallback: str | None = None) -> Markup:
    """A fan's name linked to their 360 page (``customers.figures.FanLabel``); ``fallback``
    (already translated) or "Unknown fan" when there is no such fan."""
    if label is None:
        return Markup('<span class="muted">{}</span>').format(fallback or gettext("Unknown fan"))
    return Markup('<a class="fan-name" translate="no" href="{}">{}</a>').format(
        label.href, label.name or gettext(label.fallback)
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in template_dirs()]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        yuan=format_yuan,
        local_time=local_time,
        number=number,
        mask_phone=mask_phone,
        fan_link=fan_link,
        platform=platform_name,
        audit_action=audit_action_label,
        job_name=job_label,
        readable_json=readable_json,
    )
    env.globals["current_locale"] = current_locale.get
    env.globals.update(MAIN_NAV=MAIN_NAV, SETTINGS_NAV=SETTINGS_NAV, ROLE_LABELS=ROLE_LABELS)
    return env


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates().TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=headers
    )
