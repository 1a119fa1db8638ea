"""API shapes of the fan-groups domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.kit.bounds import INT32_MAX, Int64
from siyu.kit.patches import PatchBody

GroupType = Literal["regional", "interest", "koc", "vip", "general"]
GroupStatus = Literal["activating", "active", "declining", "dormant", "dismissed"]


class RuleScopeIn(BaseModel):
    all_groups: bool | None = None
    group_types: list[GroupType] = []
    group_ids: list[Int64] = []
    private_chat: bool = False


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    match: Literal["any", "all", "exact", "regex"]
    keywords: list[str] = []
    exclude_keywords: list[str] = []
    pattern: str | None = None
    reply: str = Field(min_length=1, max_length=2000)
    priority: Int64 = 0
    kind: Literal["reply", "handoff"] = "reply"
    scope: RuleScopeIn | None = None
    cooldown_seconds: int = Field(default=60, ge=0, le=86400)
    active_hours: list[tuple[str, str]] = Field(
        default=[], description="Local (start, end) pairs such as ['09:00', '21:00']"
    )
    is_active: bool = True


class RulePatch(PatchBody):
    clearable = frozenset({"pattern", "scope"})
    name: str | None = Field(default=None, min_length=1, max_length=100)
    match: Literal["any", "all", "exact", "regex"] | None = None
    keywords: list[str] | None = None
    exclude_keywords: list[str] | None = None
    pattern: str | None = None
    reply: str | None = Field(default=None, min_length=1, max_length=2000)
    priority: Int64 | None = None
    kind: Literal["reply", "handoff"] | None = None
    scope: RuleScopeIn | None = None
    cooldown_seconds: int | None = Field(default=None, ge=0, le=86400)
    active_hours: list[tuple[str, str]] | None = None
    is_active: bool | None = None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    match: str
    keywords: list[str]
    exclude_keywords: list[str]
    pattern: str | None
    reply: str
    priority: int
    kind: str
    scope: dict[str, Any]
    cooldown_seconds: int
    active_hours: list[list[str]]
    is_active: bool
    created_at: datetime


class TestIn(BaseModel):
    text: str = Field(max_length=5000)
    group_id: Int64 | None = None
    private_chat: bool = False
    nickname: str | None = None


class CandidateOut(BaseModel):
    rule_id: int
    rule_name: str
    reason: str
    matched: str
    detail: str
    description: str


class FlagBrief(BaseModel):
    kind: str
    term: str
    detail: str = ""


class TestOut(BaseModel):
    rule_id: int | None
    rule_name: str | None
    reply: str | None
    kind: str | None
    normalised_text: str
    skipped: str | None
    explanation: list[CandidateOut]
    reply_flags: list[FlagBrief]


class MessageInModel(BaseModel):
    msg_id: str = Field(min_length=1, max_length=128)
    chat: Literal["group", "private"]
    group_ref: str | None = Field(default=None, max_length=128)
    sender_ref: str = Field(min_length=1, max_length=128)
    sender_role: Literal["fan", "staff"]
    sender_name: str | None = Field(default=None, max_length=100)
    sent_at: datetime
    text: str = Field(default="", max_length=10000)
    msg_type: Literal["text", "image", "qrcode", "link", "other"] = "text"
    reply_to_ref: str | None = Field(default=None, max_length=128)
    is_push: bool = False


class MessageBatchIn(BaseModel):
    messages: list[MessageInModel] = Field(max_length=500)


class ReplyDecided(BaseModel):
    msg_id: str
    rule_id: Int64
    kind: str
    reply: str
    group_ref: str | None
    held: bool = Field(description="Moderation flagged the reply: it waits for an operator")
    flags: list[FlagBrief]


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group_id: int | None
    message_id: int | None
    rule_id: int | None
    customer_id: int | None
    sender_ref: str
    text: str
    status: str
    assignee_operator_id: int | None
    note: str | None
    created_at: datetime
    resolved_at: datetime | None


class RejectedMessage(BaseModel):
    msg_id: str
    reason: str


class MessageBatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[RejectedMessage]
    replies: list[ReplyDecided]
    tickets: list[TicketOut]
    flags: int


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    msg_id: str
    chat: str
    group_id: int | None
    sender_ref: str
    sender_role: str
    customer_id: int | None
    msg_type: str
    text: str
    is_push: bool
    is_buyer_show: bool
    is_after_sales: bool
    sent_at: datetime


class GroupIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    group_type: GroupType = "general"
    capacity: int = Field(default=200, ge=1, le=500)
    external_ref: str | None = Field(default=None, max_length=128)
    region: str | None = Field(default=None, max_length=64)
    owner_operator_id: Int64 | None = None
    operator_ids: list[Int64] = []
    rules_text: str | None = None


class GroupPatch(PatchBody):
    clearable = frozenset({"region", "owner_operator_id", "rules_text"})
    name: str | None = Field(default=None, min_length=1, max_length=100)
    group_type: GroupType | None = None
    capacity: int | None = Field(default=None, ge=1, le=500)
    region: str | None = None
    owner_operator_id: Int64 | None = None
    operator_ids: list[Int64] | None = None
    rules_text: str | None = None
    status: GroupStatus | None = None
    join_url: str | None = Field(
        default=None,
        max_length=500,
        description="What the group's join QR code holds; the public live code shows it.",
    )


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    group_type: str
    external_ref: str
    capacity: int
    member_count: int
    region: str | None
    owner_operator_id: int | None
    operator_ids: list[int]
    join_url: str | None = None
    rules_text: str | None
    status: str
    health_score: int | None
    family_id: int | None
    number: int | None
    created_at: datetime


class MemberIn(BaseModel):
    member_ref: str | None = Field(default=None, max_length=128)
    customer_id: Int64 | None = None
    nickname: str | None = Field(default=None, max_length=100)
    role: Literal["member", "moderator"] = "member"
    scene: Literal["live_code", "invitation", "manual", "import", "message"] = "manual"
    joined_at: datetime | None = None


class MemberPatch(BaseModel):
    role: Literal["member", "moderator"]


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group_id: int
    customer_id: int | None
    member_ref: str
    nickname: str | None
    role: str
    scene: str
    joined_at: datetime
    left_at: datetime | None


class FamilyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    slug: str = Field(min_length=2, max_length=63, description="The live code's address")
    group_type: GroupType = "general"
    name_base: str | None = Field(default=None, max_length=80)
    group_capacity: int = Field(default=200, ge=1, le=500)
    max_groups: int | None = Field(default=None, ge=1, le=INT32_MAX)
    min_paid_orders: int | None = Field(default=None, ge=0, le=INT32_MAX)
    min_intimacy_level: int | None = Field(default=None, ge=0, le=INT32_MAX)
    segment_id: Int64 | None = None
    match_region: bool = False
    regions: list[str] = []
    welcome_text: str | None = None


class FamilyPatch(PatchBody):
    clearable = frozenset(
        {"max_groups", "min_paid_orders", "min_intimacy_level", "segment_id", "welcome_text"}
    )
    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_base: str | None = Field(default=None, max_length=80)
    group_capacity: int | None = Field(default=None, ge=1, le=500)
    max_groups: int | None = Field(default=None, ge=1, le=INT32_MAX)
    min_paid_orders: int | None = Field(default=None, ge=0, le=INT32_MAX)
    min_intimacy_level: int | None = Field(default=None, ge=0, le=INT32_MAX)
    segment_id: Int64 | None = None
    match_region: bool | None = None
    regions: list[str] | None = None
    welcome_text: str | None = None
    is_active: bool | None = None


class FamilyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    group_type: str
    name_base: str
    next_number: int
    group_capacity: int
    max_groups: int | None
    min_paid_orders: int | None
    min_intimacy_level: int | None
    segment_id: int | None
    match_region: bool
    regions: list[str]
    welcome_text: str | None
    is_active: bool
    live_code_url: str = ""


class JoinIn(BaseModel):
    customer_id: Int64


class ReasonOut(BaseModel):
    code: str
    threshold: int | None
    message: str


class JoinOut(BaseModel):
    outcome: Literal["joined", "already_member", "waitlisted", "ineligible"]
    group: GroupOut | None
    opened_group: bool
    waitlist_position: int | None
    reasons: list[ReasonOut]


class InvitationsIn(BaseModel):
    customer_ids: list[Int64] = Field(min_length=1, max_length=1000)


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    family_id: int
    customer_id: int
    status: str
    group_id: int | None
    created_at: datetime


class InvitationsOut(BaseModel):
    queued: int
    refused: list[dict[str, Any]]


class TicketPatch(BaseModel):
    status: Literal["open", "in_progress", "resolved"] | None = None
    assignee_operator_id: Int64 | None = None
    note: str | None = Field(default=None, max_length=2000)


class FlagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    direction: str
    kind: str
    term: str
    detail: str | None
    group_id: int | None
    message_id: int | None
    sender_ref: str | None
    text: str
    status: str
    created_at: datetime


class FlagPatch(BaseModel):
    status: Literal["open", "dismissed", "actioned"]


class CheckIn(BaseModel):
    text: str = Field(max_length=10000)


class CheckOut(BaseModel):
    ok: bool
    flags: list[FlagBrief]


class HealthDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    group_id: int
    day: date
    messages: int
    fan_messages: int
    staff_messages: int
    active_members_7d: int
    members: int
    joins: int
    leaves: int
    buyer_shows: int
    after_sales: int
    score: int


class KocOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sender_ref: str
    customer_id: int | None
    messages: int
    replies_drawn: int
    buyer_shows: int
    score: int


class GmvOut(BaseModel):
    group_id: int
    window_days: int
    pushes: int
    orders: int
    gmv_fen: int


class HealthRunOut(BaseModel):
    groups: int
    days: int
    rows: int
    status_changes: int
    kocs: int
