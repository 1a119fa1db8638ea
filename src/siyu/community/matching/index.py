"""The hot path's lookup tables, derived from a matcher's rules and automaton when it is built or
loaded (nothing here is stored: the blob stays as it was).

Every (rule, way it can match) gets a **rank**: one integer that orders candidates exactly as
the choice does — higher priority first, then the longer match, then the older rule:

    rank = priority position << 44 | (LONGEST - match length) << 24 | rule index

so choosing is sorting a short list of ints, and the rule is ``rank & INDEX_MASK``. A keyword's
length is known in advance, so the ranks of ``any`` rules (per keyword), ``all`` rules (their
longest keyword) and ``exact`` rules (the whole message is the keyword) are precomputed, split
by scope key like the automaton's postings. Only regex rules get their rank per message, from
the matched text.

``all`` rules with two or more keywords are found by **pairs**: under their anchor keyword (see
``automaton``), keyed by a second keyword, the longest other one. A message finds the pairs whose
two keywords both occur; a rule with more than two keywords is then checked for the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter
from typing import Any, NamedTuple, Protocol

from siyu.community.matching.literals import required_literals
from siyu.community.matching.rules import Rule

INDEX_BITS = 24
INDEX_MASK = (1 << INDEX_BITS) - 1
LENGTH_BITS = 20
LONGEST = (1 << LENGTH_BITS) - 1  # longer matches rank as this long (messages are far shorter)
PRIORITY_SHIFT = INDEX_BITS + LENGTH_BITS

ByScope = dict[str, tuple[int, ...]]  # scope key -> ranks, ascending
ALL_GROUPS = "groups"  # the scope key of rules that answer in every group


class EncodedMatch(Protocol):
    def start(self) -> int: ...
    def end(self) -> int: ...


class EncodedPattern(Protocol):
    """A compiled RE2 pattern searched on UTF-8 bytes (offsets in bytes)."""

    def search(self, text: bytes) -> EncodedMatch | None: ...


class RuleCheck(NamedTuple):
    """What the walk over ranked candidates checks for one rule; None/False: nothing to do."""

    rule: Rule
    excludes: frozenset[str] | None  # any of them found vetoes the rule
    needs: frozenset[str] | None  # `all` rules with 3+ keywords: every one must be found
    check_scope: bool  # regex rules are not indexed by scope
    pieces: tuple[tuple[str, str | None], ...]  # the reply template, parsed once


@dataclass(frozen=True, slots=True)
class FastIndex:
    single: dict[str, ByScope]  # keyword -> its `any` rules (and one-keyword `all` rules)
    # The same, for rules scoped to every group (most rules): one lookup, no scope key.
    single_all_groups: dict[str, tuple[int, ...]]
    single_narrow: dict[str, ByScope]  # the same, without the "groups" key; only non-empty
    exact: dict[str, ByScope]  # whole message -> its `exact` rules
    pairs: dict[str, dict[str, ByScope]]  # anchor -> second keyword -> `all` rules
    regex_triggers: dict[str, tuple[int, ...]]  # literal -> regex rules needing it
    regex_literals: frozenset[str]
    regex_always: tuple[int, ...]  # regex rules without a literal prefilter
    priority_rank: tuple[int, ...]  # rule index -> priority position << PRIORITY_SHIFT
    checks: tuple[RuleCheck, ...]
    patterns: dict[int, EncodedPattern]  # rule index -> compiled RE2 pattern


def rank(priority_rank: int, length: int, index: int) -> int:
    return priority_rank | (LONGEST - min(length, LONGEST)) << INDEX_BITS | index


def build_index(
    rules: Sequence[Rule],
    keywords: Sequence[tuple[str, ...]],
    excludes: Sequence[tuple[str, ...]],
    automaton: Any,
    patterns: dict[int, EncodedPattern],
) -> FastIndex:
    if len(rules) > INDEX_MASK:
        raise ValueError("too many rules for one matcher")
    priorities = sorted({rule.priority for rule in rules}, reverse=True)
    position = {priority: n << PRIORITY_SHIFT for n, priority in enumerate(priorities)}
    priority_rank = tuple(position[rule.priority] for rule in rules)
    anchors = _anchors(automaton)
    single: defaultdict[str, defaultdict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    exact: defaultdict[str, defaultdict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    pairs: defaultdict[str, defaultdict[str, defaultdict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for index, (rule, words) in enumerate(zip(rules, keywords, strict=True)):
        keys = rule.scope.index_keys()
        base = priority_rank[index]
        if rule.match == "any" or (rule.match == "all" and len(words) == 1):
            targets = [(single[word], rank(base, len(word), index)) for word in words]
        elif rule.match == "exact":
            targets = [(exact[word], rank(base, len(word), index)) for word in words]
        elif rule.match == "all" and words:
            anchor = anchors.get(index) or words[0]
            second = max((w for w in words if w != anchor), key=lambda w: (len(w), w))
            longest = max(map(len, words))
            targets = [(pairs[anchor][second], rank(base, longest, index))]
        else:
            continue
        for by_scope, value in targets:
            for key in keys:
                by_scope[key].append(value)
    triggers, always = _regex_triggers(rules, automaton)
    frozen_single = _frozen(single)
    narrow = {
        word: {key: ranks for key, ranks in by_scope.items() if key != ALL_GROUPS}
        for word, by_scope in frozen_single.items()
    }
    return FastIndex(
        single=frozen_single,
        single_all_groups={
            word: by_scope[ALL_GROUPS]
            for word, by_scope in frozen_single.items()
            if ALL_GROUPS in by_scope
        },
        single_narrow={word: by_scope for word, by_scope in narrow.items() if by_scope},
        exact=_frozen(exact),
        pairs={anchor: _frozen(by_second) for anchor, by_second in pairs.items()},
        regex_triggers=triggers,
        regex_literals=frozenset(triggers),
        regex_always=always,
        priority_rank=priority_rank,
        checks=tuple(
            _check(rule, words, ex)
            for rule, words, ex in zip(rules, keywords, excludes, strict=True)
        ),
        patterns=patterns,
    )


def _frozen(table: dict[str, defaultdict[str, list[int]]]) -> dict[str, ByScope]:
    return {
        word: {key: tuple(sorted(set(ranks))) for key, ranks in by_scope.items()}
        for word, by_scope in table.items()
    }


def _anchors(automaton: Any) -> dict[int, str]:
    """rule index -> the keyword the automaton's postings anchor its `all` rule on."""
    found: dict[int, str] = {}
    if automaton is None:
        return found
    for word, entry in automaton.items():
        for postings in entry.by_scope.values():
            for index in postings.all_of:
                found[index] = word
    return found


