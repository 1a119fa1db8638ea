"""Business rules of fans: lookup, identities, tags, notes, personal data, merges, erasure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from siyu.customers.identities import (
    FanKey,
    Resolution,
    phone_hash,
    resolve_customers,
    undo_resolution,
)
from siyu.customers.intimacy_file import IntimacyFile
from siyu.customers.models import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerIntimacy,
    CustomerMerge,
    CustomerNote,
    CustomerTag,
    Tag,
    TagGroup,
)
from siyu.customers.platforms import IDENTITY_PLATFORMS
from siyu.db import UtcDateTime
from siyu.jobs import chunk_committed
from siyu.kit.clock import utcnow
from siyu.kit.crypto import decrypt_pii, mask_name
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import check_in_workspace, get_in_workspace, ids_in_workspace, insert_for
from siyu.orders import ownership as orders
from siyu.workspace import audit
from siyu.workspace.audit import Actor

__all__ = ["FanKey", "Resolution", "resolve_customers", "undo_resolution"]

MOBILE = re.compile(r"^1[3-9]\d{9}$")
PII_FIELDS = ("phone", "real_name", "address")
ERASED_NAME = "已注销用户"


def normalise_phone(text: str) -> str | None:
    """A valid, unmasked mainland mobile as 11 digits, else None."""
    digits = re.sub(r"[\s\-()']", "", text)
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    return digits if MOBILE.match(digits) else None


# --- lookup -----------------------------------------------------------------------------


def get_customer(session: Session, workspace_id: int, customer_id: int) -> Customer:
    not_found = NotFound("customer-not-found", title=N_("Fan not found"))
    return get_in_workspace(session, Customer, workspace_id, customer_id, not_found)


def require_customer(session: Session, workspace_id: int, customer_id: int) -> None:
    """404 ``customer-not-found`` unless the fan is one of the workspace's (merged and erased
    fans included): the check every read of one fan's rows in another domain begins with. By
    primary key, so a fan the request already loaded costs no query (the grab's hot path)."""
    get_customer(session, workspace_id, customer_id)


def live_fan_names(session: Session, workspace_id: int, limit: int) -> list[tuple[int, str | None]]:
    """(id, display name) of the workspace's first ``limit`` live fans, in id order."""
    rows = session.execute(
        select(Customer.id, Customer.display_name)
        .where(
            Customer.workspace_id == workspace_id,
            Customer.merged_into_id.is_(None),
            Customer.erased_at.is_(None),
        )
        .order_by(Customer.id)
        .limit(limit)
    )
    return [(int(i), name) for i, name in rows]


def customers_by_ids(session: Session, workspace_id: int, ids: list[int]) -> list[Customer]:
    """The workspace's fans with these ids, in the order given (unknown ids are left out)."""
    if not ids:
        return []
    rows = session.scalars(
        select(Customer).where(Customer.workspace_id == workspace_id, Customer.id.in_(ids))
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def count_live_customers(session: Session, workspace_id: int) -> int:
    """Fans neither merged into another nor erased."""
    live = (
        Customer.workspace_id == workspace_id,
        Customer.merged_into_id.is_(None),
        Customer.erased_at.is_(None),
    )
    return int(session.scalar(select(func.count()).select_from(Customer).where(*live)) or 0)


def check_live_customer(session: Session, workspace_id: int, customer_id: int) -> None:
    """404 for an unknown fan, 422 ``customer-not-live`` for a merged or erased one; one narrow
    SELECT (through the session, so pending changes are flushed first) for hot paths."""
    row = session.execute(
        select(Customer.merged_into_id, Customer.erased_at).where(
            Customer.workspace_id == workspace_id, Customer.id == customer_id
        )
    ).first()
    if row is None:
        raise NotFound("customer-not-found", title=N_("Fan not found"))
    if row.merged_into_id is not None or row.erased_at is not None:
        raise Unprocessable(
            "customer-not-live",
            title=N_("This fan was merged into another or erased"),
            merged_into_id=row.merged_into_id,
        )


def live_customers_among(workspace_id: int, candidates: Select[Any]) -> Subquery:
    """The live fans (neither merged nor erased) among ``candidates`` (a one-column select of
    customer ids), as a subquery with an ``id`` column, to use in set-based statements."""
    return (
        select(Customer.id)
        .where(
            Customer.workspace_id == workspace_id,
            Customer.id.in_(candidates),
            Customer.merged_into_id.is_(None),
            Customer.erased_at.is_(None),
        )
        .subquery("live_customers")
    )


def customer_ids_in_workspace(
    session: Session, workspace_id: int, customer_ids: Iterable[int]
) -> set[int]:
    """Which of the ids are fans of the workspace (one query)."""
    return ids_in_workspace(session, Customer, workspace_id, customer_ids)


def customer_ids_of_workspace(session: Session, workspace_id: int) -> list[int]:
    """Every fan id of the workspace, merged and erased ones included (their rows stay)."""
    return list(session.scalars(select(Customer.id).where(Customer.workspace_id == workspace_id)))


def check_customers(
    session: Session, workspace_id: int, customer_ids: Iterable[int | None], field: str
) -> None:
    """Every fan id a caller sent in ``field`` is a fan of the workspace, else 422 naming it."""
    check_in_workspace(session, Customer, workspace_id, customer_ids, field)


def consenting_ids(session: Session, workspace_id: int, customer_ids: Iterable[int]) -> set[int]:
    """Which of the fans agreed to marketing messages (outreach excludes the others)."""
    ids = list(customer_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 5000):
        found.update(
            session.scalars(
                select(Customer.id).where(
                    Customer.workspace_id == workspace_id,
                    Customer.id.in_(ids[start : start + 5000]),
                    Customer.consent_marketing.is_(True),
                )
            )
        )
    return found


def parse_identity(text: str) -> tuple[str, str]:
    platform, sep, external_id = text.partition(":")
    if not sep or platform not in IDENTITY_PLATFORMS or not external_id.strip():
        raise Unprocessable(
            "invalid-identity",
            title=N_("Invalid identity"),
            detail=N_("Write an identity as platform:id, e.g. taobao:小鹿爱吃糖."),
        )
    return platform, external_id.strip()


def search_customers(
    session: Session,
    workspace_id: int,
    *,
    q: str | None = None,
    identity: str | None = None,
    tag_id: int | None = None,
    platform: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Customer], str | None]:
    """Live customers (not merged away), newest first. ``q`` matches a nickname, a platform id,
    or exactly a phone number (by its keyed hash: phones are never searched in clear)."""
    statement = select(Customer).where(
        Customer.workspace_id == workspace_id, Customer.merged_into_id.is_(None)
    )
    if q and q.strip():
        statement = statement.where(_matches(workspace_id, q.strip()))
    if identity:
        ident_platform, external_id = parse_identity(identity)
        statement = statement.where(
            Customer.id.in_(_ids_with_identity(workspace_id, ident_platform, external_id))
        )
    if platform:
        statement = statement.where(
            Customer.id.in_(
                select(CustomerIdentity.customer_id).where(
                    CustomerIdentity.workspace_id == workspace_id,
                    CustomerIdentity.platform == platform,
                )
            )
        )
    if tag_id is not None:
        statement = statement.where(
            Customer.id.in_(
                select(CustomerTag.customer_id).where(
                    CustomerTag.workspace_id == workspace_id, CustomerTag.tag_id == tag_id
                )
            )
        )
    return keyset_page(session, statement, Customer.id, cursor=cursor, limit=limit)


def _matches(workspace_id: int, q: str) -> Any:
    phone = normalise_phone(q)
    if phone:
        return Customer.phone_hash == phone_hash(phone)
    by_identity = select(CustomerIdentity.customer_id).where(
        CustomerIdentity.workspace_id == workspace_id,
        or_(
            CustomerIdentity.external_id == q,
            CustomerIdentity.nickname.contains(q, autoescape=True),
        ),
    )
    return or_(Customer.display_name.contains(q, autoescape=True), Customer.id.in_(by_identity))


def _ids_with_identity(workspace_id: int, platform: str, external_id: str) -> Any:
    return select(CustomerIdentity.customer_id).where(
        CustomerIdentity.workspace_id == workspace_id,
        CustomerIdentity.platform == platform,
        CustomerIdentity.external_id == external_id,
    )


def count_customers(session: Session, workspace_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Customer)
            .where(Customer.workspace_id == workspace_id, Customer.merged_into_id.is_(None))
        )
        or 0
    )


