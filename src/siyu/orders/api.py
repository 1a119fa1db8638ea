"""REST endpoints of the orders domain (every query scoped to the token's workspace)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.orders import repository, service
from siyu.orders.schemas import (
    ImportRejectOut,
    ImportRunOut,
    OrderBatchIn,
    OrderBatchOut,
    OrderDetail,
    OrderItemOut,
    OrderOut,
    Platform,
    Status,
)
from siyu.workspace.auth import Api

router = APIRouter(tags=["orders"])


@router.post("/orders:batch", response_model=OrderBatchOut)
def push_orders(payload: OrderBatchIn, api: Api, db: DbSession) -> OrderBatchOut:
    """Create or update up to 1,000 orders by (platform, order_no). Idempotent: sending the same
    orders again changes nothing. An order without `paid_at` counts 0 paid."""
    counts = service.record_orders(db, api.workspace_id, payload.orders, api.actor())
    return OrderBatchOut(
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        customers_created=counts.customers_created,
    )


@router.get("/orders", response_model=Page[OrderOut])
def list_orders(
    api: Api,
    db: DbSession,
    customer_id: Int64 | None = None,
    platform: Platform | None = None,
    status: Status | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[OrderOut]:
    """Newest first."""
    orders, next_cursor = repository.list_orders(
        db,
        api.workspace_id,
        customer_id=customer_id,
        platform=platform,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[OrderOut.model_validate(o) for o in orders], next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderDetail)
def get_order(order_id: Int64, api: Api, db: DbSession) -> OrderDetail:
    order = repository.get_order(db, api.workspace_id, order_id)
    items = repository.items_of(db, api.workspace_id, order.id)
    return OrderDetail.model_validate(
        OrderOut.model_validate(order).model_dump()
        | {"items": [OrderItemOut.model_validate(i) for i in items]}
    )


@router.get("/import-runs", response_model=Page[ImportRunOut])
def list_import_runs(
    api: Api,
    db: DbSession,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[ImportRunOut]:
    """File imports, newest first."""
    runs, next_cursor = repository.list_runs(db, api.workspace_id, cursor=cursor, limit=limit)
    return Page(items=[ImportRunOut.model_validate(r) for r in runs], next_cursor=next_cursor)


@router.get("/import-runs/{run_id}", response_model=ImportRunOut)
def get_import_run(run_id: Int64, api: Api, db: DbSession) -> ImportRunOut:
    return ImportRunOut.model_validate(repository.get_run(db, api.workspace_id, run_id))


@router.get("/import-runs/{run_id}/rejects", response_model=Page[ImportRejectOut])
def list_import_rejects(
    run_id: Int64,
    api: Api,
    db: DbSession,
    cursor: str | None = None,
    limit: int = Query(default=100, ge=1, le=200),
) -> Page[ImportRejectOut]:
    """The rows the import refused, in file order: row number, column, value and reason."""
    run = repository.get_run(db, api.workspace_id, run_id)
    rejects, next_cursor = repository.list_rejects(db, run, cursor=cursor, limit=limit)
    return Page(items=[ImportRejectOut.model_validate(r) for r in rejects], next_cursor=next_cursor)
