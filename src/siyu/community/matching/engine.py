"""Deciding whether the bot answers a message, with which rule, and why.

``evaluate`` does the work and explains every candidate rule; ``decide`` is the hot path the
message pipeline calls; ``test_text`` serves the console's rule tester with no side effects.
State the engine needs but must not keep (when a rule last answered in a conversation) comes from
the caller through ``MatchContext``, so any process can decide for any workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from siyu.community.matching.automaton import KeywordEntry, Matcher, Postings
from siyu.community.matching.index import INDEX_MASK, rank
from siyu.community.matching.normalise import normalise
from siyu.community.matching.rules import Rule, RuleKind, chat_keys, render_template
from siyu.kit.clock import DEFAULT_TIMEZONE, as_utc, utcnow

Reason = Literal[
    "chosen",
    "excluded",  # an exclude keyword occurs
    "missing_keyword",  # an `all` rule lacks one of its keywords
    "not_whole_message",  # an `exact` rule's keyword occurs inside a longer message
    "out_of_scope",
    "inactive_hours",
    "cooldown",
    "lower_priority",
    "shorter_match",
    "newer",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMessage:
    text: str
    sender_role: Literal["fan", "staff"]
    chat: Literal["group", "private"]
    sent_at: datetime
    group_id: str | None = None
    group_type: str | None = None
    sender_id: str | None = None  # keys the cooldown of private chats
    # ``normalise(text)`` when the caller already has it (the pipeline normalises once for
    # storage checks too); None: the engine normalises.
    normalised_text: str | None = None

    @property
    def conversation_id(self) -> str:
        """What a cooldown counts per: the group, or the fan in a private chat."""
        if self.chat == "group":
            return f"group:{self.group_id}"
        return f"private:{self.sender_id}"


def _never_replied(rule_id: str, conversation_id: str) -> datetime | None:
    return None


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What the caller knows: the workspace's time zone, when each rule last answered in a
    conversation (kept in the store by the caller), and the values for reply templates."""

    timezone: str = DEFAULT_TIMEZONE
    last_reply_at: Callable[[str, str], datetime | None] = _never_replied
    template_values: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One rule that matched the text (or partly, for `all`), and what became of it.
    ``reason`` is a stable code for the console to translate; ``detail`` names the keyword or
    the rule that settled it; ``matched`` is the longest matched text."""

    rule: Rule
    reason: Reason
    matched: str = ""
    detail: str = ""

    def describe(self) -> str:
        return _DESCRIPTIONS[self.reason].format(matched=self.matched, detail=self.detail)


_DESCRIPTIONS: dict[Reason, str] = {
    "chosen": "chosen: matched 「{matched}」",
    "excluded": "rejected: excluded by keyword 「{detail}」",
    "missing_keyword": "rejected: missing keyword 「{detail}」",
    "not_whole_message": "rejected: 「{matched}」 is not the whole message",
    "out_of_scope": "rejected: this chat is out of the rule's scope",
    "inactive_hours": "rejected: outside the rule's active hours",
    "cooldown": "rejected: answered here {detail} s ago, within its cooldown",
    "lower_priority": "not chosen: lower priority than rule {detail}",
    "shorter_match": "not chosen: matched 「{matched}」, shorter than rule {detail}'s match",
    "newer": "not chosen: newer than rule {detail}, which ties with it",
}


class Decision(NamedTuple):
    """The bot answers with ``reply``. For ``kind == "handoff"`` the caller also opens an
    after-sales ticket for the group's operators and notifies them. (A named tuple: one is made
    for every answered message, and it costs a third of a frozen dataclass to create.)"""

    rule: Rule
    reply: str
    kind: RuleKind
    explanation: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: Decision | None
    explanation: tuple[Candidate, ...]
    normalised_text: str
    skipped: str | None = None  # why no rule was even considered


def decide(matcher: Matcher, message: IncomingMessage, context: MatchContext) -> Decision | None:
    """The rule that answers ``message``, if any: the same choice as ``evaluate`` (a test holds
    them equal on generated traffic), through the lean path of ``index.py`` and without an
    explanation. Per message: one automaton scan into a set of keywords; ranks of the rules they
    concern, looked up for the chat's scope keys only; regex rules run only when one of their
    literals occurs; then the ranked walk, which checks exclude keywords, active hours and the
    cooldown of the first candidates only (usually one)."""
    if message.sender_role == "staff":
        return None
    text = message.normalised_text
    if text is None:
        text = normalise(message.text)
    automaton = matcher.automaton
    if automaton is None or not text:
        found: set[str] = set()
    else:
        found = {entry[0] for _, entry in automaton.iter(text)}
    index = matcher.index
    if not found and not index.regex_always:
        return None  # most chat: nothing to weigh
    keys = _chat_keys(message.chat, message.group_id, message.group_type)
    ranks: list[int] = []
    if message.chat == "group":  # the busiest loop: rules of every group, one lookup a word
        every_group = index.single_all_groups
        for word in found:
            scoped = every_group.get(word)
            if scoped is not None:
                ranks += scoped
        narrow_keys = keys[1:]
    else:
        narrow_keys = keys
    narrow = index.single_narrow
    for word in found:
        by_scope = narrow.get(word)
        if by_scope is not None:
            _add_ranks(ranks, by_scope, narrow_keys)
    if (whole := index.exact.get(text)) is not None:
        _add_ranks(ranks, whole, keys)
    if len(found) > 1 and index.pairs:
        _add_pair_ranks(ranks, index.pairs, found, keys)
    if index.regex_always or not index.regex_literals.isdisjoint(found):
        _add_regex_ranks(ranks, matcher, found, text)
    if not ranks:
        return None
    ranks.sort()
    return _first_available(matcher, ranks, found, message, context)


def _add_ranks(
    ranks: list[int], by_scope: Mapping[str, tuple[int, ...]], keys: tuple[str, ...]
) -> None:
    for key in keys:
        found = by_scope.get(key)
        if found is not None:
            ranks.extend(found)


def _add_pair_ranks(
    ranks: list[int],
    pairs: Mapping[str, Mapping[str, Mapping[str, tuple[int, ...]]]],
    found: set[str],
    keys: tuple[str, ...],
) -> None:
    """`all` rules whose anchor and second keyword both occur; walks whichever side is smaller
    (a common anchor such as 退款 pairs with dozens of products, a message has a few words)."""
    for word in found:
        seconds = pairs.get(word)
        if seconds is None:
            continue
        if len(seconds) <= len(found):
            for second, by_scope in seconds.items():
                if second in found:
                    _add_ranks(ranks, by_scope, keys)
        else:
            for second in found:
                if (scoped := seconds.get(second)) is not None:
                    _add_ranks(ranks, scoped, keys)


def _add_regex_ranks(ranks: list[int], matcher: Matcher, found: set[str], text: str) -> None:
    """Regex rules one of whose literals occurs (or that have none). With several such rules,
    one RE2 set pass says which match at all; only those run again for the matched text. RE2
    works on UTF-8, so the text is encoded once here rather than by every call."""
    index = matcher.index
    triggered = {i for word in found & index.regex_literals for i in index.regex_triggers[word]}
    triggered.update(index.regex_always)
    encoded = text.encode()
    if len(triggered) > 1:
        positions = matcher.regex_set.Match(encoded) or ()
        triggered.intersection_update(matcher.regex_rules[p].rule_index for p in positions)
    for rule_index in triggered:
        hit = index.patterns[rule_index].search(encoded)
        if hit is not None:
            length = len(encoded[hit.start() : hit.end()].decode())  # in characters
            ranks.append(rank(index.priority_rank[rule_index], length, rule_index))


def _first_available(
    matcher: Matcher,
    ranks: list[int],
    found: set[str],
    message: IncomingMessage,
    context: MatchContext,
) -> Decision | None:
    checks = matcher.index.checks
    refused: set[int] | None = None  # a rule can be ranked more than once (several keywords)
    local: time | None = None
    for value in ranks:
        rule_index = value & INDEX_MASK
        if refused is not None and rule_index in refused:
            continue
        check = checks[rule_index]
        rule = check.rule
        ok = (
            (check.excludes is None or check.excludes.isdisjoint(found))
            and (check.needs is None or check.needs <= found)
            and (
                not check.check_scope
                or rule.scope.covers(message.chat, message.group_id, message.group_type)
            )
        )
        if ok and rule.active_hours:
            if local is None:
                local = _local_time(message.sent_at, context.timezone)
            ok = rule.is_active_at(local)
        if ok and rule.cooldown_seconds > 0:  # asked of the caller for this rule only
            last = context.last_reply_at(rule.id, message.conversation_id)
            ok = last is None or as_utc(message.sent_at) - as_utc(last) >= timedelta(
                seconds=rule.cooldown_seconds
            )
        if ok:
            return Decision(rule, _render(check.pieces, context.template_values), rule.kind, ())
        if refused is None:
            refused = set()
        refused.add(rule_index)
    return None


def _render(pieces: tuple[tuple[str, str | None], ...], values: Mapping[str, str | None]) -> str:
    """``render_template`` over a template parsed once."""
    if len(pieces) == 1 and pieces[0][1] is None:
        return pieces[0][0]
    return "".join(
        [literal + (values.get(name) or "") if name else literal for literal, name in pieces]
    )


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_time(moment: datetime, timezone: str) -> time:
    """``as_utc(moment)`` in the workspace's zone, without the detour through UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(timezone)).time()