def identities_of(session: Session, workspace_id: int, customer_id: int) -> list[CustomerIdentity]:
    return list(
        session.scalars(
            select(CustomerIdentity)
            .where(
                CustomerIdentity.workspace_id == workspace_id,
                CustomerIdentity.customer_id == customer_id,
            )
            .order_by(CustomerIdentity.id)
        )
    )


def identities_for(
    session: Session, workspace_id: int, customer_ids: list[int]
) -> dict[int, list[CustomerIdentity]]:
    found: dict[int, list[CustomerIdentity]] = {cid: [] for cid in customer_ids}
    if customer_ids:
        for identity in session.scalars(
            select(CustomerIdentity)
            .where(
                CustomerIdentity.workspace_id == workspace_id,
                CustomerIdentity.customer_id.in_(customer_ids),
            )
            .order_by(CustomerIdentity.id)
        ):
            found[identity.customer_id].append(identity)
    return found


def recent_events(
    session: Session, workspace_id: int, customer_id: int, limit: int = 20
) -> list[CustomerEvent]:
    """A fan's latest behaviour events (live views, fan-page visits, shares), newest first."""
    return list(
        session.scalars(
            select(CustomerEvent)
            .where(
                CustomerEvent.workspace_id == workspace_id,
                CustomerEvent.customer_id == customer_id,
            )
            .order_by(CustomerEvent.occurred_at.desc(), CustomerEvent.id.desc())
            .limit(limit)
        )
    )


