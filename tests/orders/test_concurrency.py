"""Two imports of overlapping files at once, on real separate connections: every order and
every fan exists once (imports of one workspace queue behind each other)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from siyu.customers.models import Customer, CustomerIdentity
from siyu.orders.models import ImportRun, Order
from siyu.orders.service import ImportSummary, import_file
from siyu.workspace import service as workspaces
from tests.concurrency import in_parallel, scratch_store
from tests.factories import ACTOR

from . import export_files as ef

pytestmark = pytest.mark.concurrency

ORDERS = 600


def generic_rows(first: int, last: int) -> list[list[ef.Cell]]:
    """Orders first..last; buyers repeat every 50 orders and share phones every 100."""
    rows: list[list[ef.Cell]] = [[*ef.GENERIC, "phone"]]
    for n in range(first, last):
        rows.append(
            [
                f"C-{n}",
                f"buyer-{n % 50}",
                "2024-06-18 20:00:00",
                "10.00",
                "paid",
                "",
                "",
                f"1380013{n % 100:04d}",
            ]
        )
    return rows


def test_parallel_imports_of_overlapping_files_create_nothing_twice(tmp_path: Path) -> None:
    first = ef.write_csv(tmp_path / "a.csv", generic_rows(0, ORDERS))
    second = ef.write_csv(tmp_path / "b.csv", generic_rows(ORDERS // 2, ORDERS + ORDERS // 2))
    with scratch_store() as sessions:
        with sessions() as session:
            workspace_id = workspaces.create_workspace(session, "conc", "并发", ACTOR).id
            session.commit()
        start = threading.Barrier(2, timeout=30)

        def run(index: int) -> ImportSummary:
            # Meet before opening a transaction: on SQLite the first one holds the write lock.
            start.wait()
            with sessions() as session:
                workspace = workspaces.get_workspace_by_slug(session, "conc")
                summary = import_file(session, workspace, (first, second)[index], actor=ACTOR)
                session.commit()
                return summary

        results = in_parallel(2, 2, run)

        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors
        with sessions() as session:

            def total(model: type[Order] | type[Customer] | type[ImportRun]) -> int:
                statement = select(func.count()).select_from(model)
                return int(session.scalar(statement.where(model.workspace_id == workspace_id)) or 0)

            orders = total(Order)
            distinct = session.scalar(select(func.count(func.distinct(Order.order_no))))
            customers = total(Customer)
            identities = session.scalar(select(func.count()).select_from(CustomerIdentity))
            runs = total(ImportRun)
    assert orders == distinct == ORDERS + ORDERS // 2
    created = sum(r.orders_created for r in results if isinstance(r, ImportSummary))
    assert created == orders
    assert sum(r.orders_unchanged for r in results if isinstance(r, ImportSummary)) == ORDERS // 2
    # 50 buyer ids, each always with the same phones: at most one fan per buyer id.
    assert identities == 50
    assert customers <= 50
    assert runs == 2
