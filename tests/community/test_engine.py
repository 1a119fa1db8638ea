from datetime import UTC, datetime, time, timedelta

from siyu.community.matching import (
    IncomingMessage,
    MatchContext,
    Rule,
    Scope,
    build_matcher,
    decide,
    evaluate,
)
from siyu.community.matching import test_text as try_text

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
# 2026-03-01 12:00 in Asia/Shanghai
NOON = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def rule(rule_id="r1", **fields):
    defaults = {
        "name": rule_id,
        "match": "any",
        "keywords": ["发货"],
        "reply": f"reply {rule_id}",
        "created_at": CREATED,
    }
    return Rule(id=rule_id, **(defaults | fields))


def message(text, **fields):
    defaults = {
        "sender_role": "fan",
        "chat": "group",
        "sent_at": NOON,
        "group_id": "wr1",
        "group_type": "VIP群",
    }
    return IncomingMessage(text=text, **(defaults | fields))


def answer(rules, text, context=None, **fields):
    decision = decide(build_matcher(rules), message(text, **fields), context or MatchContext())
    return decision.rule.id if decision else None


def reasons(evaluation):
    return {candidate.rule.id: candidate.reason for candidate in evaluation.explanation}


# Match modes -------------------------------------------------------------------------------


def test_any_matches_when_some_keyword_occurs():
    rules = [rule(keywords=["发货", "快递"])]
    assert answer(rules, "请问什么时候发货呀") == "r1"
    assert answer(rules, "今天天气真好") is None


def test_normalised_forms_hit_the_keyword():
    rules = [rule(keywords=["SKU"]), rule("r2", keywords=["退货"])]
    assert answer(rules, "ＳＫＵ是多少") == "r1"
    assert answer(rules, "S\u200bKU是多少") == "r1"
    assert answer(rules, "sku是多少") == "r1"
    assert answer(rules, "怎么退貨") == "r2"


def test_all_needs_every_keyword():
    rules = [rule(match="all", keywords=["面膜", "发货"])]
    assert answer(rules, "面膜什么时候发货") == "r1"
    assert answer(rules, "什么时候发货") is None


def test_exact_needs_the_whole_message():
    rules = [rule(match="exact", keywords=["在吗"])]
    assert answer(rules, " 在吗 ") == "r1"
    assert answer(rules, "在吗？我想问下") is None


def test_regex_runs_on_the_normalised_text():
    rules = [rule(match="regex", keywords=[], pattern=r"sku\d{4,}")]
    assert answer(rules, "ＳＫＵ１２３４５有货吗") == "r1"
    assert answer(rules, "sku12") is None


def test_exclude_keywords_veto_a_match():
    rules = [rule(keywords=["退款"], exclude_keywords=["已解决"])]
    assert answer(rules, "退款还没到") == "r1"
    assert answer(rules, "退款已解决了谢谢") is None
    evaluation = try_text(build_matcher(rules), "退款已解决了谢谢")
    [candidate] = evaluation.explanation
    assert (candidate.reason, candidate.detail) == ("excluded", "已解决")


# Where and when ------------------------------------------------------------------------------


def test_scope_by_group_type_group_id_and_private_chat():
    rules = [
        rule("types", scope=Scope.only(group_types={"地区群"})),
        rule("ids", scope=Scope.only(group_ids={"wr9"}), created_at=CREATED + timedelta(1)),
        rule("private", scope=Scope.only(private_chat=True), created_at=CREATED + timedelta(2)),
    ]
    assert answer(rules, "发货", group_type="地区群") == "types"
    assert answer(rules, "发货", group_id="wr9") == "ids"
    assert answer(rules, "发货", chat="private", group_id=None, sender_id="wm1") == "private"
    assert answer(rules, "发货") is None


def test_active_hours_wrap_midnight_in_the_workspace_time_zone():
    rules = [rule(active_hours=[(time(22), time(2))])]
    shanghai_23h = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    shanghai_01h = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert answer(rules, "发货", sent_at=shanghai_23h) == "r1"
    assert answer(rules, "发货", sent_at=shanghai_01h) == "r1"
    assert answer(rules, "发货", sent_at=NOON) is None
    evaluation = try_text(build_matcher(rules), "发货", at=NOON)
    assert reasons(evaluation) == {"r1": "inactive_hours"}


