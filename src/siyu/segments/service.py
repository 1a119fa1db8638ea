"""Segments: saved filters over fans and their metrics, used as audiences by other domains
(points multipliers, coupons, groups, broadcasts) and as rule-based auto tags.

A filter is parsed into a syntax tree and compiled to a parameterised SQL condition over
``customers c LEFT JOIN customer_metrics m``; field names come from :data:`SEGMENT_FIELDS`,
never from the user, and every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    TextClause,
    and_,
    case,
    column,
    func,
    select,
    table,
    text,
    true,
)
from sqlalchemy.orm import Session

from siyu.analytics.filters import FieldSpec, FilterError, compile_filter, parse_filter
from siyu.analytics.service import CN8_NAMES, SEGMENT_LABELS, STAGE_LABELS
from siyu.customers import service as customers
from siyu.customers.platforms import PLATFORM_LABELS
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_id_page
from siyu.kit.sql import get_in_workspace
from siyu.segments.models import Segment
from siyu.workspace import audit
from siyu.workspace.audit import Actor

if TYPE_CHECKING:
    from siyu.customers.models import Customer

AUTO_TAG_GROUP = "规则标签"

# A fan is "on" a platform with an account there (live) or an order from it (as of the last
# refresh: Douyin and Xiaohongshu exports carry no buyer id, so those fans are known by phone and
# orders). The order part reads the refreshed ",douyin,taobao," list rather than scanning orders,
# which costs seconds per count on millions of orders; replace() is portable where instr/strpos
# are not, and no value is treated as a pattern.
_HAS_ACCOUNT = (
    "c.id IN (SELECT i.customer_id FROM customer_identities i "
    "WHERE i.workspace_id = :ws AND i.platform IN ({values}))"
)
_BOUGHT_ON = (
    "replace(coalesce(m.platforms, ''), ',' || {value} || ',', '') <> coalesce(m.platforms, '')"
)
_TAG_NAME = (
    "c.id IN (SELECT ct.customer_id FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id "
    "WHERE ct.workspace_id = :ws AND t.name IN ({values}))"
)

ACTIVITY_LEVEL_LABELS = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
CN8_CHOICES = {name: name for name in CN8_NAMES}  # the Chinese eight are their own labels

# What operators can write, and the SQL it stands for. Amount fields are written in yuan;
# fields with choices take the code or the label the console shows, in either language.
SEGMENT_FIELDS: dict[str, FieldSpec] = {
    "orders": FieldSpec("coalesce(m.paid_orders, 0)", "int"),
    "net_paid": FieldSpec("coalesce(m.net_paid_fen, 0)", "yuan"),
    "ltv": FieldSpec("coalesce(m.ltv_fen, 0)", "yuan"),
    "spend_1y": FieldSpec("coalesce(m.spend_1y_fen, 0)", "yuan"),
    "aov": FieldSpec("coalesce(m.avg_order_value_fen, 0)", "yuan"),
    "days_since_last_order": FieldSpec("m.days_since_last_order", "int"),
    "days_since_first_order": FieldSpec("m.days_since_first_order", "int"),
    "repurchase": FieldSpec("coalesce(m.repurchase, FALSE)", "bool"),
    "r": FieldSpec("m.r_score", "int"),
    "f": FieldSpec("m.f_score", "int"),
    "m": FieldSpec("m.m_score", "int"),
    "rfm_segment": FieldSpec("m.rfm_segment", "text", choices=SEGMENT_LABELS),
    "cn8_segment": FieldSpec("m.cn8_segment", "text", choices=CN8_CHOICES),
    "lifecycle": FieldSpec("m.lifecycle_stage", "text", choices=STAGE_LABELS),
    "activity": FieldSpec("coalesce(m.activity_score, 0)", "int"),
    "activity_level": FieldSpec(
        "coalesce(m.activity_level, 'low')", "text", choices=ACTIVITY_LEVEL_LABELS
    ),
    "koc": FieldSpec("coalesce(m.koc_score, 0)", "int"),
    "p_alive": FieldSpec("m.p_alive", "number"),
    "region": FieldSpec("c.region", "text"),
    "source": FieldSpec("c.source_channel", "text"),
    "consent": FieldSpec("c.consent_marketing", "bool"),
    "platform": FieldSpec(membership=_HAS_ACCOUNT, each=_BOUGHT_ON, choices=PLATFORM_LABELS),
    "tag": FieldSpec(membership=_TAG_NAME),
    "intimacy": FieldSpec(
        "(SELECT max(ci.level) FROM customer_intimacy ci "
        "WHERE ci.customer_id = c.id AND ci.platform = {key})",
        "int",
        keyed=True,
    ),
}

# The read model's view of fans and their metrics: only the columns the audience needs.
c = table(
    "customers", column("id"), column("workspace_id"), column("merged_into_id"), column("erased_at")
).alias("c")
m = table("customer_metrics", column("customer_id")).alias("m")


@dataclass(frozen=True)
class Audience:
    """A compiled filter, ready to be added to a query over ``c`` and ``m``."""

    condition: TextClause
    uses_workspace: bool = False  # membership fields scope their subqueries with :ws

    def apply(self, statement: Select[Any], workspace_id: int) -> Select[Any]:
        condition = self.condition
        if self.uses_workspace:
            condition = condition.bindparams(ws=workspace_id)
        return statement.outerjoin(m, m.c.customer_id == c.c.id).where(
            c.c.workspace_id == workspace_id,
            c.c.merged_into_id.is_(None),
            c.c.erased_at.is_(None),
            condition,
        )


def compile_audience(filter_text: str, *, param_prefix: str = "p") -> Audience:
    """Parse and compile, or a 422 that says what is wrong and where (1-based column)."""
    if not filter_text.strip():
        return Audience(text("1 = 1"))
    try:
        compiled = compile_filter(
            parse_filter(filter_text),
            SEGMENT_FIELDS,
            style="sqlalchemy",
            param_prefix=param_prefix,
        )
    except FilterError as exc:
        raise Unprocessable(
            "invalid-segment-filter",
            title=N_("The segment filter is not valid"),
            detail=str(exc),
            position=exc.position,
        ) from exc
    condition = text(compiled.sql)
    if compiled.params:
        condition = condition.bindparams(**compiled.params)
    return Audience(condition, uses_workspace=":ws" in compiled.sql)


def count_matching(session: Session, workspace_id: int, filter_text: str) -> int:
    audience = compile_audience(filter_text)
    statement = audience.apply(select(func.count()).select_from(c), workspace_id)
    return int(session.scalar(statement) or 0)


def matching_page(
    session: Session,
    workspace_id: int,
    filter_text: str,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Customer], str | None]:
    audience = compile_audience(filter_text)
    statement = audience.apply(select(c.c.id), workspace_id)
    ids, next_cursor = keyset_id_page(session, statement, c.c.id, cursor=cursor, limit=limit)
    return customers.customers_by_ids(session, workspace_id, ids), next_cursor


def iter_matching_ids(
    session: Session, workspace_id: int, filter_text: str, batch: int = 5000
) -> Iterator[list[int]]:
    """Member ids in ascending batches (for exports and bulk actions)."""
    audience = compile_audience(filter_text)
    last = 0
    while True:
        statement = audience.apply(select(c.c.id), workspace_id).where(c.c.id > last)
        ids = list(session.scalars(statement.order_by(c.c.id).limit(batch)))
        if not ids:
            return
        yield ids
        last = ids[-1]


# --- saved segments ----------------------------------------------------------------------------


def list_segments(session: Session, workspace_id: int) -> list[Segment]:
    return list(
        session.scalars(
            select(Segment).where(Segment.workspace_id == workspace_id).order_by(Segment.id)
        )
    )


def get_segment(session: Session, workspace_id: int, segment_id: int) -> Segment:
    not_found = NotFound("segment-not-found", title=N_("Segment not found"))
    return get_in_workspace(session, Segment, workspace_id, segment_id, not_found)


def _check_name(session: Session, workspace_id: int, name: str, segment_id: int | None) -> str:
    name = name.strip()
    if not 0 < len(name) <= 100:
        raise Unprocessable(
            "invalid-segment-name", title=N_("A segment needs a name of 1 to 100 characters")
        )
    clash = session.scalar(
        select(Segment.id).where(Segment.workspace_id == workspace_id, Segment.name == name)
    )
    if clash is not None and clash != segment_id:
        raise Conflict("segment-name-taken", title=N_("A segment with this name already exists"))
    return name


def create_segment(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    filter_text: str,
    actor: Actor,
    description: str = "",
    auto_tag: bool = False,
) -> Segment:
    name = _check_name(session, workspace_id, name, None)
    compile_audience(filter_text)
    segment = Segment(
        workspace_id=workspace_id,
        name=name,
        description=description.strip(),
        filter_text=filter_text.strip(),
        created_by=actor.id if actor.type == "operator" else None,
    )
    session.add(segment)
    session.flush()
    if auto_tag:
        segment.tag_id = customers.ensure_tag(session, workspace_id, AUTO_TAG_GROUP, name, actor).id
    _recount(session, segment)
    audit.record(
        session,
        actor,
        "segment.create",
        workspace_id=workspace_id,
        target_type="segment",
        target_id=segment.id,
        detail={"name": name, "filter": segment.filter_text},
    )
    return segment


def update_segment(
    session: Session,
    workspace_id: int,
    segment_id: int,
    *,
    actor: Actor,
    name: str | None = None,
    filter_text: str | None = None,
    description: str | None = None,
) -> Segment:
    segment = get_segment(session, workspace_id, segment_id)
    if name is not None:
        segment.name = _check_name(session, workspace_id, name, segment.id)
    if filter_text is not None:
        compile_audience(filter_text)
        segment.filter_text = filter_text.strip()
    if description is not None:
        segment.description = description.strip()
    segment.updated_at = utcnow()
    _recount(session, segment)
    audit.record(
        session,
        actor,
        "segment.update",
        workspace_id=workspace_id,
        target_type="segment",
        target_id=segment.id,
        detail={"name": segment.name, "filter": segment.filter_text},
    )
    return segment


def delete_segment(session: Session, workspace_id: int, segment_id: int, actor: Actor) -> None:
    segment = get_segment(session, workspace_id, segment_id)
    audit.record(
        session,
        actor,
        "segment.delete",
        workspace_id=workspace_id,
        target_type="segment",
        target_id=segment.id,
        detail={"name": segment.name},
    )
    session.delete(segment)


def _recount(session: Session, segment: Segment) -> None:
    segment.member_count = count_matching(session, segment.workspace_id, segment.filter_text)
    segment.counted_at = utcnow()
    if segment.tag_id is not None:
        _sync_auto_tag(session, segment)


def _sync_auto_tag(session: Session, segment: Segment) -> None:
    """Exactly the segment's members carry its tag (the customers domain writes the tags)."""
    assert segment.tag_id is not None
    members = compile_audience(segment.filter_text).apply(select(c.c.id), segment.workspace_id)
    customers.sync_tag_members(session, segment.workspace_id, segment.tag_id, members)