def intimacy_of(session: Session, workspace_id: int, customer_id: int) -> dict[str, int]:
    rows = session.execute(
        select(CustomerIntimacy.platform, CustomerIntimacy.level).where(
            CustomerIntimacy.workspace_id == workspace_id,
            CustomerIntimacy.customer_id == customer_id,
        )
    ).all()
    return {platform: level for platform, level in rows}


# --- personal data ----------------------------------------------------------------------


@dataclass(frozen=True)
class MaskedPii:
    phone: str | None
    real_name: str | None
    has_address: bool


def masked_pii(customer: Customer) -> MaskedPii:
    """What any operator sees: 138****1234, 张**, whether an address is on file."""
    name = (
        decrypt_pii(customer.real_name_enc, context=b"real_name")
        if customer.real_name_enc
        else None
    )
    return MaskedPii(
        customer.phone_masked, mask_name(name) if name else None, customer.address_enc is not None
    )


def reveal_pii(
    session: Session,
    workspace_id: int,
    customer_id: int,
    actor: Actor,
    *,
    fields: tuple[str, ...] = PII_FIELDS,
    reason: str | None = None,
) -> dict[str, str | None]:
    """Personal data in clear: an audited read (who, when, which fields, why, from where)."""
    unknown = set(fields) - set(PII_FIELDS)
    if unknown:
        raise Unprocessable(
            "invalid-pii-field",
            title=N_("Unknown personal data field"),
            detail=", ".join(sorted(unknown)),
        )
    customer = get_customer(session, workspace_id, customer_id)
    blobs = {
        "phone": customer.phone_enc,
        "real_name": customer.real_name_enc,
        "address": customer.address_enc,
    }
    clear = {name: _decrypt(blobs[name], name) for name in fields}
    audit.record(
        session,
        actor,
        "customer.pii_read",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"fields": list(fields), "reason": reason},
    )
    return clear


def _decrypt(blob: bytes | None, field: str) -> str | None:
    return decrypt_pii(blob, context=field.encode()) if blob else None


def set_marketing_consent(
    session: Session, workspace_id: int, customer_id: int, consent: bool, actor: Actor
) -> Customer:
    """Record whether the fan agreed to marketing messages (PIPL: consent is kept, with when)."""
    customer = get_customer(session, workspace_id, customer_id)
    if customer.erased_at is not None:
        raise Conflict("customer-erased", title=N_("This fan's personal data was erased"))
    if customer.consent_marketing != consent:
        customer.consent_marketing = consent
        customer.consent_updated_at = utcnow()
        audit.record(
            session,
            actor,
            "customer.consent",
            workspace_id=workspace_id,
            target_type="customer",
            target_id=customer_id,
            detail={"marketing": consent},
        )
    return customer


# --- notes and tags ---------------------------------------------------------------------


def add_note(
    session: Session, workspace_id: int, customer_id: int, body: str, actor: Actor
) -> CustomerNote:
    body = body.strip()
    if not body or len(body) > 2000:
        raise Unprocessable("invalid-note", title=N_("A note needs 1 to 2,000 characters"))
    get_customer(session, workspace_id, customer_id)
    note = CustomerNote(
        workspace_id=workspace_id,
        customer_id=customer_id,
        body=body,
        operator_id=actor.id if actor.type == "operator" else None,
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor,
        "customer.note",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
    )
    return note


