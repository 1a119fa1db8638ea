"""The keyword bot's hot path: deciding whether a group message triggers an auto-reply rule.

Subject: ``decide`` on normalised text (one Aho-Corasick scan, the ranked rule tables, the
choice, the reply), as the message pipeline calls it, over 1,000,000 realistic Chinese group
messages against a workspace of 10,000 rules. Baselines in the same run: a bare pyahocorasick
``iter`` scan of the same normalised texts over the same keywords (the engine floor), and the
loop a user would write, testing every rule's keywords with ``in``, run on a sample. ``decide``
normalising by itself is measured against normalisation + the bare scan; normalisation,
building, serialising and loading the matcher are reported apart.
"""

from __future__ import annotations

import gc
import pickle
import random
import re
import tempfile
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

import ahocorasick
import numpy as np

from benchmarks.runner import Result, measure
from siyu.community.matching import (
    IncomingMessage,
    MatchContext,
    Matcher,
    Rule,
    Scope,
    build_matcher,
    decide,
    normalise,
)

RULES = 10_000
MESSAGES = 1_000_000
NAIVE_SAMPLE = 2_000
SEED = 7
T = TypeVar("T")
CACHE = Path(tempfile.gettempdir()) / "siyu-bench-autoreply-v1.pickle"


def _words(text: str) -> list[str]:
    return text.split()


