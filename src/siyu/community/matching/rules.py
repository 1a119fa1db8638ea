"""Auto-reply rules: what a rule is, how it is checked before it is saved, and reply templates.

A rule is plain data. The store persists it, ``validate_rule`` refuses what cannot work (a
pattern RE2 rejects, no keywords, an unknown template variable) with messages an operator can act
on, and ``build_matcher`` (automaton.py) turns a workspace's rules into one shared matcher.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal, Protocol, cast, get_args

import re2

from siyu.community.matching.normalise import normalise

MatchMode = Literal["any", "all", "exact", "regex"]
RuleKind = Literal["reply", "handoff"]
MATCH_MODES: tuple[str, ...] = get_args(MatchMode)
RULE_KINDS: tuple[str, ...] = get_args(RuleKind)

TEMPLATE_VARIABLES = ("nickname", "group_name", "next_live_time")
DEFAULT_COOLDOWN_SECONDS = 60
MAX_PATTERN_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a rule answers. Group chats: every group, or only the listed group types and ids.
    Private chats only when ``private_chat`` is set (a bot answering one-to-one chats is opt-in).
    """

    all_groups: bool = True
    group_types: frozenset[str] = frozenset()
    group_ids: frozenset[str] = frozenset()
    private_chat: bool = False

    @classmethod
    def only(
        cls,
        *,
        group_types: frozenset[str] | set[str] = frozenset(),
        group_ids: frozenset[str] | set[str] = frozenset(),
        private_chat: bool = False,
    ) -> Scope:
        return cls(False, frozenset(group_types), frozenset(group_ids), private_chat)

    def covers(self, chat: str, group_id: str | None, group_type: str | None) -> bool:
        if chat == "private":
            return self.private_chat
        return self.all_groups or group_type in self.group_types or group_id in self.group_ids

    def is_empty(self) -> bool:
        return not (self.all_groups or self.group_types or self.group_ids or self.private_chat)

    def index_keys(self) -> tuple[str, ...]:
        """The scope keys this scope is indexed under (``chat_keys`` gives a chat's)."""
        keys = ["groups"] if self.all_groups else []
        if not self.all_groups:
            keys += [f"type:{group_type}" for group_type in sorted(self.group_types)]
            keys += [f"group:{group_id}" for group_id in sorted(self.group_ids)]
        if self.private_chat:
            keys.append("private")
        return tuple(keys)


