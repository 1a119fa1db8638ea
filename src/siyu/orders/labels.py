"""Display names of the orders domain's codes (English message ids, translated on display)."""

from __future__ import annotations

from siyu.kit.i18n import N_

ORDER_STATUS_LABELS = {
    "created": N_("Unpaid"),
    "paid": N_("Paid"),
    "shipped": N_("Shipped"),
    "completed": N_("Completed"),
    "closed": N_("Closed"),
}
REFUND_LABELS = {
    "requested": N_("Refund requested"),
    "partial": N_("Partly refunded"),
    "full": N_("Refunded"),
}
RUN_STATUS_LABELS = {
    "running": N_("Running"),
    "completed": N_("Imported"),
    "failed": N_("Rejected"),
}
FILE_KIND_LABELS = {
    "orders": N_("Order list"),
    "taobao_items": N_("Taobao item file"),
}

# Why the importers reject a row: the reasons are stored in English and translated on display,
# so they are listed here for the catalogs.
REJECT_REASONS = (
    N_("Missing order number."),
    N_("Missing item title."),
    N_("Unknown order status."),
    N_("Unknown platform."),
    N_("Items are not valid JSON."),
    N_("Items must be a JSON array of objects."),
    N_("Every item needs a title."),
    N_("Item values must be text or numbers."),
    N_("Paid order has no paid amount."),
    N_("Not a valid amount."),
    N_("Amount is negative."),
    N_("Quantity is not a whole number."),
    N_("Not a valid date-time."),
    N_("Line is not a JSON object."),
)
