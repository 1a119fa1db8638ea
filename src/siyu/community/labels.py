"""Display names of the community domain's codes, and operator notifications kept as message id
plus values so each operator reads them in their own language."""

from __future__ import annotations

import json
from typing import Any

from siyu.community.models import GROUP_STATUS_LABELS
from siyu.kit.i18n import N_, gettext

MATCH_LABELS = {
    "any": N_("Any keyword"),
    "all": N_("All keywords"),
    "exact": N_("The whole message"),
    "regex": N_("Regular expression (RE2)"),
}
FLAG_KIND_LABELS = {
    "absolute_term": N_("Absolute term (Advertising Law)"),
    "service_tone": N_("Customer-service tone"),
    "sensitive_word": N_("Sensitive word"),
    "external_link": N_("Outside link"),
    "contact_ad": N_("Contact or advertising"),
    "flood": N_("Flooding"),
}
# Terms the moderator writes in English when a flag has no word of its own.
FLAG_TERMS = (N_("qr code"),)

HEALTH_CHANGE = N_("%(group)s: %(old)s → %(new)s (health %(score)s)")
AFTER_SALES = N_("After-sales in %(where)s: %(text)s")
PRIVATE_CHAT = N_("private chat")


def notice(message_id: str, **values: Any) -> str:
    """A notification to store: the English message id and its values, as JSON."""
    return json.dumps({"id": message_id, "values": values}, ensure_ascii=False)


def notice_text(stored: str) -> str:
    """A stored notification in the current language (older plain-text ones as they are)."""
    try:
        data = json.loads(stored)
        message_id, values = data["id"], dict(data["values"])
    except (ValueError, KeyError, TypeError):
        return stored
    for key in ("old", "new"):
        if key in values:
            status = str(values[key])
            values[key] = gettext(GROUP_STATUS_LABELS.get(status) or status)
    if values.get("where") is None:
        values["where"] = gettext(PRIVATE_CHAT)
    try:
        return gettext(message_id) % values
    except (KeyError, ValueError, TypeError):
        return stored
