"""The orders API: pushed batches (validated, idempotent), order and import-run reads, all
scoped to the token's workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.orders.models import Order
from siyu.orders.service import import_file
from siyu.workspace.models import AuditEntry, Workspace
from tests import factories

from . import export_files as ef


def order(order_no: str, **fields: Any) -> dict[str, Any]:
    return {
        "platform": "douyin",
        "order_no": order_no,
        "buyer_id": "dy_7788",
        "buyer_nick": "小鹿妈妈",
        "phone": "13800138000",
        "status": "paid",
        "paid_at": "2024-06-18T20:01:00+08:00",
        "paid_amount_fen": 9900,
        "items": [{"title": "保湿面霜", "sku": "50ml", "quantity": 1, "unit_price_fen": 9900}],
    } | fields


def test_a_batch_creates_then_is_idempotent_then_updates(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    batch = {"orders": [order("A1"), order("A2", buyer_id="dy_9900", phone=None)]}

    first = api.post("/api/v1/orders:batch", json=batch)
    again = api.post("/api/v1/orders:batch", json=batch)
    newer = api.post(
        "/api/v1/orders:batch",
        json={"orders": [order("A1", status="completed", refund_amount_fen=9900, items=None)]},
    )

    assert first.status_code == 200, first.text
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "customers_created": 2}
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "customers_created": 0}
    assert newer.json() == {"created": 0, "updated": 1, "unchanged": 0, "customers_created": 0}
    a1 = session.scalars(select(Order).where(Order.order_no == "A1")).one()
    assert (a1.status, a1.refund_state, a1.refund_amount_fen) == ("completed", "full", 9900)
    detail = api.get(f"/api/v1/orders/{a1.id}").json()
    assert detail["items"] == [  # omitted items keep the ones the order has
        {
            "title": "保湿面霜",
            "sku": "50ml",
            "quantity": 1,
            "unit_price_fen": 9900,
            "product_id": None,
        }
    ]
    assert detail["paid_at"].startswith("2024-06-18T12:01:00")
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.workspace_id == workspace.id)
    ).all()
    assert actions.count("orders.batch") == 3


def test_an_unpaid_order_counts_nothing_paid(api: TestClient, session: Session) -> None:
    api.post("/api/v1/orders:batch", json={"orders": [order("U1", paid_at=None, status="created")]})
    unpaid = session.scalars(select(Order).where(Order.order_no == "U1")).one()
    assert unpaid.paid_amount_fen == 0


def test_invalid_batches_are_problems_with_field_paths(api: TestClient) -> None:
    bad = order("B1", status="lost", paid_amount_fen=-1, items=[{"quantity": 2}])
    too_many = {"orders": [order(f"N{i}") for i in range(1_001)]}

    response = api.post("/api/v1/orders:batch", json={"orders": [bad]})
    assert api.post("/api/v1/orders:batch", json=too_many).status_code == 422
    naive = api.post("/api/v1/orders:batch", json={"orders": [order("B2", paid_at="2024-06-18")]})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"orders.0.status", "orders.0.paid_amount_fen", "orders.0.items.0.title"} <= fields
    assert naive.status_code == 422


def test_orders_list_filters_and_pages(api: TestClient) -> None:
    api.post(
        "/api/v1/orders:batch",
        json={
            "orders": [
                order("L1"),
                order("L2", platform="taobao", buyer_id="tb_a", phone="13900139000"),
                order("L3", status="closed"),
            ]
        },
    )

    page = api.get("/api/v1/orders", params={"limit": 2}).json()
    rest = api.get("/api/v1/orders", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    taobao = api.get("/api/v1/orders", params={"platform": "taobao"}).json()
    closed = api.get("/api/v1/orders", params={"status": "closed"}).json()
    customer_id = taobao["items"][0]["customer_id"]
    by_customer = api.get("/api/v1/orders", params={"customer_id": customer_id}).json()

    assert [o["order_no"] for o in page["items"] + rest["items"]] == ["L3", "L2", "L1"]
    assert rest["next_cursor"] is None
    assert [o["order_no"] for o in taobao["items"]] == ["L2"]
    assert [o["order_no"] for o in closed["items"]] == ["L3"]
    assert [o["order_no"] for o in by_customer["items"]] == ["L2"]


def test_import_runs_and_their_rejects(
    api: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    header = ef.GENERIC
    path = ef.write_csv(
        tmp_path / "orders.csv",
        [
            header,
            ef.row(header, {"order_no": "G1", "buyer_id": "b1", "paid_amount": "9.90"}),
            ef.row(header, {"order_no": "G2", "buyer_id": "b2", "paid_amount": "abc"}),
        ],
    )
    summary = import_file(session, workspace, path, actor=factories.ACTOR)
    session.commit()

    runs = api.get("/api/v1/import-runs").json()
    run = api.get(f"/api/v1/import-runs/{summary.run_id}").json()
    rejects = api.get(f"/api/v1/import-runs/{summary.run_id}/rejects").json()

    assert [r["id"] for r in runs["items"]] == [summary.run_id]
    assert (run["status"], run["orders_created"], run["rows_rejected"]) == ("completed", 1, 1)
    assert rejects == {
        "items": [
            {
                "row_number": 3,
                "column_name": "paid_amount",
                "value": "abc",
                "reason": rejects["items"][0]["reason"],
            }
        ],
        "next_cursor": None,
    }


def test_other_workspaces_orders_and_runs_are_not_found(
    api: TestClient, session: Session, tmp_path: Path
) -> None:
    theirs = factories.make_workspace(session, name="别人的工作区")
    path = ef.write_csv(
        tmp_path / "o.csv",
        [ef.GENERIC, ef.row(ef.GENERIC, {"order_no": "T1", "buyer_id": "x", "paid_amount": "1"})],
    )
    summary = import_file(session, theirs, path, actor=factories.ACTOR)
    session.commit()
    their_order = session.scalars(select(Order).where(Order.workspace_id == theirs.id)).one()

    assert api.get(f"/api/v1/orders/{their_order.id}").status_code == 404
    assert api.get(f"/api/v1/import-runs/{summary.run_id}").status_code == 404
    assert api.get(f"/api/v1/import-runs/{summary.run_id}/rejects").status_code == 404
    assert api.get("/api/v1/orders").json()["items"] == []
    assert api.get("/api/v1/import-runs").json()["items"] == []
    # The same order number in my workspace is my own order, not theirs updated.
    pushed = api.post(
        "/api/v1/orders:batch", json={"orders": [order("T1", platform="generic")]}
    ).json()
    assert pushed["created"] == 1
