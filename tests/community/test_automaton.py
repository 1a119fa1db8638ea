import pickle
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.community.matching import (
    IncomingMessage,
    MatchContext,
    Matcher,
    Rule,
    Scope,
    build_matcher,
    evaluate,
    normalise,
)
from siyu.community.matching.automaton import rules_version

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
NOON = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def workspace_rules():
    return [
        Rule(
            id="ship",
            name="发货",
            match="all",
            keywords=["面膜", "发货"],
            reply="看公告",
            created_at=CREATED,
            exclude_keywords=["已收到"],
        ),
        Rule(
            id="live",
            name="直播",
            match="any",
            keywords=["几点开播", "直播"],
            reply="{next_live_time}",
            created_at=CREATED + timedelta(1),
            scope=Scope.only(group_types={"VIP群"}),
            active_hours=[(time(9), time(23))],
        ),
        Rule(
            id="hi",
            name="在吗",
            match="exact",
            keywords=["在吗"],
            reply="在的 {nickname}",
            created_at=CREATED + timedelta(2),
        ),
        Rule(
            id="order",
            name="订单",
            match="regex",
            pattern=r"订单号?\s*\d{10,}",
            reply="稍等",
            created_at=CREATED + timedelta(3),
            priority=2,
        ),
        Rule(
            id="refund",
            name="退款",
            match="any",
            keywords=["退款", "退貨"],
            reply="私聊",
            kind="handoff",
            priority=9,
            created_at=CREATED + timedelta(4),
        ),
    ]


TEXTS = [
    "面膜什么时候发货",
    "面膜发货了已收到",
    "今晚几点开播",
    "在吗",
    "订单号 1234567890 没到",
    "我要退货",
    "哈哈哈",
    "直播间订单12345678901退款",
]


def outcomes(matcher):
    results = []
    for text in TEXTS:
        evaluation = evaluate(
            matcher,
            IncomingMessage(
                text=text,
                sender_role="fan",
                chat="group",
                sent_at=NOON,
                group_id="wr1",
                group_type="VIP群",
            ),
            MatchContext(template_values={"nickname": "小鹿"}),
        )
        results.append(evaluation)
    return results


def test_dumps_loads_round_trip_gives_identical_decisions():
    matcher = build_matcher(workspace_rules())
    loaded = Matcher.loads(matcher.dumps())
    assert loaded.version == matcher.version
    assert loaded.rules == matcher.rules
    assert outcomes(loaded) == outcomes(matcher)
    assert sum(e.decision is not None for e in outcomes(loaded)) == 6


def test_version_follows_content_not_order():
    rules = workspace_rules()
    assert build_matcher(rules).version == build_matcher(reversed(rules)).version
    changed_reply = [*rules[:-1], Rule(**{**_fields(rules[-1]), "reply": "换个说法"})]
    changed_keywords = [*rules[:-1], Rule(**{**_fields(rules[-1]), "keywords": ["退款"]})]
    versions = {rules_version(rules), rules_version(changed_reply), rules_version(changed_keywords)}
    assert len(versions) == 3


def _fields(rule):
    return {name: getattr(rule, name) for name in rule.__dataclass_fields__}


def test_a_corrupted_blob_is_refused():
    blob = bytearray(build_matcher(workspace_rules()).dumps())
    blob[-5] ^= 0xFF
    with pytest.raises(ValueError, match="corrupted"):
        Matcher.loads(bytes(blob))


def test_a_blob_naming_another_callable_is_refused():
    import hashlib

    body = pickle.dumps({"version": "x", "rules": [], "automaton": print})
    blob = b"SIYU-AC1" + hashlib.sha256(body).digest() + body
    with pytest.raises(pickle.UnpicklingError):
        Matcher.loads(blob)


def test_a_workspace_with_only_regex_rules_or_none_works():
    regex_only = build_matcher([workspace_rules()[3]])
    assert [e.decision is not None for e in outcomes(regex_only)].count(True) == 2
    assert all(e.decision is None for e in outcomes(build_matcher([])))


keyword = st.text(alphabet="发货退款面膜直播abAB", min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(
    keyword_sets=st.lists(st.lists(keyword, min_size=1, max_size=3), min_size=1, max_size=6),
    texts=st.lists(
        st.text(alphabet="发货退款面膜直播abAB ，", max_size=12), min_size=1, max_size=5
    ),
)
def test_any_rules_match_exactly_when_a_naive_substring_test_does(keyword_sets, texts):
    rules = [
        Rule(
            id=f"r{i}",
            name="r",
            match="any",
            keywords=words,
            reply="x",
            created_at=CREATED + timedelta(seconds=i),
            cooldown_seconds=0,
        )
        for i, words in enumerate(keyword_sets)
    ]
    matcher = build_matcher(rules)
    for text in texts:
        evaluation = evaluate(
            matcher,
            IncomingMessage(text=text, sender_role="fan", chat="group", sent_at=NOON, group_id="g"),
            MatchContext(),
        )
        matched = {c.rule.id for c in evaluation.explanation}
        normalised = normalise(text)
        expected = {r.id for r in rules if any(normalise(k) in normalised for k in r.keywords)}
        assert matched == expected
