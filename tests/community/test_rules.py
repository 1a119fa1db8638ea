from datetime import UTC, datetime, time

import pytest

from siyu.community.matching import InvalidRule, Rule, Scope, build_matcher, validate_rule
from siyu.community.matching.rules import render_template

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def rule(**fields):
    defaults = {
        "id": "r1",
        "name": "rule",
        "match": "any",
        "keywords": ["发货"],
        "reply": "看群公告",
        "created_at": CREATED,
    }
    return Rule(**(defaults | fields))


def problems(**fields):
    return {(p.field, p.message) for p in validate_rule(rule(**fields))}


def test_a_plain_rule_is_valid():
    assert validate_rule(rule()) == []


def test_backreferences_are_refused_with_a_clear_message():
    [(field, message)] = problems(match="regex", keywords=[], pattern=r"(a+)+\1")
    assert field == "pattern"
    assert "backreferences" in message
    assert "\\1" in message


def test_look_ahead_is_refused_with_a_clear_message():
    [(field, message)] = problems(match="regex", keywords=[], pattern="发货(?=了)")
    assert field == "pattern"
    assert "look-ahead" in message


def test_other_re2_errors_name_the_problem():
    [(_, message)] = problems(match="regex", keywords=[], pattern="[a-")
    assert "missing ]" in message


def test_a_valid_re2_pattern_is_accepted():
    assert problems(match="regex", keywords=[], pattern=r"订单号?\s*\d{10,}") == set()


@pytest.mark.parametrize("mode", ["any", "all", "exact"])
def test_keyword_modes_need_keywords(mode):
    assert ("keywords", f"a {mode!r} rule needs at least one keyword") in problems(
        match=mode, keywords=[]
    )


def test_a_keyword_that_normalises_to_nothing_is_refused():
    assert {field for field, _ in problems(keywords=["\u200b "])} == {"keywords"}


def test_unknown_template_variables_are_refused():
    [(field, message)] = problems(reply="你好 {name}，{nickname}")
    assert field == "reply"
    assert "{name}" in message and "{nickname}" in message


@pytest.mark.parametrize("template", ["{}", "{0}", "{nickname.__class__}", "{nickname!r}", "{"])
def test_positional_attribute_conversion_and_broken_templates_are_refused(template):
    assert {field for field, _ in problems(reply=template)} == {"reply"}


def test_templates_render_with_missing_values_as_nothing():
    template = "{nickname} 你好，下次直播 {next_live_time}，{{群规}}见 {group_name}"
    rendered = render_template(template, {"nickname": "小鹿", "next_live_time": None})
    assert rendered == "小鹿 你好，下次直播 ，{群规}见 "


def test_an_empty_scope_and_an_empty_window_are_refused():
    assert {field for field, _ in problems(scope=Scope.only())} == {"scope"}
    assert {field for field, _ in problems(active_hours=[(time(9), time(9))])} == {"active_hours"}


def test_build_matcher_refuses_an_invalid_rule():
    with pytest.raises(InvalidRule) as raised:
        build_matcher([rule(), rule(id="r2", match="regex", keywords=[], pattern="a(?!b)")])
    assert raised.value.rule_id == "r2"
    assert raised.value.problems[0].field == "pattern"


def test_active_hours_wrap_midnight():
    late = rule(active_hours=[(time(22), time(2))])
    assert late.is_active_at(time(23, 30))
    assert late.is_active_at(time(1, 59))
    assert not late.is_active_at(time(2))
    assert not late.is_active_at(time(12))