def refresh_segments(session: Session, workspace_id: int) -> None:
    """Recount every segment and resync auto tags (after the analytics refresh)."""
    for segment in list_segments(session, workspace_id):
        _recount(session, segment)


# --- audiences for other domains ---------------------------------------------------------------


def is_member(session: Session, workspace_id: int, segment_id: int, customer_id: int) -> bool:
    """Whether the customer is in the workspace's segment now; False for an unknown segment."""
    segment = session.get(Segment, segment_id)
    if segment is None or segment.workspace_id != workspace_id:
        return False
    audience = compile_audience(segment.filter_text)
    statement = audience.apply(select(c.c.id), workspace_id).where(c.c.id == customer_id)
    return session.scalar(statement) is not None


def segments_of(session: Session, workspace_id: int, customer_id: int) -> list[Segment]:
    """The saved segments the fan is in now, in one query: a column per segment."""
    segments = list_segments(session, workspace_id)
    if not segments:
        return []
    columns = [
        case((_scoped(segment, index, workspace_id), 1), else_=0).label(f"s{index}")
        for index, segment in enumerate(segments)
    ]
    row = session.execute(
        select(*columns)
        .select_from(c)
        .outerjoin(m, m.c.customer_id == c.c.id)
        .where(
            c.c.workspace_id == workspace_id,
            c.c.id == customer_id,
            c.c.merged_into_id.is_(None),
            c.c.erased_at.is_(None),
        )
    ).one_or_none()
    return [] if row is None else [s for s, member in zip(segments, row, strict=True) if member]


def _scoped(segment: Segment, index: int, workspace_id: int) -> ColumnElement[bool]:
    """The segment's condition with parameter names of its own (``s3_p1``, …)."""
    audience = compile_audience(segment.filter_text, param_prefix=f"s{index}_p")
    condition = audience.condition
    if audience.uses_workspace:
        condition = condition.bindparams(ws=workspace_id)
    return and_(true(), condition)


def member_ids(session: Session, workspace_id: int, segment_id: int) -> list[int]:
    """Every fan in the segment now, in one query (an unknown segment is a 404)."""
    segment = get_segment(session, workspace_id, segment_id)
    return [i for ids in iter_matching_ids(session, workspace_id, segment.filter_text) for i in ids]


def segment_exists(session: Session, workspace_id: int, segment_id: int) -> bool:
    """Whether the workspace has this segment (for validating an audience when it is saved)."""
    segment = session.get(Segment, segment_id)
    return segment is not None and segment.workspace_id == workspace_id