# Made-up brands and everyday products of a beauty and lifestyle live room.
BRANDS = _words(
    "花漾 森屿 澜境 雪域 柚见 青禾 木槿 星遇 初禾 云栖 素研 鹿岛 橘栖 暖阳 白茶 山茶 半亩 清屿"
    " 沐光 溪谷 南枝 月见 晨露 拾光 栀夏 野莓 雾岛 苏木 稻香 朝露 北纬 知味 麦田 蓝湾 柠檬树"
    " 小森林 椰风 花田 竹语 海盐"
)
PRODUCT_TYPES = _words(
    "面膜 精华液 洗面奶 面霜 眼霜 爽肤水 乳液 防晒霜 隔离霜 粉底液 气垫 口红 唇釉 眼影盘 睫毛膏"
    " 卸妆油 身体乳 洗发水 护发素 沐浴露 牙膏 洗衣液 抽纸 洗脸巾 四件套 棉拖鞋 除螨仪 保温杯"
    " 蛋白粉 燕窝 坚果礼盒 挂耳咖啡 酸奶 螺蛳粉 牛排 吐司 卫生巾 湿巾 发膜 香水 护手霜 指甲油"
    " 电动牙刷 吹风机 卷发棒 按摩仪 足浴盆 空气炸锅 榨汁机 电饭煲 乳胶枕 羽绒服 卫衣 牛仔裤"
    " 连衣裙 运动鞋 帆布包 袜子 睡衣 围巾 发夹 耳环 项链 手链"
)
QUESTIONS = _words(
    "发货 链接 多少钱 价格 怎么用 有货 补货 优惠券 赠品 保质期 色号 尺码 成分 孕妇 敏感肌 正品"
    " 拼单 库存 返场 小样"
)
AFTER_SALES = _words(
    "退款 破损 发错 没收到 漏发 坏了 质量问题 过敏了 投诉 退货 换货 少发 空盒 漏液"
)
SCHEDULE = _words(
    "几点开播 今晚直播 明天直播 直播预告 什么时候开播 回放 直播间 开播提醒 预约直播 下场直播 福袋 抽奖"
)
GREETINGS = _words("在吗 你好 早上好 晚上好 晚安 签到 打卡 1 来了 收到 谢谢 好的 哈喽")
EXCLUDES = _words("不要 不用了 已解决 已经收到 算了 没事了")
GROUP_TYPES = _words("地区群 兴趣群 KOC群 VIP群 普通群")
REGEXES = [
    r"订单号?\s*:?\s*\d{10,20}",
    r"sku\s*\d{4,}",
    r"1[3-9]\d{9}",
    r"(几点|什么时候|啥时候).{0,6}(开播|直播)",
    r"(快递|物流).{0,6}(到哪|查|单号)",
    r"\d+\s*(号|日).{0,4}(直播|开播)",
    r"优惠券.{0,6}(怎么|在哪|领)",
    r"(满|每满)\d+减\d+",
    r"(jd|sf|yt|zto|yd)\d{8,}",
    r"尺码.{0,4}(偏大|偏小|正常)",
    r"(能|可以)(便宜|少)一?点",
    r"(多少|几)(ml|g|克|毫升)",
    r"有没有.{1,8}(链接|同款)",
    r"第[一二三四五六七八九十\d]+个链接",
    r"\d{1,2}号链接",
    r"(怎么|如何)(加|进)(群|vip群)",
    r"(积分|分数).{0,6}(兑换|换|查)",
    r"(生日|会员日).{0,4}(礼|福利)",
    r"(发票|开票)",
    r"(抽奖|中奖).{0,6}(名单|结果|什么时候)",
]
CHIT_CHAT = _words(
    "哈哈哈 好看 冲冲冲 蹲一个 买了买了 姐妹们今天抢到了吗 主播今天好美 昨天的直播太好看了 笑死我了"
    " +1 同问 谢谢宝宝 太划算了吧 终于到货了开心 我也想要 今天天气好好 下班了 有人一起拼单吗"
    " 刚下单 手慢了没抢到 啊啊啊啊 晒一下我的买家秀 好用到哭 回购第三次了 姐妹们晚上见 上班摸鱼中"
    " 孩子终于睡了 明天见 爱了爱了 真的绝了 这个颜色好显白 求推荐 有没有人用过 蹲蹲 好羡慕"
)
# Message shapes: (weight, template). Slots: {p} product, {t} type, {q} question, {a} after-sales,
# {s} schedule, {g} greeting, {c} chit-chat, {n} digits.
SHAPES = [
    (30, "{c}"),
    (8, "{c}，{c}"),
    (6, "{p}真的好用"),
    (5, "请问{p}什么时候{q}呀"),
    (5, "{p}还有{q}吗"),
    (3, "{t}{q}是多少"),
    (4, "{s}是几点呀"),
    (3, "今天{s}有{t}吗"),
    (3, "我的{t}{a}了怎么办"),
    (2, "{p}{a}，找谁处理"),
    (7, "{g}"),
    (2, "订单号{n}还没发货"),
    (1, "SKU{n}有货吗"),
    (2, "{c}，{p}和{p}哪个好"),
    (2, "請問{p}什麼時候發貨"),
    (1, "ＳＫＵ{n}還有嗎"),
    (1, "{t}\u200b{a}了"),
    (2, "{c}！！{s}"),
]
GROUPS = [(f"wr{n:04d}", GROUP_TYPES[n % len(GROUP_TYPES)]) for n in range(72)]
EPOCH = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Rules


def products(rng: random.Random) -> list[str]:
    names = [brand + kind for brand in BRANDS for kind in PRODUCT_TYPES]
    rng.shuffle(names)
    return names


def make_rules(rng: random.Random) -> list[Rule]:
    names = products(rng)
    specs: list[dict[str, object]] = []
    specs += _product_question_rules(rng, names, 5_600)
    specs += _after_sales_rules(rng, 800)
    specs += _schedule_rules(rng, 250)
    specs += _greeting_rules()
    specs += _regex_rules()
    specs += _product_rules(rng, names, RULES - len(specs))
    created = EPOCH - timedelta(days=365)
    return [
        Rule(id=f"r{i:05d}", created_at=created + timedelta(minutes=i), **spec)
        for i, spec in enumerate(specs)
    ]


def _product_question_rules(
    rng: random.Random, names: list[str], count: int
) -> list[dict[str, object]]:
    pairs = rng.sample([(name, q) for name in names for q in QUESTIONS], count)
    return [
        _spec(
            f"{name}{q}",
            "all",
            [name, q],
            f"{{nickname}} {name}的{q}看群公告哦",
            priority=1,
            rng=rng,
        )
        for name, q in pairs
    ]