def test_cooldown_is_per_conversation_and_asked_of_the_caller():
    asked = []

    def last_reply_at(rule_id, conversation_id):
        asked.append((rule_id, conversation_id))
        return NOON - timedelta(seconds=30) if conversation_id == "group:wr1" else None

    context = MatchContext(last_reply_at=last_reply_at)
    rules = [rule(cooldown_seconds=60)]
    assert answer(rules, "发货", context) is None
    assert answer(rules, "发货", context, group_id="wr2") == "r1"
    assert answer(rules, "发货", context, sent_at=NOON + timedelta(seconds=31)) == "r1"
    assert asked[0] == ("r1", "group:wr1")


def test_a_rule_in_cooldown_gives_way_to_the_next():
    context = MatchContext(last_reply_at=lambda rule_id, _: NOON if rule_id == "high" else None)
    rules = [rule("high", priority=5), rule("low")]
    evaluation = evaluate(build_matcher(rules), message("发货"), context)
    assert evaluation.decision is not None
    assert evaluation.decision.rule.id == "low"
    assert reasons(evaluation) == {"high": "cooldown", "low": "chosen"}


# Choice --------------------------------------------------------------------------------------


def test_highest_priority_wins():
    rules = [rule("low", keywords=["发货了吗"]), rule("high", priority=3)]
    assert answer(rules, "发货了吗") == "high"


def test_on_equal_priority_the_longest_match_wins():
    rules = [rule("short"), rule("long", keywords=["面膜发货"], created_at=CREATED + timedelta(1))]
    assert answer(rules, "面膜发货了吗") == "long"


def test_regex_and_exact_compete_by_matched_length():
    rules = [
        rule("any", keywords=["在吗"]),
        rule("exact", match="exact", keywords=["在吗在吗"], created_at=CREATED + timedelta(1)),
        rule(
            "regex", match="regex", keywords=[], pattern="在吗.", created_at=CREATED + timedelta(2)
        ),
    ]
    assert answer(rules, "在吗在吗") == "exact"  # 4 characters beat 3 and 2


def test_on_equal_length_the_oldest_rule_wins_then_the_smallest_id():
    rules = [
        rule("b-newer", created_at=CREATED + timedelta(1)),
        rule("b-older"),
        rule("a-older"),
    ]
    evaluation = try_text(build_matcher(rules), "发货")
    assert evaluation.decision is not None
    assert evaluation.decision.rule.id == "a-older"
    assert reasons(evaluation) == {"a-older": "chosen", "b-older": "newer", "b-newer": "newer"}


def test_explanation_names_each_tie_break():
    rules = [
        rule("winner", priority=2, keywords=["面膜发货"]),
        rule("lower", priority=1),
        rule("shorter", priority=2),
        rule("newer", priority=2, keywords=["面膜发货"], created_at=CREATED + timedelta(1)),
        rule("missing", match="all", keywords=["面膜", "退款"]),
    ]
    evaluation = try_text(build_matcher(rules), "面膜发货了吗")
    assert reasons(evaluation) == {
        "winner": "chosen",
        "lower": "lower_priority",
        "shorter": "shorter_match",
        "newer": "newer",
        "missing": "missing_keyword",
    }
    assert all(candidate.describe() for candidate in evaluation.explanation)


def test_staff_messages_never_trigger():
    evaluation = evaluate(
        build_matcher([rule()]), message("发货", sender_role="staff"), MatchContext()
    )
    assert evaluation.decision is None
    assert evaluation.skipped


def test_handoff_rules_say_so_and_render_their_reply():
    rules = [rule(kind="handoff", keywords=["破损"], reply="{nickname} 别急，私聊我 {group_name}")]
    context = MatchContext(template_values={"nickname": "小鹿"})
    decision = decide(build_matcher(rules), message("收到就破损了"), context)
    assert decision is not None
    assert decision.kind == "handoff"
    assert decision.reply == "小鹿 别急，私聊我 "


def test_the_tester_ignores_cooldown_and_shows_out_of_scope_rules():
    rules = [rule("vip"), rule("region", scope=Scope.only(group_types={"地区群"}))]
    evaluation = try_text(build_matcher(rules), "發貨", group_id="wr1", group_type="VIP群")
    assert evaluation.normalised_text == "发货"
    assert reasons(evaluation) == {"vip": "chosen", "region": "out_of_scope"}
