from __future__ import annotations

import re
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from siyu.analytics.filters import (
    And,
    Comparison,
    FieldSpec,
    FilterFieldError,
    FilterSyntaxError,
    InList,
    Not,
    Or,
    compile_filter,
    parse_filter,
)

FIELDS = {
    "orders": FieldSpec("m.paid_orders", "int"),
    "days_since_last_order": FieldSpec("m.days_since_last_order", "int"),
    "net_paid": FieldSpec("m.net_paid_fen", "yuan"),
    "spend_1y": FieldSpec("m.spend_1y_fen", "yuan"),
    "repurchase": FieldSpec("m.repurchase", "bool"),
    "segment": FieldSpec("m.segment", "text"),
    "stage": FieldSpec("m.stage", "text"),
    "tag": FieldSpec(
        type="text",
        membership="m.customer_id IN (SELECT customer_id FROM tags WHERE tag IN ({values}))",
    ),
    "platform": FieldSpec(type="text", membership="list_has_any(m.platforms, [{values}])"),
    "intimacy": FieldSpec(
        "(SELECT level FROM intimacy i WHERE i.customer_id = m.customer_id AND i.platform = {key})",
        "int",
        keyed=True,
    ),
}

# customer_id, orders, days, net fen, spend_1y fen, repurchase, segment, stage, platforms
CUSTOMERS = [
    (1, 1, 10, 9_900, 9_900, False, "New Customers", "new", ["douyin"]),
    (2, 2, 80, 50_000, 20_000, True, "Loyal Customers", "about_to_sleep", ["douyin", "taobao"]),
    (3, 5, 200, 300_000, 0, True, "At Risk", "sleeping", ["taobao"]),
    (4, 3, 5, 120_050, 120_050, True, "Champions", "active", ["kuaishou", "douyin"]),
    (5, 2, 400, 1_000, 0, True, "Lost", "lost", []),
]
TAGS = [(1, "敏感肌"), (2, "敏感肌"), (2, "VIP"), (4, "x') or 1=1 --")]
INTIMACY = [(2, "douyin", 6), (4, "douyin", 5), (4, "kuaishou", 9), (1, "douyin", 1)]


@pytest.fixture(scope="module")
def connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    columns = list(zip(*CUSTOMERS, strict=True))
    names = ["customer_id", "paid_orders", "days_since_last_order", "net_paid_fen"]
    names += ["spend_1y_fen", "repurchase", "segment", "stage", "platforms"]
    con.register("m_data", pa.table(dict(zip(names, columns, strict=True))))
    con.register(
        "tags", pa.table(dict(zip(["customer_id", "tag"], zip(*TAGS, strict=True), strict=True)))
    )
    intimacy = dict(
        zip(["customer_id", "platform", "level"], zip(*INTIMACY, strict=True), strict=True)
    )
    con.register("intimacy", pa.table(intimacy))
    con.execute("CREATE TABLE canary AS SELECT 1 AS still_here")
    return con


def matching(connection: duckdb.DuckDBPyConnection, text: str) -> list[int]:
    compiled = compile_filter(parse_filter(text), FIELDS)
    rows = connection.execute(
        f"SELECT m.customer_id FROM m_data m WHERE {compiled.sql} ORDER BY 1",
        compiled.params,
    ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders >= 2", [2, 3, 4, 5]),
        ("orders >= 2 and days_since_last_order <= 90", [2, 4]),
        (
            'orders >= 2 and days_since_last_order <= 90 and tag = "敏感肌"'
            ' and platform = "douyin"',
            [2],
        ),
        ('tag = "敏感肌" or platform = "kuaishou"', [1, 2, 4]),
        ('not tag = "敏感肌"', [3, 4, 5]),
        ('tag != "敏感肌"', [3, 4, 5]),
        ('platform in ("taobao", "kuaishou")', [2, 3, 4]),
        ('platform not in ("douyin")', [3, 5]),
        ('segment in ("Champions", "Lost")', [4, 5]),
        ('segment not in ("Champions", "Lost")', [1, 2, 3]),
        ('stage = "sleeping" or stage = "lost"', [3, 5]),
        ("spend_1y >= 99", [1, 2, 4]),
        ("spend_1y > 99", [2, 4]),
        ("net_paid >= 1200.5", [3, 4]),
        ("intimacy.douyin >= 5", [2, 4]),
        ("intimacy.kuaishou >= 5 or intimacy.douyin < 2", [1, 4]),
        ("not intimacy.douyin >= 5", [1, 3, 5]),  # no level at all counts as not matching
        ("repurchase = true and not (orders > 2 or days_since_last_order > 100)", [2]),
        ("(orders = 1 or orders = 5) and days_since_last_order < 300", [1, 3]),
        ("ORDERS >= 2 AND Days_Since_Last_Order <= 90", []),  # field names are exact
    ],
)
def test_filters_run_on_duckdb_and_count_right(
    connection: duckdb.DuckDBPyConnection, text: str, expected: list[int]
) -> None:
    if text.startswith("ORDERS"):
        with pytest.raises(FilterFieldError):
            matching(connection, text)
        return
    assert matching(connection, text) == expected


def test_the_syntax_tree() -> None:
    tree = parse_filter('orders >= 2 and not (tag = "a" or platform in ("b", "c\\"d"))')
    assert tree == And(
        (
            Comparison("orders", ">=", Decimal(2), 1),
            Not(
                Or(
                    (
                        Comparison("tag", "=", "a", 22),
                        InList("platform", ("b", 'c"d'), False, 35),
                    )
                )
            ),
        )
    )