def notes_of(session: Session, workspace_id: int, customer_id: int) -> list[CustomerNote]:
    return list(
        session.scalars(
            select(CustomerNote)
            .where(
                CustomerNote.workspace_id == workspace_id, CustomerNote.customer_id == customer_id
            )
            .order_by(CustomerNote.id.desc())
        )
    )


def ensure_tag(
    session: Session,
    workspace_id: int,
    group_name: str,
    tag_name: str,
    actor: Actor,
    *,
    kind: str = "business",
) -> Tag:
    """The tag ``group_name / tag_name``, created (with its group) when new."""
    group_name, tag_name = group_name.strip(), tag_name.strip()
    if not (0 < len(group_name) <= 50 and 0 < len(tag_name) <= 50):
        raise Unprocessable("invalid-tag", title=N_("Tag and group names need 1 to 50 characters"))
    group = session.scalar(
        select(TagGroup).where(TagGroup.workspace_id == workspace_id, TagGroup.name == group_name)
    )
    if group is None:
        group = TagGroup(workspace_id=workspace_id, name=group_name, kind=kind)
        session.add(group)
        session.flush()
    tag = session.scalar(
        select(Tag).where(
            Tag.workspace_id == workspace_id, Tag.group_id == group.id, Tag.name == tag_name
        )
    )
    if tag is None:
        tag = Tag(workspace_id=workspace_id, group_id=group.id, name=tag_name)
        session.add(tag)
        session.flush()
        audit.record(
            session,
            actor,
            "tag.create",
            workspace_id=workspace_id,
            target_type="tag",
            target_id=tag.id,
            detail={"group": group_name, "tag": tag_name},
        )
    return tag


def get_tag(session: Session, workspace_id: int, tag_id: int) -> Tag:
    not_found = NotFound("tag-not-found", title=N_("Tag not found"))
    return get_in_workspace(session, Tag, workspace_id, tag_id, not_found)


def tag_catalog(session: Session, workspace_id: int) -> list[tuple[TagGroup, list[Tag]]]:
    groups = list(
        session.scalars(
            select(TagGroup)
            .where(TagGroup.workspace_id == workspace_id)
            .order_by(TagGroup.kind, TagGroup.name)
        )
    )
    tags = list(
        session.scalars(select(Tag).where(Tag.workspace_id == workspace_id).order_by(Tag.name))
    )
    return [(group, [t for t in tags if t.group_id == group.id]) for group in groups]


def tags_of(session: Session, workspace_id: int, customer_id: int) -> list[tuple[str, Tag]]:
    rows = session.execute(
        select(TagGroup.name, Tag)
        .join(Tag, Tag.group_id == TagGroup.id)
        .join(CustomerTag, CustomerTag.tag_id == Tag.id)
        .where(CustomerTag.workspace_id == workspace_id, CustomerTag.customer_id == customer_id)
        .order_by(TagGroup.name, Tag.name)
    ).all()
    return [(group_name, tag) for group_name, tag in rows]


def tag_customer(
    session: Session, workspace_id: int, customer_id: int, tag_id: int, actor: Actor
) -> None:
    get_customer(session, workspace_id, customer_id)
    get_tag(session, workspace_id, tag_id)
    insert = insert_for(session)
    session.execute(
        insert(CustomerTag)
        .values(
            workspace_id=workspace_id,
            customer_id=customer_id,
            tag_id=tag_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    audit.record(
        session,
        actor,
        "customer.tag",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"tag_id": tag_id},
    )


def sync_tag_members(
    session: Session, workspace_id: int, tag_id: int, members: Select[Any]
) -> None:
    """Exactly the fans ``members`` selects (one column of customer ids) carry the tag: it is
    dropped from the others and added to the rest, in two statements (segments' auto tags)."""
    session.execute(
        delete(CustomerTag).where(
            CustomerTag.workspace_id == workspace_id,
            CustomerTag.tag_id == tag_id,
            CustomerTag.customer_id.not_in(members),
        )
    )
    tagged = select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag_id)
    member_id = members.selected_columns[0]
    missing = members.where(member_id.not_in(tagged)).add_columns(
        literal(tag_id), literal(workspace_id), literal(utcnow(), UtcDateTime())
    )
    session.execute(
        insert(CustomerTag).from_select(
            ["customer_id", "tag_id", "workspace_id", "created_at"], missing
        )
    )


