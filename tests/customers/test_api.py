"""The customers API contract: search, the fan profile, audited reveal, batches."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.identities import FanKey
from siyu.orders.models import Order
from siyu.workspace.models import AuditEntry, Workspace


def _fans(session: Session, workspace: Workspace) -> list[int]:
    ids = service.resolve_customers(
        session,
        workspace.id,
        [
            FanKey(
                "taobao",
                "小鹿爱吃糖",
                "13800001111",
                nickname="小鹿爱吃糖",
                real_name="林小鹿",
                region="上海",
            ),
            FanKey("douyin", "dy_orange", None, nickname="橘子汽水"),
        ],
    ).customer_ids
    session.add(
        Order(
            workspace_id=workspace.id,
            customer_id=ids[0],
            platform="taobao",
            order_no="T1",
            status="completed",
            paid_amount_fen=18900,
            refund_amount_fen=0,
            paid_at=datetime.now(UTC),
            content_hash="x",
            buyer_id="小鹿爱吃糖",
        )
    )
    session.commit()
    return [int(i) for i in ids if i is not None]


def test_list_search_and_identity_filter(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    lu, orange = _fans(session, workspace)
    page = api.get("/api/v1/customers").json()
    assert [c["id"] for c in page["items"]] == [orange, lu] and page["next_cursor"] is None
    assert api.get("/api/v1/customers", params={"q": "13800001111"}).json()["items"][0]["id"] == lu
    found = api.get("/api/v1/customers", params={"identity": "taobao:小鹿爱吃糖"}).json()["items"]
    assert [c["id"] for c in found] == [lu]
    assert found[0]["phone_masked"] == "138****1111"
    assert "13800001111" not in api.get("/api/v1/customers").text
    bad = api.get("/api/v1/customers", params={"identity": "nope"})
    assert bad.status_code == 422 and bad.json()["type"] == "urn:siyu:problem:invalid-identity"
    first = api.get("/api/v1/customers", params={"limit": 1}).json()
    rest = api.get("/api/v1/customers", params={"cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in first["items"] + rest["items"]] == [orange, lu]


def test_profile_masked_then_revealed_with_audit(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    lu, _ = _fans(session, workspace)
    profile = api.get(f"/api/v1/customers/{lu}").json()
    assert profile["phone_masked"] == "138****1111" and profile["real_name_masked"] == "林**"
    assert profile["pii"] is None
    assert profile["orders"]["paid_orders"] == 1 and profile["orders"]["spend_1y_fen"] == 18900
    revealed = api.get(f"/api/v1/customers/{lu}", params={"reveal": "phone,real_name"}).json()
    assert revealed["pii"] == {"phone": "13800001111", "real_name": "林小鹿"}
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "customer.pii_read")
    ).one()
    assert entry.actor_type == "token" and entry.target_id == str(lu)
    assert api.get("/api/v1/customers/987654").status_code == 404


def test_identities_tags_notes_merge(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    lu, orange = _fans(session, workspace)
    linked = api.post(
        f"/api/v1/customers/{lu}/identities", json={"platform": "wecom", "external_id": "wmABC123"}
    )
    assert linked.status_code == 201
    taken = api.post(
        f"/api/v1/customers/{lu}/identities",
        json={"platform": "douyin", "external_id": "dy_orange"},
    )
    assert taken.status_code == 409 and taken.json()["other_customer_id"] == orange
    tag = api.post(f"/api/v1/customers/{lu}/tags", json={"group": "肤质", "name": "敏感肌"}).json()
    assert api.get(f"/api/v1/customers/{lu}").json()["tags"] == [tag]
    assert api.delete(f"/api/v1/customers/{lu}/tags/{tag['id']}").status_code == 204
    assert api.post(f"/api/v1/customers/{lu}/notes", json={"body": "喜欢发夹"}).status_code == 201
    assert api.post(f"/api/v1/customers/{lu}/notes", json={"body": ""}).status_code == 422
    merge = api.post(f"/api/v1/customers/{lu}/merge", json={"source_id": orange}).json()
    assert merge["moved"]["identities"]
    assert api.get(f"/api/v1/customers/{orange}").json()["merged_into_id"] == lu
    assert api.post(f"/api/v1/customer-merges/{merge['id']}/undo").status_code == 200
    assert api.get(f"/api/v1/customers/{orange}").json()["merged_into_id"] is None


def test_export(api: TestClient, session: Session, workspace: Workspace) -> None:
    lu, _ = _fans(session, workspace)
    data = api.get(f"/api/v1/customers/{lu}/export").json()
    assert data["customer"]["phone"] == "13800001111"
    assert data["orders"][0]["paid_amount_fen"] == 18900


def test_events_batch(api: TestClient, session: Session, workspace: Workspace) -> None:
    lu, _ = _fans(session, workspace)
    body = {
        "events": [
            {
                "idempotency_key": "lv-1",
                "kind": "live_view",
                "occurred_at": "2026-11-11T20:00:00+08:00",
                "customer_id": lu,
            },
            {
                "idempotency_key": "sh-1",
                "kind": "share",
                "occurred_at": "2026-11-11T20:05:00+08:00",
                "identity": "kuaishou:ks_new",
                "properties": {"live_id": "L1"},
            },
        ]
    }
    assert api.post("/api/v1/events:batch", json=body).json() == {"accepted": 2, "duplicates": 0}
    assert api.post("/api/v1/events:batch", json=body).json() == {"accepted": 0, "duplicates": 2}
    both = {
        "events": [
            {
                "idempotency_key": "x",
                "kind": "k",
                "occurred_at": "2026-11-11T20:00:00Z",
                "customer_id": lu,
                "identity": "douyin:x",
            }
        ]
    }
    response = api.post("/api/v1/events:batch", json=both)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "events.0"
    empty = api.post("/api/v1/events:batch", json={"events": []})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "events"
    naive = {
        "events": [
            {"idempotency_key": "y", "kind": "k", "occurred_at": "not a time", "customer_id": lu}
        ]
    }
    assert api.post("/api/v1/events:batch", json=naive).status_code == 422


def test_intimacy_batch(api: TestClient, session: Session, workspace: Workspace) -> None:
    _, orange = _fans(session, workspace)
    body = {
        "levels": [
            {"platform": "douyin", "external_id": "dy_orange", "level": 12},
            {"platform": "douyin", "external_id": "ghost", "level": 3},
        ]
    }
    assert api.post("/api/v1/intimacy:batch", json=body).json() == {
        "updated": 1,
        "unknown_identities": 1,
    }
    assert api.get(f"/api/v1/customers/{orange}").json()["intimacy"] == {"douyin": 12}
    twice = {"levels": [body["levels"][0] | {"level": 13}, body["levels"][0] | {"level": 14}]}
    assert api.post("/api/v1/intimacy:batch", json=twice).json()["updated"] == 2
    assert api.get(f"/api/v1/customers/{orange}").json()["intimacy"] == {"douyin": 14}
    bad = api.post(
        "/api/v1/intimacy:batch",
        json={"levels": [{"platform": "douyin", "external_id": "x", "level": -1}]},
    )
    assert bad.status_code == 422


def test_marketing_consent_is_recorded_and_audited(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    lu, _ = _fans(session, workspace)
    given = api.put(f"/api/v1/customers/{lu}/consent", json={"marketing": True}).json()
    assert given["marketing"] is True and given["updated_at"]
    assert (
        api.put(f"/api/v1/customers/{lu}/consent", json={"marketing": "maybe"}).status_code == 422
    )
    withdrawn = api.put(f"/api/v1/customers/{lu}/consent", json={"marketing": False}).json()
    assert withdrawn["marketing"] is False
    actions = session.scalars(
        select(AuditEntry.detail).where(AuditEntry.action == "customer.consent")
    ).all()
    assert actions == [{"marketing": True}, {"marketing": False}]
