"""Read functions of the workspace domain for other domains: operators' names for display."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.workspace.models import Operator


def operator_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Operator id → display name, in one query. Operators are not tenant rows (one person may
    work in several workspaces, or have left one): callers pass ids from their own rows."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Operator.id, Operator.display_name).where(Operator.id.in_(wanted))
    )
    return {row.id: row.display_name for row in rows}
