"""Groups, memberships, group families with their live codes, and routing newcomers.

Capacity holds under concurrency without locks held across the whole request: a seat is taken
with one conditional ``UPDATE ... SET member_count = member_count + 1 WHERE member_count <
capacity`` (atomic on SQLite and PostgreSQL), and the CHECK constraint on ``member_count`` is
the backstop. Live-code routing locks the family row first (one newcomer of a family seated at
a time, always family then group, so no deadlock), so parallel newcomers who all found the
family full open one group, not one each.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.community.models import (
    DEFAULT_CAPACITY,
    DEFAULT_GMV_WINDOW_DAYS,
    DEFAULT_RETENTION_DAYS,
    GROUP_STATUSES,
    GROUP_TYPES,
    JOIN_SCENES,
    MAX_CAPACITY,
    MEMBER_ROLES,
    CommunitySettings,
    FanGroup,
    FanGroupFamily,
    GroupInvitation,
    GroupMembership,
    GroupMessage,
)
from siyu.customers.service import require_customer
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace
from siyu.kit.timeline import TimelineEntry
from siyu.workspace import audit
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import Actor

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
OPEN_STATUSES = ("activating", "active", "declining", "dormant")  # groups that take newcomers

# --- settings ---------------------------------------------------------------------------


def settings_of(session: Session, workspace_id: int) -> CommunitySettings:
    """The workspace's settings; the defaults, unsaved, until an operator changes one (a read
    never writes)."""
    found = session.get(CommunitySettings, workspace_id)
    if found is None:
        return _default_settings(workspace_id)
    return found


def _default_settings(workspace_id: int) -> CommunitySettings:
    return CommunitySettings(
        workspace_id=workspace_id,
        retention_days=DEFAULT_RETENTION_DAYS,
        sensitive_words=[],
        gmv_window_days=DEFAULT_GMV_WINDOW_DAYS,
    )


def update_settings(
    session: Session, workspace_id: int, actor: Actor, **changes: Any
) -> CommunitySettings:
    current = settings_of(session, workspace_id)
    if current not in session:
        session.add(current)
    if "retention_days" in changes and not 7 <= int(changes["retention_days"]) <= 3650:
        raise Unprocessable(
            "retention-out-of-range", title=N_("Keep messages between 7 and 3650 days")
        )
    for name, value in changes.items():
        setattr(current, name, value)
    audit.record(
        session,
        actor,
        "community.settings",
        workspace_id=workspace_id,
        detail={k: v for k, v in changes.items() if k != "sensitive_words"},
    )
    session.flush()
    return current


# --- groups -----------------------------------------------------------------------------


def _check_group_fields(group_type: str | None, capacity: int | None, status: str | None) -> None:
    if group_type is not None and group_type not in GROUP_TYPES:
        raise Unprocessable(
            "unknown-group-type",
            title=N_("Unknown group type"),
            errors=[{"field": "group_type", "message": f"use one of {', '.join(GROUP_TYPES)}"}],
        )
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise Unprocessable(
            "capacity-out-of-range",
            title=N_("A group holds between 1 and 500 members"),
            errors=[{"field": "capacity", "message": "between 1 and 500"}],
        )
    if status is not None and status not in GROUP_STATUSES:
        raise Unprocessable(
            "unknown-group-status",
            title=N_("Unknown group status"),
            errors=[{"field": "status", "message": f"use one of {', '.join(GROUP_STATUSES)}"}],
        )


def create_group(
    session: Session,
    workspace_id: int,
    actor: Actor,
    *,
    name: str,
    group_type: str = "general",
    capacity: int = DEFAULT_CAPACITY,
    external_ref: str | None = None,
    region: str | None = None,
    owner_operator_id: int | None = None,
    operator_ids: Sequence[int] = (),
    rules_text: str | None = None,
    status: str = "activating",
) -> FanGroup:
    _check_group_fields(group_type, capacity, status)
    if not name.strip():
        raise Unprocessable("group-name-required", title=N_("A group needs a name"))
    _check_operators(session, workspace_id, owner_operator_id, operator_ids)
    group = FanGroup(
        workspace_id=workspace_id,
        name=name.strip()[:100],
        group_type=group_type,
        capacity=capacity,
        external_ref=external_ref or f"grp-{uuid.uuid4().hex[:16]}",
        region=region,
        owner_operator_id=owner_operator_id,
        operator_ids=list(operator_ids),
        rules_text=rules_text,
        status=status,
        member_count=0,
    )
    _insert_group(session, group)
    audit.record(
        session,
        actor,
        "community.group_create",
        workspace_id=workspace_id,
        target_type="group",
        target_id=group.id,
        detail={"name": group.name, "type": group_type},
    )
    return group


def _insert_group(session: Session, group: FanGroup) -> None:
    try:
        with session.begin_nested():
            session.add(group)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "group-ref-taken", title=N_("Another group already has this chat id")
        ) from None


def get_group(session: Session, workspace_id: int, group_id: int) -> FanGroup:
    not_found = NotFound("group-not-found", title=N_("Group not found"))
    return get_in_workspace(session, FanGroup, workspace_id, group_id, not_found)


def groups_by_ref(session: Session, workspace_id: int, refs: Sequence[str]) -> dict[str, FanGroup]:
    if not refs:
        return {}
    rows = session.scalars(
        select(FanGroup).where(
            FanGroup.workspace_id == workspace_id, FanGroup.external_ref.in_(set(refs))
        )
    )
    return {group.external_ref: group for group in rows}


def _check_operators(
    session: Session, workspace_id: int, owner: int | None, operators: Sequence[int]
) -> None:
    workspace_service.check_operators(session, workspace_id, [owner], "owner_operator_id")
    workspace_service.check_operators(session, workspace_id, operators, "operator_ids")


def update_group(
    session: Session, workspace_id: int, group_id: int, actor: Actor, **changes: Any
) -> FanGroup:
    group = get_group(session, workspace_id, group_id)
    _check_group_fields(changes.get("group_type"), changes.get("capacity"), changes.get("status"))
    _check_operators(
        session, workspace_id, changes.get("owner_operator_id"), changes.get("operator_ids") or ()
    )
    family = _family_of_group(session, group.id)
    seats_may_open = family is not None and ("capacity" in changes or "status" in changes)
    if seats_may_open and family is not None:
        _lock_family(session, family)  # family before group row, as routing does
        session.refresh(group)
    if "capacity" in changes and changes["capacity"] < group.member_count:
        raise Conflict(
            "capacity-below-members",
            title=N_("The group already has more members than that"),
        )
    for name, value in changes.items():
        setattr(group, name, value)
    if "status" in changes:
        group.status_changed_at = utcnow()
        if changes["status"] == "dismissed":
            group.dismissed_at = utcnow()
    audit.record(
        session,
        actor,
        "community.group_update",
        workspace_id=workspace_id,
        target_type="group",
        target_id=group.id,
        detail={k: v for k, v in changes.items() if k != "rules_text"},
    )
    session.flush()
    if seats_may_open and family is not None:
        admit_waitlisted(session, family, actor)
    return group


def list_groups(
    session: Session,
    workspace_id: int,
    *,
    status: str | None = None,
    group_type: str | None = None,
    family_id: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[FanGroup], str | None]:
    statement = select(FanGroup).where(FanGroup.workspace_id == workspace_id)
    if status:
        statement = statement.where(FanGroup.status == status)
    if group_type:
        statement = statement.where(FanGroup.group_type == group_type)
    if family_id:
        statement = statement.where(FanGroup.family_id == family_id)
    if q:
        statement = statement.where(FanGroup.name.contains(q.strip()))
    return keyset_page(session, statement, FanGroup.id, cursor=cursor, limit=limit)


def all_groups(session: Session, workspace_id: int) -> list[FanGroup]:
    return list(
        session.scalars(
            select(FanGroup).where(FanGroup.workspace_id == workspace_id).order_by(FanGroup.id)
        )
    )


def operators_of(group: FanGroup) -> list[int]:
    """Who is told about the group's tickets and alerts: its operators and its owner."""
    ids = [int(i) for i in group.operator_ids or []]
    if group.owner_operator_id and group.owner_operator_id not in ids:
        ids.append(group.owner_operator_id)
    return ids


