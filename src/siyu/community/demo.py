"""Demo fan groups: 72 groups of several types and ages, three months of chat, keyword-bot
rules (hand-offs included), live codes, and health and KOCs computed from it all.

Groups, rules and families go through the services; members and the months of history are
bulk-inserted (a few hundred thousand rows), then the last hour goes through the real message
pipeline so the bot's replies, tickets and flags are real ones.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from siyu.community import health, messages, service
from siyu.community import pipeline as community_pipeline
from siyu.community import rules as community_rules
from siyu.community.models import FanGroup, FanGroupFamily, GroupMembership, GroupMessage
from siyu.customers.service import live_fan_names
from siyu.kit.clock import utcnow
from siyu.workspace.audit import SYSTEM
from siyu.workspace.service import members_of

DAYS = 90
REGIONS = ("浙江", "广东", "江苏", "上海", "北京", "四川", "山东", "湖北")
FAN_LINES = (
    "今晚几点开播呀",
    "链接在哪里",
    "这个面膜SKU是多少",
    "昨天买的精华收到了 好用",
    "有没有优惠券",
    "宝宝们早上好",
    "求一个同款",
    "主播今天好美",
    "这个适合干皮吗",
    "什么时候补货",
    "姐妹们冲",
    "已下单 期待",
    "质量真的不错",
    "快递到哪了",
    "敏感肌能用吗",
    "早安",
    "晚安啦",
    "打卡",
    "我也想要",
    "太划算了吧",
    "上次的洗脸巾回购了",
    "这个颜色好看",
    "有赠品吗",
    "想要链接",
)
SPAM_LINES = ("加我微信 领福利", "兼职日结 私聊我", "www.haokan.cn 免费领")
AFTER_SALES_LINES = ("我的快递没收到", "收到的瓶子破损了", "想退款 怎么弄", "发错颜色了")
STAFF_LINES = (
    "今晚8点直播 福利多多",
    "新品试用名额报名中",
    "感谢大家支持 晒单有礼",
    "明早10点秒杀",
)
RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "开播时间",
        "match": "any",
        "keywords": ["几点开播", "几点播", "什么时候播"],
        "reply": "{nickname} 今晚{next_live_time}见～",
    },
    {"name": "链接", "match": "any", "keywords": ["链接", "在哪买"], "reply": "链接在群公告置顶哦"},
    {"name": "规格", "match": "all", "keywords": ["SKU", "面膜"], "reply": "面膜规格见置顶图"},
    {
        "name": "优惠券",
        "match": "any",
        "keywords": ["优惠券", "有券吗"],
        "exclude_keywords": ["过期"],
        "reply": "开播前10分钟群里发券～",
    },
    {
        "name": "补货",
        "match": "any",
        "keywords": ["补货", "还有货"],
        "reply": "补货了会第一时间在群里说",
    },
    {
        "name": "肤质",
        "match": "regex",
        "pattern": "(干皮|油皮|敏感肌).{0,6}(能用|适合)",
        "reply": "{nickname} 私聊发下肤质，帮你挑～",
    },
    {
        "name": "打卡",
        "match": "exact",
        "keywords": ["打卡"],
        "reply": "打卡成功，积分+1",
        "scope": {"group_types": ["koc", "vip"]},
    },
    {
        "name": "售后转私聊",
        "match": "any",
        "keywords": ["退款", "破损", "发错", "没收到", "坏了"],
        "reply": "{nickname} 别着急，我私聊你马上处理",
        "kind": "handoff",
        "priority": 10,
    },
)


def seed(session: Session, workspace_id: int) -> None:
    rng = random.Random(7)
    operators = [member.operator_id for member in members_of(session, workspace_id)]
    service.update_settings(session, workspace_id, SYSTEM, next_live_time="20:00")
    for rule in RULES:
        community_rules.create_rule(session, workspace_id, SYSTEM, dict(rule))
    family = service.create_family(
        session,
        workspace_id,
        SYSTEM,
        name="小鹿福利群",
        slug="xiaolu-fans",
        name_base="小鹿福利",
        group_type="general",
        group_capacity=200,
        min_paid_orders=2,
    )
    regional = service.create_family(
        session,
        workspace_id,
        SYSTEM,
        name="小鹿同城群",
        slug="xiaolu-local",
        name_base="小鹿",
        group_type="regional",
        group_capacity=300,
        min_paid_orders=2,
        match_region=True,
    )
    newcomers = service.create_family(
        session,
        workspace_id,
        SYSTEM,
        name="小鹿新粉群",
        slug="xiaolu-new",
        name_base="小鹿新粉",
        group_type="general",
        group_capacity=200,
    )
    groups = _groups(session, workspace_id, family.id, regional.id, operators, rng)
    _newcomer_groups(session, workspace_id, newcomers.id)
    fans = live_fan_names(session, workspace_id, limit=15000)
    members = _members(session, workspace_id, groups, fans, rng)
    _history(session, workspace_id, groups, members, rng)
    _live_hour(session, workspace_id, groups, members, rng)
    health.compute_health(session, workspace_id, days=DAYS)


def _groups(
    session: Session,
    workspace_id: int,
    family_id: int,
    regional_id: int,
    operators: list[int],
    rng: random.Random,
) -> list[FanGroup]:
    specs: list[tuple[str, str, str | None, int | None, int | None]] = []
    for n in range(1, 41):
        specs.append((f"小鹿福利{n}群", "general", None, family_id, n))
    for n, region in enumerate(REGIONS * 2, start=1):
        specs.append((f"小鹿{region}{n}群", "regional", region, regional_id, n))
    for topic in ("护肤", "彩妆", "母婴", "居家", "零食", "穿搭"):
        specs.append((f"{topic}兴趣群", "interest", None, None, None))
    for n in range(1, 6):
        specs.append((f"KOC体验官{n}群", "koc", None, None, None))
    for n in range(1, 6):
        specs.append((f"小鹿VIP{n}群", "vip", None, None, None))
    groups = []
    now = utcnow()
    for index, (name, kind, place, fam, number) in enumerate(specs):
        team = rng.sample(operators, k=min(len(operators), 2)) if operators else []
        group = service.create_group(
            session,
            workspace_id,
            SYSTEM,
            name=name,
            group_type=kind,
            region=place,
            capacity=300 if kind == "regional" else 200,
            operator_ids=team,
            owner_operator_id=team[0] if team else None,
            rules_text="友善交流，禁止广告",
            status="active",
        )
        group.family_id, group.number = fam, number
        group.join_url = DEMO_JOIN_URL.format(ref=group.external_ref) if fam else None
        # Ages from a week to four months: some groups are still activating, some fading.
        group.created_at = now - timedelta(days=7 + (index * 37) % 120)
        groups.append(group)
    _next_numbers(session, family_id, 41)
    _next_numbers(session, regional_id, len(REGIONS) * 2 + 1)
    session.flush()
    return groups


DEMO_JOIN_URL = "https://work.weixin.qq.com/gm/siyu-demo-{ref}"  # stands in for a real code


def _newcomer_groups(session: Session, workspace_id: int, family_id: int) -> None:
    """The open live code (no entry rule) printed on parcel cards: two groups, the first
    nearly full, each with its join code, so an anonymous scan lands in a group."""
    for number, members in ((1, 200), (2, 37)):
        group = service.create_group(
            session,
            workspace_id,
            SYSTEM,
            name=f"小鹿新粉{number}群",
            capacity=200,
            status="active",
        )
        group.family_id, group.number = family_id, number
        group.join_url = DEMO_JOIN_URL.format(ref=f"xiaolu-new-{number}")
        session.flush()
        for n in range(members):  # joined by scanning; not tied to a known fan yet
            service.add_member(
                session, workspace_id, group.id, SYSTEM, member_ref=f"wx-new-{number}-{n}"
            )
    _next_numbers(session, family_id, 3)
    session.flush()


def _next_numbers(session: Session, family_id: int, number: int) -> None:
    session.execute(
        update(FanGroupFamily).where(FanGroupFamily.id == family_id).values(next_number=number)
    )


def _members(
    session: Session,
    workspace_id: int,
    groups: list[FanGroup],
    fans: list[tuple[int, str | None]],
    rng: random.Random,
) -> dict[int, list[tuple[str, int | None]]]:
    """Each group's members (ref, fan id); a few are KOC moderators, a few have left."""
    rows: list[dict[str, Any]] = []
    members: dict[int, list[tuple[str, int | None]]] = {}
    pool = list(fans)
    rng.shuffle(pool)
    cursor = 0
    now = utcnow()
    for group in groups:
        # A small demo (SIYU_DEMO_ORDERS) has fewer fans than a group has seats: nobody twice.
        size = min(rng.randint(int(group.capacity * 0.55), group.capacity - 5), len(pool))
        chosen = [pool[(cursor + i) % len(pool)] for i in range(size)] if pool else []
        cursor += size
        current: list[tuple[str, int | None]] = []
        for position, (customer_id, nick) in enumerate(chosen):
            ref = service.customer_ref(customer_id)
            age = (now - group.created_at).days
            joined = group.created_at + timedelta(days=rng.random() * max(age - 1, 1))
            left = joined + timedelta(days=rng.randint(1, 30)) if rng.random() < 0.04 else None
            if left and left > now:
                left = None
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "group_id": group.id,
                    "customer_id": customer_id,
                    "member_ref": ref,
                    "nickname": nick,
                    "role": "moderator" if position < 2 else "member",
                    "scene": "live_code" if group.family_id else "invitation",
                    "joined_at": joined,
                    "left_at": left,
                }
            )
            if left is None:
                current.append((ref, customer_id))
        members[group.id] = current
        group.member_count = len(current)
    for start in range(0, len(rows), 5000):
        session.execute(insert(GroupMembership), rows[start : start + 5000])
    session.flush()
    return members