def _after_sales_rules(rng: random.Random, count: int) -> list[dict[str, object]]:
    pairs = rng.sample([(t, a) for t in PRODUCT_TYPES for a in AFTER_SALES], count)
    return [
        _spec(
            f"{t}{a}",
            "all",
            [t, a],
            "{nickname} 别急，私聊我帮你处理",
            priority=10,
            kind="handoff",
            rng=rng,
        )
        for t, a in pairs
    ]


def _schedule_rules(rng: random.Random, count: int) -> list[dict[str, object]]:
    specs = []
    for n in range(count):
        words = rng.sample(SCHEDULE, 2)
        scope = Scope.only(group_types={GROUP_TYPES[n % len(GROUP_TYPES)]})
        hours = [(time(9), time(23, 30))] if n % 3 else [(time(22), time(2))]
        specs.append(
            _spec(
                f"直播{n}",
                "any",
                words,
                "下次直播 {next_live_time}，记得预约",
                priority=5,
                scope=scope,
                active_hours=hours,
                rng=rng,
            )
        )
    return specs


def _greeting_rules() -> list[dict[str, object]]:
    return [
        _spec(
            f"{group_id}{word}",
            "exact",
            [word],
            f"{word}呀 {{nickname}}",
            scope=Scope.only(group_ids={group_id}),
            cooldown_seconds=300,
        )
        for group_id, _ in GROUPS
        for word in GREETINGS
    ]


def _regex_rules() -> list[dict[str, object]]:
    return [
        {
            "name": f"正则{n}",
            "match": "regex",
            "pattern": pattern,
            "reply": "收到，稍等哦",
            "priority": 3,
        }
        for n, pattern in enumerate(REGEXES)
    ]


def _product_rules(rng: random.Random, names: list[str], count: int) -> list[dict[str, object]]:
    return [
        _spec(name, "any", [name, name[:-1] + "的" + name[-1]], f"{name}在3号链接", rng=rng)
        for name in (names * 2)[:count]
    ]


def _spec(
    name: str,
    match: str,
    keywords: list[str],
    reply: str,
    *,
    rng: random.Random | None = None,
    **settings: object,
) -> dict[str, object]:
    spec: dict[str, object] = {"name": name, "match": match, "keywords": keywords, "reply": reply}
    if rng is not None and rng.random() < 0.1:
        spec["exclude_keywords"] = rng.sample(EXCLUDES, 2)
    return spec | settings


# ---------------------------------------------------------------------------------------------
# Messages: slots drawn with numpy, strings formatted once and cached


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    groups: np.ndarray  # index into GROUPS
    seconds: np.ndarray  # offset from EPOCH


def corpus() -> Corpus:
    if CACHE.exists():
        return pickle.loads(CACHE.read_bytes())
    generated = _generate(np.random.default_rng(SEED))
    CACHE.write_bytes(pickle.dumps(generated, protocol=pickle.HIGHEST_PROTOCOL))
    return generated


def _generate(rng: np.random.Generator) -> Corpus:
    weights = np.array([w for w, _ in SHAPES], dtype=float)
    shapes = rng.choice(len(SHAPES), size=MESSAGES, p=weights / weights.sum())
    names = [brand + kind for brand in BRANDS for kind in PRODUCT_TYPES]
    pools = {
        "p": names,
        "t": PRODUCT_TYPES,
        "q": QUESTIONS,
        "a": AFTER_SALES,
        "s": SCHEDULE,
        "g": GREETINGS,
        "c": CHIT_CHAT,
    }
    # Two draws per slot kind cover the templates that use a slot twice.
    picks = {key: rng.integers(0, len(pool), size=(2, MESSAGES)) for key, pool in pools.items()}
    digits = rng.integers(10**10, 10**12, size=MESSAGES)
    texts = [
        _fill(SHAPES[shape][1], i, pools, picks, digits) for i, shape in enumerate(shapes.tolist())
    ]
    # A day and a half of traffic (~60,000 messages a day across 72 groups, scaled up).
    seconds = np.sort(rng.integers(0, 36 * 3600, size=MESSAGES))
    return Corpus(texts, rng.integers(0, len(GROUPS), size=MESSAGES), seconds)


