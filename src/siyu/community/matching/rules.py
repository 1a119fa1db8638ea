"""Auto-reply rules: what a rule is, how it is checked before it is saved, and reply templates.

A rule is plain data. The store persists it, ``validate_rule`` refuses what cannot work (a
pattern RE2 rejects, no keywords, an unknown template variable) with messages an operator can act
on, and ``build_matcher`` (automaton.py) turns a workspace's rules into one shared matcher.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal, Protocol, cast, get_args

import re2

from siyu.community.matching.normalise import normalise
from siyu.kit.i18n import N_, gettext

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
    """One reason a rule cannot be saved: the field (as the API names it) and an English
    message id with its values, translated where an operator reads it (``text``)."""

    field: str
    message_id: str
    values: Mapping[str, object] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        """In English, as the API and logs give it."""
        return self.message_id % self.values if self.values else self.message_id

    def text(self) -> str:
        """In the reader's language: the field's label and the reason."""
        reason = gettext(self.message_id)
        if self.values:
            reason %= self.values
        label = gettext(FIELD_LABELS.get(self.field, self.field))
        return gettext("%(field)s: %(reason)s") % {"field": label, "reason": reason}


# The rule form's labels for the fields a problem names.
FIELD_LABELS = {
    "match": N_("Match"),
    "kind": N_("Kind"),
    "pattern": N_("Pattern (RE2)"),
    "keywords": N_("Keywords"),
    "exclude_keywords": N_("Exclude keywords"),
    "reply": N_("Reply"),
    "cooldown_seconds": N_("Cooldown (seconds)"),
    "scope": N_("Scope"),
    "active_hours": N_("Active hours"),
}


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


def pattern_problem(pattern: str) -> RuleProblem | None:
    """Why RE2 refuses ``pattern``, in words an operator can act on; None when it compiles."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return RuleProblem(
            "pattern",
            N_("the pattern is longer than %(limit)s characters"),
            {"limit": MAX_PATTERN_LENGTH},
        )
    try:
        compile_pattern(pattern)
    except re2.error as error:
        return _explain_re2_error(error)
    return None


def _explain_re2_error(error: Exception) -> RuleProblem:
    raw = error.args[0] if error.args else ""
    detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if any(op in detail for op in ("(?=", "(?!", "(?<=", "(?<!")):
        message = N_("look-ahead and look-behind are not supported (RE2: %(detail)s)")
    elif detail.startswith("invalid escape sequence: \\") and detail[-1:].isdigit():
        message = N_("backreferences such as \\1 are not supported (RE2: %(detail)s)")
    elif "(?P=" in detail or detail == "invalid perl operator: (?P":
        message = N_("named backreferences are not supported (RE2: %(detail)s)")
    else:
        message = N_("RE2 cannot compile the pattern: %(detail)s")
    return RuleProblem("pattern", message, {"detail": detail})


# ---------------------------------------------------------------------------------------------
# Reply templates: {nickname}, {group_name}, {next_live_time}; {{ and }} for literal braces.


def template_problems(template: str) -> list[RuleProblem]:
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None
        ]
    except ValueError:
        message = N_("the braces do not balance; write {{ and }} for literal braces")
        return [RuleProblem("reply", message)]
    problems = []
    allowed = ", ".join(f"{{{variable}}}" for variable in TEMPLATE_VARIABLES)
    for name, spec, conversion in fields:
        # Also refuses {} and {0} and attribute access such as {nickname.__class__}.
        if name not in TEMPLATE_VARIABLES:
            message = N_("unknown variable {%(name)s}; use %(allowed)s")
            problems.append(RuleProblem("reply", message, {"name": name, "allowed": allowed}))
        elif spec or conversion:
            message = N_("{%(name)s} takes no format or conversion")
            problems.append(RuleProblem("reply", message, {"name": name}))
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
        *template_problems(rule.reply),
        *_setting_problems(rule),
    ]
    return problems


def _mode_problems(rule: Rule) -> list[RuleProblem]:
    problems = []
    if rule.match not in MATCH_MODES:
        message = N_("unknown match mode %(mode)r; use %(modes)s")
        modes = ", ".join(MATCH_MODES)
        problems.append(RuleProblem("match", message, {"mode": rule.match, "modes": modes}))
    if rule.kind not in RULE_KINDS:
        message = N_("unknown kind %(kind)r; use %(kinds)s")
        kinds = ", ".join(RULE_KINDS)
        problems.append(RuleProblem("kind", message, {"kind": rule.kind, "kinds": kinds}))
    if rule.match == "regex":
        if not rule.pattern:
            problems.append(RuleProblem("pattern", N_("a regex rule needs a pattern")))
        elif (reason := pattern_problem(rule.pattern)) is not None:
            problems.append(reason)
    elif rule.pattern:
        problems.append(RuleProblem("pattern", N_("only regex rules take a pattern")))
    return problems


def _keyword_problems(rule: Rule) -> list[RuleProblem]:
    problems = []
    if rule.match == "regex" and rule.keywords:
        problems.append(
            RuleProblem("keywords", N_("regex rules match by pattern: leave keywords empty"))
        )
    if rule.match in ("any", "all", "exact") and not rule.keywords:
        problems.append(
            RuleProblem(
                "keywords", N_("a %(mode)r rule needs at least one keyword"), {"mode": rule.match}
            )
        )
    for field_name, words in (
        ("keywords", rule.keywords),
        ("exclude_keywords", rule.exclude_keywords),
    ):
        for word in words:
            if not normalise(word):
                message = N_("%(word)r is empty once normalised")
                problems.append(RuleProblem(field_name, message, {"word": word}))
    return problems


def _setting_problems(rule: Rule) -> list[RuleProblem]:
    problems = []
    if rule.cooldown_seconds < 0:
        problems.append(RuleProblem("cooldown_seconds", N_("must be 0 or more")))
    if rule.scope.is_empty():
        problems.append(RuleProblem("scope", N_("the scope covers no chat at all")))
    for start, end in rule.active_hours:
        if start == end:
            problems.append(
                RuleProblem(
                    "active_hours",
                    N_("%(window)s is empty; omit active hours for a rule that is always on"),
                    {"window": f"{start:%H:%M}-{end:%H:%M}"},
                )
            )
    return problems