# --- memberships ------------------------------------------------------------------------


def _take_seat(session: Session, group_id: int) -> bool:
    """One seat in the group, atomically; False when it is full."""
    result = session.execute(
        update(FanGroup)
        .where(
            FanGroup.id == group_id,
            FanGroup.member_count < FanGroup.capacity,
            FanGroup.status.in_(OPEN_STATUSES),
        )
        .values(member_count=FanGroup.member_count + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _free_seat(session: Session, group_id: int) -> None:
    session.execute(
        update(FanGroup)
        .where(FanGroup.id == group_id, FanGroup.member_count > 0)
        .values(member_count=FanGroup.member_count - 1)
        .execution_options(synchronize_session=False)
    )


def open_membership(
    session: Session, workspace_id: int, group_id: int, member_ref: str
) -> GroupMembership | None:
    return session.scalar(
        select(GroupMembership).where(
            GroupMembership.workspace_id == workspace_id,
            GroupMembership.group_id == group_id,
            GroupMembership.member_ref == member_ref,
            GroupMembership.left_at.is_(None),
        )
    )


def customer_ref(customer_id: int) -> str:
    return f"customer:{customer_id}"


def operator_ref(operator_id: int) -> str:
    """How a staff sender who is one of our operators is written in a chat."""
    return f"operator:{operator_id}"


def ref_customer_id(ref: str | None) -> int | None:
    return _ref_id(ref, "customer:")


def ref_operator_id(ref: str | None) -> int | None:
    return _ref_id(ref, "operator:")


def _ref_id(ref: str | None, prefix: str) -> int | None:
    if ref and ref.startswith(prefix) and ref[len(prefix) :].isdigit():
        return int(ref[len(prefix) :])
    return None


def add_member(
    session: Session,
    workspace_id: int,
    group_id: int,
    actor: Actor,
    *,
    member_ref: str | None = None,
    customer_id: int | None = None,
    nickname: str | None = None,
    role: str = "member",
    scene: str = "manual",
    joined_at: datetime | None = None,
) -> GroupMembership:
    """Add a person to a group (idempotent: an open membership is returned as it is)."""
    group = get_group(session, workspace_id, group_id)
    if role not in MEMBER_ROLES or scene not in JOIN_SCENES:
        raise Unprocessable(
            "invalid-membership",
            title=N_("Unknown member role or join scene"),
            errors=[{"field": "role", "message": f"use one of {', '.join(MEMBER_ROLES)}"}],
        )
    if customer_id is not None:
        require_customer(session, workspace_id, customer_id)
    ref = member_ref or (customer_ref(customer_id) if customer_id else None)
    if not ref:
        raise Unprocessable("member-ref-required", title=N_("Give a member id or a fan id"))
    existing = open_membership(session, workspace_id, group.id, ref)
    if existing is not None:
        return existing
    if not _take_seat(session, group.id):
        raise Conflict("group-full", title=N_("The group is full or no longer takes members"))
    membership = GroupMembership(
        workspace_id=workspace_id,
        group_id=group.id,
        customer_id=customer_id,
        member_ref=ref,
        nickname=nickname,
        role=role,
        scene=scene,
        joined_at=joined_at or utcnow(),
    )
    session.add(membership)
    session.flush()
    audit.record(
        session,
        actor,
        "community.member_add",
        workspace_id=workspace_id,
        target_type="group",
        target_id=group.id,
        detail={"membership": membership.id, "scene": scene},
    )
    return membership


def _get_membership(session: Session, workspace_id: int, membership_id: int) -> GroupMembership:
    not_found = NotFound("membership-not-found", title=N_("Membership not found"))
    return get_in_workspace(session, GroupMembership, workspace_id, membership_id, not_found)


def remove_member(
    session: Session, workspace_id: int, membership_id: int, actor: Actor
) -> GroupMembership:
    """End a membership and free its seat; in a family, the seat goes straight to the first
    waitlisted fan who fits. The family lock is taken before the group row (as routing does),
    and the leave is a conditional update, so two removals of one member free one seat."""
    membership = _get_membership(session, workspace_id, membership_id)
    if membership.left_at is not None:
        return membership
    family = _family_of_group(session, membership.group_id)
    if family is not None:
        _lock_family(session, family)
    left = session.execute(
        update(GroupMembership)
        .where(GroupMembership.id == membership.id, GroupMembership.left_at.is_(None))
        .values(left_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(membership)
    if not left.rowcount:  # type: ignore[attr-defined]
        return membership  # someone else removed them first
    _free_seat(session, membership.group_id)
    audit.record(
        session,
        actor,
        "community.member_remove",
        workspace_id=workspace_id,
        target_type="group",
        target_id=membership.group_id,
        detail={"membership": membership.id},
    )
    session.flush()
    if family is not None:
        admit_waitlisted(session, family, actor)
    return membership


def _family_of_group(session: Session, group_id: int) -> FanGroupFamily | None:
    family_id = session.scalar(select(FanGroup.family_id).where(FanGroup.id == group_id))
    return session.get(FanGroupFamily, family_id) if family_id else None


def set_member_role(
    session: Session, workspace_id: int, membership_id: int, role: str, actor: Actor
) -> GroupMembership:
    """Make a fan a KOC moderator (版主) of the group, or a plain member again."""
    if role not in MEMBER_ROLES:
        raise Unprocessable("invalid-membership", title=N_("Unknown member role or join scene"))
    membership = _get_membership(session, workspace_id, membership_id)
    membership.role = role
    audit.record(
        session,
        actor,
        "community.member_role",
        workspace_id=workspace_id,
        target_type="group",
        target_id=membership.group_id,
        detail={"membership": membership.id, "role": role},
    )
    session.flush()
    return membership


def list_members(
    session: Session,
    workspace_id: int,
    group_id: int,
    *,
    include_left: bool = False,
    role: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[GroupMembership], str | None]:
    get_group(session, workspace_id, group_id)
    statement = select(GroupMembership).where(
        GroupMembership.workspace_id == workspace_id, GroupMembership.group_id == group_id
    )
    if not include_left:
        statement = statement.where(GroupMembership.left_at.is_(None))
    if role:
        statement = statement.where(GroupMembership.role == role)
    return keyset_page(session, statement, GroupMembership.id, cursor=cursor, limit=limit)


def fans_in_chats(
    session: Session, workspace_id: int, chat_refs: Sequence[str]
) -> dict[str, set[int]]:
    """WeCom chat id → the fans (customer ids) with an open membership in that group now."""
    if not chat_refs:
        return {}
    rows = session.execute(
        select(FanGroup.external_ref, GroupMembership.customer_id)
        .join(GroupMembership, GroupMembership.group_id == FanGroup.id)
        .where(
            FanGroup.workspace_id == workspace_id,
            FanGroup.external_ref.in_(set(chat_refs)),
            GroupMembership.workspace_id == workspace_id,
            GroupMembership.left_at.is_(None),
            GroupMembership.customer_id.is_not(None),
        )
    )
    found: dict[str, set[int]] = {}
    for ref, customer_id in rows:
        if customer_id is not None:
            found.setdefault(str(ref), set()).add(int(customer_id))
    return found


def member_nicknames(
    session: Session, workspace_id: int, pairs: set[tuple[int, str]]
) -> dict[tuple[int, str], tuple[int | None, str | None]]:
    """(group id, member ref) -> (customer id, nickname) for open memberships: one query."""
    if not pairs:
        return {}
    groups = {group_id for group_id, _ in pairs}
    refs = {ref for _, ref in pairs}
    rows = session.execute(
        select(
            GroupMembership.group_id,
            GroupMembership.member_ref,
            GroupMembership.customer_id,
            GroupMembership.nickname,
        ).where(
            GroupMembership.workspace_id == workspace_id,
            GroupMembership.group_id.in_(groups),
            GroupMembership.member_ref.in_(refs),
            GroupMembership.left_at.is_(None),
        )
    )
    return {(g, r): (c, n) for g, r, c, n in rows}


# --- families and live codes ------------------------------------------------------------


def _check_family(fields: dict[str, Any]) -> None:
    _check_group_fields(fields.get("group_type"), fields.get("group_capacity"), None)
    slug = fields.get("slug")
    if slug is not None and not SLUG.match(slug):
        raise Unprocessable(
            "invalid-slug",
            title=N_("The live code's link name takes 2-63 lower-case letters, digits and dashes"),
            errors=[{"field": "slug", "message": "lower-case letters, digits and dashes"}],
        )
    for name in ("min_paid_orders", "min_intimacy_level", "max_groups"):
        value = fields.get(name)
        if value is not None and value < (1 if name == "max_groups" else 0):
            raise Unprocessable(
                "invalid-entry-rule",
                title=N_("Entry rules and caps cannot be negative"),
                errors=[{"field": name, "message": "too small"}],
            )


def _check_segment(session: Session, workspace_id: int, segment_id: int | None) -> None:
    if segment_id is None:
        return
    from siyu.segments import service as segments

    try:
        exists = segments.segment_exists(session, workspace_id, segment_id)
    except NotImplementedError:
        return  # segments are not there yet: accept, and check again when routing
    if not exists:
        raise Unprocessable(
            "segment-not-found",
            title=N_("No such segment"),
            errors=[{"field": "segment_id", "message": "unknown segment"}],
        )


def create_family(
    session: Session, workspace_id: int, actor: Actor, **fields: Any
) -> FanGroupFamily:
    fields.setdefault("group_type", "general")
    fields.setdefault("group_capacity", DEFAULT_CAPACITY)
    fields.setdefault("name_base", fields.get("name", ""))
    _check_family(fields)
    _check_segment(session, workspace_id, fields.get("segment_id"))
    if not str(fields.get("name", "")).strip():
        raise Unprocessable("family-name-required", title=N_("A group family needs a name"))
    family = FanGroupFamily(workspace_id=workspace_id, next_number=1, **fields)
    try:
        with session.begin_nested():
            session.add(family)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "slug-taken", title=N_("Another live code already uses this link name")
        ) from None
    audit.record(
        session,
        actor,
        "community.family_create",
        workspace_id=workspace_id,
        target_type="family",
        target_id=family.id,
        detail={"name": family.name, "slug": family.slug},
    )
    return family


def update_family(
    session: Session, workspace_id: int, family_id: int, actor: Actor, **changes: Any
) -> FanGroupFamily:
    family = get_family(session, workspace_id, family_id)
    _check_family(changes)
    if "segment_id" in changes:
        _check_segment(session, workspace_id, changes["segment_id"])
    for name, value in changes.items():
        setattr(family, name, value)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "slug-taken", title=N_("Another live code already uses this link name")
        ) from None
    audit.record(
        session,
        actor,
        "community.family_update",
        workspace_id=workspace_id,
        target_type="family",
        target_id=family.id,
        detail={k: v for k, v in changes.items() if k != "welcome_text"},
    )
    if family.is_active and {"max_groups", "is_active"} & changes.keys():
        admit_waitlisted(session, family, actor)  # a raised cap opens groups for waiting fans
    return family


def get_family(session: Session, workspace_id: int, family_id: int) -> FanGroupFamily:
    not_found = NotFound("family-not-found", title=N_("Group family not found"))
    return get_in_workspace(session, FanGroupFamily, workspace_id, family_id, not_found)


def family_by_slug(session: Session, workspace_id: int, slug: str) -> FanGroupFamily:
    family = session.scalar(
        select(FanGroupFamily).where(
            FanGroupFamily.workspace_id == workspace_id, FanGroupFamily.slug == slug
        )
    )
    if family is None or not family.is_active:
        raise NotFound("live-code-not-found", title=N_("This group code is not in use"))
    return family


def list_families(session: Session, workspace_id: int) -> list[FanGroupFamily]:
    return list(
        session.scalars(
            select(FanGroupFamily)
            .where(FanGroupFamily.workspace_id == workspace_id)
            .order_by(FanGroupFamily.id)
        )
    )


def family_group_counts(session: Session, workspace_id: int) -> dict[int, tuple[int, int, int]]:
    """family id -> (groups, members, seats) over its groups that take members."""
    rows = session.execute(
        select(
            FanGroup.family_id,
            func.count(),
            func.coalesce(func.sum(FanGroup.member_count), 0),
            func.coalesce(func.sum(FanGroup.capacity), 0),
        )
        .where(
            FanGroup.workspace_id == workspace_id,
            FanGroup.family_id.is_not(None),
            FanGroup.status != "dismissed",
        )
        .group_by(FanGroup.family_id)
    )
    return {int(f or 0): (int(n), int(m), int(c)) for f, n, m, c in rows}


# --- eligibility and routing ------------------------------------------------------------

Outcome = Literal["joined", "already_member", "waitlisted", "ineligible"]

# Reasons a fan may not join, shown to the fan (politely) and to operators.
REASONS = {
    "paid_orders": N_("Our fan groups are for fans with at least %(n)s paid orders."),
    "intimacy": N_("Our fan groups are for fans at fan-club level %(n)s or above."),
    "segment": N_("This group is reserved for a particular circle of fans."),
    "region_unknown": N_(
        "We don't know which region you are in yet, so we can't pick your local group."
    ),
    "region_not_served": N_("We don't have a local group for your region yet."),
}


@dataclass
class Eligibility:
    eligible: bool
    reasons: list[tuple[str, int | None]] = field(default_factory=list)  # (code, threshold)


@dataclass
class RoutingResult:
    outcome: Outcome
    group: FanGroup | None = None
    reasons: list[tuple[str, int | None]] = field(default_factory=list)
    waitlist_position: int | None = None
    opened_group: bool = False


def check_eligibility(
    session: Session, workspace_id: int, family: FanGroupFamily, customer_id: int
) -> Eligibility:
    """Entry rules are alternatives (2+ paid orders, OR intimacy >= N, OR a segment): meeting
    any configured one admits the fan. Regional families also need the fan's region."""
    from siyu.customers import service as customers
    from siyu.orders import ownership

    customer = customers.get_customer(session, workspace_id, customer_id)
    failed: list[tuple[str, int | None]] = []
    passed = False
    configured = False
    if family.min_paid_orders:
        configured = True
        paid = ownership.fan_order_stats(session, workspace_id, customer_id).paid_orders
        passed |= paid >= family.min_paid_orders
        if paid < family.min_paid_orders:
            failed.append(("paid_orders", family.min_paid_orders))
    if family.min_intimacy_level:
        configured = True
        levels = customers.intimacy_of(session, workspace_id, customer_id).values()
        ok = max(levels, default=0) >= family.min_intimacy_level
        passed |= ok
        if not ok:
            failed.append(("intimacy", family.min_intimacy_level))
    if family.segment_id:
        configured = True
        ok = _in_segment(session, workspace_id, family.segment_id, customer_id)
        passed |= ok
        if not ok:
            failed.append(("segment", None))
    reasons = [] if passed or not configured else failed
    if family.match_region:
        if not customer.region:
            reasons.append(("region_unknown", None))
        elif family.regions and customer.region not in family.regions:
            reasons.append(("region_not_served", None))
    return Eligibility(not reasons, reasons)


def _in_segment(session: Session, workspace_id: int, segment_id: int, customer_id: int) -> bool:
    from siyu.segments import service as segments

    try:
        return segments.is_member(session, workspace_id, segment_id, customer_id)
    except NotImplementedError:
        return False


def family_membership(
    session: Session, workspace_id: int, family_id: int, customer_id: int
) -> FanGroup | None:
    return session.scalar(
        select(FanGroup)
        .join(GroupMembership, GroupMembership.group_id == FanGroup.id)
        .where(
            FanGroup.workspace_id == workspace_id,
            FanGroup.family_id == family_id,
            GroupMembership.customer_id == customer_id,
            GroupMembership.left_at.is_(None),
        )
        .limit(1)
    )


def route_newcomer(
    session: Session, workspace_id: int, slug: str, customer_id: int, actor: Actor
) -> RoutingResult:
    """Send a fan who opened a family's live code to the first group with room that fits them;
    open the next group when all are full; put them on the waitlist when the family is capped."""
    family = family_by_slug(session, workspace_id, slug)
    current = family_membership(session, workspace_id, family.id, customer_id)
    if current is not None:
        return RoutingResult("already_member", current)
    eligibility = check_eligibility(session, workspace_id, family, customer_id)
    if not eligibility.eligible:
        return RoutingResult("ineligible", reasons=eligibility.reasons)
    region = _fan_region(session, workspace_id, family, customer_id)
    _lock_family(session, family)
    group = _seat_in_family(session, family, region)
    opened = False
    if group is None:
        group, opened = _open_if_allowed(session, family, region)
    if group is None:
        position = _waitlist(session, family, customer_id)
        return RoutingResult("waitlisted", waitlist_position=position)
    _join(session, group, customer_id, actor, family)
    return RoutingResult("joined", group, opened_group=opened)


JOIN_URL = re.compile(r"^https?://[^\s]{4,490}$")


def checked_join_url(text: str | None) -> str | None:
    """A group's join code as stored: the link its QR code holds, or None to clear it."""
    url = (text or "").strip()
    if not url:
        return None
    if not JOIN_URL.match(url):
        raise Unprocessable(
            "invalid-join-url",
            title=N_("A join code is the link inside the group's QR code, starting with https://"),
        )
    return url


def live_code_url(family: FanGroupFamily) -> str:
    """The public address of a family's live code: anyone who scans it is routed."""
    from siyu.config import public_url

    session = Session.object_session(family)
    slug = (
        workspace_service.workspace_slug(session, family.workspace_id)
        if session
        else str(family.workspace_id)
    )
    return public_url(f"/h5/g/{slug}/{family.slug}")


ScanOutcome = Literal["routed", "preparing", "full", "members_only"]


@dataclass
class ScanResult:
    outcome: ScanOutcome
    family: FanGroupFamily
    group: FanGroup | None = None


def has_entry_rules(family: FanGroupFamily) -> bool:
    """Rules that need to know who the fan is (orders, intimacy, a segment, their region)."""
    return bool(
        family.min_paid_orders
        or family.min_intimacy_level
        or family.segment_id
        or family.match_region
    )


def route_scan(session: Session, workspace_id: int, slug: str) -> ScanResult:
    """Route an anonymous scan of a family's live code to the first group with room that has a
    join code, without taking a seat: the seat is counted when the newcomer's join arrives
    from the chat platform, so someone who scans and walks away fills nothing.

    When every group is full the next one opens (unless the family is at its cap), as for a
    known fan; until an operator gives that group its join code, newcomers are told it is being
    prepared. Families with entry rules can't judge a stranger: they ask for the personal link.
    """
    family = family_by_slug(session, workspace_id, slug)
    if has_entry_rules(family):
        return ScanResult("members_only", family)
    candidates = _candidates(session, family, None)
    if not candidates:
        _lock_family(session, family)
        candidates = _candidates(session, family, None)  # another scan may have opened one
    if not candidates:
        group, _opened = _open_if_allowed(session, family, None, seated=False)
        return ScanResult("preparing" if group else "full", family, group)
    groups = {g.id: g for g in session.scalars(select(FanGroup).where(FanGroup.id.in_(candidates)))}
    for group_id in candidates:
        if groups[group_id].join_url:
            return ScanResult("routed", family, groups[group_id])
    return ScanResult("preparing", family, groups[candidates[0]])


def _fan_region(
    session: Session, workspace_id: int, family: FanGroupFamily, customer_id: int
) -> str | None:
    if not family.match_region:
        return None
    from siyu.customers import service as customers

    return customers.get_customer(session, workspace_id, customer_id).region


def _candidates(session: Session, family: FanGroupFamily, region: str | None) -> list[int]:
    statement = select(FanGroup.id).where(
        FanGroup.workspace_id == family.workspace_id,
        FanGroup.family_id == family.id,
        FanGroup.status.in_(OPEN_STATUSES),
        FanGroup.member_count < FanGroup.capacity,
    )
    if family.match_region:
        statement = statement.where(FanGroup.region == region)
    return list(session.scalars(statement.order_by(FanGroup.number)))


def _seat_in_family(
    session: Session, family: FanGroupFamily, region: str | None
) -> FanGroup | None:
    for group_id in _candidates(session, family, region):
        if _take_seat(session, group_id):
            return session.get_one(FanGroup, group_id, populate_existing=True)
    return None


def _lock_family(session: Session, family: FanGroupFamily) -> None:
    """Newcomers of one family are seated one at a time (a row lock on PostgreSQL; SQLite's
    write lock already serialises). Seating always takes this lock first and a group row
    second, so two newcomers can never wait on each other in opposite orders, and parallel
    newcomers who all found the family full open one group, not one each."""
    session.execute(
        select(FanGroupFamily.id).where(FanGroupFamily.id == family.id).with_for_update()
    )


def _open_if_allowed(
    session: Session, family: FanGroupFamily, region: str | None, *, seated: bool = True
) -> tuple[FanGroup | None, bool]:
    """Every group is full: open the next one, unless the family is at its cap."""
    if family.max_groups is not None and _open_group_count(session, family) >= family.max_groups:
        return None, False
    return _open_next_group(session, family, region, seated=seated), True


def _open_group_count(session: Session, family: FanGroupFamily) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                FanGroup.workspace_id == family.workspace_id,
                FanGroup.family_id == family.id,
                FanGroup.status != "dismissed",
            )
        )
        or 0
    )