_SLOT = re.compile(r"\{(\w)\}")


def _fill(
    template: str,
    i: int,
    pools: dict[str, list[str]],
    picks: dict[str, np.ndarray],
    digits: np.ndarray,
) -> str:
    used: dict[str, int] = {}

    def value(slot: re.Match[str]) -> str:
        key = slot.group(1)
        if key == "n":
            return str(digits[i])
        turn = used.get(key, 0)
        used[key] = turn + 1
        return pools[key][picks[key][turn % 2, i]]

    return _SLOT.sub(value, template)


# ---------------------------------------------------------------------------------------------
# Runs


def _messages(data: Corpus) -> list[IncomingMessage]:
    return [
        IncomingMessage(
            text=text,
            sender_role="fan",
            chat="group",
            sent_at=EPOCH + timedelta(seconds=int(second)),
            group_id=GROUPS[group][0],
            group_type=GROUPS[group][1],
        )
        for text, group, second in zip(
            data.texts, data.groups.tolist(), data.seconds.tolist(), strict=True
        )
    ]


def _run_decide(matcher: Matcher, messages: list[IncomingMessage]) -> dict[str, int]:
    """What the message pipeline does: decide, and record the reply for the cooldown (here a dict
    standing in for the store)."""
    last_replies: dict[tuple[str, str], datetime] = {}
    context = MatchContext(
        "Asia/Shanghai",
        lambda rule_id, conversation: last_replies.get((rule_id, conversation)),
        {"nickname": "小鹿爱吃糖", "group_name": "杭州1群", "next_live_time": "今晚8点"},
    )
    counts = {"reply": 0, "handoff": 0}
    for message in messages:
        decision = decide(matcher, message, context)
        if decision is not None:
            counts[decision.kind] += 1
            last_replies[(decision.rule.id, message.conversation_id)] = message.sent_at
    return counts


