"""The matcher: one Aho-Corasick automaton over every keyword of a workspace's rules, plus its
RE2 patterns, built once when the rules change and shared by every app process through the store.

Sharing: ``dumps()`` gives bytes the store keeps next to ``version`` (a hash of everything
``decide`` reads from the rules). An app process caches ``Matcher.loads(blob)`` keyed by
(workspace, version) and loads again when the stored version differs, so no process depends on
state another process holds in memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, NamedTuple, cast

import ahocorasick
import re2

from siyu.community.matching.index import (
    EncodedPattern,
    FastIndex,
    build_index,
    regex_literals_of,
)
from siyu.community.matching.normalise import normalise
from siyu.community.matching.rules import (
    InvalidRule,
    Pattern,
    Rule,
    Scope,
    compile_pattern,
    validate_rule,
)

# Bytes layout: magic, SHA-256 of the body, body (a pickle). The digest catches a truncated or
# corrupted blob before the automaton's C loader reads it.
_MAGIC = b"SIYU-AC1"
_DIGEST_SIZE = 32


class Postings(NamedTuple):
    """The rules of one scope key that a keyword concerns, by role (indexes into
    ``Matcher.rules``)."""

    any_of: tuple[int, ...]
    all_of: tuple[int, ...]  # the `all` rules this keyword anchors
    exact_of: tuple[int, ...]


class KeywordEntry(NamedTuple):
    """The automaton's value for one normalised keyword. Named tuples pickle compactly, which
    keeps loading a 10,000-rule matcher fast.

    Postings are split by scope key (``Scope.index_keys``): a group's greeting rules copied
    across 70 groups, or schedule rules per group type, would otherwise make every ``签到`` check
    70 rules only to find 69 out of scope. A message looks up only its own keys.

    An ``all`` rule is triggered by one keyword only, its *anchor* (the keyword the fewest rules
    share): it can only match when every keyword occurs, so checking it when its rarest keyword
    occurs finds every match, and a common word (发货, in hundreds of rules) does not make the
    engine check hundreds of rules that lack their product name. Its other keywords list it in
    ``partial_of``, read only by the tester's explanation. Exclude keywords are in the automaton
    so that they are found, and are checked per matched rule (``Matcher.excludes``).
    """

    keyword: str
    by_scope: dict[str, Postings]
    partial_of: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RegexRule:
    rule_index: int
    pattern: Pattern


@dataclass(frozen=True, slots=True, eq=False)
class Matcher:
    """Everything ``decide`` needs for one workspace. Rules are ordered oldest first."""

    version: str
    rules: tuple[Rule, ...]
    keywords: tuple[tuple[str, ...], ...]  # each rule's distinct normalised keywords
    excludes: tuple[tuple[str, ...], ...]  # each rule's distinct normalised exclude keywords
    automaton: Any  # ahocorasick.Automaton over KeywordEntry values; None without keywords
    regex_rules: tuple[RegexRule, ...]
    regex_set: Any  # re2.Set of the same patterns: one pass tells which patterns can match
    keyword_sets: tuple[frozenset[str], ...]  # derived: an `all` rule matches when all occur
    index: FastIndex  # derived: the hot path's ranked lookup tables (``index.py``)

    def dumps(self) -> bytes:
        body = pickle.dumps(
            {
                "version": self.version,
                "rules": [_rule_record(rule) for rule in self.rules],
                "keywords": self.keywords,
                "excludes": self.excludes,
                "automaton": self.automaton,
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        return _MAGIC + hashlib.sha256(body).digest() + body

    @classmethod
    def loads(cls, blob: bytes) -> Matcher:
        body = _checked_body(blob)
        state = _AutomatonOnlyUnpickler(io.BytesIO(body)).load()
        rules = tuple(_rule_from_record(record) for record in state["rules"])
        return _assemble(
            state["version"], rules, state["keywords"], state["excludes"], state["automaton"]
        )


def build_matcher(rules: Iterable[Rule]) -> Matcher:
    """Validate the rules and build their matcher; raises ``InvalidRule`` on the first bad one."""
    ordered = tuple(sorted(rules, key=lambda rule: (rule.created_at, rule.id)))
    for rule in ordered:
        if problems := validate_rule(rule):
            raise InvalidRule(rule.id, problems)
    keywords = tuple(_distinct_normalised(rule.keywords) for rule in ordered)
    excludes = tuple(_distinct_normalised(rule.exclude_keywords) for rule in ordered)
    automaton = _build_automaton(ordered, keywords, excludes)
    return _assemble(rules_version(ordered), ordered, keywords, excludes, automaton)


def rules_version(rules: Sequence[Rule]) -> str:
    """Content hash of every rule field ``decide`` reads, in a stable order. A changed reply
    template changes it too: otherwise other processes would keep sending the old reply."""
    ordered = sorted(rules, key=lambda rule: (rule.created_at, rule.id))
    canonical = json.dumps(
        [_rule_record(rule) for rule in ordered], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _distinct_normalised(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise(word) for word in words))


def _build_automaton(
    rules: Sequence[Rule],
    keywords: Sequence[tuple[str, ...]],
    excludes: Sequence[tuple[str, ...]],
) -> Any:
    # word -> scope key -> role -> rule indexes
    postings: defaultdict[str, dict[str, dict[str, list[int]]]] = defaultdict(dict)
    partial: defaultdict[str, list[int]] = defaultdict(list)
    costs = _anchor_costs(keywords)
    for index, (rule, words) in enumerate(zip(rules, keywords, strict=True)):
        for word, role in _keyword_roles(rule, words, costs):
            if role == "partial":
                partial[word].append(index)
                continue
            for key in rule.scope.index_keys():
                roles = postings[word].setdefault(key, {"any": [], "all": [], "exact": []})
                roles[role].append(index)
    excluded = {word for words in excludes for word in words}
    # Regex rules' required literals (``literals.py``): found by the same scan, they tell which
    # regex rules are worth running on a message.
    all_words = postings.keys() | partial.keys() | excluded | regex_literals_of(rules)
    if not all_words:
        return None
    automaton = ahocorasick.Automaton()
    for word in sorted(all_words):
        by_scope = {
            key: Postings(tuple(roles["any"]), tuple(roles["all"]), tuple(roles["exact"]))
            for key, roles in postings.get(word, {}).items()
        }
        automaton.add_word(word, KeywordEntry(word, by_scope, tuple(partial.get(word, ()))))
    automaton.make_automaton()
    return automaton


def _anchor_costs(keywords: Sequence[tuple[str, ...]]) -> Counter[str]:
    """How often each keyword is likely to occur, judged from the rules' own vocabulary: the
    rules using it, plus the rules using a longer keyword that contains it (面膜 occurs whenever
    花漾面膜 does). The cheapest keyword of an `all` rule is its anchor."""
    uses = Counter(word for words in keywords for word in words)
    finder = ahocorasick.Automaton()
    for word in uses:
        finder.add_word(word, word)
    finder.make_automaton()
    costs: Counter[str] = Counter()
    for word, count in uses.items():
        for inside in {found for _, found in finder.iter(word)}:
            costs[inside] += count
    return costs


def _keyword_roles(
    rule: Rule, words: tuple[str, ...], costs: Counter[str]
) -> Iterator[tuple[str, str]]:
    if rule.match in ("any", "exact"):
        for word in words:
            yield word, rule.match
    elif rule.match == "all":
        anchor = min(words, key=lambda word: (costs[word], -len(word), word))
        for word in words:
            yield word, "all" if word == anchor else "partial"


def _assemble(
    version: str,
    rules: tuple[Rule, ...],
    keywords: tuple[tuple[str, ...], ...],
    excludes: tuple[tuple[str, ...], ...],
    automaton: Any,
) -> Matcher:
    regex_rules = tuple(
        RegexRule(index, compile_pattern(rule.pattern))
        for index, rule in enumerate(rules)
        if rule.match == "regex" and rule.pattern
    )
    return Matcher(
        version,
        rules,
        keywords,
        excludes,
        automaton,
        regex_rules,
        _regex_set(rules, regex_rules),
        tuple(frozenset(words) for words in keywords),
        build_index(
            rules,
            keywords,
            excludes,
            automaton,
            {r.rule_index: cast(EncodedPattern, r.pattern) for r in regex_rules},
        ),
    )


def _regex_set(rules: Sequence[Rule], regex_rules: Sequence[RegexRule]) -> Any:
    if not regex_rules:
        return None
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    patterns = re2.Set.SearchSet(options)
    for regex_rule in regex_rules:
        patterns.Add(rules[regex_rule.rule_index].pattern)  # index = position in regex_rules
    patterns.Compile()
    return patterns


# ---------------------------------------------------------------------------------------------
# Serialised form


def _checked_body(blob: bytes) -> bytes:
    if not blob.startswith(_MAGIC):
        raise ValueError("not a serialised matcher (bad magic)")
    digest = blob[len(_MAGIC) : len(_MAGIC) + _DIGEST_SIZE]
    body = blob[len(_MAGIC) + _DIGEST_SIZE :]
    if hashlib.sha256(body).digest() != digest:
        raise ValueError("serialised matcher is corrupted (digest mismatch)")
    return body


_UNPICKLE_ALLOWED = frozenset(
    {
        ("ahocorasick", "Automaton"),
        ("siyu.community.matching.automaton", "KeywordEntry"),
        ("siyu.community.matching.automaton", "Postings"),
    }
)


class _AutomatonOnlyUnpickler(pickle.Unpickler):
    """The body holds only plain values, KeywordEntry tuples and the automaton: refuse any other
    global, so a tampered blob cannot name a callable to run."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _UNPICKLE_ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"serialised matcher may not reference {module}.{name}")


