"""Literal prefilters for regex rules: strings one of which every match must contain.

A regex rule then runs only on messages where the keyword automaton found one of its literals,
instead of on every message: ``(几点|什么时候).{0,6}(开播|直播)`` needs 开播 or 直播,
``\\d{1,2}号链接`` needs 号链接. The automaton already scans every message, so the prefilter
costs nothing more than a few extra words in it.

Sound, not clever: the pattern is read with Python's regex parser, and anything whose meaning
could differ between Python and RE2 (POSIX classes, ``\\p``, ``\\Q``, ``{,n}``, RE2-only flags)
or that the parser refuses gives no literal, so the rule runs on every message as before.
Literal characters are kept only when matching them in the normalised text is unambiguous:
ASCII (letters lower-cased, as the text is case-folded and patterns ignore case) and
characters without case (Chinese); any other character ends the literal.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from typing import Any

# The stdlib parser behind ``re`` (no type stubs: typed as Any).
parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
BRANCH, IN, LITERAL, RANGE = _constants.BRANCH, _constants.IN, _constants.LITERAL, _constants.RANGE
SUBPATTERN = _constants.SUBPATTERN
REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)

Literals = frozenset[str]

# Spellings that Python's parser would read differently from RE2 (or not at all).
_AMBIGUOUS = ("[:", "\\p", "\\P", "\\Q", "\\E", "\\C", "\\z", "{,", "\\x{", "(?U", "(?s")


def required_literals(pattern: str) -> Literals | None:
    """Strings one of which occurs in every match of ``pattern`` on normalised text, or None
    when no such set is known (then the rule must be tried on every message)."""
    if any(token in pattern for token in _AMBIGUOUS):
        return None
    try:
        tree = parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    return _sequence(list(tree))


def _safe_char(code: int) -> str | None:
    char = chr(code)
    if code < 0x80:
        return char.lower()
    if char.lower() == char.upper() == char and unicodedata.is_normalized("NFKC", char):
        return char if unicodedata.category(char).startswith("Lo") else None
    return None


def _sequence(items: list[Any]) -> Literals | None:
    """The best requirement among a concatenation's parts. Consecutive parts that match a small
    finite set of strings (literals, small classes such as ``[3-9]``, alternations of literals,
    optional literals) combine into one set of longer strings (``(能|可以)(便宜|少)`` gives 能便宜,
    能少, 可以便宜, 可以少); other parts end that run and may require something themselves
    (groups, repeats at least once, alternations whose every branch requires something)."""
    options: list[Literals] = []
    run: Literals | None = None  # the strings the current run of finite parts can match
    for op, value in items:
        finite = _finite(op, value)
        joined = _product(run, finite) if finite is not None else None
        if joined is not None:
            run = joined
            continue
        if run is not None:
            options.append(run)
        run = finite  # a finite part too large to join starts the next run
        if finite is None and (required := _part(op, value)) is not None:
            options.append(required)
    if run is not None:
        options.append(run)
    options = [strings for strings in options if "" not in strings]
    if not options:
        return None
    # Prefer long literals (they occur less often), then fewer alternatives.
    return max(options, key=lambda literals: (min(map(len, literals)), -len(literals)))


MAX_STRINGS = 32  # a run's set of strings stays small: each becomes a word of the automaton


def _product(left: Literals | None, right: Literals) -> Literals | None:
    if left is None:
        return right
    if len(left) * len(right) > MAX_STRINGS:
        return None
    return frozenset(a + b for a in left for b in right)


def _finite(op: Any, value: Any) -> Literals | None:
    """Every string the part can match, when that is a small known set; else None."""
    if op is LITERAL:
        char = _safe_char(value)
        return None if char is None else frozenset({char})
    if op is IN:
        return _class(value)
    if op is SUBPATTERN:
        return _finite_sequence(list(value[-1]))
    if op is BRANCH:
        branches = [_finite_sequence(list(branch)) for branch in value[1]]
        if any(strings is None for strings in branches):
            return None
        union: Literals = frozenset().union(*branches)  # type: ignore[arg-type]
        return union if len(union) <= MAX_STRINGS else None
    if op in REPEATS and value[:2] in ((0, 1), (1, 1)):
        body = _finite_sequence(list(value[2]))
        if body is None:
            return None
        return body | {""} if value[0] == 0 else body
    return None


def _finite_sequence(items: list[Any]) -> Literals | None:
    strings: Literals | None = frozenset({""})
    for op, value in items:
        part = _finite(op, value)
        if part is None or strings is None:
            return None
        strings = _product(strings, part)
    return strings


def _class(items: list[Any]) -> Literals | None:
    """A character class of at most 10 plain characters (no negation, no categories)."""
    chars: set[str] = set()
    for op, value in items:
        if op is LITERAL:
            codes = [value]
        elif op is RANGE and value[1] - value[0] < 10:
            codes = list(range(value[0], value[1] + 1))
        else:
            return None
        for code in codes:
            char = _safe_char(code)
            if char is None:
                return None
            chars.add(char)
    return frozenset(chars) if len(chars) <= 10 else None


def _part(op: Any, value: Any) -> Literals | None:
    if op is SUBPATTERN:
        return _sequence(list(value[-1]))
    if op in REPEATS:
        low, _, body = value
        return _sequence(list(body)) if low >= 1 else None
    if op is BRANCH:
        alternatives = [_sequence(list(branch)) for branch in value[1]]
        if any(required is None for required in alternatives):
            return None
        return frozenset().union(*alternatives)  # type: ignore[arg-type]
    return None