def _activity(group: FanGroup, day_age: int, group_age: int) -> float:
    """Messages per day: a burst in the activation week, then a slow fade, faster for some."""
    if day_age > group_age:
        return 0.0
    days_in = group_age - day_age
    fade = 0.985 if group.id % 4 else 0.95
    base = 60.0 if days_in < 7 else 35.0 * fade ** (days_in - 7)
    if group.group_type in ("koc", "vip"):
        base *= 1.3
    return base


def _history(
    session: Session,
    workspace_id: int,
    groups: list[FanGroup],
    members: dict[int, list[tuple[str, int | None]]],
    rng: random.Random,
) -> None:
    now = utcnow()
    rows: list[dict[str, Any]] = []
    serial = 0
    for group in groups:
        people = members[group.id]
        if not people:
            continue
        talkers = people[: max(8, len(people) // 4)]  # a quarter of a group does the talking
        group_age = (now - group.created_at).days
        for day_age in range(min(DAYS, group_age), 0, -1):
            count = int(rng.gauss(_activity(group, day_age, group_age), 4))
            day_start = now - timedelta(days=day_age)
            for _ in range(max(count, 0)):
                serial += 1
                at = day_start + timedelta(seconds=rng.randint(8 * 3600, 23 * 3600))
                rows.append(_history_row(workspace_id, group, talkers, rng, serial, at))
    rows.sort(key=lambda r: r["sent_at"])
    for start in range(0, len(rows), 5000):
        session.execute(insert(GroupMessage), rows[start : start + 5000])


def _history_row(
    workspace_id: int,
    group: FanGroup,
    talkers: list[tuple[str, int | None]],
    rng: random.Random,
    serial: int,
    at: Any,
) -> dict[str, Any]:
    roll = rng.random()
    # Zipf-like: the first talkers (the KOCs) speak far more often than the rest.
    ref, customer_id = talkers[min(int(rng.paretovariate(1.2)) - 1, len(talkers) - 1)]
    role, msg_type, text, push, reply_to = "fan", "text", rng.choice(FAN_LINES), False, None
    if roll < 0.08:
        staff = group.operator_ids[serial % len(group.operator_ids)] if group.operator_ids else 0
        role, ref, customer_id = "staff", service.operator_ref(staff), None
        text, push = rng.choice(STAFF_LINES), rng.random() < 0.5
    elif roll < 0.11:
        msg_type, text = "image", "收到啦 晒一下 买家秀"
    elif roll < 0.12:
        text = rng.choice(AFTER_SALES_LINES)
    elif roll < 0.35:
        reply_to = talkers[0][0]
    return {
        "workspace_id": workspace_id,
        "msg_id": f"demo-{serial}",
        "chat": "group",
        "group_id": group.id,
        "sender_ref": ref,
        "sender_role": role,
        "customer_id": customer_id,
        "msg_type": msg_type,
        "text": text,
        "reply_to_ref": reply_to,
        "is_push": push,
        "is_buyer_show": msg_type == "image",
        "is_after_sales": text in AFTER_SALES_LINES,
        "sent_at": at,
        "received_at": at,
    }


def _live_hour(
    session: Session,
    workspace_id: int,
    groups: list[FanGroup],
    members: dict[int, list[tuple[str, int | None]]],
    rng: random.Random,
) -> None:
    """The last hour through the real pipeline: bot replies, hand-offs, spam flags."""
    now = utcnow()
    batch = []
    lines = FAN_LINES + SPAM_LINES + AFTER_SALES_LINES + ("打卡", "干皮能用吗", "这款SKU面膜多少钱")
    for i in range(400):
        group = groups[i % len(groups)]
        people = members[group.id]
        if not people:
            continue
        ref, _ = rng.choice(people)
        batch.append(
            messages.MessageIn(
                msg_id=f"demo-live-{i}",
                chat="group",
                group_ref=group.external_ref,
                sender_ref=ref,
                sender_role="fan",
                sent_at=now - timedelta(minutes=60 - i * 0.15),
                text=rng.choice(lines),
            )
        )
    for start in range(0, len(batch), 100):
        community_pipeline.ingest_messages(session, workspace_id, batch[start : start + 100])
