"""The word lists the content check ships with. A workspace adds its own terms and exemptions
(``content_terms``); these are the floor every workspace starts from.

Each entry is ``term: suggestion`` (an empty suggestion means none). Terms are written as an
operator would type them; the check brings terms and texts to the same skeleton (see
``content.skeleton``), so ``全 网 最 低 价`` and ``全網最低價`` meet ``全网最低价``.
"""

from __future__ import annotations

from typing import Final

# 《广告法》第九条: superlatives and absolute claims in marketing copy.
AD_LAW: Final[dict[str, str]] = {
    "全网最低价": "超值价",
    "全网最低": "超值",
    "史上最低": "难得的低价",
    "最低价": "活动价",
    "最便宜": "很划算",
    "最佳": "很好",
    "最好": "很好",
    "最高级": "高品质",
    "最高": "很高",
    "最优": "优质",
    "最强": "很强",
    "最火": "热卖",
    "最热销": "热卖",
    "最受欢迎": "广受喜爱",
    "最先进": "先进",
    "最新技术": "新技术",
    "最顶级": "高品质",
    "最正宗": "地道",
    "最划算": "很划算",
    "第一": "",
    "唯一": "",
    "NO.1": "",
    "TOP1": "",
    "国家级": "",
    "世界级": "",
    "顶级": "高品质",
    "极品": "精选",
    "首个": "",
    "首家": "",
    "独家": "",
    "绝对": "",
    "万能": "多用",
    "100%": "",
    "百分百": "",
    "永久": "长效",
    "特供": "",
    "专供": "",
    "零风险": "",
    "无敌": "",
    "遥遥领先": "",
}

# What the regulator (市场监管总局《关于禁止商品或服务广告中使用"最"等绝对化用语的解释》 and
# local guidance) does not count as an absolute claim: time expressions, factual ranks and
# composition. A term is not reported where it sits inside one of these.
AD_LAW_EXEMPTIONS: Final[tuple[str, ...]] = (
    "最佳食用期",
    "最佳赏味期",
    "最佳使用期",
    "最佳饮用期",
    "最佳观赏期",
    "最佳销售期",
    "最高温度",
    "最低温度",
    "最高气温",
    "最低气温",
    "最近",
    "最后",
    "最初",
    "最早",
    "最晚",
    "第一次",
    "第一个",
    "第一天",
    "第一批",
    "第一波",
    "第一件",
    "第一单",
    "第一时间",
    "第一步",
    "第一场",
    "100%棉",
    "100%纯棉",
    "100%羊毛",
    "100%真丝",
    "100%桑蚕丝",
)

# Forms of address the studios ban: fans are spoken to as friends, by name.
ADDRESS_BLOCK: Final[dict[str, str]] = {
    "亲亲": "{name}",
}
ADDRESS_WARN: Final[dict[str, str]] = {
    "亲爱的客户": "{name}",
    "亲爱的顾客": "{name}",
    "尊敬的客户": "{name}",
    "尊敬的顾客": "{name}",
    "尊敬的用户": "{name}",
    "客官": "{name}",
}

# Rewards for sharing, which WeChat's platform rules forbid (诱导分享).
INDUCED_SHARING: Final[dict[str, str]] = {
    "集赞": "",
    "集齐": "",
    "转发朋友圈": "",
    "分享朋友圈": "",
    "转发到群": "",
    "分享到群": "",
    "转发有礼": "",
    "分享有礼": "",
    "分享领": "",
    "转发领": "",
    "转发送": "",
    "分享送": "",
    "转发抽奖": "",
    "点赞领": "",
    "邀请好友助力": "",
}
