"""REST endpoints of outreach: the content check, settings and broadcasts."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from siyu.kit.bounds import Int64
from siyu.kit.web import DbSession
from siyu.outreach import attachments, content, lift, service
from siyu.outreach.models import Broadcast
from siyu.outreach.schemas import (
    ArmOut,
    BroadcastCreatedOut,
    BroadcastIn,
    BroadcastOut,
    CheckIn,
    CheckOut,
    Excluded,
    FindingOut,
    LiftOut,
    OperatorStatusOut,
    SettingsIn,
    SettingsOut,
    UnsubscribeIn,
)
from siyu.segments import service as segments_service
from siyu.workspace.auth import Api, needs
from siyu.workspace.roles import Scope

router = APIRouter(tags=["outreach"])


def _findings(findings: list[content.Finding]) -> list[FindingOut]:
    return [FindingOut.model_validate(f.as_dict()) for f in findings]


@router.post("/content/check", response_model=CheckOut, openapi_extra=needs(Scope.read))
def check_content(body: CheckIn, api: Api, db: DbSession) -> CheckOut:
    """Findings on a text before it is sent; ``ok`` is false when any finding blocks it."""
    findings = service.check_content(db, api.workspace_id, body.text)
    return CheckOut(ok=not content.blocks(findings), findings=_findings(findings))


@router.get("/outreach/settings", response_model=SettingsOut)
def get_settings(api: Api, db: DbSession) -> SettingsOut:
    row = service.settings_of(db, api.workspace_id)
    return SettingsOut(wecom_quota=row.wecom_quota, max_per_fan_per_week=row.max_per_fan_per_week)


@router.put("/outreach/settings", response_model=SettingsOut, openapi_extra=needs(Scope.admin))
def put_settings(body: SettingsIn, api: Api, db: DbSession) -> SettingsOut:
    service.put_settings(
        db, api.workspace_id, body.wecom_quota, body.max_per_fan_per_week, api.actor()
    )
    return SettingsOut(wecom_quota=body.wecom_quota, max_per_fan_per_week=body.max_per_fan_per_week)


@router.post("/broadcasts", response_model=BroadcastCreatedOut, status_code=201)
def create_broadcast(body: BroadcastIn, api: Api, db: DbSession) -> BroadcastCreatedOut:
    """Plans the audience and records the holdout; a ``block`` finding answers 422."""
    segments_service.get_segment(db, api.workspace_id, body.segment_id)
    created = service.create_broadcast(
        db,
        api.workspace_id,
        name=body.name,
        segment_id=body.segment_id,
        channel=body.channel,
        text=body.text,
        holdout_percent=body.holdout_percent,
        send_at=body.send_at,
        actor=api.actor(),
        attachment=body.attachment.model_dump(mode="json") if body.attachment else None,
    )
    broadcast = created.broadcast
    return BroadcastCreatedOut(
        id=broadcast.id,
        state=broadcast.state,
        audience_size=broadcast.audience_size,
        holdout_size=broadcast.holdout_size,
        excluded=Excluded(**broadcast.excluded),
        findings=_findings(created.findings),
    )


def broadcast_out(db: DbSession, broadcast: Broadcast) -> BroadcastOut:
    counts = service.broadcast_counts(db, broadcast)
    clicks, clicked_fans = attachments.click_counts(db, broadcast)
    return BroadcastOut(
        id=broadcast.id,
        name=broadcast.name,
        channel=broadcast.channel,
        state=broadcast.state,
        audience_size=broadcast.audience_size,
        holdout_size=broadcast.holdout_size,
        excluded=Excluded(**broadcast.excluded),
        planned=counts.planned,
        quota_blocked=counts.quota_blocked,
        sent=counts.sent,
        failed=counts.failed,
        sent_at=broadcast.sent_at,
        operators=[OperatorStatusOut(**row) for row in service.operator_status(db, broadcast)],
        attachment=broadcast.attachment,
        clicks=clicks,
        clicked_fans=clicked_fans,
    )


@router.post("/broadcasts/{broadcast_id}/send", response_model=BroadcastOut, status_code=202)
def send_broadcast(broadcast_id: Int64, api: Api, db: DbSession) -> BroadcastOut:
    """Queues the send (at ``send_at`` when it is in the future); results follow."""
    broadcast = service.request_send(db, api.workspace_id, broadcast_id, api.actor())
    return broadcast_out(db, broadcast)


@router.get("/broadcasts/{broadcast_id}", response_model=BroadcastOut)
def get_broadcast(broadcast_id: Int64, api: Api, db: DbSession) -> BroadcastOut:
    return broadcast_out(db, service.get_broadcast(db, api.workspace_id, broadcast_id))


@router.get("/broadcasts/{broadcast_id}/lift", response_model=LiftOut)
def broadcast_lift(
    broadcast_id: Int64,
    api: Api,
    db: DbSession,
    days: int = Query(default=7, ge=1, le=90),
) -> LiftOut:
    """Intention to treat over the ``days`` after the send."""
    broadcast = service.get_broadcast(db, api.workspace_id, broadcast_id)
    result = lift.broadcast_lift(db, broadcast, days)
    return LiftOut(
        days=result.days,
        treated=ArmOut(**result.treated.__dict__),
        control=ArmOut(**result.control.__dict__),
        conversion_difference=result.conversion_difference,
        incremental_gmv_fen=result.incremental_gmv_fen,
        ci95_fen=result.ci95_fen,
        delivery_rate=result.delivery_rate,
    )


@router.post("/outreach/unsubscribes", status_code=204)
def unsubscribe(body: UnsubscribeIn, api: Api, db: DbSession) -> Response:
    """The fan asked for no more marketing messages: excluded from every later plan."""
    service.unsubscribe(db, api.workspace_id, body.customer_id, api.actor())
    return Response(status_code=204)
