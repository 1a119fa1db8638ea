"""REST endpoints of the fan-groups domain (scoped to the token's workspace)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from siyu.community import health, pipeline, search, service
from siyu.community import messages as community_messages
from siyu.community import moderation as community_moderation
from siyu.community import rules as community_rules
from siyu.community import tickets as community_tickets
from siyu.community.matching.moderation import Flag
from siyu.community.models import AutoReplyRule, FanGroupFamily
from siyu.community.schemas import (
    CandidateOut,
    CheckIn,
    CheckOut,
    FamilyIn,
    FamilyOut,
    FamilyPatch,
    FlagBrief,
    FlagOut,
    FlagPatch,
    GmvOut,
    GroupIn,
    GroupOut,
    GroupPatch,
    HealthDayOut,
    HealthRunOut,
    InvitationOut,
    InvitationsIn,
    InvitationsOut,
    JoinIn,
    JoinOut,
    KocOut,
    MemberIn,
    MemberOut,
    MemberPatch,
    MessageBatchIn,
    MessageBatchOut,
    MessageOut,
    ReasonOut,
    RejectedMessage,
    ReplyDecided,
    RuleIn,
    RuleOut,
    RulePatch,
    TestIn,
    TestOut,
    TicketOut,
    TicketPatch,
)
from siyu.kit.bounds import Int64
from siyu.kit.i18n import gettext
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.workspace.auth import Api

router = APIRouter(tags=["community"])


def _flags(flags: list[Flag]) -> list[FlagBrief]:
    return [FlagBrief(kind=f.kind, term=f.term, detail=f.detail) for f in flags]


# --- auto-reply rules -------------------------------------------------------------------


def _rule_fields(body: RuleIn | RulePatch) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=isinstance(body, RulePatch))
    if "scope" in fields:
        fields["scope"] = fields["scope"] or {}
    if "active_hours" in fields and fields["active_hours"] is not None:
        fields["active_hours"] = [list(window) for window in fields["active_hours"]]
    return fields


def _rule_out(row: AutoReplyRule) -> RuleOut:
    return RuleOut.model_validate(row)


@router.post("/autoreply/rules", response_model=RuleOut, status_code=201)
def create_rule(body: RuleIn, api: Api, db: DbSession) -> RuleOut:
    row = community_rules.create_rule(db, api.workspace_id, api.actor(), _rule_fields(body))
    return _rule_out(row)


@router.get("/autoreply/rules", response_model=Page[RuleOut])
def list_rules(
    api: Api, db: DbSession, cursor: str | None = None, limit: int = Query(200, ge=1, le=200)
) -> Page[RuleOut]:
    rows, next_cursor = community_rules.list_rules(db, api.workspace_id, cursor=cursor, limit=limit)
    return Page(items=[_rule_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/autoreply/rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: Int64, api: Api, db: DbSession) -> RuleOut:
    return _rule_out(community_rules.get_rule(db, api.workspace_id, rule_id))


@router.patch("/autoreply/rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: Int64, body: RulePatch, api: Api, db: DbSession) -> RuleOut:
    row = community_rules.update_rule(
        db, api.workspace_id, rule_id, api.actor(), _rule_fields(body)
    )
    return _rule_out(row)


@router.delete("/autoreply/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: Int64, api: Api, db: DbSession) -> Response:
    community_rules.delete_rule(db, api.workspace_id, rule_id, api.actor())
    return Response(status_code=204)


@router.post("/autoreply/test", response_model=TestOut)
def test_rules(body: TestIn, api: Api, db: DbSession) -> TestOut:
    """Which rule a sample text would hit, and why. No cooldown, no ticket, nothing stored."""
    outcome = community_rules.try_text(
        db,
        api.workspace_id,
        body.text,
        group_id=body.group_id,
        private=body.private_chat,
        nickname=body.nickname,
    )
    return test_out(outcome)


def test_out(outcome: community_rules.TestOutcome) -> TestOut:
    evaluation = outcome.evaluation
    decision = evaluation.decision
    return TestOut(
        rule_id=int(decision.rule.id) if decision else None,
        rule_name=decision.rule.name if decision else None,
        reply=decision.reply if decision else None,
        kind=decision.kind if decision else None,
        normalised_text=evaluation.normalised_text,
        skipped=evaluation.skipped,
        explanation=[
            CandidateOut(
                rule_id=int(c.rule.id),
                rule_name=c.rule.name,
                reason=c.reason,
                matched=c.matched,
                detail=c.detail,
                description=c.describe(),
            )
            for c in evaluation.explanation
        ],
        reply_flags=_flags(outcome.reply_flags),
    )


test_out.__test__ = False  # type: ignore[attr-defined]


# --- messages ---------------------------------------------------------------------------


@router.post("/messages:batch", response_model=MessageBatchOut)
def ingest_messages(body: MessageBatchIn, api: Api, db: DbSession) -> MessageBatchOut:
    """Store chat messages (idempotent by msg_id); the bot answers fans' messages, hand-off
    rules open after-sales tickets, spam and risky replies are flagged."""
    outcome = pipeline.ingest_messages(
        db,
        api.workspace_id,
        [community_messages.MessageIn(**message.model_dump()) for message in body.messages],
    )
    return MessageBatchOut(
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        rejected=[RejectedMessage(msg_id=m, reason=r) for m, r in outcome.rejected],
        replies=[
            ReplyDecided(
                msg_id=r.msg_id,
                rule_id=r.rule_id,
                kind=r.kind,
                reply=r.text,
                group_ref=r.group_ref,
                held=r.held,
                flags=_flags(r.flags),
            )
            for r in outcome.replies
        ],
        tickets=[TicketOut.model_validate(t) for t in outcome.tickets],
        flags=outcome.flags,
    )


@router.get("/messages", response_model=Page[MessageOut])
def search_messages(
    api: Api,
    db: DbSession,
    group_id: Int64 | None = None,
    q: str | None = None,
    sender_ref: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[MessageOut]:
    rows, next_cursor = search.search_messages(
        db,
        api.workspace_id,
        group_id=group_id,
        q=q,
        sender_ref=sender_ref,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[MessageOut.model_validate(r) for r in rows], next_cursor=next_cursor)


# --- groups and members -----------------------------------------------------------------


@router.post("/groups", response_model=GroupOut, status_code=201)
def create_group(body: GroupIn, api: Api, db: DbSession) -> GroupOut:
    group = service.create_group(db, api.workspace_id, api.actor(), **body.model_dump())
    return GroupOut.model_validate(group)


@router.get("/groups", response_model=Page[GroupOut])
def list_groups(
    api: Api,
    db: DbSession,
    status: str | None = None,
    group_type: str | None = None,
    family_id: Int64 | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[GroupOut]:
    rows, next_cursor = service.list_groups(
        db,
        api.workspace_id,
        status=status,
        group_type=group_type,
        family_id=family_id,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[GroupOut.model_validate(g) for g in rows], next_cursor=next_cursor)


@router.get("/groups/{group_id}", response_model=GroupOut)
def get_group(group_id: Int64, api: Api, db: DbSession) -> GroupOut:
    return GroupOut.model_validate(service.get_group(db, api.workspace_id, group_id))


@router.patch("/groups/{group_id}", response_model=GroupOut)
def update_group(group_id: Int64, body: GroupPatch, api: Api, db: DbSession) -> GroupOut:
    changes = body.model_dump(exclude_unset=True)
    if "join_url" in changes:
        changes["join_url"] = service.checked_join_url(changes["join_url"])
    group = service.update_group(db, api.workspace_id, group_id, api.actor(), **changes)
    return GroupOut.model_validate(group)


@router.get("/groups/{group_id}/members", response_model=Page[MemberOut])
def list_members(
    group_id: Int64,
    api: Api,
    db: DbSession,
    include_left: bool = False,
    role: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[MemberOut]:
    rows, next_cursor = service.list_members(
        db,
        api.workspace_id,
        group_id,
        include_left=include_left,
        role=role,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[MemberOut.model_validate(m) for m in rows], next_cursor=next_cursor)


@router.post("/groups/{group_id}/members", response_model=MemberOut, status_code=201)
def add_member(group_id: Int64, body: MemberIn, api: Api, db: DbSession) -> MemberOut:
    membership = service.add_member(
        db, api.workspace_id, group_id, api.actor(), **body.model_dump()
    )
    return MemberOut.model_validate(membership)


@router.patch("/memberships/{membership_id}", response_model=MemberOut)
def set_member_role(membership_id: Int64, body: MemberPatch, api: Api, db: DbSession) -> MemberOut:
    membership = service.set_member_role(
        db, api.workspace_id, membership_id, body.role, api.actor()
    )
    return MemberOut.model_validate(membership)


@router.delete("/memberships/{membership_id}", response_model=MemberOut)
def remove_member(membership_id: Int64, api: Api, db: DbSession) -> MemberOut:
    membership = service.remove_member(db, api.workspace_id, membership_id, api.actor())
    return MemberOut.model_validate(membership)


# --- health, KOCs, GMV guided -----------------------------------------------------------


@router.get("/groups/{group_id}/health", response_model=list[HealthDayOut])
def group_health(
    group_id: Int64, api: Api, db: DbSession, days: int = Query(30, ge=1, le=366)
) -> list[HealthDayOut]:
    rows = health.health_series(db, api.workspace_id, group_id, days)
    return [HealthDayOut.model_validate(r) for r in rows]


@router.get("/groups/{group_id}/kocs", response_model=list[KocOut])
def group_kocs(group_id: Int64, api: Api, db: DbSession) -> list[KocOut]:
    return [KocOut.model_validate(k) for k in health.kocs_of(db, api.workspace_id, group_id)]


@router.get("/groups/{group_id}/gmv", response_model=GmvOut)
def group_gmv(
    group_id: Int64,
    api: Api,
    db: DbSession,
    since_days: int = Query(30, ge=1, le=366),
    window_days: int | None = Query(None, ge=1, le=30),
) -> GmvOut:
    service.get_group(db, api.workspace_id, group_id)
    (row,) = health.gmv_guided(
        db, api.workspace_id, [group_id], since_days=since_days, window_days=window_days
    )
    return GmvOut(**row.__dict__)


@router.post("/community/health:compute", response_model=HealthRunOut)
def compute_health(api: Api, db: DbSession, days: int = Query(1, ge=1, le=366)) -> HealthRunOut:
    run = health.compute_health(db, api.workspace_id, days=days)
    return HealthRunOut(**run.__dict__)


# --- families and live codes ------------------------------------------------------------


def family_out(family: FanGroupFamily) -> FamilyOut:
    out = FamilyOut.model_validate(family)
    out.live_code_url = service.live_code_url(family)
    return out


@router.post("/group-families", response_model=FamilyOut, status_code=201)
def create_family(body: FamilyIn, api: Api, db: DbSession) -> FamilyOut:
    fields = body.model_dump()
    fields["name_base"] = fields["name_base"] or fields["name"]
    return family_out(service.create_family(db, api.workspace_id, api.actor(), **fields))


@router.get("/group-families", response_model=list[FamilyOut])
def list_families(api: Api, db: DbSession) -> list[FamilyOut]:
    return [family_out(f) for f in service.list_families(db, api.workspace_id)]


@router.get("/group-families/{family_id}", response_model=FamilyOut)
def get_family(family_id: Int64, api: Api, db: DbSession) -> FamilyOut:
    return family_out(service.get_family(db, api.workspace_id, family_id))


@router.patch("/group-families/{family_id}", response_model=FamilyOut)
def update_family(family_id: Int64, body: FamilyPatch, api: Api, db: DbSession) -> FamilyOut:
    family = service.update_family(
        db, api.workspace_id, family_id, api.actor(), **body.model_dump(exclude_unset=True)
    )
    return family_out(family)


def join_out(result: service.RoutingResult) -> JoinOut:
    return JoinOut(
        outcome=result.outcome,
        group=GroupOut.model_validate(result.group) if result.group else None,
        opened_group=result.opened_group,
        waitlist_position=result.waitlist_position,
        reasons=[
            ReasonOut(
                code=code,
                threshold=n,
                message=gettext(service.REASONS[code]) % {"n": n},
            )
            for code, n in result.reasons
        ],
    )


@router.post("/live-codes/{slug}/join", response_model=JoinOut)
def join_by_live_code(slug: str, body: JoinIn, api: Api, db: DbSession) -> JoinOut:
    """Route a fan through a family's live code: the first group with room that fits them, a
    newly opened group when all are full, or the waitlist when the family is capped."""
    result = service.route_newcomer(db, api.workspace_id, slug, body.customer_id, api.actor())
    return join_out(result)


@router.post(
    "/group-families/{family_id}/invitations", response_model=InvitationsOut, status_code=201
)
def queue_invitations(
    family_id: Int64, body: InvitationsIn, api: Api, db: DbSession
) -> InvitationsOut:
    queued, refused = service.queue_invitations(
        db, api.workspace_id, family_id, body.customer_ids, api.actor()
    )
    return InvitationsOut(
        queued=queued,
        refused=[
            {"customer_id": c, "reasons": [code for code, _ in reasons]} for c, reasons in refused
        ],
    )


@router.get("/group-families/{family_id}/invitations", response_model=Page[InvitationOut])
def list_invitations(
    family_id: Int64,
    api: Api,
    db: DbSession,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[InvitationOut]:
    rows, next_cursor = service.list_invitations(
        db, api.workspace_id, family_id, status=status, cursor=cursor, limit=limit
    )
    return Page(items=[InvitationOut.model_validate(i) for i in rows], next_cursor=next_cursor)


# --- tickets and moderation -------------------------------------------------------------


@router.get("/tickets", response_model=Page[TicketOut])
def list_tickets(
    api: Api,
    db: DbSession,
    status: str | None = None,
    group_id: Int64 | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[TicketOut]:
    rows, next_cursor = community_tickets.list_tickets(
        db, api.workspace_id, status=status, group_id=group_id, cursor=cursor, limit=limit
    )
    return Page(items=[TicketOut.model_validate(t) for t in rows], next_cursor=next_cursor)


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: Int64, api: Api, db: DbSession) -> TicketOut:
    return TicketOut.model_validate(community_tickets.get_ticket(db, api.workspace_id, ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=TicketOut)
def update_ticket(ticket_id: Int64, body: TicketPatch, api: Api, db: DbSession) -> TicketOut:
    ticket = community_tickets.update_ticket(
        db, api.workspace_id, ticket_id, api.actor(), **body.model_dump(exclude_unset=True)
    )
    return TicketOut.model_validate(ticket)


@router.get("/moderation/flags", response_model=Page[FlagOut])
def list_flags(
    api: Api,
    db: DbSession,
    status: str | None = "open",
    direction: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Page[FlagOut]:
    rows, next_cursor = community_moderation.list_flags(
        db, api.workspace_id, status=status, direction=direction, cursor=cursor, limit=limit
    )
    return Page(items=[FlagOut.model_validate(f) for f in rows], next_cursor=next_cursor)


@router.patch("/moderation/flags/{flag_id}", response_model=FlagOut)
def resolve_flag(flag_id: Int64, body: FlagPatch, api: Api, db: DbSession) -> FlagOut:
    flag = community_moderation.resolve_flag(
        db, api.workspace_id, flag_id, body.status, api.actor()
    )
    return FlagOut.model_validate(flag)


@router.post("/moderation/check", response_model=CheckOut)
def check_reply(body: CheckIn, api: Api, db: DbSession) -> CheckOut:
    """Check an operator's reply before it goes out (Advertising Law absolute terms, customer-
    service tone, the workspace's sensitive words)."""
    flags = community_moderation.check_outgoing_text(db, api.workspace_id, body.text)
    return CheckOut(ok=not flags, flags=_flags(flags))