def untag_customer(
    session: Session, workspace_id: int, customer_id: int, tag_id: int, actor: Actor
) -> None:
    get_customer(session, workspace_id, customer_id)
    get_tag(session, workspace_id, tag_id)
    session.execute(
        delete(CustomerTag).where(
            CustomerTag.workspace_id == workspace_id,
            CustomerTag.customer_id == customer_id,
            CustomerTag.tag_id == tag_id,
        )
    )
    audit.record(
        session,
        actor,
        "customer.untag",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"tag_id": tag_id},
    )


# --- identities, merge and split --------------------------------------------------------


def link_identity(
    session: Session,
    workspace_id: int,
    customer_id: int,
    platform: str,
    external_id: str,
    actor: Actor,
    *,
    nickname: str | None = None,
    source: str = "manual",
) -> CustomerIdentity:
    platform, external_id = parse_identity(f"{platform}:{external_id}")
    customer = get_customer(session, workspace_id, customer_id)
    if customer.merged_into_id is not None:
        raise Conflict("customer-merged", title=N_("This fan was merged into another"))
    existing = session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.workspace_id == workspace_id,
            CustomerIdentity.platform == platform,
            CustomerIdentity.external_id == external_id,
        )
    )
    if existing is not None:
        if existing.customer_id == customer_id:
            return existing
        raise Conflict(
            "identity-taken",
            title=N_("This identity belongs to another fan"),
            detail=N_("Merge the two fans instead."),
            other_customer_id=existing.customer_id,
        )
    identity = CustomerIdentity(
        workspace_id=workspace_id,
        customer_id=customer_id,
        platform=platform,
        external_id=external_id,
        nickname=nickname,
        source=source,
    )
    session.add(identity)
    session.flush()
    audit.record(
        session,
        actor,
        "customer.link_identity",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"identity": f"{platform}:{external_id}"},
    )
    return identity


def split_identity(
    session: Session, workspace_id: int, customer_id: int, identity_id: int, actor: Actor
) -> Customer:
    """Move one identity, and the orders bought under it, to a new customer of its own."""

    identity = session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.workspace_id == workspace_id,
            CustomerIdentity.id == identity_id,
            CustomerIdentity.customer_id == customer_id,
        )
    )
    if identity is None:
        raise NotFound("identity-not-found", title=N_("Identity not found"))
    if len(identities_of(session, workspace_id, customer_id)) < 2:
        raise Conflict("last-identity", title=N_("A fan's only identity cannot be split off"))
    source = get_customer(session, workspace_id, customer_id)
    now = utcnow()
    fresh = Customer(
        workspace_id=workspace_id,
        display_name=identity.nickname or source.display_name,
        source_channel=identity.platform,
        first_seen_at=identity.created_at or now,
    )
    session.add(fresh)
    session.flush()
    identity.customer_id = fresh.id
    moved = orders.reassign_orders(
        session,
        workspace_id,
        customer_id,
        fresh.id,
        platform=identity.platform,
        buyer_id=identity.external_id,
    )
    audit.record(
        session,
        actor,
        "customer.split",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={
            "identity": f"{identity.platform}:{identity.external_id}",
            "new_customer_id": fresh.id,
            "orders_moved": len(moved),
        },
    )
    return fresh


def merge_customers(
    session: Session, workspace_id: int, target_id: int, source_id: int, actor: Actor
) -> CustomerMerge:
    """Fold ``source`` into ``target``: identities, orders, tags, notes, events, intimacy and
    (if the target has none) the phone. The source stays as a tombstone; see ``undo_merge``."""

    if target_id == source_id:
        raise Unprocessable("merge-self", title=N_("A fan cannot be merged into itself"))
    target = get_customer(session, workspace_id, target_id)
    source = get_customer(session, workspace_id, source_id)
    if target.merged_into_id or source.merged_into_id:
        raise Conflict("customer-merged", title=N_("This fan was merged into another"))
    moved: dict[str, Any] = {
        "identities": _move(session, CustomerIdentity, workspace_id, source_id, target_id),
        "notes": _move(session, CustomerNote, workspace_id, source_id, target_id),
        "events": _move(session, CustomerEvent, workspace_id, source_id, target_id),
        "tags": _move_unique(
            session, CustomerTag, CustomerTag.tag_id, workspace_id, source_id, target_id
        ),
        "intimacy": _move_unique(
            session, CustomerIntimacy, CustomerIntimacy.platform, workspace_id, source_id, target_id
        ),
        "orders": orders.reassign_orders(session, workspace_id, source_id, target_id),
        "phone": False,
    }
    source.merged_into_id = target_id
    session.flush()  # frees the phone for the target (unique among live customers)
    if target.phone_hash is None and source.phone_hash is not None:
        for attribute in ("phone_hash", "phone_enc", "phone_masked"):
            setattr(target, attribute, getattr(source, attribute))
        moved["phone"] = True
    merge = CustomerMerge(
        workspace_id=workspace_id,
        target_id=target_id,
        source_id=source_id,
        moved=moved,
        operator_id=actor.id if actor.type == "operator" else None,
    )
    session.add(merge)
    session.flush()
    audit.record(
        session,
        actor,
        "customer.merge",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=target_id,
        detail={
            "source_id": source_id,
            "merge_id": merge.id,
            **{key: len(value) for key, value in moved.items() if isinstance(value, list)},
        },
    )
    return merge