def _open_next_group(
    session: Session, family: FanGroupFamily, region: str | None, *, seated: bool = True
) -> FanGroup:
    number = int(
        session.scalar(select(FanGroupFamily.next_number).where(FanGroupFamily.id == family.id))
        or 1
    )
    session.execute(
        update(FanGroupFamily)
        .where(FanGroupFamily.id == family.id)
        .values(next_number=number + 1)
        .execution_options(synchronize_session=False)
    )
    label = f"{family.name_base}{region or ''}{number}群"
    group = FanGroup(
        workspace_id=family.workspace_id,
        name=label[:100],
        group_type=family.group_type,
        capacity=family.group_capacity,
        external_ref=f"live-{family.slug}-{number}",
        region=region,
        family_id=family.id,
        number=number,
        rules_text=None,
        status="activating",
        member_count=1 if seated else 0,  # the seat of the newcomer who opened it, if known
    )
    session.add(group)
    session.flush()
    return group


def _join(
    session: Session,
    group: FanGroup,
    customer_id: int,
    actor: Actor,
    family: FanGroupFamily,
    scene: str = "live_code",
) -> None:
    session.add(
        GroupMembership(
            workspace_id=group.workspace_id,
            group_id=group.id,
            customer_id=customer_id,
            member_ref=customer_ref(customer_id),
            role="member",
            scene=scene,
            joined_at=utcnow(),
        )
    )
    invitation = _invitation(session, family, customer_id)
    if invitation is not None:
        invitation.status = "joined"
        invitation.group_id = group.id
        invitation.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "community.live_code_join",
        workspace_id=group.workspace_id,
        target_type="group",
        target_id=group.id,
        detail={"customer": customer_id, "family": family.id, "scene": scene},
    )