def _bare_automaton(rules: list[Rule]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for rule in rules:
        for word in (*rule.keywords, *rule.exclude_keywords):
            word = normalise(word)
            automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


def _bare_scan(automaton: ahocorasick.Automaton, texts: list[str]) -> int:
    hits = 0
    for text in texts:
        for _ in automaton.iter(text):
            hits += 1
    return hits


def _naive(rules: list[Rule], texts: list[str]) -> int:
    """The script a user would write: every rule, every keyword, ``in``; Python ``re`` for
    patterns; the highest priority wins. (Given already-normalised text, to its advantage.)"""
    prepared = [
        (
            rule,
            [normalise(k) for k in rule.keywords],
            [normalise(k) for k in rule.exclude_keywords],
            re.compile(rule.pattern, re.IGNORECASE) if rule.pattern else None,
        )
        for rule in rules
    ]
    answered = 0
    for text in texts:
        best = None
        for rule, keywords, excludes, pattern in prepared:
            if rule.match == "any":
                hit = any(k in text for k in keywords)
            elif rule.match == "all":
                hit = all(k in text for k in keywords)
            elif rule.match == "exact":
                hit = text in keywords
            else:
                hit = pattern is not None and pattern.search(text) is not None
            if (
                hit
                and not any(k in text for k in excludes)
                and (best is None or rule.priority > best.priority)
            ):
                best = rule
        answered += best is not None
    return answered


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = clock.perf_counter()
    value = action()
    return value, clock.perf_counter() - started


def run() -> Result:
    rng = random.Random(SEED)
    rules = make_rules(rng)
    data, corpus_seconds = _timed(corpus)
    messages = _messages(data)

    matcher, build_seconds = _timed(lambda: build_matcher(rules))
    blob, dumps_seconds = _timed(matcher.dumps)
    loaded, loads_seconds = _timed(lambda: Matcher.loads(blob))
    automaton_pickle_seconds, automaton_file_seconds = _automaton_load_times(matcher)

    normalised: list[str] = []
    normalisation = measure(
        "normalise (NFKC, case fold, invisibles, t2s, spaces)",
        MESSAGES,
        lambda: normalised.extend(normalise(text) for text in data.texts),
    )
    # The pipeline normalises each message once (its storage checks need the normal form too)
    # and hands it to decide: that is the subject. decide normalising by itself is measured too.
    prepared = [
        replace(message, normalised_text=text)
        for message, text in zip(messages, normalised, strict=True)
    ]
    # A million messages were just allocated: move them out of the collector's way, or the next
    # full collections (triggered by whichever measurement allocates next) traverse them all.
    gc.collect()
    gc.freeze()
    counts: dict[str, int] = {}
    subject = measure(
        "decide on normalised text: Aho-Corasick + ranked rule tables + choice (10,000 rules)",
        MESSAGES,
        lambda: counts.update(_run_decide(loaded, prepared)),
    )
    end_to_end_counts: dict[str, int] = {}
    end_to_end = measure(
        "decide end to end, normalising each message itself",
        MESSAGES,
        lambda: end_to_end_counts.update(_run_decide(loaded, messages)),
    )
    assert end_to_end_counts == counts
    bare = _bare_automaton(rules)
    hits: list[int] = []
    floor = measure(
        "bare pyahocorasick iter over the same normalised texts",
        MESSAGES,
        lambda: hits.append(_bare_scan(bare, normalised)),
    )
    floor_with_normalisation = measure(
        "normalise + bare pyahocorasick iter",
        MESSAGES,
        lambda: hits.append(_bare_scan(bare, [normalise(text) for text in data.texts])),
    )
    naive_answered: list[int] = []
    naive = measure(
        f"naive loop over every rule's keywords with `in` ({NAIVE_SAMPLE:,}-message sample)",
        NAIVE_SAMPLE,
        lambda: naive_answered.append(_naive(rules, normalised[:NAIVE_SAMPLE])),
    )

    result = Result("autoreply", subject)
    result.compare(floor, aim=">= 0.5 of the bare scan of the same normalised texts")
    result.compare(naive, aim=">= 20x the naive loop (also given normalised text)")
    result.compare(normalisation, aim="informational: normalisation alone")
    result.details = {
        "rules": len(rules),
        "rules_by_mode": {
            m: sum(r.match == m for r in rules) for m in ("any", "all", "exact", "regex")
        },
        "distinct_keywords": len(bare),
        "messages": MESSAGES,
        "decisions": counts,
        "bare_scan_hits": hits[0],
        "naive_sample_answered": naive_answered[0],
        "decide_end_to_end_per_second": round(end_to_end.per_second),
        "end_to_end_vs_normalise_plus_bare_scan": round(
            end_to_end.per_second / floor_with_normalisation.per_second, 3
        ),
        "normalise_plus_bare_scan_per_second": round(floor_with_normalisation.per_second),
        "normalisation_us_per_message": round(normalisation.seconds / MESSAGES * 1e6, 2),
        "matcher_build_seconds": round(build_seconds, 3),
        "matcher_dumps_seconds": round(dumps_seconds, 3),
        "matcher_blob_mib": round(len(blob) / 2**20, 2),
        "matcher_loads_seconds": round(loads_seconds, 3),
        "automaton_pickle_loads_seconds": round(automaton_pickle_seconds, 3),
        "automaton_file_load_seconds": round(automaton_file_seconds, 3),
        "corpus_seconds": round(corpus_seconds, 2),
        "corpus_cache": str(CACHE),
    }
    for key, value in result.details.items():
        print(f"  {key}: {value}")
    return result


def _automaton_load_times(matcher: Matcher) -> tuple[float, float]:
    """pyahocorasick offers pickling and save()/load() with a value serializer: time both."""
    pickled = pickle.dumps(matcher.automaton, protocol=pickle.HIGHEST_PROTOCOL)
    _, pickle_seconds = _timed(lambda: pickle.loads(pickled))
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "automaton.bin")
        matcher.automaton.save(path, pickle.dumps)
        _, file_seconds = _timed(lambda: ahocorasick.load(path, pickle.loads))
    return pickle_seconds, file_seconds