@lru_cache(maxsize=4096)
def _chat_keys(chat: str, group_id: str | None, group_type: str | None) -> tuple[str, ...]:
    return chat_keys(chat, group_id, group_type)


def test_text(
    matcher: Matcher,
    text: str,
    *,
    chat: Literal["group", "private"] = "group",
    group_id: str | None = None,
    group_type: str | None = None,
    at: datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    template_values: Mapping[str, str | None] | None = None,
) -> Evaluation:
    """The console tester: which rule a fan's ``text`` would hit and why. No cooldown is
    consulted and nothing is recorded."""
    message = IncomingMessage(
        text=text,
        sender_role="fan",
        chat=chat,
        sent_at=at or utcnow(),
        group_id=group_id,
        group_type=group_type,
    )
    context = MatchContext(timezone, template_values=template_values or {})
    return evaluate(matcher, message, context, thorough=True)


test_text.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name


def evaluate(
    matcher: Matcher, message: IncomingMessage, context: MatchContext, *, thorough: bool = False
) -> Evaluation:
    """Staff never trigger the bot. Otherwise a rule qualifies when it matches per its mode, no
    exclude keyword occurs, and the chat is in its scope, its active hours and out of its
    cooldown. The highest priority wins; then the longest match; then the oldest rule.

    The explanation lists the rules that matched in the chat's scope and why each was chosen,
    rejected or outranked. ``thorough`` (the tester) lists every candidate: also rules out of
    scope, ``all`` rules missing a keyword and ``exact`` keywords inside a longer message, which
    the hot path does not spend time on."""
    if message.sender_role == "staff":
        return Evaluation(None, (), "", skipped="staff messages never trigger the bot")
    text = normalise(message.text)
    entries = _keyword_entries(matcher, text)
    regex_hits = _regex_hits(matcher, text)
    if not entries and not regex_hits:
        return Evaluation(None, (), text)  # most chat: nothing to weigh, answer fast
    matches, rejected = _match_rules(matcher, message, text, entries, regex_hits, thorough)
    matches.sort(key=lambda m: (-matcher.rules[m.rule_index].priority, -len(m.text), m.rule_index))
    chosen, explanation = _choose(matcher, matches, message, context, rejected, thorough)
    if chosen is None:
        return Evaluation(None, explanation, text)
    rule = matcher.rules[chosen.rule_index]
    reply = render_template(rule.reply, context.template_values)
    return Evaluation(Decision(rule, reply, rule.kind, explanation), explanation, text)


