"""Deciding whether the bot answers a message, with which rule, and why.

``evaluate`` does the work and explains every candidate rule; ``decide`` is the hot path the
message pipeline calls; ``test_text`` serves the console's rule tester with no side effects.
State the engine needs but must not keep (when a rule last answered in a conversation) comes from
the caller through ``MatchContext``, so any process can decide for any workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from siyu.community.matching.automaton import KeywordEntry, Matcher, Postings
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


@dataclass(frozen=True, slots=True)
class Decision:
    """The bot answers with ``reply``. For ``kind == "handoff"`` the caller also opens an
    after-sales ticket for the group's operators and notifies them."""

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
    """The rule that answers ``message``, if any (see ``evaluate``)."""
    return evaluate(matcher, message, context).decision


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
