"""The form-based segment builder: operators pick a field, a comparison and a value from lists,
and the builder writes the condition in the filter language (``segments.service`` parses it).

Values are written as the filter language wants them: numbers as typed (checked), text in
double quotes with escapes, choice fields as their stable code (the text box accepts labels
too, but a saved filter keeps meaning the same when a label is re-worded).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from siyu.analytics.filters import FieldSpec
from siyu.kit.i18n import N_
from siyu.segments.service import SEGMENT_FIELDS

# field → label, in the order the builder lists them (keyed families stay in the text box).
FIELD_LABELS = {
    "orders": N_("Paid orders"),
    "net_paid": N_("Net paid (yuan)"),
    "spend_1y": N_("Spend over the last 365 days (yuan)"),
    "aov": N_("Average order value (yuan)"),
    "days_since_last_order": N_("Days since the last order"),
    "days_since_first_order": N_("Days since the first order"),
    "repurchase": N_("Bought more than once"),
    "rfm_segment": N_("RFM segment"),
    "cn8_segment": N_("Chinese eight segment"),
    "lifecycle": N_("Life-cycle stage"),
    "r": N_("R score (1-5)"),
    "f": N_("F score (1-5)"),
    "m": N_("M score (1-5)"),
    "activity": N_("Activity score (0-100)"),
    "activity_level": N_("Activity level"),
    "koc": N_("KOC score (0-100)"),
    "p_alive": N_("Chance still a customer (0-1)"),
    "platform": N_("Platform"),
    "tag": N_("Tag"),
    "region": N_("Region"),
    "source": N_("Source channel"),
    "consent": N_("Agreed to marketing"),
}
NUMBER_OPERATORS = (">=", ">", "=", "!=", "<=", "<")
EQUALITY_OPERATORS = ("=", "!=")
OPERATOR_LABELS = {
    "=": N_("is"),
    "!=": N_("is not"),
    ">=": "≥",
    ">": ">",
    "<=": "≤",
    "<": "<",
}
JOINERS = ("and", "or")


class BuilderError(ValueError):
    """The picked value can't be written for that field; the message id says why."""


@dataclass(frozen=True)
class FieldChoice:
    name: str
    label: str
    kind: str  # number | choice | bool | text
    operators: tuple[str, ...]
    choices: tuple[tuple[str, str], ...] = ()  # (code, label message id)


def describe(name: str, tags: list[str] | None = None) -> FieldChoice:
    """What the builder offers for a field; ``tags`` are the workspace's tag names."""
    if name not in FIELD_LABELS:
        raise BuilderError(N_("Pick a field from the list."))
    spec: FieldSpec = SEGMENT_FIELDS[name]
    label = FIELD_LABELS[name]
    if spec.choices is not None:
        return FieldChoice(name, label, "choice", EQUALITY_OPERATORS, tuple(spec.choices.items()))
    if name == "tag":
        names = tuple((tag, tag) for tag in tags or [])
        return FieldChoice(name, label, "choice", EQUALITY_OPERATORS, names)
    if spec.type == "bool":
        return FieldChoice(name, label, "bool", ("=",), (("true", N_("Yes")), ("false", N_("No"))))
    if spec.type == "text":
        return FieldChoice(name, label, "text", EQUALITY_OPERATORS)
    return FieldChoice(name, label, "number", NUMBER_OPERATORS)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def condition(field: FieldChoice, operator: str, value: str) -> str:
    """One condition in the filter language, or :class:`BuilderError`."""
    if operator not in field.operators:
        raise BuilderError(N_("Pick a comparison from the list."))
    value = value.strip()
    if field.kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise BuilderError(N_("Enter a number.")) from None
        if not number.is_finite():
            raise BuilderError(N_("Enter a number."))
        written = format(number, "f")
    elif field.kind in ("choice", "bool"):
        if value not in {code for code, _label in field.choices}:
            raise BuilderError(N_("Pick a value from the list."))
        written = value if field.kind == "bool" else _quoted(value)
    else:
        if not value:
            raise BuilderError(N_("Enter a value."))
        written = _quoted(value)
    return f"{field.name} {operator} {written}"


def append(filter_text: str, joiner: str, new_condition: str) -> str:
    """The filter with one more condition, joined by ``and`` or ``or``."""
    if joiner not in JOINERS:
        raise BuilderError(N_("Pick and or or."))
    current = filter_text.strip()
    return f"{current} {joiner} {new_condition}" if current else new_condition