def _invitation(
    session: Session, family: FanGroupFamily, customer_id: int
) -> GroupInvitation | None:
    return session.scalar(
        select(GroupInvitation).where(
            GroupInvitation.workspace_id == family.workspace_id,
            GroupInvitation.family_id == family.id,
            GroupInvitation.customer_id == customer_id,
        )
    )


def _waitlist(session: Session, family: FanGroupFamily, customer_id: int) -> int:
    invitation = _invitation(session, family, customer_id)
    if invitation is None:
        invitation = GroupInvitation(
            workspace_id=family.workspace_id,
            family_id=family.id,
            customer_id=customer_id,
            status="waitlisted",
        )
        session.add(invitation)
    else:
        invitation.status = "waitlisted"
        invitation.updated_at = utcnow()
    session.flush()
    return int(
        session.scalar(
            select(func.count()).where(
                GroupInvitation.workspace_id == family.workspace_id,
                GroupInvitation.family_id == family.id,
                GroupInvitation.status == "waitlisted",
                GroupInvitation.id <= invitation.id,
            )
        )
        or 0
    )


# --- admitting the waitlist -------------------------------------------------------------

ADMIT_BATCH = 500  # waitlisted fans looked at per call; the periodic sweep picks up the rest


@dataclass
class Admission:
    customer_id: int
    group: FanGroup
    opened_group: bool