def _rule_record(rule: Rule) -> dict[str, Any]:
    """A rule as JSON-compatible primitives: hashed for the version and stored in the blob."""
    return {
        "id": rule.id,
        "name": rule.name,
        "match": rule.match,
        "reply": rule.reply,
        "created_at": rule.created_at.isoformat(),
        "keywords": list(rule.keywords),
        "exclude_keywords": list(rule.exclude_keywords),
        "pattern": rule.pattern,
        "kind": rule.kind,
        "priority": rule.priority,
        "scope": {
            "all_groups": rule.scope.all_groups,
            "group_types": sorted(rule.scope.group_types),
            "group_ids": sorted(rule.scope.group_ids),
            "private_chat": rule.scope.private_chat,
        },
        "active_hours": [[start.isoformat(), end.isoformat()] for start, end in rule.active_hours],
        "cooldown_seconds": rule.cooldown_seconds,
    }


def _rule_from_record(record: dict[str, Any]) -> Rule:
    scope = record["scope"]
    return Rule(
        id=record["id"],
        name=record["name"],
        match=record["match"],
        reply=record["reply"],
        created_at=datetime.fromisoformat(record["created_at"]),
        keywords=tuple(record["keywords"]),
        exclude_keywords=tuple(record["exclude_keywords"]),
        pattern=record["pattern"],
        kind=record["kind"],
        priority=record["priority"],
        scope=Scope(
            scope["all_groups"],
            frozenset(scope["group_types"]),
            frozenset(scope["group_ids"]),
            scope["private_chat"],
        ),
        active_hours=tuple(
            (time.fromisoformat(start), time.fromisoformat(end))
            for start, end in record["active_hours"]
        ),
        cooldown_seconds=record["cooldown_seconds"],
    )
