"""The segment filter language: parse operator-written text into a syntax tree, then compile
the tree to parameterised SQL.

    orders >= 2 and days_since_last_order <= 90 and tag = "敏感肌" and platform = "douyin"

Grammar (keywords are case-insensitive; docs/analytics.md has the full description)::

    filter     := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | condition
    condition  := field op value | field ["not"] "in" "(" value ("," value)* ")"
    field      := name ("." name)*          name: [A-Za-z_][A-Za-z0-9_]*
    op         := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value      := number | string | "true" | "false"
    number     := "-"? digits ("." digits)?
    string     := '"' (any character but '"' or '\\' | '\\' ('"' | '\\' | 'n' | 't'))* '"'

Nothing the user typed reaches the SQL text: field names are looked up in the caller's
whitelist and replaced by the SQL it supplies, and every value becomes a bound parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple

from siyu.kit.i18n import LOCALES, catalog, gettext
from siyu.kit.money import yuan_to_fen

# --- errors ------------------------------------------------------------------------------------


class FilterError(ValueError):
    """A filter that cannot be used; ``position`` is the 1-based column of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at column {position}")
        self.message = message
        self.position = position


class FilterSyntaxError(FilterError):
    """The text does not follow the grammar."""


class FilterFieldError(FilterError):
    """The text parses, but names an unknown field or compares a field to the wrong kind of
    value."""


# --- syntax tree -------------------------------------------------------------------------------

Value = Decimal | str | bool
Operator = Literal["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Comparison:
    field: str
    op: Operator
    value: Value
    position: int  # column of the field


@dataclass(frozen=True)
class InList:
    field: str
    values: tuple[Value, ...]
    negated: bool
    position: int


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]  # two or more; flat, so long chains don't make deep trees


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Comparison | InList | Not | And | Or

# --- tokens ------------------------------------------------------------------------------------


