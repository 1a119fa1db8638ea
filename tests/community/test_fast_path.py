"""The hot path (``decide``, over ``index.py``'s ranked tables) must choose exactly what the
explaining reference (``evaluate``) chooses. Both run over generated rules and messages built
from a small vocabulary, so keywords collide, overlap and nest, with every match mode, exclude
keywords, priorities, scopes, active hours and cooldowns in play."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from siyu.community.matching import (
    IncomingMessage,
    MatchContext,
    Matcher,
    Rule,
    Scope,
    build_matcher,
    decide,
    evaluate,
    normalise,
)
from siyu.community.matching import automaton as automaton_module
from siyu.community.matching.literals import required_literals
from siyu.community.matching.rules import compile_pattern

WORDS = [
    "面膜", "花漾面膜", "发货", "退款", "退货", "破损", "链接", "多少钱", "SKU", "sku1",
    "在吗", "签到", "1", "直播", "开播", "几点", "优惠券", "不要", "已解决", "质量",
]  # fmt: skip
FILLER = ["请问", "什么时候", "呀", "，", "了", "我的", "还有吗", "！", " ", "哈哈"]
VARIANTS = {"退货": "退貨", "发货": "發貨", "SKU": "ＳＫＵ", "面膜": "面\u200b膜"}
PATTERNS = [
    r"sku\s*\d{2,}",
    r"(几点|什么时候).{0,4}(开播|直播)",
    r"\d{1,2}号链接",
    r"1[3-9]\d{3}",
    r"[a-z]+\d",  # no required literal: runs on every message
]
GROUPS = [("g1", "VIP群"), ("g2", "地区群"), ("g3", "VIP群")]
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
BASE = datetime(2026, 3, 1, tzinfo=UTC)


def _scope(rng: random.Random) -> Scope:
    pick = rng.random()
    if pick < 0.6:
        return Scope()
    if pick < 0.75:
        return Scope.only(group_types={rng.choice(["VIP群", "地区群"])})
    if pick < 0.9:
        return Scope.only(group_ids={rng.choice(GROUPS)[0]}, private_chat=rng.random() < 0.5)
    return Scope(all_groups=True, private_chat=True)


def _rule(rng: random.Random, n: int) -> Rule:
    mode = rng.choices(["any", "all", "exact", "regex"], [5, 4, 2, 1])[0]
    fields: dict[str, object] = {}
    if mode == "regex":
        fields["pattern"] = rng.choice(PATTERNS)
    else:
        count = rng.randint(2, 3) if mode == "all" else rng.randint(1, 3)
        fields["keywords"] = rng.sample(WORDS, count)
    if rng.random() < 0.2:
        fields["exclude_keywords"] = rng.sample(["不要", "已解决", "哈哈"], 1)
    if rng.random() < 0.2:
        fields["active_hours"] = [rng.choice([(time(9), time(18)), (time(20), time(2))])]
    return Rule(
        id=f"r{n:03d}",
        name=f"r{n}",
        match=mode,  # type: ignore[arg-type]
        reply=rng.choice(["好的 {nickname}", "在{group_name}回复", "收到"]),
        created_at=CREATED + timedelta(minutes=rng.randint(0, 5)),  # ties on purpose
        priority=rng.randint(0, 3),
        scope=_scope(rng),
        cooldown_seconds=rng.choice([0, 60, 600]),
        **fields,  # type: ignore[arg-type]
    )


def _message(rng: random.Random) -> IncomingMessage:
    parts = [rng.choice(WORDS + FILLER) for _ in range(rng.randint(1, 6))]
    if rng.random() < 0.2:
        parts.append(str(rng.randint(0, 10**6)))
    text = "".join(VARIANTS.get(p, p) if rng.random() < 0.3 else p for p in parts)
    if rng.random() < 0.15:
        text = rng.choice(WORDS)  # whole-message keywords, for `exact`
    group_id, group_type = rng.choice(GROUPS)
    private = rng.random() < 0.15
    return IncomingMessage(
        text=text,
        sender_role="fan",
        chat="private" if private else "group",
        sent_at=BASE + timedelta(minutes=rng.randint(0, 24 * 60)),
        group_id=None if private else group_id,
        group_type=None if private else group_type,
        sender_id="wm1",
    )


def _context(rng: random.Random) -> MatchContext:
    recent = {f"r{n:03d}" for n in range(80) if rng.random() < 0.3}

    def last_reply_at(rule_id: str, conversation: str) -> datetime | None:
        return BASE + timedelta(hours=12) if rule_id in recent else None

    return MatchContext("Asia/Shanghai", last_reply_at, {"nickname": "小鹿", "group_name": "1群"})


def _same_choices(matcher: Matcher, seed: int, messages: int = 1500) -> int:
    rng = random.Random(seed)
    context = _context(rng)
    decided = 0
    for _ in range(messages):
        message = _message(rng)
        expected = evaluate(matcher, message, context).decision
        for incoming in (message, replace(message, normalised_text=normalise(message.text))):
            got = decide(matcher, incoming, context)
            assert (got and (got.rule.id, got.reply, got.kind)) == (
                expected and (expected.rule.id, expected.reply, expected.kind)
            ), message
        decided += expected is not None
    return decided


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decide_chooses_what_the_explaining_reference_chooses(seed: int) -> None:
    rng = random.Random(seed)
    matcher = build_matcher(_rule(rng, n) for n in range(80))
    decided = _same_choices(matcher, seed)
    assert decided > 100  # the generated traffic does exercise choices


def test_a_matcher_stored_before_regex_literals_runs_every_regex(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A blob built without the literal words in its automaton still decides the same: its
    regex rules simply run on every message."""
    rng = random.Random(9)
    rules = [_rule(rng, n) for n in range(80)]
    monkeypatch.setattr(automaton_module, "regex_literals_of", lambda rules: set())
    old = Matcher.loads(build_matcher(rules).dumps())
    monkeypatch.undo()
    regex_count = sum(rule.match == "regex" for rule in rules)
    assert 0 < len(old.index.regex_always) <= regex_count  # literals that are keywords stay
    _same_choices(old, 9, messages=500)


def test_required_literals_are_sound_and_refuse_what_they_cannot_read() -> None:
    rng = random.Random(5)
    alphabet = ["sku", "几点", "什么时候", "开播", "直播", "号链接", "1", "3", "9", "x", " ", "了"]
    for pattern in PATTERNS:
        literals = required_literals(pattern)
        compiled = compile_pattern(pattern)
        for _ in range(400):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
            if compiled.search(text) is not None:
                assert literals is None or any(word in text for word in literals), (pattern, text)
    assert required_literals(r"(几点|什么时候).{0,4}(开播|直播)") in (
        {"开播", "直播"},
        {"几点", "什么时候"},
    )
    assert required_literals(r"\d{1,2}号链接") == {"号链接"}
    assert required_literals(r"SKU\d+") == {"sku"}
    assert required_literals(r"1[3-9]\d{9}") == {f"1{n}" for n in range(3, 10)}
    assert required_literals(r"(能|可以)(便宜|少)点") == {
        "能便宜点",
        "能少点",
        "可以便宜点",
        "可以少点",
    }
    assert required_literals(r"a*") is None and required_literals(r"[^ab]") is None
    for unreadable in (r"[[:alpha:]]号", r"\pN+号", r"a{,3}", r"(?U)a+", r"(unclosed"):
        assert required_literals(unreadable) is None
