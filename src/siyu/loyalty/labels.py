"""Display labels of the loyalty domain (English message ids, translated when shown)."""

from __future__ import annotations

from siyu.kit.i18n import N_

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
