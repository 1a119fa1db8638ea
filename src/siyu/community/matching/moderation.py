"""Moderation checks on plain text: what operators and the bot are about to send (Advertising
Law absolute terms, customer-service tone, the workspace's sensitive words), and what fans post
(external links, contact and ad wording, floods). Checks flag; people decide.

Absolute terms (《广告法》第九条: 国家级、最高级、最佳 and the like) are listed forms, not a
bare 最: 最近, 最后 and 最初 are everyday words, and 第一次 or 第一个链接 are not claims. A listed
term is not flagged where it sits inside one of the ``ORDINARY_PHRASES`` (第一次, 100%纯棉 …).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import ahocorasick

from siyu.community.matching.normalise import normalise
from siyu.kit.clock import as_utc, utcnow

FlagKind = Literal[
    "absolute_term", "service_tone", "sensitive_word", "external_link", "contact_ad", "flood"
]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Superlatives and absolute claims the Advertising Law bans in marketing copy (normalised forms:
# lower case, half-width).
ABSOLUTE_TERMS = _words(
    """
    最佳 最好 最低 最低价 最高 最高级 最优 最强 最大 最便宜 最先进 最受欢迎 最流行 最火 最热销
    最牛 最划算 最实惠 最安全 最专业 最正宗 最顶级 最权威 全网最低 全网最低价 史上最低 全球最
    第一 第一品牌 销量第一 唯一 独一无二 国家级 世界级 顶级 极品 首个 首家 首选 100% 百分百
    万能 绝对 极致 终极 王牌 销量冠军 领导品牌 领袖品牌 全球首发 no.1 top1 永久 完美 零风险
    无敌 史无前例 遥遥领先 根治 药到病除
    """
)
# Phrases that contain a listed term without making a claim.
ORDINARY_PHRASES = _words(
    """
    第一次 第一个 第一天 第一批 第一波 第一件 第一单 第一时间 第一眼 第一步 第一场 第一轮
    第一排 100%棉 100%纯棉 100%羊毛 100%桑蚕丝 100%真丝
    """
)
# Operators speak as a friend, not a call centre (DOMAIN.md, message quality).
SERVICE_TONE = _words(
    """
    亲亲 亲~ 亲爱的客户 亲爱的顾客 亲爱的用户 尊敬的客户 尊敬的顾客 尊敬的用户 客官 本店 小店
    给您带来不便 感谢您的耐心等待 感谢您的支持与理解
    """
)
# Ways fans advertise or pull members elsewhere.
CONTACT_AD_WORDS = _words(
    """
    加微信 加我微信 加v 加vx 加薇 加威 加卫星 私聊我 私我 私信我 v信 vx 薇信 威信 微信号 wx号
    扫码 二维码 代购 兼职 刷单 日赚 日结 招代理 招募代理 免费领取 进群领 加群 返利 淘口令
    """
)

# Latin-letter boundaries rather than \b: ideographs count as word characters, and a link is
# often glued to Chinese text (taobao.com搜一下).
_LINK = re.compile(
    r"(https?://|www\.|t\.cn/|dwz\.cn|url\.cn"
    r"|(?<![a-z0-9-])[a-z0-9-]{2,}\.(?:com|cn|net|org|top|xyz|cc|vip|shop|link|me|io|co|ink)"
    r"(?![a-z0-9]))"
)
_DOTS = re.compile(r"(?:点|dot|。|\(\.\)|\[\.\])")  # taobao点com, www。xx。com
_TAOBAO_PASSWORD = re.compile(r"[¥$€₤](?=[a-z0-9]*[a-z])[a-z0-9]{8,}[¥$€₤]")  # ¥ab12CD34¥
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Flag:
    kind: FlagKind
    term: str  # what was found, as normalised
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One earlier message of the same sender, for flood detection."""

    text: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    """``count`` same or near-same messages (this one included) within ``window_seconds``."""

    count: int = 3
    window_seconds: int = 60
    similarity: float = 0.85  # difflib ratio over normalised texts


def _automaton(words_by_kind: dict[str, Iterable[str]]) -> Any:
    automaton = ahocorasick.Automaton()
    for kind, words in words_by_kind.items():
        for word in words:
            automaton.add_word(normalise(word), (kind, normalise(word)))
    automaton.make_automaton()
    return automaton