def test_string_escapes() -> None:
    tree = parse_filter(r'tag = "a\\b\n\t\"c"')
    assert isinstance(tree, Comparison)
    assert tree.value == 'a\\b\n\t"c'


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("orders >= and x", "expected a value after '>=', found 'and'", 11),
        ("orders >=", "expected a value after '>=', found end of filter", 10),
        ("orders", "expected a comparison after 'orders', found end of filter", 7),
        ("orders >= 2 and", "expected a field name, found end of filter", 16),
        ("(orders > 1", "expected ')' to close '(', found end of filter", 12),
        ("orders > 1)", "expected 'and', 'or' or end of filter, found ')'", 11),
        ('tag = "abc', "unterminated string", 7),
        (r'tag = "a\x"', "unknown escape '\\x' in a string", 9),
        ("orders; drop table x", "unexpected character ';'", 7),
        ("tag in ()", "expected a value in the list, found ')'", 9),
        ("tag not = 1", "expected 'in' after 'not', found '='", 9),
        ("", "the filter is empty", 1),
        ("and = 1", "expected a field name, found 'and'", 1),
    ],
)
def test_syntax_errors_name_the_column(text: str, message: str, column: int) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    assert caught.value.message == message
    assert caught.value.position == column
    assert str(caught.value) == f"{message} at column {column}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour = 1",
            "unknown field 'colour'; known fields: days_since_last_order, intimacy.<",
        ),
        ("intimacy >= 1", "unknown field 'intimacy'"),
        ("orders = 1.5", "'orders' takes a whole number"),
        ('orders = "2"', "'orders' takes a whole number"),
        ("spend_1y > 9.999", "'spend_1y' takes an amount in yuan (at most 2 decimals)"),
        ("tag = 1", "'tag' takes a string in double quotes"),
        ('tag > "a"', "'tag' can only be compared with =, != or in"),
        ("repurchase = 1", "'repurchase' takes true or false"),
        ("orders > 99999999999999999999", "'orders' takes a whole number"),
    ],
)
def test_field_errors(text: str, message: str) -> None:
    with pytest.raises(FilterFieldError) as caught:
        compile_filter(parse_filter(text), FIELDS)
    assert caught.value.message.startswith(message)


INJECTIONS = [
    'tag = "x\') or 1=1 --"',
    "segment = \"Champions' OR '1'='1\"",
    'segment = "\\"; DROP TABLE canary; --"',
    'stage in ("lost", "x\'); DELETE FROM canary; --")',
    "platform = \"douyin']) OR true OR list_has_any(['\"",
    'intimacy.douyin >= 1 and segment = "$p1"',
    'segment = "\u2019 or 1=1 -- \u02bc \uff07 \u200b"',  # look-alike quotes, zero width space
    'segment = ":p1 /* */ ; select"',
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_nothing_user_typed_reaches_the_sql_text(
    connection: duckdb.DuckDBPyConnection, text: str
) -> None:
    tree = parse_filter(text)
    compiled = compile_filter(tree, FIELDS)
    user_strings = [v for v in compiled.params.values() if isinstance(v, str)]
    assert user_strings
    # Once the placeholders are taken out, what is left comes from FIELDS and the compiler.
    skeleton = re.sub(r"\$p[0-9]+", "", compiled.sql)
    for value in user_strings:
        assert value not in skeleton
    assert "'" not in compiled.sql.replace("''", "")  # no string literal at all
    matched = matching(connection, text)
    assert connection.execute("SELECT still_here FROM canary").fetchall() == [(1,)]
    # the literal value matches only the row that really holds it
    if text.startswith("tag"):
        assert matched == [4]


@pytest.mark.parametrize(
    "text",
    [
        "orders; drop table x",
        "orders-- = 1",
        "orders/**/= 1",
        'orders = 1 or "x" = "x"',
        "m.paid_orders = 1",  # real SQL column names are not fields
        "intimacy.douyin) or (1 = 1",
        "οrders = 1",  # Greek omicron
        "ｏrders = 1",  # full-width letter
        "orders\u200b = 1",  # zero width space
        "tag = \u201cx\u201d",  # curly quotes are not string quotes
        "intimacy.douyin' = 1",
    ],
)
def test_field_names_only_come_from_the_whitelist(text: str) -> None:
    with pytest.raises((FilterSyntaxError, FilterFieldError)):
        compile_filter(parse_filter(text), FIELDS)


def test_keyed_field_keys_are_bound_too() -> None:
    compiled = compile_filter(parse_filter("intimacy.douyin >= 5"), FIELDS)
    assert "douyin" not in compiled.sql
    assert compiled.params == {"p1": "douyin", "p2": 5}


def test_sqlalchemy_placeholders() -> None:
    compiled = compile_filter(parse_filter("orders >= 2"), FIELDS, style="sqlalchemy")
    assert compiled.sql == "(m.paid_orders >= :p1)"


def test_long_chains_and_deep_nesting_are_bounded() -> None:
    chain = " and ".join(["orders >= 1"] * 250)
    tree = parse_filter(chain)
    assert isinstance(tree, And) and len(tree.operands) == 250
    compile_filter(tree, FIELDS)
    with pytest.raises(FilterSyntaxError, match="nested more than"):
        parse_filter("(" * 200 + "orders = 1" + ")" * 200)
    with pytest.raises(FilterSyntaxError, match="nested more than"):
        parse_filter("not " * 200 + "orders = 1")
    with pytest.raises(FilterSyntaxError, match="longer than"):
        parse_filter("orders = 1 or " * 1000 + "orders = 1")
