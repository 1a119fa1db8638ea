"""Rows of one order scattered over a file (sorted by another column in Excel, two exports
concatenated) are still one order where rows are parts of it: no sub-order's money is lost,
in-process or in the child parser, and a re-import writes nothing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.orders.importers import ParsedOrder, open_export, prefetch
from siyu.orders.models import Order, OrderItem
from siyu.workspace.models import Workspace

from . import export_files as ef
from .test_service import run

ORDERS = 90


def douyin_rows(seed: int) -> tuple[list[list[ef.Cell]], int]:
    """90 orders of 1-4 sub-orders each, and their total in fen."""
    rng = random.Random(seed)
    rows: list[list[ef.Cell]] = []
    total = 0
    for number in range(ORDERS):
        main = {
            "主订单编号": f"\t49{number:017d}",
            "订单状态": "已完成",
            "订单提交时间": "2024-07-01 20:00:00",
            "支付完成时间": "2024-07-01 20:01:00",
            "收件人手机号": f"138{number:08d}",
        }
        for sub in range(rng.randint(1, 4)):
            fen = rng.randint(990, 49_900)
            total += fen
            cells = {
                "子订单编号": f"{number}-{sub}",
                "选购商品": f"商品{sub}",
                "商品数量": "1",
                "订单应付金额": f"{fen / 100:.2f}",
            }
            rows.append(ef.row(ef.DOUYIN, main | cells))
    return rows, total


def shuffled_douyin(path: Path, seed: int = 7) -> tuple[Path, int]:
    rows, total = douyin_rows(seed)
    random.Random(seed).shuffle(rows)
    return ef.write_csv(path, [ef.DOUYIN, *rows], encoding="utf-8-sig"), total


def stored_total(session: Session, workspace: Workspace) -> tuple[int, int, int]:
    orders = select(func.count(), func.sum(Order.paid_amount_fen)).where(
        Order.workspace_id == workspace.id
    )
    count, total = session.execute(orders).one()
    items = select(func.count()).where(OrderItem.workspace_id == workspace.id)
    return count, int(total or 0), int(session.scalar(items) or 0)


def test_shuffled_douyin_sub_orders_keep_all_their_money(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    path, total = shuffled_douyin(tmp_path / "dy.csv")
    rows = len(douyin_rows(7)[0])

    summary = run(session, workspace, path)
    again = run(session, workspace, path)

    assert (summary.orders_created, summary.paid_amount_fen) == (ORDERS, total)
    assert summary.rows_read == rows
    assert stored_total(session, workspace) == (ORDERS, total, rows)
    assert (again.orders_unchanged, again.orders_updated, again.orders_created) == (ORDERS, 0, 0)


def test_two_concatenated_exports_make_one_order_of_its_parts(tmp_path: Path) -> None:
    main = {"主订单编号": "4900000000000000001", "支付完成时间": "2024-07-01 20:01:00"}
    first = ef.row(ef.DOUYIN, main | {"选购商品": "精华液", "订单应付金额": "189.00"})
    other = ef.row(ef.DOUYIN, {"主订单编号": "4900000000000000002", "订单应付金额": "5",
                               "支付完成时间": "2024-07-01 20:02:00"})  # fmt: skip
    second = ef.row(ef.DOUYIN, main | {"选购商品": "面膜", "订单应付金额": "55.50"})
    path = ef.write_csv(tmp_path / "dy.csv", [ef.DOUYIN, first, other, ef.DOUYIN, second])

    orders = [o for o in open_export(path) if isinstance(o, ParsedOrder)]

    by_no = {o.order_no: o for o in orders}
    assert len(orders) == 2
    assert by_no["4900000000000000001"].paid_amount_fen == 24450
    assert by_no["4900000000000000001"].rows == [2, 5]
    assert [i.title for i in by_no["4900000000000000001"].items] == ["精华液", "面膜"]


def test_scattered_xiaohongshu_sku_lines_are_summed(tmp_path: Path) -> None:
    header = ef.XIAOHONGSHU
    common = {"订单号": "P712345678901234567", "支付时间": "2023-11-11 00:00:01"}
    rows = [
        ef.row(header, common | {"商品名称": "发夹", "用户应付金额（元）": "100"}),
        ef.row(header, {"订单号": "P712345678901234568", "用户应付金额（元）": "9.9",
                        "支付时间": "2023-11-11 00:01:00"}),
        ef.row(header, common | {"商品名称": "发圈", "用户应付金额（元）": "28.8"}),
    ]  # fmt: skip
    path = ef.write_csv(tmp_path / "xhs.csv", [header, *rows])

    amounts = {
        o.order_no: o.paid_amount_fen for o in open_export(path) if isinstance(o, ParsedOrder)
    }

    assert amounts == {"P712345678901234567": 12880, "P712345678901234568": 990}


def test_a_child_parse_merges_scattered_sub_orders_too(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefetch, "CHILD_MIN_BYTES", 0)
    path, total = shuffled_douyin(tmp_path / "dy.csv", seed=11)

    summary = run(session, workspace, path)

    assert (summary.orders_created, summary.paid_amount_fen) == (ORDERS, total)
    assert stored_total(session, workspace)[:2] == (ORDERS, total)


def test_orders_split_across_import_batches_are_merged(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siyu.orders import service

    monkeypatch.setattr(service, "BATCH_ORDERS", 7)
    path, total = shuffled_douyin(tmp_path / "dy.csv", seed=3)

    summary = run(session, workspace, path)

    assert (summary.orders_created, summary.paid_amount_fen) == (ORDERS, total)
    assert stored_total(session, workspace)[:2] == (ORDERS, total)
