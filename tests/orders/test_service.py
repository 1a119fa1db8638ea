"""Importing export files into the store: whole files or nothing, rows rejected one by one,
re-imports that change nothing, newer exports that update, fans merged by phone."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer, CustomerIdentity
from siyu.demo.exports import DemoShape, generate_demo_exports
from siyu.kit.i18n import using_locale
from siyu.orders.models import ImportChunk, ImportReject, ImportRun, Order, OrderItem
from siyu.orders.service import ImportSummary, fatal_text, import_file
from siyu.workspace.models import AuditEntry, Workspace
from tests.factories import ACTOR

from . import export_files as ef

PHONE = "13800138000"


def run(session: Session, workspace: Workspace, path: Path, **kwargs: Any) -> ImportSummary:
    summary = import_file(session, workspace, path, actor=ACTOR, **kwargs)
    session.commit()
    return summary


def count(session: Session, model: Any, workspace: Workspace) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(model).where(model.workspace_id == workspace.id)
        )
        or 0
    )


def orders_by_no(session: Session, workspace: Workspace) -> dict[str, Order]:
    rows = session.scalars(select(Order).where(Order.workspace_id == workspace.id))
    return {order.order_no: order for order in rows}


def taobao_file(path: Path, *orders: dict[str, str]) -> Path:
    header = ef.TAOBAO_CLASSIC
    return ef.write_csv(path, [header, *(ef.row(header, o) for o in orders)], encoding="gb18030")


def taobao_order(order_no: str, **cells: str) -> dict[str, str]:
    return {
        "订单编号": f'="{order_no}"',
        "买家会员名": "小鹿妈妈",
        "买家实际支付金额": "99.00",
        "订单状态": "买家已付款，等待卖家发货",
        "联系手机": f"'{PHONE}",
        "收货人姓名": "王芳",
        "收货地址": "浙江省 杭州市 西湖区 文三路 90 号",
        "订单创建时间": "2024-06-18 20:00:00",
        "订单付款时间": "2024-06-18 20:01:00",
        "宝贝标题": "保湿面霜 50ml",
        "宝贝总数量": "1",
    } | cells


# --- every platform ----------------------------------------------------------------------


def test_every_demo_export_imports_with_its_quirks(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    shape = DemoShape(fans=150, orders=600, months=18, seed=3)
    paths = generate_demo_exports(tmp_path, shape, until=date(2026, 11, 22))
    order_lists = [p for p in paths if not p.name.startswith("ExportOrderDetailList")]
    item_files = [p for p in paths if p.name.startswith("ExportOrderDetailList")]

    summaries = [run(session, workspace, p) for p in order_lists + item_files]

    assert {s.platform for s in summaries} == {
        "taobao",
        "douyin",
        "kuaishou",
        "xiaohongshu",
        "youzan",
    }
    assert all(s.fatal is None and s.rows_rejected == 0 for s in summaries), summaries
    created = sum(s.orders_created for s in summaries)
    assert created == count(session, Order, workspace) > 500
    assert sum(s.customers_created for s in summaries) == count(session, Customer, workspace)
    assert count(session, Customer, workspace) <= shape.fans
    item_summaries = summaries[len(order_lists) :]
    assert sum(s.orders_updated + s.orders_unchanged for s in item_summaries) > 0
    assert count(session, OrderItem, workspace) >= created
    paid = session.scalar(
        select(func.sum(Order.paid_amount_fen)).where(Order.workspace_id == workspace.id)
    )
    assert paid == sum(s.paid_amount_fen for s in summaries)
    runs = session.scalars(select(ImportRun).where(ImportRun.workspace_id == workspace.id)).all()
    assert [r.status for r in runs] == ["completed"] * len(paths)


def test_one_person_on_three_platforms_is_one_fan(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    taobao = taobao_file(tmp_path / "tb.csv", taobao_order("1001"))
    douyin = ef.write_csv(
        tmp_path / "dy.csv",
        [
            ef.DOUYIN,
            ef.row(ef.DOUYIN, {
                "主订单编号": "4900000000000000001", "子订单编号": "4900000000000000002",
                "选购商品": "精华液", "商品数量": "1", "订单应付金额": "189.00",
                "订单状态": "已完成", "收件人": "王芳", "收件人手机号": PHONE,
                "订单提交时间": "2024-07-01 20:00:00", "支付完成时间": "2024-07-01 20:01:00",
            }),
        ],
        encoding="utf-8-sig",
    )  # fmt: skip
    xhs = ef.write_html_table(
        tmp_path / "xhs.xls",
        [
            ef.XIAOHONGSHU,
            ef.row(ef.XIAOHONGSHU, {
                "订单号": "P712345678901234567", "订单状态": "已完成", "收件人姓名": "王芳",
                "收件人电话": f"+86 {PHONE}", "SKU名称": "面膜", "SKU件数": "2",
                "用户应付金额（元）": "59.00", "支付时间": "2024-08-01 10:00:00",
                "订单创建时间": "2024-08-01 09:59:00",
            }),
        ],
    )  # fmt: skip

    first, second, third = (run(session, workspace, p) for p in (taobao, douyin, xhs))

    assert (first.customers_created, second.customers_created, third.customers_created) == (
        1,
        0,
        0,
    )
    customer_ids = {o.customer_id for o in orders_by_no(session, workspace).values()}
    assert len(customer_ids) == 1 and None not in customer_ids
    identities = session.scalars(
        select(CustomerIdentity.platform).where(CustomerIdentity.workspace_id == workspace.id)
    ).all()
    assert identities == ["taobao"]  # Douyin and XHS exports carry no buyer id, only the phone


# --- re-imports and newer exports ----------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    path = taobao_file(
        tmp_path / "tb.csv",
        taobao_order("1001"),
        taobao_order("1002", 买家会员名="阿紫", 联系手机="13900139000", 买家实际支付金额="10"),
    )
    first = run(session, workspace, path)
    before = {
        o.order_no: (o.updated_at, o.content_hash)
        for o in orders_by_no(session, workspace).values()
    }
    items_before = count(session, OrderItem, workspace)

    again = run(session, workspace, path)

    assert (first.orders_created, first.customers_created) == (2, 2)
    assert again.as_dict() | {"file": None} == {
        "file": None,
        "platform": "taobao",
        "rows_read": 2,
        "rows_rejected": 0,
        "orders_created": 0,
        "orders_updated": 0,
        "orders_unchanged": 2,
        "customers_created": 0,
        "paid_amount_cents": 10900,
        "refund_amount_cents": 0,
        "report": None,
    }
    session.expire_all()
    after = {
        o.order_no: (o.updated_at, o.content_hash)
        for o in orders_by_no(session, workspace).values()
    }
    assert after == before
    assert count(session, OrderItem, workspace) == items_before


def test_a_newer_export_updates_status_and_refunds_but_keeps_attached_items(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    run(session, workspace, taobao_file(tmp_path / "old.csv", taobao_order("1001")))
    items = ef.write_csv(
        tmp_path / "ExportOrderDetailList.csv",
        [
            ef.TAOBAO_ITEMS,
            ef.row(ef.TAOBAO_ITEMS, {"订单编号": "1001", "标题": "保湿面霜", "价格": "49.50",
                                     "购买数量": "1", "商品属性": "50ml"}),
            ef.row(ef.TAOBAO_ITEMS, {"订单编号": "1001", "标题": "洁面乳", "价格": "49.50",
                                     "购买数量": "1"}),
        ],
        encoding="gb18030",
    )  # fmt: skip
    run(session, workspace, items)
    newer = taobao_file(
        tmp_path / "new.csv",
        taobao_order(
            "1001", 订单状态="交易成功", 退款金额="20", 确认收货时间="2024-06-25 10:00:00"
        ),
    )

    summary = run(session, workspace, newer)

    assert (summary.orders_updated, summary.orders_created, summary.refund_amount_fen) == (
        1,
        0,
        2000,
    )
    order = orders_by_no(session, workspace)["1001"]
    assert (order.status, order.refund_state, order.refund_amount_fen) == (
        "completed",
        "partial",
        2000,
    )
    titles = session.scalars(select(OrderItem.title).where(OrderItem.order_id == order.id))
    assert sorted(titles) == ["保湿面霜", "洁面乳"]


def test_an_order_number_repeated_later_in_the_file_is_the_newer_statement(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    path = taobao_file(
        tmp_path / "tb.csv",
        taobao_order("1001"),
        taobao_order("1002", 买家实际支付金额="10"),
        taobao_order("1001", 订单状态="交易成功", 买家实际支付金额="99.00"),
    )

    summary = run(session, workspace, path)

    assert (summary.rows_read, summary.orders_created, summary.orders_updated) == (3, 2, 0)
    assert summary.paid_amount_fen == 9900 + 1000
    assert orders_by_no(session, workspace)["1001"].status == "completed"


# --- bad rows, fatal files, dry runs -------------------------------------------------------


def test_bad_rows_are_rejected_with_row_column_and_reason_and_the_rest_commit(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    path = taobao_file(
        tmp_path / "ExportOrderList.csv",
        taobao_order("1001"),
        taobao_order("", 买家会员名="阿紫"),
        taobao_order("1003", 买家实际支付金额="九十九"),
        taobao_order("1004", 订单付款时间="yesterday"),
        taobao_order("1005"),
    )
    report = tmp_path / "reports" / "ExportOrderList.rejects.csv"

    summary = run(session, workspace, path, report_path=report)

    assert (summary.rows_read, summary.rows_rejected, summary.orders_created) == (5, 3, 2)
    assert set(orders_by_no(session, workspace)) == {"1001", "1005"}
    rejects = session.scalars(
        select(ImportReject).where(ImportReject.run_id == summary.run_id).order_by(ImportReject.id)
    ).all()
    assert [(r.row_number, r.column_name, r.value) for r in rejects] == [
        (3, "订单编号", None),
        (4, "买家实际支付金额", "九十九"),
        (5, "订单付款时间", "yesterday"),
    ]
    assert all(r.reason for r in rejects)
    assert summary.report == str(report)
    raw = report.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert lines[0] == ["行号", "列", "值", "原因"]  # the workspace's language
    assert [line[:3] for line in lines[1:]] == [
        ["3", "订单编号", ""],
        ["4", "买家实际支付金额", "九十九"],
        ["5", "订单付款时间", "yesterday"],
    ]


def test_a_clean_file_writes_no_report(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    report = tmp_path / "r.csv"
    summary = run(
        session, workspace, taobao_file(tmp_path / "tb.csv", taobao_order("1")), report_path=report
    )
    assert summary.report is None and not report.exists()


def test_a_fatal_file_writes_nothing_but_its_failed_run(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    header = [h for h in ef.TAOBAO_CLASSIC if h.strip() not in ("订单付款时间", "买家实际支付金额")]
    path = ef.write_csv(
        tmp_path / "ExportOrderList.csv",
        [header, ef.row(header, {"订单编号": "1", "买家会员名": "a", "订单状态": "交易成功"})],
        encoding="gb18030",
    )

    summary = run(session, workspace, path)

    assert summary.fatal is not None
    assert "taobao" in summary.fatal
    assert "订单付款时间" in summary.fatal and "买家实际支付金额" in summary.fatal
    assert summary.platform == "taobao"
    assert set(summary.missing_columns) == {"订单付款时间", "买家实际支付金额"}
    assert count(session, Order, workspace) == count(session, Customer, workspace) == 0
    run_row = session.get_one(ImportRun, summary.run_id)
    assert (run_row.status, run_row.error) == ("failed", summary.fatal)
    # The console says it again in the reader's language, platform by name.
    assert run_row.error_detail is not None
    with using_locale("zh_CN"):
        shown = fatal_text(run_row.error_detail)
    assert shown.startswith("这份淘宝导出文件缺少必需的列") and "订单付款时间" in shown
    with using_locale("en"):
        assert fatal_text(run_row.error_detail) == summary.fatal.replace("taobao", "Taobao")


def test_the_reject_report_is_written_in_the_workspaces_language(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    workspace.settings = {**(workspace.settings or {}), "locale": "en"}
    session.flush()
    path = taobao_file(tmp_path / "tb.csv", taobao_order("1", 买家实际支付金额="九十九"))
    report = tmp_path / "r.csv"

    run(session, workspace, path, report_path=report)

    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["Row", "Column", "Value", "Reason"]
    assert lines[1][3] == "Not a valid amount."


def test_an_error_half_way_through_leaves_nothing(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siyu.orders import service

    monkeypatch.setattr(service, "BATCH_ORDERS", 1)
    path = taobao_file(tmp_path / "tb.csv", taobao_order("1"), taobao_order("2"))
    calls = {"n": 0}
    real = service.apply_orders

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "apply_orders", failing)
    with pytest.raises(RuntimeError):
        import_file(session, workspace, path, actor=ACTOR)
    session.rollback()

    assert count(session, Order, workspace) == count(session, Customer, workspace) == 0
    failed = session.scalars(select(ImportRun).where(ImportRun.workspace_id == workspace.id)).one()
    assert failed.status == "failed"
    assert failed.error == service.INTERRUPTED
    assert count(session, ImportChunk, workspace) == count(session, ImportReject, workspace) == 0


def test_a_dry_run_writes_nothing(session: Session, workspace: Workspace, tmp_path: Path) -> None:
    path = taobao_file(tmp_path / "tb.csv", taobao_order("1001"), taobao_order("", 买家会员名="x"))
    audit_before = count(session, AuditEntry, workspace)

    summary = run(session, workspace, path, dry_run=True, report_path=tmp_path / "r.csv")

    assert (summary.orders_created, summary.customers_created, summary.rows_rejected) == (1, 1, 1)
    assert summary.report == str(tmp_path / "r.csv")
    assert summary.run_id is None
    for model in (Order, OrderItem, Customer, ImportRun, ImportReject):
        assert count(session, model, workspace) == 0, model
    assert count(session, AuditEntry, workspace) == audit_before


# --- money rules -------------------------------------------------------------------------


def test_an_order_counts_paid_only_with_a_payment_time(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    path = taobao_file(
        tmp_path / "tb.csv",
        taobao_order("1001", 订单付款时间="", 订单状态="等待买家付款", 买家实际支付金额="99"),
        taobao_order("1002", 买家实际支付金额="10"),
    )

    summary = run(session, workspace, path)

    orders = orders_by_no(session, workspace)
    assert (orders["1001"].paid_amount_fen, orders["1001"].status) == (0, "created")
    assert orders["1002"].paid_amount_fen == 1000
    assert summary.paid_amount_fen == 1000


def test_douyin_sub_orders_are_summed_into_one_order(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    main = {
        "主订单编号": "\t4900000000000000001",
        "订单状态": "已完成",
        "订单提交时间": "2024-07-01 20:00:00",
        "支付完成时间": "2024-07-01 20:01:00",
    }
    path = ef.write_csv(
        tmp_path / "dy.csv",
        [
            ef.DOUYIN,
            ef.row(ef.DOUYIN, main | {"子订单编号": "1", "选购商品": "精华液", "商品数量": "1",
                                      "订单应付金额": "189.00"}),
            ef.row(ef.DOUYIN, main | {"子订单编号": "2", "选购商品": "面膜", "商品数量": "2",
                                      "订单应付金额": "55.50"}),
        ],
        encoding="utf-8-sig",
    )  # fmt: skip

    summary = run(session, workspace, path)

    order = orders_by_no(session, workspace)["4900000000000000001"]
    assert (summary.rows_read, summary.orders_created, order.paid_amount_fen) == (2, 1, 24450)
    assert order.customer_id is None  # no buyer id, no phone: nobody to attach it to
    assert order.item_count == 3


# --- the Taobao item file -------------------------------------------------------------------


def test_taobao_item_file_attaches_items_and_rejects_unknown_orders(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    run(session, workspace, taobao_file(tmp_path / "list.csv", taobao_order("1001")))
    item = ef.TAOBAO_ITEMS
    path = ef.write_csv(
        tmp_path / "ExportOrderDetailList.csv",
        [
            item,
            ef.row(item, {"订单编号": "1001", "标题": "保湿面霜", "价格": "59.00", "购买数量": "1",
                          "商品属性": "50ml"}),
            ef.row(item, {"订单编号": "1001", "标题": "洁面乳", "价格": "40.00", "购买数量": "2"}),
            ef.row(item, {"订单编号": "9999", "标题": "发夹", "价格": "9.90", "购买数量": "1"}),
        ],
        encoding="gb18030",
    )  # fmt: skip

    summary = run(session, workspace, path)
    again = run(session, workspace, path)

    assert (summary.rows_read, summary.orders_updated, summary.rows_rejected) == (3, 1, 1)
    assert (again.orders_updated, again.orders_unchanged) == (0, 1)
    order = orders_by_no(session, workspace)["1001"]
    items = session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).all()
    assert [(i.title, i.sku, i.quantity, i.unit_price_fen) for i in items] == [
        ("保湿面霜", "50ml", 1, 5900),
        ("洁面乳", None, 2, 4000),
    ]
    assert order.item_count == 3
    reject = session.scalars(
        select(ImportReject).where(ImportReject.run_id == summary.run_id)
    ).one()
    assert (reject.row_number, reject.value) == (4, "9999")
    assert "order list" in reject.reason


# --- what is kept ----------------------------------------------------------------------------


def test_personal_data_stays_out_of_the_raw_row_and_the_run_is_audited(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    summary = run(session, workspace, taobao_file(tmp_path / "tb.csv", taobao_order("1001")))

    order = orders_by_no(session, workspace)["1001"]
    assert order.raw["订单编号"] == "1001" and order.raw["买家会员名"] == "小鹿妈妈"
    text = repr(order.raw)
    assert PHONE not in text and "王芳" not in text and "文三路" not in text
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.workspace_id == workspace.id, AuditEntry.action == "orders.import"
        )
    ).one()
    assert entry.target_id == str(summary.run_id)
    assert entry.detail["orders_created"] == 1


def test_a_file_summing_past_two_billion_fen_imports(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    """A run's sums are 64-bit: large exports pass 2^31 fen (21 million yuan)."""
    path = taobao_file(
        tmp_path / "tb.csv",
        taobao_order("1", 买家实际支付金额="15000000.00"),
        taobao_order("2", 买家实际支付金额="15000000.00", 联系手机="13900139000"),
    )
    summary = run(session, workspace, path)
    assert summary.paid_amount_fen == 3_000_000_000
    assert session.get_one(ImportRun, summary.run_id).paid_amount_fen == 3_000_000_000