def admit_waitlisted(session: Session, family: FanGroupFamily, actor: Actor) -> list[Admission]:
    """Seat a family's waitlisted fans, in waitlist order, while it has room: called when a
    member leaves, when a group's capacity or status changes and when the family's cap is
    raised (and by a periodic sweep). Holds the family lock, like routing, so a newcomer and
    an admission never take the same seat and a seat freed while someone waits goes to them.
    A fan who no longer meets the entry rules keeps their place and is passed over."""
    _lock_family(session, family)
    session.refresh(family)
    admitted: list[Admission] = []
    for invitation in _waiting(session, family):
        outcome = _admit_one(session, family, invitation, actor)
        if outcome == "full" and not family.match_region:
            break  # no room for anyone; a regional family may still have room in another region
        if isinstance(outcome, Admission):
            admitted.append(outcome)
    return admitted


def _waiting(session: Session, family: FanGroupFamily) -> list[GroupInvitation]:
    return list(
        session.scalars(
            select(GroupInvitation)
            .where(
                GroupInvitation.workspace_id == family.workspace_id,
                GroupInvitation.family_id == family.id,
                GroupInvitation.status == "waitlisted",
            )
            .order_by(GroupInvitation.id)
            .limit(ADMIT_BATCH)
        )
    )


def _admit_one(
    session: Session, family: FanGroupFamily, invitation: GroupInvitation, actor: Actor
) -> Admission | Literal["full", "passed_over", "already_member"]:
    customer_id = invitation.customer_id
    current = family_membership(session, family.workspace_id, family.id, customer_id)
    if current is not None:  # joined some other way meanwhile
        invitation.status, invitation.group_id, invitation.updated_at = (
            "joined",
            current.id,
            utcnow(),
        )
        return "already_member"
    try:
        eligible = check_eligibility(session, family.workspace_id, family, customer_id).eligible
    except NotFound:  # the fan was erased or merged away
        invitation.status, invitation.updated_at = "cancelled", utcnow()
        return "passed_over"
    if not eligible:
        return "passed_over"
    region = _fan_region(session, family.workspace_id, family, customer_id)
    group = _seat_in_family(session, family, region)
    opened = False
    if group is None:
        group, opened = _open_if_allowed(session, family, region)
    if group is None:
        return "full"
    _join(session, group, customer_id, actor, family, scene="invitation")
    return Admission(customer_id, group, opened)


