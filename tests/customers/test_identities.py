"""One person, one profile: identities and phones tie orders together across platforms."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers.identities import FanKey, resolve_customers
from siyu.customers.models import Customer, CustomerIdentity
from siyu.kit.crypto import decrypt_pii
from siyu.workspace.models import Workspace
from tests import factories


def _count(session: Session, model: type, workspace: Workspace) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(model).where(model.workspace_id == workspace.id)
        )
        or 0
    )  # type: ignore[attr-defined]


def test_same_phone_on_three_platforms_is_one_fan(session: Session, workspace: Workspace) -> None:
    keys = [
        FanKey("taobao", "小鹿爱吃糖", "13800001111", nickname="小鹿爱吃糖"),
        FanKey("douyin", "dy_8823", "13800001111", nickname="鹿鹿"),
        FanKey("xiaohongshu", None, "13800001111"),
    ]
    resolved = resolve_customers(session, workspace.id, keys)
    assert len(set(resolved.customer_ids)) == 1 and resolved.created == 1
    assert _count(session, CustomerIdentity, workspace) == 2
    again = resolve_customers(session, workspace.id, [FanKey("kuaishou", "ks_1", "13800001111")])
    assert again.customer_ids == resolved.customer_ids[:1] and again.created == 0


def test_identity_wins_and_new_phone_is_learned(session: Session, workspace: Workspace) -> None:
    first = resolve_customers(session, workspace.id, [FanKey("taobao", "tb_a", None)])
    later = resolve_customers(session, workspace.id, [FanKey("taobao", "tb_a", "13900002222")])
    assert later.customer_ids == first.customer_ids
    customer = session.get_one(Customer, first.customer_ids[0])
    assert customer.phone_masked == "139****2222"
    assert decrypt_pii(customer.phone_enc or b"", context=b"phone") == "13900002222"
    by_phone = resolve_customers(session, workspace.id, [FanKey("douyin", "dy_b", "13900002222")])
    assert by_phone.customer_ids == first.customer_ids


def test_conflicting_evidence_is_not_merged(session: Session, workspace: Workspace) -> None:
    """A buyer id on one fan and a phone on another stay two fans: operators merge by hand."""
    a, b = resolve_customers(
        session,
        workspace.id,
        [
            FanKey("taobao", "tb_a", "13900000001"),
            FanKey("taobao", "tb_b", "13900000002"),
        ],
    ).customer_ids
    mixed = resolve_customers(session, workspace.id, [FanKey("taobao", "tb_a", "13900000002")])
    assert mixed.customer_ids == [a]
    assert session.get_one(Customer, b).phone_masked == "139****0002"


def test_no_identity_no_fan(session: Session, workspace: Workspace) -> None:
    resolved = resolve_customers(session, workspace.id, [FanKey("douyin", None, None)])
    assert resolved.customer_ids == [None] and resolved.created == 0


def test_repeats_within_a_batch_create_one_fan(session: Session, workspace: Workspace) -> None:
    keys = [FanKey("douyin", "dy_x", None)] * 3 + [FanKey("douyin", None, "13700001234")] * 2
    resolved = resolve_customers(session, workspace.id, keys)
    assert resolved.created == 2
    assert len(set(resolved.customer_ids)) == 2


def test_personal_data_is_encrypted_at_rest(session: Session, workspace: Workspace) -> None:
    (cid,) = resolve_customers(
        session,
        workspace.id,
        [
            FanKey(
                "taobao",
                "tb_pii",
                "13600001111",
                real_name="林小鹿",
                address="上海市徐汇区漕溪北路1号",
            )
        ],
    ).customer_ids
    customer = session.get_one(Customer, cid)
    assert customer.phone_hash and "13600001111" not in customer.phone_hash
    for blob in (customer.phone_enc, customer.real_name_enc, customer.address_enc):
        assert blob is not None
        assert "林小鹿".encode() not in blob and b"13600001111" not in blob


def test_workspaces_do_not_share_fans(session: Session, workspace: Workspace) -> None:
    other = factories.make_workspace(session)
    key = FanKey("taobao", "same_nick", "13800009999")
    mine = resolve_customers(session, workspace.id, [key]).customer_ids
    theirs = resolve_customers(session, other.id, [key]).customer_ids
    assert mine != theirs


def test_region_comes_from_the_address_when_the_file_has_no_province(
    session: Session, workspace: Workspace
) -> None:
    ids = resolve_customers(
        session,
        workspace.id,
        [
            FanKey("taobao", "tb_1", None, address="广东省深圳市南山区科技园"),
            FanKey("douyin", "dy_1", None, region="浙江省", address="上海市徐汇区"),
            FanKey("youzan", "yz_1", None, address="某某路 1 号"),
        ],
    ).customer_ids
    regions = [session.get_one(Customer, cid).region for cid in ids if cid is not None]
    assert regions == ["广东", "浙江省", None]
