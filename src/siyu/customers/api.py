"""REST endpoints of the customers domain (scoped to the token's workspace)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from siyu.customers import service
from siyu.customers.fan_links import issue_fan_link, issue_fan_links
from siyu.customers.models import Customer
from siyu.customers.schemas import (
    BatchResult,
    ConsentIn,
    ConsentOut,
    CustomerDetail,
    CustomerOut,
    EventBatchIn,
    FanLinkIn,
    FanLinkOut,
    FanLinkRefused,
    FanLinksIn,
    FanLinksOut,
    IdentityIn,
    IdentityOut,
    IntimacyBatchIn,
    IntimacyResult,
    MergeIn,
    MergeOut,
    NoteIn,
    NoteOut,
    OrderStatsOut,
    TagIn,
    TagOut,
)
from siyu.kit.bounds import Int64
from siyu.kit.errors import Unprocessable
from siyu.kit.forms import comma_list
from siyu.kit.i18n import N_
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.orders import ownership
from siyu.workspace.auth import Api, needs
from siyu.workspace.roles import Scope

router = APIRouter(tags=["customers"])


def _out(customer: Customer, identities: list[Any]) -> CustomerOut:
    return CustomerOut(
        id=customer.id,
        display_name=customer.display_name,
        region=customer.region,
        source_channel=customer.source_channel,
        first_seen_at=customer.first_seen_at,
        phone_masked=customer.phone_masked,
        merged_into_id=customer.merged_into_id,
        erased=customer.erased_at is not None,
        identities=[IdentityOut.model_validate(i) for i in identities],
    )


@router.get("/customers", response_model=Page[CustomerOut])
def list_customers(
    api: Api,
    db: DbSession,
    q: str | None = Query(default=None, description="Nickname, platform id, or an exact phone"),
    identity: str | None = Query(default=None, description="platform:id, e.g. taobao:小鹿"),
    tag_id: Int64 | None = None,
    platform: str | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[CustomerOut]:
    customers, next_cursor = service.search_customers(
        db,
        api.workspace_id,
        q=q,
        identity=identity,
        tag_id=tag_id,
        platform=platform,
        cursor=cursor,
        limit=limit,
    )
    identities = service.identities_for(db, api.workspace_id, [c.id for c in customers])
    return Page(items=[_out(c, identities[c.id]) for c in customers], next_cursor=next_cursor)


@router.get("/customers/{customer_id}", response_model=CustomerDetail)
def get_customer(
    customer_id: Int64,
    api: Api,
    db: DbSession,
    reveal: str | None = Query(
        default=None,
        description="Comma-separated personal data to return in clear (phone, real_name, "
        "address); needs the `pii` scope. Every such read is recorded in the audit log.",
    ),
) -> CustomerDetail:
    ws = api.workspace_id
    customer = service.get_customer(db, ws, customer_id)
    masked = service.masked_pii(customer)
    stats = ownership.fan_order_stats(db, ws, customer_id)
    pii = None
    if reveal:
        api.require(Scope.pii)
        fields = tuple(comma_list(reveal))
        pii = service.reveal_pii(db, ws, customer_id, api.actor(), fields=fields, reason="api")
    base = _out(customer, service.identities_of(db, ws, customer_id))
    return CustomerDetail(
        **base.model_dump(),
        real_name_masked=masked.real_name,
        has_address=masked.has_address,
        consent_marketing=customer.consent_marketing,
        intimacy=service.intimacy_of(db, ws, customer_id),
        tags=[
            TagOut(id=t.id, group=g, name=t.name) for g, t in service.tags_of(db, ws, customer_id)
        ],
        orders=OrderStatsOut(**stats.__dict__),
        pii=pii,
    )


@router.post("/customers/{customer_id}/link", response_model=FanLinkOut, status_code=201)
def fan_link(
    customer_id: int, api: Api, db: DbSession, body: FanLinkIn | None = None
) -> FanLinkOut:
    """A personal fan-page link for one fan (audited): whoever holds it acts as that fan until
    it expires. Merged or erased fans get a 409."""
    ttl_days = body.ttl_days if body else FanLinkIn().ttl_days
    issued = issue_fan_link(
        db, api.workspace_id, customer_id, api.actor(), ttl_seconds=ttl_days * 86400
    )
    return FanLinkOut(customer_id=customer_id, url=issued.url, expires_at=issued.expires_at)


@router.post("/customers:links", response_model=FanLinksOut)
def fan_links(body: FanLinksIn, api: Api, db: DbSession) -> FanLinksOut:
    """Links for up to 1,000 fans by id, or for a segment's members a page at a time
    (``next_cursor`` continues); one audit entry per call."""
    if (body.customer_ids is None) == (body.segment_id is None):
        raise Unprocessable(
            "fan-links-audience", title=N_("Give either customer_ids or a segment_id")
        )
    next_cursor = None
    ids = body.customer_ids or []
    if body.segment_id is not None:
        from siyu.segments import service as segments

        segment = segments.get_segment(db, api.workspace_id, body.segment_id)
        members, next_cursor = segments.matching_page(
            db, api.workspace_id, segment.filter_text, cursor=body.cursor, limit=body.limit
        )
        ids = [member.id for member in members]
    issued = issue_fan_links(
        db,
        api.workspace_id,
        ids,
        api.actor(),
        ttl_seconds=body.ttl_days * 86400,
        purpose="api",
    )
    return FanLinksOut(
        items=[
            FanLinkOut(customer_id=c, url=link.url, expires_at=link.expires_at)
            for c, link in issued.links.items()
        ],
        refused=[FanLinkRefused(customer_id=c, reason=r) for c, r in issued.refused.items()],
        next_cursor=next_cursor,
    )


@router.post("/customers/{customer_id}/identities", response_model=IdentityOut, status_code=201)
def link_identity(customer_id: Int64, body: IdentityIn, api: Api, db: DbSession) -> IdentityOut:
    identity = service.link_identity(
        db,
        api.workspace_id,
        customer_id,
        body.platform,
        body.external_id,
        api.actor(),
        nickname=body.nickname,
        source="api",
    )
    return IdentityOut.model_validate(identity)


@router.post(
    "/customers/{customer_id}/identities/{identity_id}/split",
    response_model=CustomerOut,
    status_code=201,
)
def split_identity(customer_id: Int64, identity_id: Int64, api: Api, db: DbSession) -> CustomerOut:
    """Move one identity (and the orders bought under it) to a new fan of its own."""
    fresh = service.split_identity(db, api.workspace_id, customer_id, identity_id, api.actor())
    return _out(fresh, service.identities_of(db, api.workspace_id, fresh.id))


@router.put("/customers/{customer_id}/consent", response_model=ConsentOut)
def set_consent(customer_id: Int64, body: ConsentIn, api: Api, db: DbSession) -> ConsentOut:
    """Whether the fan agreed to marketing messages; every change is audited."""
    customer = service.set_marketing_consent(
        db, api.workspace_id, customer_id, body.marketing, api.actor()
    )
    return ConsentOut(marketing=customer.consent_marketing, updated_at=customer.consent_updated_at)


@router.post("/customers/{customer_id}/notes", response_model=NoteOut, status_code=201)
def add_note(customer_id: Int64, body: NoteIn, api: Api, db: DbSession) -> NoteOut:
    note = service.add_note(db, api.workspace_id, customer_id, body.body, api.actor())
    return NoteOut.model_validate(note)


@router.post("/customers/{customer_id}/tags", response_model=TagOut, status_code=201)
def tag_customer(customer_id: Int64, body: TagIn, api: Api, db: DbSession) -> TagOut:
    tag = service.ensure_tag(db, api.workspace_id, body.group, body.name, api.actor())
    service.tag_customer(db, api.workspace_id, customer_id, tag.id, api.actor())
    return TagOut(id=tag.id, group=body.group.strip(), name=tag.name)


@router.delete("/customers/{customer_id}/tags/{tag_id}", status_code=204)
def untag_customer(customer_id: Int64, tag_id: Int64, api: Api, db: DbSession) -> None:
    service.get_customer(db, api.workspace_id, customer_id)
    service.get_tag(db, api.workspace_id, tag_id)
    service.untag_customer(db, api.workspace_id, customer_id, tag_id, api.actor())


@router.post("/customers/{customer_id}/merge", response_model=MergeOut, status_code=201)
def merge_into(customer_id: Int64, body: MergeIn, api: Api, db: DbSession) -> MergeOut:
    """Merge fan ``source_id`` into this fan (reversible: see the merge's undo)."""
    merge = service.merge_customers(db, api.workspace_id, customer_id, body.source_id, api.actor())
    return MergeOut.model_validate(merge)


@router.post("/customer-merges/{merge_id}/undo", response_model=MergeOut)
def undo_merge(merge_id: Int64, api: Api, db: DbSession) -> MergeOut:
    return MergeOut.model_validate(service.undo_merge(db, api.workspace_id, merge_id, api.actor()))


@router.get("/customers/{customer_id}/export", openapi_extra=needs(Scope.pii))
def export_customer(customer_id: Int64, api: Api, db: DbSession) -> JSONResponse:
    """Everything held about one fan, personal data in clear (an audited read)."""
    return JSONResponse(service.export_customer(db, api.workspace_id, customer_id, api.actor()))


@router.post("/events:batch", response_model=BatchResult)
def record_events(body: EventBatchIn, api: Api, db: DbSession) -> BatchResult:
    """Behaviour events (live views, H5 visits, shares, messages), stored once per
    ``idempotency_key``; a fan is given by ``customer_id`` or by ``identity`` (platform:id)."""
    for index, event in enumerate(body.events):
        if (event.customer_id is None) == (event.identity is None):
            raise Unprocessable(
                "validation-error",
                title=N_("The request has invalid fields"),
                errors=[
                    {
                        "field": f"events.{index}",
                        "message": "give exactly one of customer_id and identity",
                        "code": "value_error",
                    }
                ],
            )
    accepted, duplicates = service.record_events(
        db,
        api.workspace_id,
        [
            service.EventIn(
                e.idempotency_key, e.kind, e.occurred_at, e.customer_id, e.identity, e.properties
            )
            for e in body.events
        ],
    )
    return BatchResult(accepted=accepted, duplicates=duplicates)


@router.post("/intimacy:batch", response_model=IntimacyResult)
def import_intimacy(body: IntimacyBatchIn, api: Api, db: DbSession) -> IntimacyResult:
    """Fan-club intimacy levels (粉丝亲密度) per platform identity."""
    updated, unknown = service.set_intimacy(
        db, api.workspace_id, [(i.platform, i.external_id, i.level) for i in body.levels]
    )
    return IntimacyResult(updated=updated, unknown_identities=unknown)
