"""Segments over the store: filters count and list the right fans, bad filters are refused
with the column of the problem, nothing typed reaches the SQL, auto tags follow the members."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.analytics.refresh import refresh_workspace
from siyu.customers.models import Customer, CustomerTag
from siyu.customers.service import ensure_tag, tag_customer
from siyu.kit.errors import Unprocessable
from siyu.segments import service
from siyu.workspace.models import Workspace
from tests.analytics.store_data import AS_OF, seed_history
from tests.factories import ACTOR


@pytest.fixture
def fans(session: Session, workspace: Workspace) -> dict[str, int]:
    ids = seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    return ids


def names(session: Session, workspace: Workspace, text: str, fans: dict[str, int]) -> set[str]:
    by_id = {v: k for k, v in fans.items()}
    found: set[str] = set()
    for ids in service.iter_matching_ids(session, workspace.id, text):
        found |= {by_id[i] for i in ids}
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders >= 2", {"whale", "regular", "gone"}),
        ("orders >= 2 and days_since_last_order <= 90", {"whale", "regular"}),
        ("net_paid >= 2000", {"whale"}),
        ("net_paid > 58.99 and net_paid < 59.01", {"newbie"}),
        ('lifecycle in ("sleeping", "lost")', {"sleeper", "gone"}),
        ("orders = 0", {"lurker"}),
        ('platform = "douyin" and repurchase = false', {"newbie", "sleeper", "lurker"}),
        ('rfm_segment = "Champions"', {"whale"}),
        ("", {"whale", "regular", "newbie", "sleeper", "gone", "lurker"}),
    ],
)
def test_filters_select_the_right_fans(
    session: Session, workspace: Workspace, fans: dict[str, int], text: str, expected: set[str]
) -> None:
    assert names(session, workspace, text, fans) == expected
    assert service.count_matching(session, workspace.id, text) == len(expected)


def test_tags_and_intimacy(session: Session, workspace: Workspace, fans: dict[str, int]) -> None:
    tag = ensure_tag(session, workspace.id, "肤质", "敏感肌", ACTOR)
    tag_customer(session, workspace.id, fans["regular"], tag.id, ACTOR)
    assert names(session, workspace, 'tag = "敏感肌"', fans) == {"regular"}
    assert "regular" not in names(session, workspace, 'tag != "敏感肌"', fans)
    assert names(session, workspace, "intimacy.douyin >= 1", fans) == set()


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("orders >=", 10),
        ("order >= 2", 1),
        ('orders = "two"', 1),
        ("net_paid >= 1.001", 1),
        ("orders >= 2; DROP TABLE customers", 12),
    ],
)
def test_bad_filters_are_refused_with_a_position(
    session: Session, workspace: Workspace, text: str, column: int
) -> None:
    with pytest.raises(Unprocessable) as caught:
        service.count_matching(session, workspace.id, text)
    assert caught.value.extra["position"] == column


@pytest.mark.parametrize(
    "value",
    [
        "' OR 1=1 --",
        '"; DELETE FROM customers; --',
        "x') OR ('1'='1",
        "敏感肌' UNION SELECT id FROM workspaces --",
    ],
)
def test_values_never_reach_the_sql(
    session: Session, workspace: Workspace, fans: dict[str, int], value: str
) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    for field in ("region", "tag"):
        assert service.count_matching(session, workspace.id, f'{field} = "{escaped}"') == 0
    for field in ("rfm_segment", "platform"):  # fields with a list of values refuse the rest
        with pytest.raises(Unprocessable):
            service.count_matching(session, workspace.id, f'{field} = "{escaped}"')
    total = session.scalar(select(func.count()).select_from(Customer))
    assert total == len(fans)


def test_auto_tag_follows_members(
    session: Session, workspace: Workspace, fans: dict[str, int]
) -> None:
    segment = service.create_segment(
        session, workspace.id, name="复购粉", filter_text="orders >= 2", actor=ACTOR, auto_tag=True
    )
    assert segment.member_count == 3 and segment.tag_id is not None

    def tagged() -> set[int]:
        rows = session.scalars(
            select(CustomerTag.customer_id).where(CustomerTag.tag_id == segment.tag_id)
        )
        return set(rows)

    assert tagged() == {fans["whale"], fans["regular"], fans["gone"]}
    service.update_segment(
        session, workspace.id, segment.id, actor=ACTOR, filter_text="orders >= 3"
    )
    assert tagged() == {fans["whale"]}


def test_membership_for_other_domains(
    session: Session, workspace: Workspace, fans: dict[str, int]
) -> None:
    segment = service.create_segment(
        session, workspace.id, name="大客户", filter_text="net_paid >= 1000", actor=ACTOR
    )
    assert service.is_member(session, workspace.id, segment.id, fans["whale"])
    assert not service.is_member(session, workspace.id, segment.id, fans["newbie"])
    assert not service.is_member(session, workspace.id + 999, segment.id, fans["whale"])
    assert service.segment_exists(session, workspace.id, segment.id)
    assert not service.segment_exists(session, workspace.id, segment.id + 1)


def test_api_crud_count_members_export(
    api: TestClient, session: Session, workspace: Workspace, fans: dict[str, int]
) -> None:
    bad = api.post("/api/v1/segments:count", json={"filter": "orders >>= 2"})
    assert bad.status_code == 422
    assert bad.json()["type"] == "urn:siyu:problem:invalid-segment-filter"
    assert api.post("/api/v1/segments:count", json={"filter": "orders >= 2"}).json() == {"count": 3}
    created = api.post("/api/v1/segments", json={"name": "复购粉", "filter": "orders >= 2"})
    assert created.status_code == 201, created.text
    segment_id = created.json()["id"]
    assert created.json()["member_count"] == 3
    dup = api.post("/api/v1/segments", json={"name": "复购粉", "filter": "orders >= 1"})
    assert dup.status_code == 409
    page = api.get(f"/api/v1/segments/{segment_id}/members", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(
        f"/api/v1/segments/{segment_id}/members", params={"cursor": page["next_cursor"]}
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    csv_export = api.get(f"/api/v1/segments/{segment_id}/export", params={"format": "csv"})
    assert csv_export.status_code == 200
    lines = csv_export.content.decode("utf-8-sig").strip().splitlines()
    assert (
        lines[0].startswith("粉丝编号,昵称,手机号（脱敏）") and len(lines) == 4
    )  # workspace language
    xlsx = api.get(f"/api/v1/segments/{segment_id}/export")
    assert xlsx.content[:2] == b"PK"
    patched = api.patch(f"/api/v1/segments/{segment_id}", json={"filter": "orders >= 3"})
    assert patched.json()["member_count"] == 1
    assert api.delete(f"/api/v1/segments/{segment_id}").status_code == 204
    assert api.get(f"/api/v1/segments/{segment_id}").status_code == 404


def test_platform_covers_orders_and_complements_exactly(
    session: Session, workspace: Workspace, fans: dict[str, int]
) -> None:
    from sqlalchemy import update

    from siyu.orders.models import Order

    # A Xiaohongshu order with no buyer id: the fan is known by the order, not by an account.
    from siyu.orders.service import record_orders
    from tests.analytics.store_data import order

    record_orders(
        session, workspace.id, [order("regular", "xhs-1", 10, 5, platform="xiaohongshu")], ACTOR
    )
    session.execute(update(Order).where(Order.order_no == "gone-0").values(customer_id=None))
    session.flush()
    on = service.count_matching(session, workspace.id, 'platform = "xiaohongshu"')
    off = service.count_matching(session, workspace.id, 'platform != "xiaohongshu"')
    assert on >= 1 and on + off == service.count_matching(session, workspace.id, "")


def test_an_export_larger_than_the_spool_streams_whole_from_disk(
    api: TestClient, fans: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from siyu.segments import export

    segment_id = api.post("/api/v1/segments", json={"name": "全部", "filter": ""}).json()["id"]
    url = f"/api/v1/segments/{segment_id}/export"
    in_memory = api.get(url, params={"format": "csv"})
    monkeypatch.setattr(export, "SPOOL_BYTES", 64)
    monkeypatch.setattr(export, "CHUNK_BYTES", 100)
    on_disk = api.get(url, params={"format": "csv"})
    assert on_disk.status_code == 200 and len(on_disk.content) > 200
    assert on_disk.content == in_memory.content


def test_a_fans_segments_come_from_one_query_and_agree_with_membership(
    session: Session, workspace: Workspace, fans: dict[str, int]
) -> None:
    filters = {
        "复购": "orders >= 2",
        "近期复购": "orders >= 2 and days_since_last_order <= 90",  # its p1 differs from 复购's
        "抖音新客": 'platform = "douyin" and repurchase = false',  # membership: binds :ws
        "沉睡": 'lifecycle in ("sleeping", "lost")',
        "全部": "",
    }
    for name, text in filters.items():
        service.create_segment(session, workspace.id, name=name, filter_text=text, actor=ACTOR)
    session.flush()
    segments = service.list_segments(session, workspace.id)
    for fan, customer_id in fans.items():
        expected = {
            s.name for s in segments if service.is_member(session, workspace.id, s.id, customer_id)
        }
        found = {s.name for s in service.segments_of(session, workspace.id, customer_id)}
        assert found == expected, fan
    assert {s.name for s in service.segments_of(session, workspace.id, fans["whale"])} == {
        "复购", "近期复购", "全部",
    }  # fmt: skip
    assert service.segments_of(session, workspace.id + 999, fans["whale"]) == []
