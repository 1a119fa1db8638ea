"""Large files are parsed in a child process: the store ends up exactly as with an in-process
parse, bad rows are still rejected by number, and the child's failures reach the importer."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.demo.exports import DemoShape, generate_demo_exports
from siyu.orders.importers import FatalImportError, ParsedOrder, prefetch
from siyu.orders.models import Order
from siyu.orders.service import import_file
from siyu.workspace.models import Workspace
from tests import factories
from tests.factories import ACTOR

from .test_service import taobao_file, taobao_order


def _orders(session: Session, workspace: Workspace) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = session.scalars(select(Order).where(Order.workspace_id == workspace.id))
    return {
        (o.platform, o.order_no): (
            o.status, o.refund_state, o.paid_amount_fen, o.refund_amount_fen, o.paid_at,
            o.item_count, json.dumps(o.raw, sort_keys=True, ensure_ascii=False),
        )
        for o in rows
    }  # fmt: skip


def test_a_child_parse_stores_what_an_in_process_parse_stores(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shape = DemoShape(fans=120, orders=400, months=12, seed=5)
    paths = generate_demo_exports(tmp_path, shape, until=date(2026, 11, 22))
    in_child = factories.make_workspace(session)
    session.commit()

    for path in paths:
        import_file(session, workspace, path, actor=ACTOR)
    monkeypatch.setattr(prefetch, "CHILD_MIN_BYTES", 0)
    summaries = [import_file(session, in_child, path, actor=ACTOR) for path in paths]
    session.commit()

    assert all(s.fatal is None for s in summaries)
    expected = _orders(session, workspace)
    assert len(expected) > 300
    assert _orders(session, in_child) == expected
    raw = next(iter(expected.values()))[-1]
    assert "收货地址" not in raw and "联系手机" not in raw  # scrubbed in the child too


def test_bad_rows_parsed_in_a_child_are_rejected_by_number(
    session: Session, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefetch, "CHILD_MIN_BYTES", 0)
    path = taobao_file(
        tmp_path / "tb.csv",
        taobao_order("1001"),
        taobao_order("1002", 买家实际支付金额="九十九"),
        taobao_order("1003"),
    )
    summary = import_file(session, workspace, path, actor=ACTOR)
    assert (summary.rows_read, summary.rows_rejected, summary.orders_created) == (3, 1, 2)


def test_the_childs_fatal_problems_and_crashes_reach_the_importer(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FatalImportError, match="empty"):
        list(prefetch._from_child(empty, "auto", "Asia/Shanghai"))
    with pytest.raises(RuntimeError, match="FileNotFoundError"):
        list(prefetch._from_child(tmp_path / "gone.csv", "auto", "Asia/Shanghai"))
    path = taobao_file(tmp_path / "tb.csv", taobao_order("1001"))
    with pytest.raises(RuntimeError, match="parsing the file failed"):
        list(prefetch._from_child(path, "auto", "Nowhere/Atlantis"))


def test_a_writer_that_stops_early_stops_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefetch, "CHILD_MIN_BYTES", 0)
    path = taobao_file(tmp_path / "tb.csv", *(taobao_order(str(n)) for n in range(3000)))
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(prefetch.subprocess, "Popen", popen)
    parsing = prefetch.parsed_records([], path, "auto", "Asia/Shanghai")
    with pytest.raises(RuntimeError, match="disk on fire"), parsing as records:
        first = next(iter(records))
        assert isinstance(first, ParsedOrder) and first.order_no == "0"
        raise RuntimeError("disk on fire")
    assert started and started[0].returncode is not None  # stopped and reaped on the way out
