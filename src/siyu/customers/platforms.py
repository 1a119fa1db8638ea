"""The platforms a fan can be known on, and their names: shared with every domain that shows
or accepts a platform."""

from __future__ import annotations

from siyu.kit.i18n import N_

IDENTITY_PLATFORMS = (
    "taobao",
    "douyin",
    "kuaishou",
    "xiaohongshu",
    "youzan",
    "wechat",
    "wecom",
    "generic",
)
PLATFORM_LABELS = {
    "taobao": N_("Taobao"),
    "douyin": N_("Douyin"),
    "kuaishou": N_("Kuaishou"),
    "xiaohongshu": N_("Xiaohongshu"),
    "youzan": N_("Youzan"),
    "wechat": N_("WeChat"),
    "wecom": N_("WeCom"),
    "generic": N_("Other"),
}
