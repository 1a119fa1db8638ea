"""REST endpoints of saved segments: CRUD, live count, members and exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from siyu.analytics import service as analytics
from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.tabular import FORMATS, TableFormat
from siyu.kit.web import DbSession
from siyu.segments import service
from siyu.segments.export import export_download
from siyu.segments.models import Segment
from siyu.segments.schemas import CountOut, FilterIn, MemberOut, SegmentIn, SegmentOut, SegmentPatch
from siyu.workspace.auth import Api, needs
from siyu.workspace.roles import Scope

router = APIRouter(tags=["segments"])


def _out(segment: Segment) -> SegmentOut:
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        filter=segment.filter_text,
        tag_id=segment.tag_id,
        member_count=segment.member_count,
        counted_at=segment.counted_at,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


@router.get("/segments", response_model=list[SegmentOut])
def list_segments(api: Api, db: DbSession) -> list[SegmentOut]:
    return [_out(s) for s in service.list_segments(db, api.workspace_id)]


@router.post("/segments", response_model=SegmentOut, status_code=201)
def create_segment(body: SegmentIn, api: Api, db: DbSession) -> SegmentOut:
    segment = service.create_segment(
        db,
        api.workspace_id,
        name=body.name,
        filter_text=body.filter,
        description=body.description,
        auto_tag=body.auto_tag,
        actor=api.actor(),
    )
    return _out(segment)


@router.post("/segments:count", response_model=CountOut)
def count_filter(body: FilterIn, api: Api, db: DbSession) -> CountOut:
    """How many fans a filter matches now (the builder's live count); 422 explains a bad one."""
    return CountOut(count=service.count_matching(db, api.workspace_id, body.filter))


@router.get("/segments/{segment_id}", response_model=SegmentOut)
def get_segment(segment_id: Int64, api: Api, db: DbSession) -> SegmentOut:
    return _out(service.get_segment(db, api.workspace_id, segment_id))


@router.patch("/segments/{segment_id}", response_model=SegmentOut)
def update_segment(segment_id: Int64, body: SegmentPatch, api: Api, db: DbSession) -> SegmentOut:
    segment = service.update_segment(
        db,
        api.workspace_id,
        segment_id,
        actor=api.actor(),
        name=body.name,
        filter_text=body.filter,
        description=body.description,
    )
    return _out(segment)


@router.delete("/segments/{segment_id}", status_code=204)
def delete_segment(segment_id: Int64, api: Api, db: DbSession) -> Response:
    service.delete_segment(db, api.workspace_id, segment_id, api.actor())
    return Response(status_code=204)


@router.get("/segments/{segment_id}/count", response_model=CountOut)
def count_segment(segment_id: Int64, api: Api, db: DbSession) -> CountOut:
    segment = service.get_segment(db, api.workspace_id, segment_id)
    return CountOut(count=service.count_matching(db, api.workspace_id, segment.filter_text))


def member_out(customer: Any, metrics: dict[int, object]) -> MemberOut:
    m = metrics.get(customer.id)
    return MemberOut(
        id=customer.id,
        display_name=customer.display_name,
        region=customer.region,
        phone_masked=customer.phone_masked,
        paid_orders=getattr(m, "paid_orders", 0),
        net_paid_fen=getattr(m, "net_paid_fen", 0),
        days_since_last_order=getattr(m, "days_since_last_order", None),
        rfm_segment=getattr(m, "rfm_segment", None),
        cn8_segment=getattr(m, "cn8_segment", None),
        lifecycle_stage=getattr(m, "lifecycle_stage", None),
    )


@router.get("/segments/{segment_id}/members", response_model=Page[MemberOut])
def segment_members(
    segment_id: Int64,
    api: Api,
    db: DbSession,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[MemberOut]:
    segment = service.get_segment(db, api.workspace_id, segment_id)
    customers, next_cursor = service.matching_page(
        db, api.workspace_id, segment.filter_text, cursor=cursor, limit=limit
    )
    metrics = analytics.metrics_for(db, api.workspace_id, [c.id for c in customers])
    return Page(items=[member_out(c, dict(metrics)) for c in customers], next_cursor=next_cursor)


@router.get("/segments/{segment_id}/export", openapi_extra=needs(Scope.pii))
def export_segment(
    segment_id: Int64,
    api: Api,
    db: DbSession,
    format: TableFormat = Query(default="xlsx", description=" | ".join(FORMATS)),
    fan_links: int | None = Query(
        default=None,
        ge=1,
        le=90,
        description="Add each fan's personal link, valid this many days (fan_link columns).",
    ),
) -> StreamingResponse:
    """The segment's fans as xlsx or CSV (phones masked); audited."""
    segment = service.get_segment(db, api.workspace_id, segment_id)
    return export_download(
        db,
        api.workspace_id,
        segment.filter_text,
        format,
        api.actor(),
        label=segment.name,
        filename=f"segment-{segment.id}",
        link_ttl_days=fan_links,
    )
