"""Every visible string is translatable, and the Chinese catalog translates all of them."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from siyu.kit.i18n import catalog, gettext, locale_from_accept_language, using_locale

SRC = Path(__file__).resolve().parents[2] / "src" / "siyu"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _extracted() -> set[str]:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(SRC), METHODS, options_map=OPTIONS, keywords=keywords
    ):
        found.update([message] if isinstance(message, str) else message)
    return {m for m in found if m}


def test_chinese_catalog_covers_every_message() -> None:
    missing = sorted(_extracted() - set(catalog("zh_CN")))
    assert not missing, f"untranslated in zh_CN (run `make messages`): {missing}"


def test_translation_follows_the_locale() -> None:
    with using_locale("zh_CN"):
        assert gettext("Overview") == "概览"
    with using_locale("en"):
        assert gettext("Overview") == "Overview"


def test_accept_language() -> None:
    assert locale_from_accept_language("en-US,en;q=0.9") == "en"
    assert locale_from_accept_language("zh-TW,zh;q=0.8") == "zh_CN"
    assert locale_from_accept_language("fr-FR") is None