def families_with_waitlist(session: Session) -> list[tuple[int, int]]:
    """(workspace id, family id) of every active family with someone waiting."""
    rows = session.execute(
        select(FanGroupFamily.workspace_id, FanGroupFamily.id)
        .join(GroupInvitation, GroupInvitation.family_id == FanGroupFamily.id)
        .where(FanGroupFamily.is_active.is_(True), GroupInvitation.status == "waitlisted")
        .distinct()
    )
    return [(int(w), int(f)) for w, f in rows]


# --- the invitation queue ---------------------------------------------------------------


def queue_invitations(
    session: Session, workspace_id: int, family_id: int, customer_ids: Sequence[int], actor: Actor
) -> tuple[int, list[tuple[int, list[tuple[str, int | None]]]]]:
    """Queue eligible fans for a family's invitation; returns (queued, refused with reasons).
    Fans already queued, waitlisted or in one of its groups are left as they are."""
    family = get_family(session, workspace_id, family_id)
    queued = 0
    refused = []
    for customer_id in dict.fromkeys(customer_ids):
        eligibility = check_eligibility(session, workspace_id, family, customer_id)
        if not eligibility.eligible:
            refused.append((customer_id, eligibility.reasons))
            continue
        if _invitation(session, family, customer_id) is not None:
            continue
        if family_membership(session, workspace_id, family.id, customer_id) is not None:
            continue
        session.add(
            GroupInvitation(
                workspace_id=workspace_id,
                family_id=family.id,
                customer_id=customer_id,
                status="queued",
            )
        )
        queued += 1
    session.flush()
    audit.record(
        session,
        actor,
        "community.invitations_queue",
        workspace_id=workspace_id,
        target_type="family",
        target_id=family.id,
        detail={"queued": queued, "refused": len(refused)},
    )
    return queued, refused


