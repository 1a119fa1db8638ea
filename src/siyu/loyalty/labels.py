"""Display labels of the loyalty domain (English message ids, translated when shown)."""

from __future__ import annotations

from siyu.customers.platforms import PLATFORM_LABELS
from siyu.kit.i18n import N_, gettext

SHELF_LABELS = {
    "aspirational": N_("Big-brand full size"),
    "essentials": N_("Everyday essentials"),
    "seasonal": N_("Seasonal"),
}
ENTRY_LABELS = {
    "earn": N_("Earned"),
    "redeem": N_("Redeemed"),
    "expire": N_("Expired"),
    "adjust": N_("Adjusted"),
    "clawback": N_("Taken back"),
    "redemption_refund": N_("Redemption returned"),
}
REDEMPTION_LABELS = {
    "pending": N_("Waiting to ship"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
}
CONVERSION_LABELS = {
    "pending": N_("Pending"),
    "vested": N_("Credited"),
    "cancelled": N_("Cancelled"),
}
GIFT_LABELS = {
    "pending_approval": N_("Waiting for approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}
ACTOR_LABELS = {
    "fan": N_("The fan"),
    "operator": N_("Operator"),
    "token": N_("Integration"),
    "system": N_("System"),
}
ORDER_REASON = N_("%(platform)s order %(order_no)s")
# Reasons other domains give the points they grant: stored in English, shown translated.
REFERRAL_REASON = N_("Referral reward: an invited fan's first order")
CAMP_REASON = N_("Check-in camp completed")
SYSTEM_REASONS = frozenset({REFERRAL_REASON, CAMP_REASON})


def reason_text(reason: str | None) -> str:
    """A ledger reason as operators read it: ``douyin:123`` (an order conversion) becomes
    "抖音 order 123"; a reason another domain grants points with is translated; a reason typed
    by an operator is shown as written."""
    platform, _, order_no = (reason or "").partition(":")
    if platform in PLATFORM_LABELS and order_no:
        return gettext(ORDER_REASON) % {
            "platform": gettext(PLATFORM_LABELS[platform]),
            "order_no": order_no,
        }
    if reason in SYSTEM_REASONS:
        return gettext(reason)
    return reason or ""