class Moderator:
    """The checks with one workspace's sensitive words. Build once per word-list version; the
    automata are read-only afterwards, so one instance serves every thread."""

    def __init__(self, sensitive_words: Iterable[str] = ()) -> None:
        self._outgoing = _automaton(
            {
                "absolute_term": ABSOLUTE_TERMS,
                "ordinary": ORDINARY_PHRASES,
                "service_tone": SERVICE_TONE,
                "sensitive_word": [word for word in sensitive_words if normalise(word)],
            }
        )
        self._incoming = _automaton({"contact_ad": CONTACT_AD_WORDS})

    def check_outgoing(self, text: str) -> list[Flag]:
        """Flags for an operator's or the bot's reply, before it goes out."""
        normalised = normalise(text)
        hits = [
            (end - len(word) + 1, end + 1, kind, word)
            for end, (kind, word) in self._outgoing.iter(normalised)
        ]
        spans = [(start, stop) for start, stop, _, _ in hits]
        ordinary = [(start, stop) for start, stop, kind, _ in hits if kind == "ordinary"]
        flags: dict[tuple[str, str], Flag] = {}
        for start, stop, kind, word in hits:
            if kind == "ordinary" or (kind == "absolute_term" and _inside(start, stop, ordinary)):
                continue
            if _inside(start, stop, [span for span in spans if span != (start, stop)]):
                continue  # 全网最低价 is one flag, not four (最低, 最低价, 全网最低 too)
            flags.setdefault((kind, word), Flag(kind, word))
        return list(flags.values())

    def check_incoming(
        self,
        text: str,
        sender_history: Sequence[SentMessage] = (),
        *,
        sent_at: datetime | None = None,
        flood: FloodPolicy | None = None,
    ) -> list[Flag]:
        """Flags for a fan's message: links, contact and ad wording, floods. ``sender_history``
        is the sender's recent messages in the same chat (the caller reads them from the store)."""
        normalised = normalise(text)
        flags = _link_flags(normalised)
        words = {word for _, (_, word) in self._incoming.iter(normalised.replace(" ", ""))}
        flags += [Flag("contact_ad", word) for word in sorted(words)]
        if phone := _PHONE.search(normalised.replace(" ", "")):
            flags.append(Flag("contact_ad", phone.group(0), "phone number"))
        repeated = _flood(normalised, sender_history, sent_at or utcnow(), flood or FloodPolicy())
        if repeated:
            flags.append(repeated)
        return flags


def _inside(start: int, stop: int, spans: list[tuple[int, int]]) -> bool:
    return any(begin <= start and stop <= end for begin, end in spans)


def _link_flags(normalised: str) -> list[Flag]:
    # Spaced-out and spelled-out forms: "w w w . x x . c o m", "taobao点com".
    squeezed = _DOTS.sub(".", normalised.replace(" ", ""))
    flags = []
    if link := _LINK.search(squeezed):
        flags.append(Flag("external_link", link.group(0)))
    if password := _TAOBAO_PASSWORD.search(squeezed):
        flags.append(Flag("external_link", password.group(0), "shopping password (淘口令)"))
    return flags


def _flood(
    normalised: str, history: Sequence[SentMessage], sent_at: datetime, policy: FloodPolicy
) -> Flag | None:
    since = as_utc(sent_at) - timedelta(seconds=policy.window_seconds)
    skeleton = _skeleton(normalised)
    similar = sum(
        1
        for earlier in history
        if as_utc(earlier.sent_at) >= since
        and _similar(skeleton, _skeleton(normalise(earlier.text)), policy.similarity)
    )
    if similar + 1 < policy.count:
        return None
    detail = f"{similar + 1} similar messages within {policy.window_seconds} s"
    return Flag("flood", normalised, detail)


def _skeleton(normalised: str) -> str:
    """Letters, digits and ideographs only: 进群领红包!! and 进群领红包 are the same message."""
    return _NOT_WORD.sub("", normalised)


def _similar(a: str, b: str, threshold: float) -> bool:
    if a == b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() >= threshold and matcher.ratio() >= threshold


_default = Moderator()


def check_outgoing(text: str) -> list[Flag]:
    """``Moderator().check_outgoing`` without workspace sensitive words."""
    return _default.check_outgoing(text)


def check_incoming(
    text: str,
    sender_history: Sequence[SentMessage] = (),
    *,
    sent_at: datetime | None = None,
    flood: FloodPolicy | None = None,
) -> list[Flag]:
    """``Moderator().check_incoming`` (no sensitive words are involved in incoming checks)."""
    return _default.check_incoming(text, sender_history, sent_at=sent_at, flood=flood)