def undo_merge(session: Session, workspace_id: int, merge_id: int, actor: Actor) -> CustomerMerge:

    not_found = NotFound("merge-not-found", title=N_("Merge not found"))
    merge = get_in_workspace(session, CustomerMerge, workspace_id, merge_id, not_found)
    if merge.undone_at is not None:
        raise Conflict("merge-undone", title=N_("This merge was already undone"))
    target = get_customer(session, workspace_id, merge.target_id)
    source = get_customer(session, workspace_id, merge.source_id)
    moved = merge.moved
    for model, key in (
        (CustomerIdentity, "identities"),
        (CustomerNote, "notes"),
        (CustomerEvent, "events"),
        (CustomerTag, "tags"),
        (CustomerIntimacy, "intimacy"),
    ):
        if moved.get(key):
            session.execute(
                update(model)
                .where(model.workspace_id == workspace_id, model.id.in_(moved[key]))
                .values(customer_id=source.id)
            )
    orders.move_orders(session, workspace_id, moved.get("orders", []), source.id)
    if moved.get("phone"):
        target.phone_hash = target.phone_enc = target.phone_masked = None
        session.flush()
    source.merged_into_id = None
    merge.undone_at = utcnow()
    audit.record(
        session,
        actor,
        "customer.unmerge",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=target.id,
        detail={"source_id": source.id, "merge_id": merge.id},
    )
    return merge


def merges_into(session: Session, workspace_id: int, customer_id: int) -> list[CustomerMerge]:
    return list(
        session.scalars(
            select(CustomerMerge)
            .where(
                CustomerMerge.workspace_id == workspace_id, CustomerMerge.target_id == customer_id
            )
            .order_by(CustomerMerge.id.desc())
        )
    )


def _move(
    session: Session, model: Any, workspace_id: int, source_id: int, target_id: int
) -> list[int]:
    ids = list(
        session.scalars(
            select(model.id).where(
                model.workspace_id == workspace_id, model.customer_id == source_id
            )
        )
    )
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values(customer_id=target_id))
    return ids


def _move_unique(
    session: Session, model: Any, key: Any, workspace_id: int, source_id: int, target_id: int
) -> list[int]:
    """Move rows keyed per customer (a tag, a platform); where the target has one, keep it."""
    taken = select(key).where(model.workspace_id == workspace_id, model.customer_id == target_id)
    ids = list(
        session.scalars(
            select(model.id).where(
                model.workspace_id == workspace_id,
                model.customer_id == source_id,
                key.not_in(taken),
            )
        )
    )
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values(customer_id=target_id))
    return ids


# --- erasure and export (PIPL) ----------------------------------------------------------


def erase_customer(session: Session, workspace_id: int, customer_id: int, actor: Actor) -> Customer:
    """Erase a fan's personal data on request. Orders stay, anonymous, for the books."""

    customer = get_customer(session, workspace_id, customer_id)
    for attribute in (
        "phone_hash",
        "phone_enc",
        "phone_masked",
        "real_name_enc",
        "address_enc",
        "region",
    ):
        setattr(customer, attribute, None)
    customer.display_name = ERASED_NAME
    customer.consent_marketing = False
    customer.erased_at = utcnow()
    for model in (CustomerIdentity, CustomerNote, CustomerEvent, CustomerTag, CustomerIntimacy):
        session.execute(
            delete(model).where(
                model.workspace_id == workspace_id, model.customer_id == customer_id
            )
        )
    scrubbed = orders.anonymise_orders(session, workspace_id, customer_id)
    audit.record(
        session,
        actor,
        "customer.erase",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"orders_anonymised": scrubbed},
    )
    return customer