def list_invitations(
    session: Session,
    workspace_id: int,
    family_id: int,
    *,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[GroupInvitation], str | None]:
    get_family(session, workspace_id, family_id)
    statement = select(GroupInvitation).where(
        GroupInvitation.workspace_id == workspace_id, GroupInvitation.family_id == family_id
    )
    if status:
        statement = statement.where(GroupInvitation.status == status)
    return keyset_page(
        session, statement, GroupInvitation.id, cursor=cursor, limit=limit, descending=False
    )


# --- one fan's groups -------------------------------------------------------------------


def groups_of(
    session: Session, workspace_id: int, customer_id: int
) -> list[tuple[FanGroup, GroupMembership]]:
    """The fan's stays in groups, current ones first, newest first; 404 for a fan the
    workspace does not have."""
    require_customer(session, workspace_id, customer_id)
    rows = session.execute(
        select(FanGroup, GroupMembership)
        .join(GroupMembership, GroupMembership.group_id == FanGroup.id)
        .where(
            GroupMembership.workspace_id == workspace_id,
            GroupMembership.customer_id == customer_id,
        )
        .order_by(GroupMembership.left_at.is_not(None), GroupMembership.joined_at.desc())
        .limit(100)
    )
    return [(group, stay) for group, stay in rows]


def timeline_of(
    session: Session, workspace_id: int, customer_id: int, limit: int = 20
) -> list[TimelineEntry]:
    """Group joins and leaves for the 360 page's activity timeline."""
    entries = []
    for group, membership in groups_of(session, workspace_id, customer_id)[:limit]:
        href = f"/community/groups/{group.id}"
        entries.append(
            TimelineEntry(
                membership.joined_at,
                "group",
                gettext("Joined the group %(name)s") % {"name": group.name},
                href,
            )
        )
        if membership.left_at is not None:
            entries.append(
                TimelineEntry(
                    membership.left_at,
                    "group",
                    gettext("Left the group %(name)s") % {"name": group.name},
                    href,
                )
            )
    return entries