class _Match(NamedTuple):
    rule_index: int  # into matcher.rules; rules are ordered oldest first, so a lower index is older
    text: str  # the longest matched keyword (regex: matched text; exact: the whole message)


def _match_rules(
    matcher: Matcher,
    message: IncomingMessage,
    text: str,
    entries: Mapping[str, KeywordEntry],
    regex_hits: list[tuple[int, str]],
    thorough: bool,
) -> tuple[list[_Match], list[Candidate]]:
    """Rules whose mode matches ``text``, and the candidates rejected on the text alone. The
    hot path reads only the postings of the message's own scope keys; the tester reads them all
    so that out-of-scope rules show in its explanation."""
    keys = None if thorough else chat_keys(message.chat, message.group_id, message.group_type)
    longest: dict[int, str] = {}  # rule index -> its longest matched text
    rejected: list[Candidate] = []
    anchored: set[int] = set()
    for entry in entries.values():
        for postings in _postings(entry, keys):
            for index in postings.any_of:
                if len(entry.keyword) > len(longest.get(index, "")):
                    longest[index] = entry.keyword
            for index in postings.all_of:
                if index not in anchored:
                    anchored.add(index)
                    _match_all(matcher, index, entries, longest, rejected if thorough else None)
            if entry.keyword == text:
                for index in postings.exact_of:
                    longest[index] = text
    for index, matched in regex_hits:
        longest[index] = matched
    if thorough:
        rejected += _partial_matches(matcher, entries, text, anchored)
    return _without_excluded(matcher, longest, entries, rejected), rejected