def export_customer(
    session: Session, workspace_id: int, customer_id: int, actor: Actor
) -> dict[str, Any]:
    """Everything Siyu holds about one fan, personal data in clear (an audited read)."""

    customer = get_customer(session, workspace_id, customer_id)
    pii = reveal_pii(session, workspace_id, customer_id, actor, reason="export")
    return {
        "customer": {
            "id": customer.id,
            "display_name": customer.display_name,
            "region": customer.region,
            "source_channel": customer.source_channel,
            "first_seen_at": _iso(customer.first_seen_at),
            "consent_marketing": customer.consent_marketing,
            **pii,
        },
        "identities": [
            {
                "platform": i.platform,
                "external_id": i.external_id,
                "nickname": i.nickname,
                "source": i.source,
            }
            for i in identities_of(session, workspace_id, customer_id)
        ],
        "intimacy": intimacy_of(session, workspace_id, customer_id),
        "tags": [
            f"{group}/{tag.name}" for group, tag in tags_of(session, workspace_id, customer_id)
        ],
        "notes": [
            {"body": n.body, "created_at": _iso(n.created_at)}
            for n in notes_of(session, workspace_id, customer_id)
        ],
        "orders": orders.orders_for_export(session, workspace_id, customer_id),
        "events": [
            {"kind": e.kind, "occurred_at": _iso(e.occurred_at), "properties": e.properties}
            for e in session.scalars(
                select(CustomerEvent)
                .where(
                    CustomerEvent.workspace_id == workspace_id,
                    CustomerEvent.customer_id == customer_id,
                )
                .order_by(CustomerEvent.id)
            )
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- behaviour events and intimacy ------------------------------------------------------


@dataclass(frozen=True)
class EventIn:
    idempotency_key: str
    kind: str
    occurred_at: datetime
    customer_id: int | None = None
    identity: str | None = None
    properties: dict[str, Any] | None = None


def record_events(session: Session, workspace_id: int, events: list[EventIn]) -> tuple[int, int]:
    """Store events once per idempotency key; an unknown identity becomes a new fan (a live
    viewer who has not bought yet is still a fan). Returns (accepted, duplicates)."""
    keys = [_event_key(e) for e in events]
    resolved = resolve_customers(session, workspace_id, [k for k in keys if k is not None])
    by_key = iter(resolved.customer_ids)
    rows: list[dict[str, Any]] = []
    owners: list[int] = []
    for event, key in zip(events, keys, strict=True):
        customer_id = next(by_key) if key is not None else event.customer_id
        if customer_id is None:
            raise Unprocessable(
                "event-without-fan", title=N_("Each event needs customer_id or identity")
            )
        rows.append(
            {
                "workspace_id": workspace_id,
                "customer_id": customer_id,
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "idempotency_key": event.idempotency_key,
                "properties": event.properties or {},
                "created_at": utcnow(),
            }
        )
        owners.append(customer_id)
    if not rows:
        return 0, 0
    wanted = {customer_id for customer_id in owners}
    missing = sorted(wanted - _known_customer_ids(session, workspace_id, wanted))
    if missing:
        raise Unprocessable(
            "customer-not-found",
            title=N_("Fan not found"),
            detail=", ".join(str(m) for m in missing),
        )
    insert = insert_for(session)
    result = session.execute(
        insert(CustomerEvent).values(rows).on_conflict_do_nothing().returning(CustomerEvent.id)
    )
    accepted = len(result.all())
    return accepted, len(rows) - accepted


EVENT_BATCH = 5_000


def record_events_of_known_fans(
    session: Session, workspace_id: int, events: Iterable[EventIn]
) -> None:
    """Store events whose fan ids the caller already holds (read from the store, never from a
    request) in batches of plain inserts: the bulk path of seeds and backfills, with neither
    identity resolution nor a check per fan. Keys must be new."""
    now = utcnow()
    rows = [
        {
            "workspace_id": workspace_id,
            "customer_id": event.customer_id,
            "kind": event.kind,
            "occurred_at": event.occurred_at,
            "idempotency_key": event.idempotency_key,
            "properties": event.properties or {},
            "created_at": now,
        }
        for event in events
    ]
    for start in range(0, len(rows), EVENT_BATCH):
        session.execute(insert(CustomerEvent), rows[start : start + EVENT_BATCH])


def _event_key(event: EventIn) -> FanKey | None:
    if event.identity is None:
        return None
    platform, external_id = parse_identity(event.identity)
    return FanKey(platform=platform, external_id=external_id, phone=None, seen_at=event.occurred_at)


def link_states(session: Session, workspace_id: int, ids: list[int]) -> dict[int, str]:
    """customer id → "live", "customer-merged" or "customer-erased" (unknown ids are absent):
    whether a fan link may open as each, in one query."""
    if not ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.merged_into_id, Customer.erased_at).where(
            Customer.workspace_id == workspace_id, Customer.id.in_(ids)
        )
    )
    return {
        int(row.id): "customer-merged"
        if row.merged_into_id is not None
        else "customer-erased"
        if row.erased_at is not None
        else "live"
        for row in rows
    }


