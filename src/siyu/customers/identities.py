"""Identity resolution: which customer a platform buyer or a phone number belongs to.

A batch of keys is resolved with a few bulk queries (identities by ``(platform, external_id)``,
live customers by phone hash); the missing customers and identities are then inserted in bulk.
Rules, in order, for each key:

1. a known ``(platform, external_id)`` identity decides the customer;
2. otherwise a valid phone already on a live customer decides it (phones cross platforms);
3. otherwise a new customer is created (once per batch, even if the key repeats).

A new identity or phone learned along the way is attached to the chosen customer, unless the
phone already belongs to another customer: conflicting evidence is never merged automatically;
operators merge by hand (audited, reversible).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from siyu.customers.models import Customer, CustomerIdentity
from siyu.kit.bulk import insert_returning_ids, insert_rows
from siyu.kit.clock import utcnow
from siyu.kit.crypto import encrypt_pii, mask_phone, pii_hash

PHONE_KIND = "phone"
# New customers and identities go in through the tables with the driver's executemany
# (siyu.kit.bulk): imports create fans by the hundred thousand.
_CUSTOMERS = cast(Table, Customer.__table__)
_IDENTITIES = cast(Table, CustomerIdentity.__table__)
# Provincial-level divisions, as addresses begin with them ("上海市徐汇区…", "广东省深圳市…").
PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)


@dataclass(frozen=True)
class FanKey:
    platform: str
    external_id: str | None
    phone: str | None
    nickname: str | None = None
    region: str | None = None
    real_name: str | None = None
    address: str | None = None
    seen_at: datetime | None = None


@dataclass
class Resolution:
    customer_ids: list[int | None]
    created: int
    undo: ResolutionUndo = field(default_factory=lambda: ResolutionUndo([], [], {}))


@dataclass
class ResolutionUndo:
    """What a resolution wrote, so that an import that fails later can take it back: the fans
    it created, the identities it added, the phones it attached (to fans that had none)."""

    customer_ids: list[int]
    identities: list[tuple[str, str]]
    phones: dict[int, str]

    def as_json(self) -> dict[str, object]:
        return {
            "customers": self.customer_ids,
            "identities": [list(key) for key in self.identities],
            "phones": {str(c): hashed for c, hashed in self.phones.items()},
        }


def phone_hash(phone: str) -> str:
    return pii_hash(phone, kind=PHONE_KIND)


@dataclass
class _Batch:
    """Working state of one resolution: what the store knows plus what this batch adds."""

    by_identity: dict[tuple[str, str], int | str] = field(default_factory=dict)
    by_phone: dict[str, int | str] = field(default_factory=dict)
    phone_of: dict[int, str | None] = field(default_factory=dict)
    new_customers: dict[str, dict[str, object]] = field(default_factory=dict)
    new_identities: dict[tuple[str, str], tuple[int | str, str | None]] = field(
        default_factory=dict
    )
    phones_to_attach: dict[int, tuple[str, str]] = field(default_factory=dict)


def resolve_customers(session: Session, workspace_id: int, keys: Sequence[FanKey]) -> Resolution:
    hashes = {key.phone: phone_hash(key.phone) for key in keys if key.phone}
    batch = _load(session, workspace_id, keys, hashes)
    chosen = [_choose(batch, key, hashes) for key in keys]
    created_ids = _insert_customers(session, workspace_id, batch)
    _insert_identities(session, workspace_id, batch, created_ids)
    _attach_phones(session, batch)

    def final(ref: int | str | None) -> int | None:
        return created_ids[ref] if isinstance(ref, str) else ref

    undo = ResolutionUndo(
        list(created_ids.values()),
        [(platform, external_id[:128]) for platform, external_id in batch.new_identities],
        {customer_id: hashed for customer_id, (hashed, _) in batch.phones_to_attach.items()},
    )
    return Resolution([final(ref) for ref in chosen], len(created_ids), undo)


def undo_resolution(session: Session, workspace_id: int, undo: dict[str, Any]) -> None:
    """Take back what one resolution wrote (``ResolutionUndo.as_json``), newest first: the
    identities it added, the phones it attached (only where the fan still has that phone),
    then the fans it created. The caller has removed what it attached to those fans."""
    identities = [tuple(key) for key in undo.get("identities", [])]
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in identities:
        by_platform.setdefault(platform, []).append(external_id)
    for platform, external_ids in by_platform.items():
        session.execute(
            delete(CustomerIdentity).where(
                CustomerIdentity.workspace_id == workspace_id,
                CustomerIdentity.platform == platform,
                CustomerIdentity.external_id.in_(external_ids),
            )
        )
    for customer_id, hashed in undo.get("phones", {}).items():
        session.execute(
            update(Customer)
            .where(
                Customer.workspace_id == workspace_id,
                Customer.id == int(customer_id),
                Customer.phone_hash == hashed,
            )
            .values(phone_hash=None, phone_enc=None, phone_masked=None, updated_at=utcnow())
        )
    created = [int(c) for c in undo.get("customers", [])]
    if created:
        session.execute(
            delete(Customer).where(Customer.workspace_id == workspace_id, Customer.id.in_(created))
        )


def _load(
    session: Session, workspace_id: int, keys: Sequence[FanKey], phone_hashes: dict[str, str]
) -> _Batch:
    """What the store knows of the batch's keys. Each query is shaped to be answered from an
    index (one platform at a time; live phones through the partial unique index): a scan of
    the workspace per batch would make a large import quadratic."""
    batch = _Batch()
    external_ids: dict[str, set[str]] = {}
    for key in keys:
        if key.external_id:
            external_ids.setdefault(key.platform, set()).add(key.external_id)
    for platform, ids in external_ids.items():
        rows = session.execute(
            select(CustomerIdentity.external_id, CustomerIdentity.customer_id).where(
                CustomerIdentity.workspace_id == workspace_id,
                CustomerIdentity.platform == platform,
                CustomerIdentity.external_id.in_(ids),
            )
        )
        batch.by_identity.update({(platform, e): c for e, c in rows})
    hashes = set(phone_hashes.values())
    if hashes:
        live = session.execute(
            select(Customer.id, Customer.phone_hash).where(
                Customer.workspace_id == workspace_id,
                Customer.phone_hash.in_(hashes),
                Customer.merged_into_id.is_(None),
                Customer.phone_hash.is_not(None),
            )
        )
        for customer_id, hashed in live:
            if hashed is not None:  # always, by the query: this tells the type checker
                batch.phone_of[customer_id] = hashed
                batch.by_phone[hashed] = customer_id
    known_ids = {int(c) for c in batch.by_identity.values()} - batch.phone_of.keys()
    if known_ids:
        owners = session.execute(
            select(Customer.id, Customer.phone_hash).where(
                Customer.workspace_id == workspace_id, Customer.id.in_(known_ids)
            )
        )
        batch.phone_of.update({customer_id: hashed for customer_id, hashed in owners})
    return batch


def _choose(batch: _Batch, key: FanKey, phone_hashes: dict[str, str]) -> int | str | None:
    identity = (key.platform, key.external_id) if key.external_id else None
    hashed = phone_hashes[key.phone] if key.phone else None
    ref = batch.by_identity.get(identity) if identity else None
    if ref is None and hashed:
        ref = batch.by_phone.get(hashed)
    if ref is None:
        if identity is None and hashed is None:
            return None
        ref = _new_customer(batch, key, hashed)
    if identity and identity not in batch.by_identity:
        batch.by_identity[identity] = ref
        batch.new_identities[identity] = (ref, key.nickname)
    if hashed and hashed not in batch.by_phone and not _has_phone(batch, ref):
        batch.by_phone[hashed] = ref
        if isinstance(ref, int):
            batch.phones_to_attach[ref] = (hashed, key.phone or "")
            batch.phone_of[ref] = hashed
    return ref


def _has_phone(batch: _Batch, ref: int | str) -> bool:
    if isinstance(ref, str):
        return batch.new_customers[ref]["phone_hash"] is not None
    return batch.phone_of.get(ref) is not None


def _new_customer(batch: _Batch, key: FanKey, hashed: str | None) -> str:
    ref = f"new{len(batch.new_customers)}"
    now = utcnow()
    batch.new_customers[ref] = {
        "display_name": (key.nickname or "")[:100] or None,
        "region": (key.region or province_of(key.address) or "")[:64] or None,
        "source_channel": key.platform,
        "first_seen_at": key.seen_at or now,
        "phone_hash": hashed,
        "phone_enc": encrypt_pii(key.phone, context=b"phone") if key.phone else None,
        "phone_masked": mask_phone(key.phone) if key.phone else None,
        "real_name_enc": encrypt_pii(key.real_name, context=b"real_name")
        if key.real_name
        else None,
        "address_enc": encrypt_pii(key.address, context=b"address") if key.address else None,
        "created_at": now,
        "updated_at": now,
    }
    if hashed:
        batch.by_phone[hashed] = ref
    return ref


def province_of(address: str | None) -> str | None:
    """The province an address starts with, when the export has no province column."""
    text = (address or "").strip()
    return next((name for name in PROVINCES if text.startswith(name)), None)


def _insert_customers(session: Session, workspace_id: int, batch: _Batch) -> dict[str, int]:
    if not batch.new_customers:
        return {}
    refs = list(batch.new_customers)
    rows = [batch.new_customers[ref] | {"workspace_id": workspace_id} for ref in refs]
    return dict(zip(refs, insert_returning_ids(session, _CUSTOMERS, rows), strict=True))


def _insert_identities(
    session: Session, workspace_id: int, batch: _Batch, created_ids: dict[str, int]
) -> None:
    if not batch.new_identities:
        return
    now = utcnow()
    rows = [
        {
            "workspace_id": workspace_id,
            "customer_id": created_ids[ref] if isinstance(ref, str) else ref,
            "platform": platform,
            "external_id": external_id[:128],
            "nickname": (nickname or "")[:100] or None,
            "source": "import",
            "created_at": now,
        }
        for (platform, external_id), (ref, nickname) in batch.new_identities.items()
    ]
    insert_rows(session, _IDENTITIES, rows)


def _attach_phones(session: Session, batch: _Batch) -> None:
    if not batch.phones_to_attach:
        return
    now = utcnow()
    session.execute(
        update(Customer),
        [
            {
                "id": customer_id,
                "phone_hash": hashed,
                "phone_enc": encrypt_pii(phone, context=b"phone"),
                "phone_masked": mask_phone(phone),
                "updated_at": now,
            }
            for customer_id, (hashed, phone) in batch.phones_to_attach.items()
        ],
    )