def _postings(entry: KeywordEntry, keys: tuple[str, ...] | None) -> list[Postings]:
    if keys is None:
        return list(entry.by_scope.values())
    return [postings for key in keys if (postings := entry.by_scope.get(key)) is not None]


def _without_excluded(
    matcher: Matcher,
    longest: dict[int, str],
    entries: Mapping[str, KeywordEntry],
    rejected: list[Candidate],
) -> list[_Match]:
    matches = []
    for index, matched in longest.items():
        excluded_by = next((k for k in matcher.excludes[index] if k in entries), None)
        if excluded_by is None:
            matches.append(_Match(index, matched))
        else:
            rejected.append(Candidate(matcher.rules[index], "excluded", matched, excluded_by))
    return matches


def _keyword_entries(matcher: Matcher, text: str) -> dict[str, KeywordEntry]:
    if matcher.automaton is None or not text:
        return {}
    # One entry per distinct keyword, however often it occurs.
    return {entry.keyword: entry for _, entry in matcher.automaton.iter(text)}


def _match_all(
    matcher: Matcher,
    index: int,
    entries: Mapping[str, KeywordEntry],
    longest: dict[int, str],
    rejected: list[Candidate] | None,
) -> None:
    """An `all` rule matches when every keyword occurs (a set comparison, done in C). Which
    keyword is missing is worked out only when someone will read it (``rejected`` given)."""
    if entries.keys() >= matcher.keyword_sets[index]:
        longest[index] = max(matcher.keywords[index], key=len)
    elif rejected is not None:
        keywords = matcher.keywords[index]
        found = max((k for k in keywords if k in entries), key=len)
        missing = next(k for k in keywords if k not in entries)
        rejected.append(Candidate(matcher.rules[index], "missing_keyword", found, missing))


def _partial_matches(
    matcher: Matcher, entries: Mapping[str, KeywordEntry], text: str, anchored: set[int]
) -> list[Candidate]:
    """For the tester: ``all`` rules whose anchor is absent, ``exact`` keywords found inside a
    longer message (rules the anchor already settled are skipped)."""
    partial = sorted({i for entry in entries.values() for i in entry.partial_of})
    inside = sorted(
        {
            index
            for entry in entries.values()
            if entry.keyword != text
            for postings in entry.by_scope.values()
            for index in postings.exact_of
        }
    )
    candidates = []
    for index in partial:
        if index not in anchored:
            keywords = matcher.keywords[index]
            found = max((k for k in keywords if k in entries), key=len)
            missing = next(k for k in keywords if k not in entries)
            candidates.append(Candidate(matcher.rules[index], "missing_keyword", found, missing))
    for index in inside:
        if text not in matcher.keywords[index]:
            found = max((k for k in matcher.keywords[index] if k in entries), key=len)
            candidates.append(Candidate(matcher.rules[index], "not_whole_message", found))
    return candidates


