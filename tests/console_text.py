"""A check over a Chinese console page's rendered text: raw codes and English words an operator
would see. Used by the in-process page walk (tests/test_console_text.py) and the browser tests.

What counts as seen: text nodes outside <script>/<style>/<template>, and the attributes a browser
shows (title, placeholder, alt, aria-label, value of buttons and submit inputs). Allowed: the
words in ALLOWED (brands, units, file formats, abbreviations operators use as is), e-mail
addresses, URLs and paths, numbers, and whatever a test passes as ``allow`` (data it seeded in
Latin script, such as a product name).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Latin words an operator sees as they are in a Chinese console.
ALLOWED = frozenset(
    {
        # business abbreviations used as is in Chinese operations
        "gmv", "rfm", "koc", "kol", "uv", "pv", "ltv", "clv", "roi", "sku", "spu", "vip", "id",
        "ip", "api", "qr", "h5", "app", "p_alive", "bg/nbd", "top",
        "r", "f",  # RFM's recency and frequency scores (R 分, F 分)
        # formats and units
        "csv", "xlsx", "xls", "json", "jsonl", "utf-8", "url", "http", "https", "re2", "ok",
        "png", "svg",
        "asia/shanghai", "utc", "am", "pm", "x", "k", "w", "m", "ms", "s", "kb", "mb", "ml", "g",
        "kg", "cm", "mm",
        "english",  # the language switch names its language in that language
        "ta", "www",  # 和 TA 聊天; a flagged link's term
    }
)  # fmt: skip

# Words a page quotes on purpose as syntax to type: the search syntax (platform:account), the
# filter language's examples, a CLI command, a file's own column name, the test client's IP.
LITERAL_WORDS = {
    "/customers": {"taobao"},
    "/analytics/segments": {
        "taobao", "douyin", "orders", "days_since_last_order", "and", "or", "not", "in", "true",
        "Champions", "new", "active", "about_to_sleep", "sleeping", "lost", "returned",
    },
    "/orders/imports": {"siyu", "import", "orders", "orders.csv", "paid_amount"},
    "/settings/audit": {"testclient", "token"},
    "/settings/tokens": {"Authorization", "Bearer", "REST", "ERP"},
    "/settings/wecom": {"AgentId", "Secret", "Token", "EncodingAESKey"},  # WeCom's field names
    # WeChat's name for a mini-program's id, what one looks like, a page path, a file format
    "/outreach/broadcasts/new": {"AppID", "wx", "pages/index/index.html", "JPEG"},
}  # fmt: skip
# Latin-script words the seeded data itself contains (buyer nicknames, product names).
SEEDED_WORDS = frozenset(
    {"whale", "regular", "sleeper", "newbie", "lurker", "gone", "ml", "SK-II", "YSL", "Dior"}
    | {
        f"{buyer}-{i}"
        for buyer in ("whale", "regular", "sleeper", "newbie", "lurker", "gone")
        for i in range(4)
    }
)


def allowed_words(path: str) -> frozenset[str]:
    """The Latin words a console page at ``path`` may show on purpose: the seeded data's and
    the syntax that page quotes. Shared by the in-process walk and the browser walk."""
    literal = {
        w for prefix, words in LITERAL_WORDS.items() if path.startswith(prefix) for w in words
    }
    return SEEDED_WORDS | literal


# Not read as prose: scripts, and literal text the page quotes on purpose (a filter expression,
# a command, a header to type), which templates mark up as <code>, <kbd> or <pre>.
_HIDDEN_TAGS = {"script", "style", "template", "noscript", "code", "kbd", "pre"}
_SHOWN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_URL = re.compile(
    r"(https?://\S+|(?<![\w/])/[\w\-./?=&%{}:#]+|\b[\w-]+(\.[\w-]+)*\.(cn|com|net|org)\b)"
)
_PLACEHOLDER = re.compile(r"\{\w+\}")  # a reply template's variables, such as {nickname}
_FILE_NAME = re.compile(r"\S+\.(csv|xlsx|xls|jsonl|json|txt)\b", re.IGNORECASE)  # an upload's name
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-:./>][A-Za-z0-9_]+)*")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.hidden_tags: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # translate="no": a name from the data (a fan's nickname), shown as the fan wrote it
        if tag in _HIDDEN_TAGS or values.get("translate") == "no":
            self.hidden_tags.append(tag)
            self.hidden_depth += 1
            return
        if tag == "input" and values.get("type") == "hidden":
            return
        for name, value in attrs:
            if value and name in _SHOWN_ATTRIBUTES:
                self.parts.append(value)
        if tag == "input" and values.get("type") in {"submit", "button"}:
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden_tags and self.hidden_tags[-1] == tag:
            self.hidden_tags.pop()
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    """The pieces of text a reader of the page sees, in document order."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return [" ".join(part.split()) for part in parser.parts if part.strip()]


def foreign_words(html: str, allow: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Every raw code or English word in the page's visible text, with its text for context
    (``"word ‹in this text›"``); an empty list means the page reads as Chinese."""
    allowed = ALLOWED | {word.lower() for word in allow}
    found: list[str] = []
    for text in visible_text(html):
        cleaned = _PLACEHOLDER.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", _FILE_NAME.sub(" ", text))))
        for word in _WORD.findall(cleaned):
            if not _is_allowed(word, allowed):
                found.append(f"{word} ‹{text[:80]}›")
    return found


def _is_allowed(word: str, allowed: frozenset[str] | set[str]) -> bool:
    """Allowed words; names like ``SK-II`` when every part is allowed; and ids of things in the
    data such as a tracking number ``SF1234567890`` or a group ``VIP3`` (letters and digits in
    one run). A prefixed id (``customer:4315``, ``op-2``) is a raw code and is not allowed."""
    if word.lower() in allowed:
        return True
    parts = re.split(r"[-:./>]", word)
    if len(parts) > 1:
        return all(p.lower() in allowed or p.isdigit() for p in parts)
    return any(c.isdigit() for c in word)
