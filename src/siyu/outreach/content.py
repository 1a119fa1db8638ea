"""The content check every outbound text passes before any channel sees it: Advertising Law
absolute terms (with the regulator's exemptions), banned forms of address, induced sharing and,
with the store's help, repeats of a text sent in the last days.

Matching runs on a *skeleton* of the text: each character brought to the keyword bot's normal
form (full/half width, case, traditional → simplified, invisible characters dropped), then
everything but letters, digits and ``%`` removed, so symbols or spaces slipped between the
characters of a term don't hide it. Each skeleton character remembers where it came from, so a
finding's ``start``/``end`` index the text as submitted. Pure functions: the store and the API
plug in around them (``service.check_content``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from siyu.community.matching import normalise
from siyu.outreach import wordlists

Category = Literal["ad_law", "address", "induced_sharing", "repeat"]
Severity = Literal["block", "warn"]
CATEGORIES: tuple[str, ...] = ("ad_law", "address", "induced_sharing", "repeat")
TERM_CATEGORIES: tuple[str, ...] = ("ad_law", "address", "induced_sharing")
SEVERITIES: tuple[str, ...] = ("block", "warn")

# 亲 on its own is an address when it stands apart from the next word (亲，亲~ 亲们); inside a
# word (亲自, 父亲, 亲子) it is not. 亲亲 is a listed term.
_LONE_QIN = re.compile(r"(?<!\w)[亲親](?:们|們)?(?=[^\w]|$)|(?<!\w)[亲親](?:们|們)")


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    category: str
    severity: str
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    term: str
    category: str
    severity: str
    start: int
    end: int
    suggestion: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "term": self.term,
            "category": self.category,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
        }
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return out


@dataclass(frozen=True)
class WordList:
    terms: tuple[Term, ...]
    exemptions: tuple[str, ...]


def _shipped_terms() -> list[Term]:
    lists = (
        ("ad_law", "block", wordlists.AD_LAW),
        ("address", "block", wordlists.ADDRESS_BLOCK),
        ("address", "warn", wordlists.ADDRESS_WARN),
        ("induced_sharing", "block", wordlists.INDUCED_SHARING),
    )
    return [
        Term(term, category, severity, suggestion or None)
        for category, severity, words in lists
        for term, suggestion in words.items()
    ]


def word_list(extra_terms: Iterable[Term] = (), extra_exemptions: Iterable[str] = ()) -> WordList:
    """The shipped lists with a workspace's own terms and exemptions added."""
    return WordList(
        (*_shipped_terms(), *extra_terms),
        (*wordlists.AD_LAW_EXEMPTIONS, *extra_exemptions),
    )


@lru_cache(maxsize=8192)
def _skeleton_of_char(char: str) -> str:
    return "".join(c for c in normalise(char) if c.isalnum() or c == "%")


def skeleton(text: str) -> tuple[str, list[int]]:
    """The matching form of ``text`` and, for each of its characters, the index it came from."""
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        for kept in _skeleton_of_char(char):
            chars.append(kept)
            origins.append(index)
    return "".join(chars), origins


def digest(text: str) -> str:
    """One key for texts that differ only in width, script, case, spaces or symbols."""
    return hashlib.sha256(skeleton(text)[0].encode()).hexdigest()


def _occurrences(haystack: str, needle: str) -> Iterable[int]:
    position = haystack.find(needle)
    while position >= 0:
        yield position
        position = haystack.find(needle, position + 1)


def _exempt_spans(form: str, exemptions: Iterable[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for exemption in exemptions:
        needle = skeleton(exemption)[0]
        if needle:
            spans.extend((at, at + len(needle)) for at in _occurrences(form, needle))
    return spans


def _inside(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in others)


def check_terms(text: str, words: WordList) -> list[Finding]:
    """Findings of the listed terms, longest first; a term inside a longer finding or inside an
    exemption is not reported again."""
    form, origins = skeleton(text)
    exempt = _exempt_spans(form, words.exemptions)
    taken: list[tuple[int, int]] = []
    findings: list[Finding] = []
    for term in sorted(words.terms, key=lambda t: -len(skeleton(t.term)[0])):
        needle = skeleton(term.term)[0]
        if not needle:
            continue
        for at in _occurrences(form, needle):
            span = (at, at + len(needle))
            if _inside(span, taken) or (term.category == "ad_law" and _inside(span, exempt)):
                continue
            taken.append(span)
            start, end = origins[span[0]], origins[span[1] - 1] + 1
            findings.append(
                Finding(term.term, term.category, term.severity, start, end, term.suggestion)
            )
    findings.extend(_lone_address(text, findings))
    return sorted(findings, key=lambda f: (f.start, f.end))


def _lone_address(text: str, found: list[Finding]) -> list[Finding]:
    spans = [(f.start, f.end) for f in found]
    return [
        Finding("亲", "address", "block", match.start(), match.end(), "{name}")
        for match in _LONE_QIN.finditer(text)
        if not _inside((match.start(), match.end()), spans)
    ]


def repeat_finding(text: str) -> Finding:
    return Finding(text, "repeat", "warn", 0, len(text))


def blocks(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "block" for f in findings)