def _regex_triggers(
    rules: Sequence[Rule], automaton: Any
) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """A regex rule is triggered by its literals when the automaton holds them all (a matcher
    built before literals were added to the automaton does not: its rules then always run)."""
    triggers: defaultdict[str, list[int]] = defaultdict(list)
    always = []
    for index, rule in enumerate(rules):
        if rule.match != "regex" or not rule.pattern:
            continue
        literals = required_literals(rule.pattern)
        if literals and automaton is not None and all(automaton.exists(w) for w in literals):
            for literal in literals:
                triggers[literal].append(index)
        else:
            always.append(index)
    return {literal: tuple(indexes) for literal, indexes in triggers.items()}, tuple(always)


def _check(rule: Rule, words: tuple[str, ...], excludes: tuple[str, ...]) -> RuleCheck:
    return RuleCheck(
        rule=rule,
        excludes=frozenset(excludes) or None,
        needs=frozenset(words) if rule.match == "all" and len(words) > 2 else None,
        check_scope=rule.match == "regex",
        pieces=tuple((literal, name) for literal, name, _, _ in Formatter().parse(rule.reply)),
    )


def regex_literals_of(rules: Sequence[Rule]) -> set[str]:
    """The literals to add to the automaton when building, so regex rules can be prefiltered."""
    words: set[str] = set()
    for rule in rules:
        if rule.match == "regex" and rule.pattern:
            words |= required_literals(rule.pattern) or set()
    return words
