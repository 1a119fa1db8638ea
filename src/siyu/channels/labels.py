"""Names of platforms and kinds of work, in the operator's language."""

from __future__ import annotations

from siyu.kit.i18n import N_

PLATFORM_LABELS = {
    "douyin": N_("Douyin"),
    "kuaishou": N_("Kuaishou"),
    "xiaohongshu": N_("Xiaohongshu"),
    "bilibili": N_("Bilibili"),
    "weibo": N_("Weibo"),
    "channels": N_("WeChat Channels"),
}
KIND_LABELS = {
    "video": N_("Video"),
    "note": N_("Note"),
    "live_announcement": N_("Live announcement"),
    "group_entry": N_("Group-entry post"),
}
UPLOAD_STATUS_LABELS = {"completed": N_("Imported"), "failed": N_("Rejected")}
LABELS = {
    "PLATFORM_LABELS": PLATFORM_LABELS,
    "KIND_LABELS": KIND_LABELS,
    "UPLOAD_STATUS_LABELS": UPLOAD_STATUS_LABELS,
}
