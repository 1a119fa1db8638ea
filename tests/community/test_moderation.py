from datetime import UTC, datetime, timedelta

import pytest

from siyu.community.matching.moderation import (
    FloodPolicy,
    Moderator,
    SentMessage,
    check_incoming,
    check_outgoing,
)

NOW = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def kinds_and_terms(flags):
    return {(flag.kind, flag.term) for flag in flags}


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("这是全网最低价", "全网最低价"),
        ("效果最好的面霜", "最好"),
        ("国家级实验室", "国家级"),
        ("顶级原料", "顶级"),
        ("销量第一", "销量第一"),
        ("100%有效", "100%"),
        ("ＮＯ．１精华", "no.1"),
        ("绝對好用", "绝对"),  # traditional form normalised first
    ],
)
def test_absolute_terms_are_flagged(text, term):
    assert kinds_and_terms(check_outgoing(text)) == {("absolute_term", term)}


@pytest.mark.parametrize(
    "text", ["最近有点忙", "最后一波福袋", "第一次用就爱了", "点第一个链接", "100%纯棉面料"]
)
def test_everyday_words_are_not_flagged(text):
    assert check_outgoing(text) == []


def test_customer_service_tone_is_flagged():
    assert kinds_and_terms(check_outgoing("亲亲，本店发货很快哦")) == {
        ("service_tone", "亲亲"),
        ("service_tone", "本店"),
    }


def test_workspace_sensitive_words_are_flagged():
    moderator = Moderator(sensitive_words=["竞品A", "内部价"])
    assert kinds_and_terms(moderator.check_outgoing("这是内部價")) == {("sensitive_word", "内部价")}


@pytest.mark.parametrize(
    "text",
    [
        "看这里 https://example.com/x",
        "ｗｗｗ．ｓｈｏｐ８８．ｃｏｍ",
        "w w w . shop88 . com",
        "taobao点com搜一下",
        "复制¥AbC12dE34¥打开手机淘宝",
    ],
)
def test_external_links_in_every_disguise_are_flagged(text):
    assert {flag.kind for flag in check_incoming(text, sent_at=NOW)} == {"external_link"}


@pytest.mark.parametrize("text", ["加我V信领券", "私聊我有代购", "兼职日结", "扫码进群领红包"])
def test_contact_and_ad_wording_is_flagged(text):
    assert {flag.kind for flag in check_incoming(text, sent_at=NOW)} == {"contact_ad"}


def test_ordinary_fan_messages_are_not_flagged():
    for text in ["今晚几点开播呀", "面膜收到了很好用", "哈哈哈 笑死", "1号链接还有吗"]:
        assert check_incoming(text, sent_at=NOW) == []


def test_a_flood_of_near_identical_messages_is_flagged():
    history = [
        SentMessage("好物分享!!", NOW - timedelta(seconds=10)),
        SentMessage("好物分享！", NOW - timedelta(seconds=40)),
    ]
    [flag] = check_incoming("好物分享", history, sent_at=NOW)
    assert flag.kind == "flood"


def test_messages_outside_the_window_or_different_are_not_a_flood():
    history = [
        SentMessage("好物分享", NOW - timedelta(minutes=5)),
        SentMessage("今天吃什么", NOW - timedelta(seconds=5)),
    ]
    assert check_incoming("好物分享", history, sent_at=NOW) == []
    policy = FloodPolicy(count=2, window_seconds=600)
    assert [f.kind for f in check_incoming("好物分享", history, sent_at=NOW, flood=policy)] == [
        "flood"
    ]
