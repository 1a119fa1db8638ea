"""Translations from Babel message catalogs (``siyu/locale/<locale>/LC_MESSAGES/messages.po``).

Message ids are English; the console defaults to Chinese. The current locale is a context
variable set per request (or command), so the same ``gettext`` serves templates and Python code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

current_locale: ContextVar[str] = ContextVar("siyu_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=len(LOCALES))
def catalog(locale: str) -> dict[str, str]:
    """msgid → msgstr for one locale, read once per process."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {
        str(message.id): str(message.string)
        for message in po
        if message.id and message.string and not message.fuzzy
    }


def gettext(message: str) -> str:
    return catalog(current_locale.get()).get(message, message)


_ = gettext


def ngettext(singular: str, plural: str, count: int) -> str:
    # Chinese has no plural forms and the English catalog is the identity.
    return gettext(singular if count == 1 else plural)


def N_(message: str) -> str:  # noqa: N802 - the conventional marker name for extraction
    """Mark a string for extraction without translating it yet."""
    return message


def normalise_locale(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    if value in LOCALES:
        return value
    if value.lower().startswith("zh"):
        return "zh_CN"
    if value.lower().startswith("en"):
        return "en"
    return None


def locale_from_accept_language(header: str | None) -> str | None:
    """The first supported locale in an Accept-Language header (weights ignored: order wins)."""
    for part in (header or "").split(","):
        found = normalise_locale(part.split(";")[0].strip())
        if found:
            return found
    return None


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    token = current_locale.set(locale)
    try:
        yield
    finally:
        current_locale.reset(token)