def _known_customer_ids(session: Session, workspace_id: int, ids: set[int]) -> set[int]:
    return set(
        session.scalars(
            select(Customer.id).where(Customer.workspace_id == workspace_id, Customer.id.in_(ids))
        )
    )


INTIMACY_BATCH = 5_000


def import_intimacy_file(
    session: Session, workspace_id: int, source: str, parsed: IntimacyFile, actor: Actor
) -> dict[str, Any]:
    """Apply a parsed intimacy file in batches; one audit entry with the counts, returned."""
    updated = unknown = 0
    for start in range(0, len(parsed.levels), INTIMACY_BATCH):
        done, missing = set_intimacy(
            session, workspace_id, parsed.levels[start : start + INTIMACY_BATCH]
        )
        chunk_committed(session)
        updated, unknown = updated + done, unknown + missing
    summary = {
        "file": source,
        "rows_read": parsed.rows_read,
        "rows_rejected": len(parsed.rejected),
        "updated": updated,
        "unknown_fans": unknown,
    }
    audit.record(
        session, actor, "customer.intimacy_import", workspace_id=workspace_id, detail=summary
    )
    return summary


def set_intimacy(
    session: Session, workspace_id: int, levels: list[tuple[str, str, int]]
) -> tuple[int, int]:
    """Import (platform, external_id, level) rows; returns (updated, unknown identities).
    Identities are looked up one platform at a time, on the unique identity index."""
    ids_by_platform: dict[str, set[str]] = {}
    for platform, external_id, _ in levels:
        ids_by_platform.setdefault(platform, set()).add(external_id)
    resolved: dict[str, int] = {}
    for platform, ids in ids_by_platform.items():
        rows_found = session.execute(
            select(CustomerIdentity.external_id, CustomerIdentity.customer_id).where(
                CustomerIdentity.workspace_id == workspace_id,
                CustomerIdentity.platform == platform,
                CustomerIdentity.external_id.in_(ids),
            )
        )
        resolved.update({f"{platform}:{e}": c for e, c in rows_found})
    latest: dict[tuple[int, str], int] = {}
    matched = 0
    for platform, external_id, level in levels:
        customer_id = resolved.get(f"{platform}:{external_id}")
        if customer_id is not None:
            # A fan listed twice keeps the later level (and an upsert may touch a row once).
            latest[(customer_id, platform)] = level
            matched += 1
    now = utcnow()
    rows = [
        {
            "workspace_id": workspace_id,
            "customer_id": customer_id,
            "platform": platform,
            "level": level,
            "updated_at": now,
        }
        for (customer_id, platform), level in latest.items()
    ]
    insert = insert_for(session)
    if rows:
        stmt = insert(CustomerIntimacy).values(rows)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["workspace_id", "customer_id", "platform"],
                set_={"level": stmt.excluded.level, "updated_at": stmt.excluded.updated_at},
            )
        )
    return matched, len(levels) - matched


def customer_by_identity(
    session: Session, workspace_id: int, platform: str, external_id: str
) -> int | None:
    """The fan holding the identity ``platform:external_id`` in the workspace, if any."""
    customer_id = session.scalar(_ids_with_identity(workspace_id, platform, external_id))
    return int(customer_id) if customer_id is not None else None


def tag_ids_of(session: Session, workspace_id: int, customer_ids: list[int]) -> dict[int, set[int]]:
    """Fan id → the ids of its tags, for many fans in one query."""
    found: dict[int, set[int]] = {customer_id: set() for customer_id in customer_ids}
    if customer_ids:
        rows = session.execute(
            select(CustomerTag.customer_id, CustomerTag.tag_id).where(
                CustomerTag.workspace_id == workspace_id,
                CustomerTag.customer_id.in_(customer_ids),
            )
        )
        for customer_id, tag_id in rows:
            found[customer_id].add(tag_id)
    return found
