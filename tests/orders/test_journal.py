"""An import commits batch by batch yet applies a file whole or not at all: a failure after
some batches committed, a fatal problem half-way, or a process that died leave the store as it
was before the file (orders, their items, fans, identities, phones)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer, CustomerIdentity
from siyu.orders import service
from siyu.orders.importers import FatalImportError
from siyu.orders.models import ImportChunk, ImportReject, ImportRun, Order, OrderItem
from siyu.orders.service import import_file, recover_interrupted_imports
from siyu.workspace.models import Workspace
from tests.factories import ACTOR

from .test_service import run, taobao_file, taobao_order


def snapshot(session: Session, workspace: Workspace) -> dict[str, Any]:
    """Everything an import writes, as plain values."""
    session.expire_all()
    where = Order.workspace_id == workspace.id
    orders = session.execute(
        select(
            Order.id,
            Order.order_no,
            Order.status,
            Order.paid_amount_fen,
            Order.refund_amount_fen,
            Order.content_hash,
            Order.customer_id,
            Order.item_count,
            Order.import_run_id,
            Order.updated_at,
        )
        .where(where)
        .order_by(Order.id)
    )
    items = session.execute(
        select(OrderItem.order_id, OrderItem.title, OrderItem.quantity)
        .where(OrderItem.workspace_id == workspace.id)
        .order_by(OrderItem.order_id, OrderItem.title)
    )
    customers = session.execute(
        select(Customer.id, Customer.phone_hash)
        .where(Customer.workspace_id == workspace.id)
        .order_by(Customer.id)
    )
    identities = session.execute(
        select(
            CustomerIdentity.platform, CustomerIdentity.external_id, CustomerIdentity.customer_id
        )
        .where(CustomerIdentity.workspace_id == workspace.id)
        .order_by(CustomerIdentity.external_id)
    )
    return {
        "orders": [tuple(r) for r in orders],
        "items": [tuple(r) for r in items],
        "customers": [tuple(r) for r in customers],
        "identities": [tuple(r) for r in identities],
    }


def first_file(tmp_path: Path) -> Path:
    # The second buyer has no phone yet: the newer file brings one (a phone attached).
    return taobao_file(
        tmp_path / "first.csv",
        taobao_order("1001"),
        taobao_order("1002", 买家会员名="阿紫", 联系手机="", 买家实际支付金额="10"),
    )


def newer_file(tmp_path: Path) -> Path:
    """Updates both orders (status, refund, a phone for 阿紫), creates new orders and fans."""
    return taobao_file(
        tmp_path / "newer.csv",
        taobao_order("1001", 订单状态="交易成功", 退款金额="20", 宝贝标题="洁面乳"),
        taobao_order("1002", 买家会员名="阿紫", 联系手机="13900139001", 订单状态="交易成功"),
        *(
            taobao_order(f"2{n:03d}", 买家会员名=f"新粉{n}", 联系手机=f"1370013{n:04d}")
            for n in range(6)
        ),
    )


def use_small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two orders a batch, each batch committed on its own."""
    monkeypatch.setattr(service, "BATCH_ORDERS", 2)
    monkeypatch.setattr(service, "TRANSACTION_SECONDS", 0)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    use_small_batches(monkeypatch)


def breaking_after(monkeypatch: pytest.MonkeyPatch, records: int, error: BaseException) -> None:
    """The file's records stop with ``error`` after ``records`` of them."""
    real = service.parsed_records

    @contextmanager
    def breaking(*args: Any) -> Iterator[Iterator[Any]]:
        with real(*args) as parsed:

            def stream() -> Iterator[Any]:
                for number, record in enumerate(parsed):
                    if number == records:
                        raise error
                    yield record

            yield stream()

    monkeypatch.setattr(service, "parsed_records", breaking)


@pytest.mark.usefixtures("small_batches")
def test_a_fatal_problem_half_way_takes_back_the_batches_committed(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(session, workspace, first_file(tmp_path))
    before = snapshot(session, workspace)
    fatal = FatalImportError("The file is empty.")
    breaking_after(monkeypatch, 6, fatal)

    summary = run(session, workspace, newer_file(tmp_path))

    assert summary.fatal == "The file is empty."
    assert snapshot(session, workspace) == before
    failed = session.get_one(ImportRun, summary.run_id)
    assert (failed.status, failed.error) == ("failed", "The file is empty.")
    assert count(session, ImportChunk) == count(session, ImportReject) == 0


@pytest.mark.usefixtures("small_batches")
def test_an_error_in_a_later_batch_of_an_item_file_restores_the_items(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from . import export_files as ef

    run(session, workspace, first_file(tmp_path))
    before = snapshot(session, workspace)
    items = ef.write_csv(
        tmp_path / "ExportOrderDetailList.csv",
        [
            ef.TAOBAO_ITEMS,
            *(
                ef.row(
                    ef.TAOBAO_ITEMS, {"订单编号": no, "标题": title, "价格": "9", "购买数量": "2"}
                )
                for no, title in (("1001", "面霜"), ("1002", "精华"), ("9999", "?"))
            ),
        ],
        encoding="gb18030",
    )
    breaking_after(monkeypatch, 2, RuntimeError("disk on fire"))

    with pytest.raises(RuntimeError):
        import_file(session, workspace, items, actor=ACTOR)

    assert snapshot(session, workspace) == before


@pytest.mark.usefixtures("small_batches")
def test_an_import_whose_process_died_is_taken_back_at_start_up(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(session, workspace, first_file(tmp_path))
    before = snapshot(session, workspace)
    # The process dies after two batches: nothing runs after the error, not even the undo.
    breaking_after(monkeypatch, 4, SystemExit(9))
    monkeypatch.setattr(service, "undo_run", lambda *args: None)
    with pytest.raises(SystemExit):
        import_file(session, workspace, newer_file(tmp_path), actor=ACTOR)
    monkeypatch.undo()
    assert snapshot(session, workspace) != before
    assert count(session, ImportChunk) == 2

    recovered = recover_interrupted_imports(session)

    assert len(recovered) == 1
    assert snapshot(session, workspace) == before
    failed = session.get_one(ImportRun, recovered[0])
    assert (failed.status, failed.error) == ("failed", service.INTERRUPTED)
    assert count(session, ImportChunk) == 0


@pytest.mark.usefixtures("small_batches")
def test_the_next_import_of_the_workspace_takes_back_a_dead_one_first(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking_after(monkeypatch, 4, SystemExit(9))
    monkeypatch.setattr(service, "undo_run", lambda *args: None)
    with pytest.raises(SystemExit):
        import_file(session, workspace, newer_file(tmp_path), actor=ACTOR)
    monkeypatch.undo()
    use_small_batches(monkeypatch)

    summary = run(session, workspace, first_file(tmp_path))

    assert (summary.orders_created, summary.customers_created) == (2, 2)
    statuses = session.scalars(select(ImportRun.status).order_by(ImportRun.id))
    assert list(statuses) == ["failed", "completed"]
    assert {no for _, no, *_ in snapshot(session, workspace)["orders"]} == {"1001", "1002"}


def test_a_completed_run_keeps_no_journal(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    summary = run(session, workspace, newer_file(tmp_path))

    assert session.get_one(ImportRun, summary.run_id).status == "completed"
    assert count(session, ImportChunk) == 0


def count(session: Session, model: type[ImportChunk] | type[ImportReject]) -> int:
    return len(list(session.scalars(select(model.id))))