def chat_keys(chat: str, group_id: str | None, group_type: str | None) -> tuple[str, ...]:
    """The scope keys of the rules that may answer in this chat: a scope covers a chat exactly
    when they share a key."""
    if chat == "private":
        return ("private",)
    return ("groups", f"type:{group_type}", f"group:{group_id}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One auto-reply rule. ``active_hours`` are (start, end) local times in the workspace's time
    zone, end excluded; a window whose end is before its start wraps midnight (22:00-02:00). No
    windows means always active. ``created_at`` breaks the last tie (oldest wins).
    """

    id: str
    name: str
    match: MatchMode
    reply: str
    created_at: datetime
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    pattern: str | None = None
    kind: RuleKind = "reply"
    priority: int = 0
    scope: Scope = field(default_factory=Scope)
    active_hours: tuple[tuple[time, time], ...] = ()
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS

    def __post_init__(self) -> None:
        # Callers pass lists (JSON, forms); tuples keep the rule hashable and immutable.
        object.__setattr__(self, "keywords", tuple(self.keywords))
        object.__setattr__(self, "exclude_keywords", tuple(self.exclude_keywords))
        object.__setattr__(self, "active_hours", tuple(tuple(w) for w in self.active_hours))

    def is_active_at(self, local: time) -> bool:
        if not self.active_hours:
            return True
        return any(_within(local, start, end) for start, end in self.active_hours)


def _within(moment: time, start: time, end: time) -> bool:
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # wraps midnight


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One reason a rule cannot be saved: the field (as the API names it) and a message."""

    field: str
    message: str


class InvalidRule(ValueError):
    def __init__(self, rule_id: str, problems: list[RuleProblem]) -> None:
        self.rule_id = rule_id
        self.problems = problems
        details = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(f"rule {rule_id} is invalid: {details}")


# ---------------------------------------------------------------------------------------------
# Patterns (RE2 only: linear time whatever the input, so a fan's message cannot stall the bot)


class Pattern(Protocol):
    def search(self, text: str) -> PatternMatch | None: ...


class PatternMatch(Protocol):
    def group(self, index: int = 0) -> str: ...


def _re2_options() -> Any:
    options = re2.Options()
    # Patterns run on normalised (case-folded) text, so they must ignore case to keep working
    # when an operator writes ``SKU\d+``.
    options.case_sensitive = False
    options.log_errors = False  # the message goes back to the operator, not to stderr
    return options


def compile_pattern(pattern: str) -> Pattern:
    """Compile with RE2; raises ``re2.error`` (see ``pattern_problem`` for a readable message)."""
    return cast(Pattern, re2.compile(pattern, _re2_options()))


def pattern_problem(pattern: str) -> str | None:
    """Why RE2 refuses ``pattern``, in words an operator can act on; None when it compiles."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"the pattern is longer than {MAX_PATTERN_LENGTH} characters"
    try:
        compile_pattern(pattern)
    except re2.error as error:
        return _explain_re2_error(error)
    return None


def _explain_re2_error(error: Exception) -> str:
    raw = error.args[0] if error.args else ""
    detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if any(op in detail for op in ("(?=", "(?!", "(?<=", "(?<!")):
        return f"look-ahead and look-behind are not supported (RE2: {detail})"
    if detail.startswith("invalid escape sequence: \\") and detail[-1:].isdigit():
        return f"backreferences such as \\1 are not supported (RE2: {detail})"
    if "(?P=" in detail or detail == "invalid perl operator: (?P":
        return f"named backreferences are not supported (RE2: {detail})"
    return f"RE2 cannot compile the pattern: {detail}"


# ---------------------------------------------------------------------------------------------
# Reply templates: {nickname}, {group_name}, {next_live_time}; {{ and }} for literal braces.


def template_problems(template: str) -> list[str]:
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None
        ]
    except ValueError as error:
        return [f"the braces do not balance ({error}); write {{{{ and }}}} for literal braces"]
    problems = []
    allowed = ", ".join(f"{{{variable}}}" for variable in TEMPLATE_VARIABLES)
    for name, spec, conversion in fields:
        # Also refuses {} and {0} and attribute access such as {nickname.__class__}.
        if name not in TEMPLATE_VARIABLES:
            problems.append(f"unknown variable {{{name}}}; use {allowed}")
        elif spec or conversion:
            problems.append(f"{{{name}}} takes no format or conversion")
    return problems


def render_template(template: str, values: Mapping[str, str | None]) -> str:
    """Fill a validated template; a missing or empty value renders as nothing, never fails."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(values.get(name) or "")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Validation


def validate_rule(rule: Rule) -> list[RuleProblem]:
    """Every reason the rule cannot be saved; an empty list means it is valid."""
    problems = [
        *_mode_problems(rule),
        *_keyword_problems(rule),
        *(RuleProblem("reply", message) for message in template_problems(rule.reply)),
        *_setting_problems(rule),
    ]
    return problems


def _mode_problems(rule: Rule) -> list[RuleProblem]:
    problems = []
    if rule.match not in MATCH_MODES:
        problems.append(
            RuleProblem("match", f"unknown match mode {rule.match!r}; use {MATCH_MODES}")
        )
    if rule.kind not in RULE_KINDS:
        problems.append(RuleProblem("kind", f"unknown kind {rule.kind!r}; use {RULE_KINDS}"))
    if rule.match == "regex":
        if not rule.pattern:
            problems.append(RuleProblem("pattern", "a regex rule needs a pattern"))
        elif (reason := pattern_problem(rule.pattern)) is not None:
            problems.append(RuleProblem("pattern", reason))
    elif rule.pattern:
        problems.append(RuleProblem("pattern", "only regex rules take a pattern"))
    return problems


def _keyword_problems(rule: Rule) -> list[RuleProblem]:
    problems = []
    if rule.match == "regex" and rule.keywords:
        problems.append(
            RuleProblem("keywords", "regex rules match by pattern: leave keywords empty")
        )
    if rule.match in ("any", "all", "exact") and not rule.keywords:
        problems.append(
            RuleProblem("keywords", f"a {rule.match!r} rule needs at least one keyword")
        )
    for field_name, words in (
        ("keywords", rule.keywords),
        ("exclude_keywords", rule.exclude_keywords),
    ):
        for word in words:
            if not normalise(word):
                problems.append(RuleProblem(field_name, f"{word!r} is empty once normalised"))
    return problems


def _setting_problems(rule: Rule) -> list[RuleProblem]:
    problems = []
    if rule.cooldown_seconds < 0:
        problems.append(RuleProblem("cooldown_seconds", "must be 0 or more"))
    if rule.scope.is_empty():
        problems.append(RuleProblem("scope", "the scope covers no chat at all"))
    for start, end in rule.active_hours:
        if start == end:
            problems.append(
                RuleProblem(
                    "active_hours",
                    f"{start:%H:%M}-{end:%H:%M} is empty; omit active hours "
                    "for a rule that is always on",
                )
            )
    return problems
