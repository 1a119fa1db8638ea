"""The API contract integrations rely on: statuses, bodies and problem types."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.workspace.models import Workspace

from . import helpers as h

PROBLEM = "urn:siyu:problem:"


def _problem(response: object, status: int, slug: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert response.json()["type"] == PROBLEM + slug  # type: ignore[attr-defined]


def test_conversion_contract(api: TestClient, session: Session, workspace: Workspace) -> None:
    done = h.order(session, workspace.id, "lulu", paid_fen=19_900)
    paid = h.order(session, workspace.id, "lulu", paid_fen=5_000, status="paid")
    theirs = h.order(session, workspace.id, "other")
    session.commit()
    me = done.customer_id
    body = {"customer_id": me, "platform": "taobao", "order_no": done.order_no}
    first = api.post("/api/v1/points/conversions", json=body)
    assert first.status_code == 201, first.text
    assert {k: first.json()[k] for k in ("points", "pending_points", "balance")} == {
        "points": 199,
        "pending_points": 0,
        "balance": 199,
    }
    _problem(api.post("/api/v1/points/conversions", json=body), 409, "order-already-converted")
    pending = api.post("/api/v1/points/conversions", json={**body, "order_no": paid.order_no})
    assert pending.json()["pending_points"] == 50 and pending.json()["balance"] == 199
    _problem(
        api.post("/api/v1/points/conversions", json={**body, "order_no": theirs.order_no}),
        422,
        "order-not-the-fans",
    )
    points = api.get(f"/api/v1/customers/{me}/points").json()
    assert (points["balance"], points["pending"], points["expiring_soon"]) == (199, 50, 0)
    ledger = api.get(f"/api/v1/customers/{me}/points/entries").json()
    assert [e["kind"] for e in ledger["items"]] == ["earn"]


def test_mall_contract(api: TestClient, session: Session, workspace: Workspace) -> None:
    me = h.rich_fan(session, workspace.id, "lulu", 250)
    session.commit()
    item = api.post(
        "/api/v1/mall/items",
        json={
            "name": "雅诗兰黛小棕瓶 50ml",
            "shelf": "aspirational",
            "points_price": 100,
            "stock": 1,
        },
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    bad = api.post(
        "/api/v1/mall/items", json={"name": "x", "shelf": "other", "points_price": 1, "stock": 1}
    )
    assert bad.status_code == 422
    body = {
        "customer_id": me,
        "item_id": item_id,
        "quantity": 1,
        "idempotency_key": "k-1",
        "address": "上海",
    }
    first = api.post("/api/v1/mall/redemptions", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["state"] == "pending" and first.json()["has_address"]
    replay = api.post("/api/v1/mall/redemptions", json=body)
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    _problem(
        api.post("/api/v1/mall/redemptions", json={**body, "quantity": 2}),
        422,
        "idempotency-key-reused",
    )
    _problem(
        api.post("/api/v1/mall/redemptions", json={**body, "idempotency_key": "k-2"}),
        409,
        "out-of-stock",
    )
    api.patch(f"/api/v1/mall/items/{item_id}", json={"stock_delta": 5})
    _problem(
        api.post(
            "/api/v1/mall/redemptions", json={**body, "idempotency_key": "k-3", "quantity": 2}
        ),
        409,
        "insufficient-points",
    )
    rid = first.json()["id"]
    shipped = api.post(
        f"/api/v1/mall/redemptions/{rid}/ship", json={"carrier": "顺丰", "tracking_no": "SF1"}
    )
    assert shipped.json()["state"] == "shipped"
    _problem(
        api.post(f"/api/v1/mall/redemptions/{rid}/cancel", json={}),
        409,
        "redemption-state-conflict",
    )
    assert api.post(f"/api/v1/mall/redemptions/{rid}/deliver").json()["state"] == "delivered"
    listed = api.get("/api/v1/mall/redemptions", params={"state": "delivered"}).json()
    assert [r["id"] for r in listed["items"]] == [rid]


def test_adjustments(api: TestClient, session: Session, workspace: Workspace) -> None:
    me = h.fan(session, workspace.id, "lulu")
    session.commit()
    body = {"customer_id": me, "points": 80, "reason": "直播间抽奖", "idempotency_key": "a1"}
    assert api.post("/api/v1/points/adjustments", json=body).status_code == 201
    assert api.post("/api/v1/points/adjustments", json=body).status_code == 200
    _problem(
        api.post(
            "/api/v1/points/adjustments", json={**body, "points": -100, "idempotency_key": "a2"}
        ),
        409,
        "insufficient-points",
    )
    assert api.get(f"/api/v1/customers/{me}/points").json()["balance"] == 80
    assert (
        api.get("/api/v1/points/entries", params={"kind": "adjust"}).json()["items"][0]["points"]
        == 80
    )


def test_tiers_and_earn_rules_contract(api: TestClient, session: Session) -> None:
    silver = {"code": "silver", "name": "银卡", "rank": 1, "min_points_12m": 300}
    created = api.post("/api/v1/points/tiers", json={**silver, "min_spend_fen_12m": 100_000})
    assert created.status_code == 201, created.text
    assert created.json()["min_spend_fen_12m"] == 100_000
    _problem(api.post("/api/v1/points/tiers", json=silver), 409, "tier-exists")
    bad = api.post("/api/v1/points/tiers", json={**silver, "code": "Bad Code"})
    assert bad.status_code == 422
    changed = api.patch("/api/v1/points/tiers/silver", json={"multiplier_permille": 1200})
    assert changed.json()["multiplier_permille"] == 1200 and changed.json()["name"] == "银卡"
    _problem(api.patch("/api/v1/points/tiers/nope", json={"rank": 2}), 404, "tier-not-found")
    assert [t["code"] for t in api.get("/api/v1/points/tiers").json()] == ["silver"]

    rule = {"name": "双 11", "multiplier_permille": 2000, "platform": "douyin"}
    made = api.post("/api/v1/points/earn-rules", json=rule)
    assert made.status_code == 201, made.text
    window = {"starts_at": "2026-11-12T00:00:00+08:00", "ends_at": "2026-11-11T00:00:00+08:00"}
    _problem(api.post("/api/v1/points/earn-rules", json={**rule, **window}), 422, "window-invalid")
    off = api.patch(f"/api/v1/points/earn-rules/{made.json()['id']}", json={"active": False})
    assert off.json()["active"] is False
    assert (
        api.post("/api/v1/points/earn-rules", json={**rule, "multiplier_permille": 0}).status_code
        == 422
    )
    _problem(
        api.patch("/api/v1/points/earn-rules/999999", json={"active": True}),
        404,
        "earn-rule-not-found",
    )


def test_gift_contract(api: TestClient, session: Session, workspace: Workspace) -> None:
    from siyu.workspace.roles import Role
    from tests.factories import make_operator

    operator = make_operator(session, workspace, Role.operator)
    admin = make_operator(session, workspace, Role.admin)
    fan = h.fan(session, workspace.id, "lulu")
    session.commit()
    tea = {
        "operator_id": operator.id,
        "customer_id": fan,
        "description": "一杯奶茶",
        "reason": "生日",
    }
    small = api.post("/api/v1/points/gifts", json={**tea, "cost_fen": 1800})
    assert small.status_code == 201 and small.json()["state"] == "approved", small.text
    big = api.post("/api/v1/points/gifts", json={**tea, "cost_fen": 20_000})
    assert big.json()["state"] == "pending_approval"
    budget = api.get(f"/api/v1/points/gifts/budget?operator_id={operator.id}").json()
    assert (budget["spent_fen"], budget["left_fen"], budget["approval_threshold_fen"]) == (
        21_800,
        50_000 - 21_800,
        5_000,
    )
    _problem(
        api.post("/api/v1/points/gifts", json={**tea, "cost_fen": 40_000}),
        409,
        "gift-budget-exceeded",
    )
    gift_id = big.json()["id"]
    _problem(
        api.post(f"/api/v1/points/gifts/{gift_id}/approve", json={"admin_id": operator.id}),
        403,
        "role-required",
    )
    approved = api.post(f"/api/v1/points/gifts/{gift_id}/approve", json={"admin_id": admin.id})
    assert approved.json()["state"] == "approved" and approved.json()["decided_by"] == admin.id
    _problem(
        api.post(f"/api/v1/points/gifts/{gift_id}/reject", json={"admin_id": admin.id}),
        409,
        "gift-already-decided",
    )
    # an admin's own gift above the threshold is approved at once, but the budget still holds
    own = api.post(
        "/api/v1/points/gifts", json={**tea, "operator_id": admin.id, "cost_fen": 30_000}
    )
    assert own.json()["state"] == "approved"
    _problem(
        api.post("/api/v1/points/gifts", json={**tea, "operator_id": admin.id, "cost_fen": 30_000}),
        409,
        "gift-budget-exceeded",
    )
    listed = api.get("/api/v1/points/gifts?state=approved").json()["items"]
    assert {g["id"] for g in listed} == {small.json()["id"], gift_id, own.json()["id"]}
    _problem(
        api.post("/api/v1/points/gifts", json={**tea, "operator_id": 999_999}),
        422,
        "unknown-reference",
    )