def _regex_hits(matcher: Matcher, text: str) -> list[tuple[int, str]]:
    """(rule index, matched text) of every regex rule that matches. One RE2 set pass says which
    patterns match at all; only those run again to get the matched text."""
    if matcher.regex_set is None or not (hit_positions := matcher.regex_set.Match(text)):
        return []
    hits = []
    for position in hit_positions:
        regex_rule = matcher.regex_rules[position]
        found = regex_rule.pattern.search(text)
        if found is not None:
            hits.append((regex_rule.rule_index, found.group(0)))
    return hits


def _choose(
    matcher: Matcher,
    ranked: list[_Match],
    message: IncomingMessage,
    context: MatchContext,
    explanation: list[Candidate],
    thorough: bool,
) -> tuple[_Match | None, tuple[Candidate, ...]]:
    """The best-ranked match that is in scope, in its active hours and out of cooldown. Walking
    in rank order means the hot path checks about one rule, and asks the store for cooldown
    state only for the rule that would answer."""
    for position, match in enumerate(ranked):
        rule = matcher.rules[match.rule_index]
        if (unavailable := _unavailable(rule, match, message, context)) is not None:
            explanation.append(unavailable)
            continue
        explanation.append(Candidate(rule, "chosen", match.text))
        explanation.extend(
            _loser(matcher, match, other, message, context, thorough)
            for other in ranked[position + 1 :]
        )
        return match, tuple(explanation)
    return None, tuple(explanation)


def _unavailable(
    rule: Rule,
    match: _Match,
    message: IncomingMessage,
    context: MatchContext,
    check_cooldown: bool = True,
) -> Candidate | None:
    """Why the matching ``rule`` may not answer here and now, if it may not."""
    if not rule.scope.covers(message.chat, message.group_id, message.group_type):
        return Candidate(rule, "out_of_scope", match.text)
    if rule.active_hours:
        local = as_utc(message.sent_at).astimezone(ZoneInfo(context.timezone)).time()
        if not rule.is_active_at(local):
            return Candidate(rule, "inactive_hours", match.text)
    if check_cooldown and (waited := _seconds_since_last_reply(rule, message, context)) is not None:
        return Candidate(rule, "cooldown", match.text, str(waited))
    return None


def _loser(
    matcher: Matcher,
    winner: _Match,
    loser: _Match,
    message: IncomingMessage,
    context: MatchContext,
    thorough: bool,
) -> Candidate:
    """A rule ranked below the winner. The tester first says if it could not have answered
    anyway (scope, hours); the hot path only names the tie-break that ranked it lower."""
    if thorough:
        rule = matcher.rules[loser.rule_index]
        if (unavailable := _unavailable(rule, loser, message, context, False)) is not None:
            return unavailable
    return _beaten(matcher, winner, loser)


def _seconds_since_last_reply(
    rule: Rule, message: IncomingMessage, context: MatchContext
) -> int | None:
    """Seconds since the rule last answered in this conversation, if that is within its
    cooldown; None when the rule may answer."""
    if rule.cooldown_seconds <= 0:
        return None
    last = context.last_reply_at(rule.id, message.conversation_id)
    if last is None:
        return None
    waited = as_utc(message.sent_at) - as_utc(last)
    if waited >= timedelta(seconds=rule.cooldown_seconds):
        return None
    return max(0, int(waited.total_seconds()))


def _beaten(matcher: Matcher, winner: _Match, loser: _Match) -> Candidate:
    """Why ``loser`` lost to ``winner``: the first tie-break level that separates them."""
    won, lost = matcher.rules[winner.rule_index], matcher.rules[loser.rule_index]
    if lost.priority < won.priority:
        return Candidate(lost, "lower_priority", loser.text, won.id)
    if len(loser.text) < len(winner.text):
        return Candidate(lost, "shorter_match", loser.text, won.id)
    return Candidate(lost, "newer", loser.text, won.id)