class Token(NamedTuple):
    kind: Literal["name", "number", "string", "op", "punct", "end"]
    text: str  # for strings: the decoded value
    position: int


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_OPERATOR = re.compile(r"<=|>=|!=|<>|=|<|>")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
MAX_FILTER_LENGTH = 4000
MAX_NESTING = 32
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Decode the string whose opening quote is at ``start``; return it and the index after."""
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(chars), i + 1
        if char == "\\":
            escaped = text[i + 1 : i + 2]
            if escaped not in _ESCAPES:
                shown = escaped or "end of text"
                raise FilterSyntaxError(f"unknown escape '\\{shown}' in a string", i + 1)
            chars.append(_ESCAPES[escaped])
            i += 2
            continue
        chars.append(char)
        i += 1
    raise FilterSyntaxError("unterminated string", start + 1)


def tokenize(text: str) -> list[Token]:
    """Split filter text into tokens; positions are 1-based columns."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif char == '"':
            value, end = _read_string(text, i)
            tokens.append(Token("string", value, i + 1))
            i = end
        elif char in "(),":
            tokens.append(Token("punct", char, i + 1))
            i += 1
        elif match := _NUMBER.match(text, i):
            tokens.append(Token("number", match.group(), i + 1))
            i = match.end()
        elif match := _NAME.match(text, i):
            tokens.append(Token("name", match.group(), i + 1))
            i = match.end()
        elif match := _OPERATOR.match(text, i):
            tokens.append(Token("op", match.group(), i + 1))
            i = match.end()
        else:
            raise FilterSyntaxError(f"unexpected character {char!r}", i + 1)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# --- parser ------------------------------------------------------------------------------------


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of filter"
    if token.kind == "string":
        return "a string"
    return f"'{token.text}'"


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise FilterSyntaxError(
                f"the filter is longer than {MAX_FILTER_LENGTH} characters", MAX_FILTER_LENGTH + 1
            )
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        token = self.current
        return token.kind == "name" and token.text.lower() == word

    def at_punct(self, char: str) -> bool:
        return self.current.kind == "punct" and self.current.text == char

    def expect_punct(self, char: str, context: str) -> None:
        if not self.at_punct(char):
            raise FilterSyntaxError(
                f"expected '{char}' {context}, found {_describe(self.current)}",
                self.current.position,
            )
        self.advance()

    def at_end(self) -> bool:
        return self.current.kind == "end"

    def parse(self) -> Node:
        if self.at_end():
            raise FilterSyntaxError("the filter is empty", self.current.position)
        node = self.or_expr()
        if not self.at_end():
            raise FilterSyntaxError(
                f"expected 'and', 'or' or end of filter, found {_describe(self.current)}",
                self.current.position,
            )
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.at_keyword("or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.at_keyword("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Node:
        if not (self.at_keyword("not") or self.at_punct("(")):
            return self.condition()
        # Only 'not' and parentheses nest; bounding them bounds the recursion.
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise FilterSyntaxError(
                f"nested more than {MAX_NESTING} levels deep", self.current.position
            )
        if self.at_keyword("not"):
            self.advance()
            node: Node = Not(self.not_expr())
        else:
            self.advance()
            node = self.or_expr()
            self.expect_punct(")", "to close '('")
        self.depth -= 1
        return node

    def condition(self) -> Node:
        token = self.current
        if token.kind != "name" or token.text.lower() in _KEYWORDS:
            raise FilterSyntaxError(
                f"expected a field name, found {_describe(token)}", token.position
            )
        self.advance()
        if self.at_keyword("in") or self.at_keyword("not"):
            return self.in_list(token)
        op = self.current
        if op.kind != "op":
            raise FilterSyntaxError(
                f"expected a comparison after '{token.text}', found {_describe(op)}", op.position
            )
        self.advance()
        value = self.value(f"after '{op.text}'")
        operator: Operator = "!=" if op.text == "<>" else op.text  # type: ignore[assignment]
        return Comparison(token.text, operator, value, token.position)

    def in_list(self, field: Token) -> InList:
        negated = self.at_keyword("not")
        if negated:
            self.advance()
            if not self.at_keyword("in"):
                raise FilterSyntaxError(
                    f"expected 'in' after 'not', found {_describe(self.current)}",
                    self.current.position,
                )
        self.advance()
        self.expect_punct("(", "after 'in'")
        values = [self.value("in the list")]
        while self.at_punct(","):
            self.advance()
            values.append(self.value("after ','"))
        self.expect_punct(")", "to close the list")
        return InList(field.text, tuple(values), negated, field.position)

    def value(self, context: str) -> Value:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Decimal(token.text)
        if token.kind == "string":
            self.advance()
            return token.text
        if token.kind == "name" and token.text.lower() in ("true", "false"):
            self.advance()
            return token.text.lower() == "true"
        raise FilterSyntaxError(
            f"expected a value {context}, found {_describe(token)}", token.position
        )


def parse_filter(text: str) -> Node:
    """Parse filter text into a syntax tree, or raise :class:`FilterSyntaxError`."""
    return _Parser(text).parse()


# --- compiler ----------------------------------------------------------------------------------

FieldType = Literal["int", "number", "yuan", "text", "bool"]


@dataclass(frozen=True)
class FieldSpec:
    """How one filter field maps to SQL. Written by the caller, never by the user.

    ``sql``: a SQL expression for the field's value in the row being filtered (e.g.
    ``"m.paid_orders"``). ``type``: int (whole numbers), number, yuan (the user writes yuan, the
    column holds fen: values are converted exactly), text or bool.

    ``membership``: for many-valued fields (tags, platforms) a SQL condition template instead of
    ``sql``, with ``{values}`` where the list of bound parameters goes, e.g.
    ``"m.customer_id IN (SELECT customer_id FROM tags WHERE tag IN ({values}))"``; only ``=``,
    ``!=``, ``in`` and ``not in`` apply, ``!=`` meaning "has none of these".

    ``each``: also for many-valued fields, a condition for one value with ``{value}`` where its
    bound parameter goes (e.g. a test on a delimited list column); the conditions for the listed
    values are OR-ed, and OR-ed with ``membership`` when both are given.

    ``choices``: a text field that holds one of a few codes (``{code: label message id}``):
    operators may write the code or the label they see, in either language; anything else is
    an error that lists the allowed values, never a filter that silently matches no one.

    ``keyed``: the field is a family (``intimacy.douyin``): the spec is registered under the
    prefix (``intimacy``), the part after the dot is bound as a parameter where ``{key}``
    appears in ``sql``.
    """

    sql: str = ""
    type: FieldType = "text"
    membership: str | None = None
    each: str | None = None
    keyed: bool = False
    choices: Mapping[str, str] | None = None

    def choice(self, value: str) -> str | None:
        """The stored code for a value written as the code or as its label (an English message
        id or its translation in any locale), ignoring case; None when it is neither."""
        if self.choices is None:
            return value
        wanted = value.strip().casefold()
        for code, label in self.choices.items():
            names = {code, label, *(catalog(locale).get(label, label) for locale in LOCALES)}
            if wanted in {name.casefold() for name in names}:
                return code
        return None

    def allowed(self) -> str:
        """The values a choice field takes, as the reader sees them: label (code)."""
        return ", ".join(
            f'"{gettext(label)}"' if gettext(label) == code else f'"{gettext(label)}" ({code})'
            for code, label in (self.choices or {}).items()
        )

    @property
    def many(self) -> bool:
        return self.membership is not None or self.each is not None


class CompiledFilter(NamedTuple):
    sql: str
    params: dict[str, object]


ParamStyle = Literal["duckdb", "sqlalchemy"]
_FEN = Decimal("0.01")
_INT64_LIMIT = 2**63
_WANTED: dict[FieldType, str] = {
    "int": "a whole number",
    "number": "a number",
    "yuan": "an amount in yuan (at most 2 decimals)",
    "text": "a string in double quotes",
    "bool": "true or false",
}
_ORDERING = frozenset({"<", "<=", ">", ">="})


class _Compiler:
    def __init__(self, fields: dict[str, FieldSpec], style: ParamStyle, prefix: str) -> None:
        self.fields = fields
        self.style = style
        self.prefix = prefix
        self.params: dict[str, object] = {}

    def bind(self, value: object) -> str:
        name = f"{self.prefix}{len(self.params) + 1}"
        self.params[name] = value
        return f"${name}" if self.style == "duckdb" else f":{name}"

    def compile(self, node: Node) -> str:
        if isinstance(node, And):
            return "(" + " AND ".join(self.compile(operand) for operand in node.operands) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.compile(operand) for operand in node.operands) + ")"
        if isinstance(node, Not):
            # NOT over a null comparison would stay null; coalesce so "not x" is a real boolean.
            return f"(NOT coalesce({self.compile(node.operand)}, FALSE))"
        if isinstance(node, Comparison):
            return self.comparison(node)
        return self.in_list(node)

    def lookup(self, name: str, position: int) -> tuple[FieldSpec, str | None]:
        """The spec for a field and, for keyed families, the key after the dot."""
        if name in self.fields and not self.fields[name].keyed:
            return self.fields[name], None
        prefix, _, key = name.partition(".")
        spec = self.fields.get(prefix)
        if spec is not None and spec.keyed and key:
            return spec, key
        known = ", ".join(
            f"{field}.<key>" if spec.keyed else field for field, spec in sorted(self.fields.items())
        )
        raise FilterFieldError(f"unknown field '{name}'; known fields: {known}", position)

    def column(self, spec: FieldSpec, key: str | None) -> str:
        return spec.sql.replace("{key}", self.bind(key)) if key is not None else spec.sql

    def convert(self, name: str, spec: FieldSpec, value: Value, position: int) -> object:
        """The bound value for a user value, or an error naming what the field takes."""
        if spec.type == "bool":
            if isinstance(value, bool):
                return value
        elif spec.type == "text":
            if isinstance(value, str):
                code = spec.choice(value)
                if code is None:
                    raise FilterFieldError(
                        f"'{name}' takes one of {spec.allowed()}, not \"{value}\"", position
                    )
                return code
        elif isinstance(value, Decimal):
            number = self.number(spec.type, value)
            if number is not None:
                return number
        raise FilterFieldError(f"'{name}' takes {_WANTED[spec.type]}", position)

    @staticmethod
    def number(field_type: FieldType, value: Decimal) -> int | float | None:
        if field_type == "number":
            return float(value)
        if field_type == "yuan":
            # More than fen precision would be silently rounded: refuse it instead.
            if value != value.quantize(_FEN):
                return None
            whole = yuan_to_fen(value)
        elif value == value.to_integral_value():
            whole = int(value)
        else:
            return None
        return whole if -_INT64_LIMIT < whole < _INT64_LIMIT else None

    def comparison(self, node: Comparison) -> str:
        spec, key = self.lookup(node.field, node.position)
        value = self.convert(node.field, spec, node.value, node.position)
        unordered = spec.many or spec.type in ("text", "bool")
        if unordered and node.op in _ORDERING:
            raise FilterFieldError(
                f"'{node.field}' can only be compared with =, != or in", node.position
            )
        if spec.many:
            return self.membership(spec, [value], negated=node.op == "!=")
        sql_op = "<>" if node.op == "!=" else node.op
        return f"({self.column(spec, key)} {sql_op} {self.bind(value)})"

    def in_list(self, node: InList) -> str:
        spec, key = self.lookup(node.field, node.position)
        values = [self.convert(node.field, spec, v, node.position) for v in node.values]
        if spec.many:
            return self.membership(spec, values, negated=node.negated)
        placeholders = ", ".join(self.bind(v) for v in values)
        keyword = "NOT IN" if node.negated else "IN"
        return f"({self.column(spec, key)} {keyword} ({placeholders}))"

    def membership(self, spec: FieldSpec, values: list[object], *, negated: bool) -> str:
        parts = []
        if spec.membership is not None:
            names = ", ".join(self.bind(v) for v in values)
            parts.append(spec.membership.replace("{values}", names))
        if spec.each is not None:
            parts += [spec.each.replace("{value}", self.bind(v)) for v in values]
        condition = " OR ".join(f"({part})" for part in parts)
        return f"(NOT ({condition}))" if negated else f"({condition})"


def compile_filter(
    tree: Node,
    fields: dict[str, FieldSpec],
    *,
    style: ParamStyle = "duckdb",
    param_prefix: str = "p",
) -> CompiledFilter:
    """Compile a syntax tree to a SQL boolean expression and its parameters.

    Placeholders are ``$p1, $p2, ...`` for DuckDB (``style="duckdb"``) or ``:p1, ...`` for
    SQLAlchemy ``text()`` on SQLite and PostgreSQL (``style="sqlalchemy"``); another
    ``param_prefix`` keeps the names of several filters in one statement apart. Raises
    :class:`FilterFieldError` for an unknown field or a value of the wrong kind.
    """
    compiler = _Compiler(fields, style, param_prefix)
    sql = compiler.compile(tree)
    return CompiledFilter(sql, compiler.params)