# --- read functions for outreach's playbooks ----------------------------------------------


def joined_since(
    session: Session, workspace_id: int, since: datetime
) -> list[tuple[int, datetime]]:
    """(fan, when) of every fan who joined a group since ``since`` (a playbook anchor)."""
    rows = session.execute(
        select(GroupMembership.customer_id, func.min(GroupMembership.joined_at))
        .where(
            GroupMembership.workspace_id == workspace_id,
            GroupMembership.joined_at >= since,
            GroupMembership.customer_id.is_not(None),
        )
        .group_by(GroupMembership.customer_id)
    )
    return [(int(c), joined) for c, joined in rows if c is not None]


def spoke_since(
    session: Session, workspace_id: int, customer_ids: list[int], since: datetime
) -> set[int]:
    """Which of the fans wrote a message since ``since`` (a playbook's "replied" stop)."""
    if not customer_ids:
        return set()
    return {
        int(c)
        for c in session.scalars(
            select(GroupMessage.customer_id)
            .where(
                GroupMessage.workspace_id == workspace_id,
                GroupMessage.customer_id.in_(customer_ids),
                GroupMessage.sender_role == "fan",
                GroupMessage.sent_at >= since,
            )
            .distinct()
        )
        if c is not None
    }


def left_since(
    session: Session, workspace_id: int, customer_ids: list[int], since: datetime
) -> set[int]:
    """Which of the fans left a group since ``since`` (a playbook's "left" stop)."""
    if not customer_ids:
        return set()
    return {
        int(c)
        for c in session.scalars(
            select(GroupMembership.customer_id)
            .where(
                GroupMembership.workspace_id == workspace_id,
                GroupMembership.customer_id.in_(customer_ids),
                GroupMembership.left_at >= since,
            )
            .distinct()
        )
        if c is not None
    }
