"""Read functions of the customers domain for other domains: who a fan id is (for display) and
how many fans arrived in a period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.kit.crypto import mask_phone
from siyu.kit.i18n import N_
from siyu.workspace.figures import operator_names


@dataclass(frozen=True)
class FanLabel:
    """How the console names a fan: a display name, never a raw phone number, and the link to
    the fan's 360 page."""

    id: int
    name: str | None  # None: the fan has no name to show (see ``fallback``)
    fallback: str  # English message id shown, translated, when there is no name
    erased: bool = False

    @property
    def href(self) -> str:
        return f"/customers/{self.id}"


UNNAMED = N_("Unnamed fan")
ERASED = N_("Erased fan")
UNKNOWN = N_("Unknown fan")


def fan_labels(
    session: Session, workspace_id: int, ids: Iterable[int | None]
) -> dict[int, FanLabel]:
    """Fan id → label for every id of this workspace among ``ids``, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.display_name, Customer.phone_masked, Customer.erased_at).where(
            Customer.workspace_id == workspace_id, Customer.id.in_(wanted)
        )
    )
    return {
        row.id: _label(row.id, row.display_name, row.phone_masked, row.erased_at) for row in rows
    }


def _label(
    customer_id: int, name: str | None, phone_masked: str | None, erased_at: datetime | None
) -> FanLabel:
    if erased_at is not None:
        return FanLabel(customer_id, None, ERASED, erased=True)
    if name and name.strip():
        # A name that is really a phone number is personal: show it masked.
        shown = mask_phone(name) if name.strip().lstrip("+").isdigit() else name.strip()
        return FanLabel(customer_id, shown, UNNAMED)
    return FanLabel(customer_id, phone_masked or None, UNNAMED)


def count_new_fans(session: Session, workspace_id: int, start: datetime, end: datetime) -> int:
    """Fans first seen in [start, end), not counting merged-away duplicates."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Customer)
            .where(
                Customer.workspace_id == workspace_id,
                Customer.merged_into_id.is_(None),
                Customer.first_seen_at >= start,
                Customer.first_seen_at < end,
            )
        )
        or 0
    )


def people(
    session: Session,
    workspace_id: int,
    *,
    customer_ids: Iterable[int | None] = (),
    operator_ids: Iterable[int | None] = (),
) -> dict[str, Any]:
    """The ``fans`` and ``operators`` a page's ``_people.html`` macros name, in two queries."""
    return {
        "fans": fan_labels(session, workspace_id, customer_ids),
        "operators": operator_names(session, operator_ids),
    }
