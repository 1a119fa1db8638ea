"""Fan rules: search, personal data, tags, notes, merge and split, erasure and export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.identities import FanKey
from siyu.customers.models import Customer, CustomerIdentity
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.orders.models import Order
from siyu.workspace.audit import Actor
from siyu.workspace.models import AuditEntry, Workspace

ACTOR = Actor("system", label="tests")


def _fan(
    session: Session,
    ws: Workspace,
    platform: str,
    buyer: str | None,
    phone: str | None,
    **extra: str,
) -> int:
    (cid,) = service.resolve_customers(
        session, ws.id, [FanKey(platform, buyer, phone, **extra)]
    ).customer_ids
    assert cid is not None
    return cid


def _order(
    session: Session,
    ws: Workspace,
    customer_id: int,
    platform: str,
    order_no: str,
    buyer_id: str | None,
    paid_fen: int = 9900,
) -> Order:
    order = Order(
        workspace_id=ws.id,
        customer_id=customer_id,
        platform=platform,
        order_no=order_no,
        status="completed",
        paid_amount_fen=paid_fen,
        paid_at=datetime(2026, 6, 18, 12, tzinfo=UTC),
        buyer_id=buyer_id,
        buyer_nick=buyer_id,
        content_hash="x",
        raw={"收货人姓名": "林小鹿"},
    )
    session.add(order)
    session.flush()
    return order


def _actions(session: Session, ws: Workspace) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.workspace_id == ws.id)
            .order_by(AuditEntry.id)
        )
    )


def test_search_by_nickname_identity_and_exact_phone(
    session: Session, workspace: Workspace
) -> None:
    lu = _fan(session, workspace, "taobao", "小鹿爱吃糖", "13800001111", nickname="小鹿爱吃糖")
    _fan(session, workspace, "douyin", "dy_42", None, nickname="橘子汽水")
    assert [c.id for c in service.search_customers(session, workspace.id, q="小鹿")[0]] == [lu]
    assert [
        c.id for c in service.search_customers(session, workspace.id, q="138 0000 1111")[0]
    ] == [lu]
    assert (
        service.search_customers(session, workspace.id, q="1380000")[0] == []
    )  # no partial phones
    found = service.search_customers(session, workspace.id, identity="taobao:小鹿爱吃糖")[0]
    assert [c.id for c in found] == [lu]
    assert len(service.search_customers(session, workspace.id, platform="douyin")[0]) == 1
    with pytest.raises(Unprocessable):
        service.search_customers(session, workspace.id, identity="nowhere:1")
    assert service.search_customers(session, workspace.id, q="%")[0] == []


def test_personal_data_masked_until_revealed_with_audit(
    session: Session, workspace: Workspace
) -> None:
    cid = _fan(
        session,
        workspace,
        "taobao",
        "tb",
        "13800001111",
        real_name="林小鹿",
        address="上海市徐汇区",
    )
    masked = service.masked_pii(service.get_customer(session, workspace.id, cid))
    assert (masked.phone, masked.real_name, masked.has_address) == ("138****1111", "林**", True)
    assert "customer.pii_read" not in _actions(session, workspace)
    clear = service.reveal_pii(session, workspace.id, cid, ACTOR, fields=("phone",), reason="回访")
    assert clear == {"phone": "13800001111"}
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "customer.pii_read")
    ).one()
    assert entry.detail == {"fields": ["phone"], "reason": "回访"}
    with pytest.raises(Unprocessable):
        service.reveal_pii(session, workspace.id, cid, ACTOR, fields=("password",))


def test_tags_and_notes(session: Session, workspace: Workspace) -> None:
    cid = _fan(session, workspace, "taobao", "tb", None)
    tag = service.ensure_tag(session, workspace.id, "肤质", "敏感肌", ACTOR)
    assert service.ensure_tag(session, workspace.id, "肤质", "敏感肌", ACTOR).id == tag.id
    service.tag_customer(session, workspace.id, cid, tag.id, ACTOR)
    service.tag_customer(session, workspace.id, cid, tag.id, ACTOR)  # idempotent
    assert [(g, t.name) for g, t in service.tags_of(session, workspace.id, cid)] == [
        ("肤质", "敏感肌")
    ]
    assert [c.id for c in service.search_customers(session, workspace.id, tag_id=tag.id)[0]] == [
        cid
    ]
    service.untag_customer(session, workspace.id, cid, tag.id, ACTOR)
    assert service.tags_of(session, workspace.id, cid) == []
    service.add_note(session, workspace.id, cid, "女儿上小学，喜欢发夹", ACTOR)
    assert service.notes_of(session, workspace.id, cid)[0].body == "女儿上小学，喜欢发夹"
    with pytest.raises(Unprocessable):
        service.add_note(session, workspace.id, cid, "   ", ACTOR)


def test_merge_moves_everything_and_undo_restores_it(
    session: Session, workspace: Workspace
) -> None:
    target = _fan(session, workspace, "taobao", "tb_lu", None, nickname="小鹿")
    source = _fan(session, workspace, "douyin", "dy_lu", "13800001111", nickname="鹿鹿")
    order = _order(session, workspace, source, "douyin", "DY1", "dy_lu")
    tag = service.ensure_tag(session, workspace.id, "身份", "KOC", ACTOR)
    service.tag_customer(session, workspace.id, source, tag.id, ACTOR)
    merge = service.merge_customers(session, workspace.id, target, source, ACTOR)
    session.refresh(order)
    assert order.customer_id == target
    assert {i.platform for i in service.identities_of(session, workspace.id, target)} == {
        "taobao",
        "douyin",
    }
    assert service.get_customer(session, workspace.id, target).phone_masked == "138****1111"
    assert service.get_customer(session, workspace.id, source).merged_into_id == target
    assert [c.id for c in service.search_customers(session, workspace.id)[0]] == [target]
    # A new order with the phone now lands on the merged fan.
    again = service.resolve_customers(
        session, workspace.id, [FanKey("kuaishou", None, "13800001111")]
    )
    assert again.customer_ids == [target]

    service.undo_merge(session, workspace.id, merge.id, ACTOR)
    session.refresh(order)
    assert order.customer_id == source
    assert [i.platform for i in service.identities_of(session, workspace.id, source)] == ["douyin"]
    assert service.get_customer(session, workspace.id, target).phone_masked is None
    assert service.get_customer(session, workspace.id, source).phone_masked == "138****1111"
    assert [g for g, _ in service.tags_of(session, workspace.id, source)] == ["身份"]
    with pytest.raises(Conflict):
        service.undo_merge(session, workspace.id, merge.id, ACTOR)
    assert {"customer.merge", "customer.unmerge"} <= set(_actions(session, workspace))


def test_merge_refusals(session: Session, workspace: Workspace) -> None:
    a = _fan(session, workspace, "taobao", "a", None)
    b = _fan(session, workspace, "taobao", "b", None)
    with pytest.raises(Unprocessable):
        service.merge_customers(session, workspace.id, a, a, ACTOR)
    service.merge_customers(session, workspace.id, a, b, ACTOR)
    with pytest.raises(Conflict):
        service.merge_customers(session, workspace.id, b, a, ACTOR)
    with pytest.raises(NotFound):
        service.merge_customers(session, workspace.id, a, 999_999, ACTOR)


def test_split_moves_an_identity_and_its_orders(session: Session, workspace: Workspace) -> None:
    cid = _fan(session, workspace, "taobao", "tb_mum", "13800001111")
    service.link_identity(session, workspace.id, cid, "taobao", "tb_daughter", ACTOR)
    mums = _order(session, workspace, cid, "taobao", "T1", "tb_mum")
    daughters = _order(session, workspace, cid, "taobao", "T2", "tb_daughter")
    daughter_identity = next(
        i
        for i in service.identities_of(session, workspace.id, cid)
        if i.external_id == "tb_daughter"
    )
    fresh = service.split_identity(session, workspace.id, cid, daughter_identity.id, ACTOR)
    session.refresh(mums)
    session.refresh(daughters)
    assert (mums.customer_id, daughters.customer_id) == (cid, fresh.id)
    only = service.identities_of(session, workspace.id, cid)
    with pytest.raises(Conflict):
        service.split_identity(session, workspace.id, cid, only[0].id, ACTOR)


def test_link_refuses_an_identity_of_another_fan(session: Session, workspace: Workspace) -> None:
    a = _fan(session, workspace, "taobao", "a", None)
    _fan(session, workspace, "taobao", "b", None)
    with pytest.raises(Conflict) as caught:
        service.link_identity(session, workspace.id, a, "taobao", "b", ACTOR)
    assert caught.value.slug == "identity-taken"
    assert service.link_identity(session, workspace.id, a, "taobao", "a", ACTOR).customer_id == a


def test_erase_keeps_anonymous_order_facts(session: Session, workspace: Workspace) -> None:
    cid = _fan(
        session, workspace, "taobao", "tb", "13800001111", real_name="林小鹿", nickname="小鹿"
    )
    order = _order(session, workspace, cid, "taobao", "T1", "tb", paid_fen=12900)
    service.add_note(session, workspace.id, cid, "喜欢猫", ACTOR)
    service.erase_customer(session, workspace.id, cid, ACTOR)
    customer = session.get_one(Customer, cid)
    assert customer.display_name == service.ERASED_NAME and customer.erased_at is not None
    assert (customer.phone_hash, customer.phone_enc, customer.real_name_enc) == (None, None, None)
    assert (
        session.scalars(select(CustomerIdentity).where(CustomerIdentity.customer_id == cid)).all()
        == []
    )
    assert service.notes_of(session, workspace.id, cid) == []
    session.refresh(order)
    assert (order.paid_amount_fen, order.raw, order.buyer_id, order.buyer_nick) == (
        12900,
        {},
        None,
        None,
    )
    # The phone is free again: the same person buying later is a new, unlinked fan.
    fresh = service.resolve_customers(
        session, workspace.id, [FanKey("taobao", "tb", "13800001111")]
    )
    assert fresh.customer_ids != [cid] and fresh.created == 1


def test_export_holds_everything_in_clear_and_is_audited(
    session: Session, workspace: Workspace
) -> None:
    cid = _fan(session, workspace, "douyin", "dy", "13800001111", real_name="林小鹿", nickname="鹿")
    _order(session, workspace, cid, "douyin", "D1", "dy")
    service.add_note(session, workspace.id, cid, "老粉", ACTOR)
    data = service.export_customer(session, workspace.id, cid, ACTOR)
    assert data["customer"]["phone"] == "13800001111"
    assert data["customer"]["real_name"] == "林小鹿"
    assert data["identities"] == [
        {"platform": "douyin", "external_id": "dy", "nickname": "鹿", "source": "import"}
    ]
    assert data["orders"][0]["order_no"] == "D1" and data["notes"][0]["body"] == "老粉"
    assert "customer.pii_read" in _actions(session, workspace)


def test_events_are_idempotent_and_create_fans_for_new_identities(
    session: Session, workspace: Workspace
) -> None:
    cid = _fan(session, workspace, "taobao", "tb", None)
    now = datetime(2026, 11, 11, 12, tzinfo=UTC)
    events = [
        service.EventIn("e1", "live_view", now, customer_id=cid),
        service.EventIn("e2", "share", now, identity="douyin:new_viewer"),
    ]
    assert service.record_events(session, workspace.id, events) == (2, 0)
    assert service.record_events(session, workspace.id, events) == (0, 2)
    assert service.search_customers(session, workspace.id, identity="douyin:new_viewer")[0]
    with pytest.raises(Unprocessable):
        service.record_events(
            session, workspace.id, [service.EventIn("e3", "x", now, customer_id=987654)]
        )


def test_intimacy_levels(session: Session, workspace: Workspace) -> None:
    cid = _fan(session, workspace, "douyin", "dy_fan", None)
    assert service.set_intimacy(
        session, workspace.id, [("douyin", "dy_fan", 7), ("douyin", "nobody", 3)]
    ) == (1, 1)
    assert service.set_intimacy(session, workspace.id, [("douyin", "dy_fan", 9)]) == (1, 0)
    assert service.intimacy_of(session, workspace.id, cid) == {"douyin": 9}


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13800001111", "13800001111"),
        ("+86 138-0000-1111", "13800001111"),
        ("'13800001111", "13800001111"),
        ("138****1111", None),
        ("12800001111", None),
        ("1380000111", None),
    ],
)
def test_phone_normalisation(text: str, phone: str | None) -> None:
    assert service.normalise_phone(text) == phone
