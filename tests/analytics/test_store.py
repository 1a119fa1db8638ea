"""The refresh's reads: the columnar readers (PostgreSQL's COPY into Arrow's CSV reader; an
SQLite file through ADBC in a process of its own) give exactly the tables the driver cursor
gives, awkward text included; a transaction that has written reads its own rows; reads stay in
their workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session, sessionmaker

from siyu import jobs
from siyu.analytics import store
from siyu.community.models import GroupMessage
from siyu.customers.models import CustomerEvent
from siyu.orders.service import record_orders
from siyu.workspace.models import Workspace
from tests import factories
from tests.analytics.store_data import order, paid, seed_history
from tests.concurrency import scratch_store
from tests.factories import ACTOR

# Shop names a CSV or a type guess could get wrong: separators, quotes, a line break, an empty
# name, and words some readers take for NULL.
AWKWARD_SHOPS = ['小鹿,"直播"间', "第一行\n第二行", "", "NA", "NULL", None]


@pytest.fixture
def committed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[sessionmaker[Session], int]]:
    """A scratch store holding fans, orders, events and group messages, committed."""
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    with scratch_store() as factory:
        with factory() as session:
            workspace = factories.make_workspace(session)
            ids = seed_history(session, workspace.id)
            _seed_awkward(session, workspace.id, ids)
            session.commit()
            workspace_id = workspace.id
        yield factory, workspace_id


def _seed_awkward(session: Session, workspace_id: int, ids: dict[str, int]) -> None:
    # the unusual values come after a few hundred ordinary rows, where a reader that guesses
    # types from the first rows has already decided
    plain = [order(f"fan{i}", f"p-{i}", 10 + i % 90, i % 300) for i in range(300)]
    awkward = [
        order("whale", f"awk-{i}", 50, i).model_copy(update={"shop": shop})
        for i, shop in enumerate(AWKWARD_SHOPS)
    ]
    record_orders(session, workspace_id, plain + awkward, ACTOR)
    session.add_all(
        CustomerEvent(
            workspace_id=workspace_id,
            customer_id=ids["regular"],
            kind="live_view",
            occurred_at=paid(i),
            idempotency_key=f"ev{i}",
        )
        for i in range(5)
    )
    session.add(
        GroupMessage(
            workspace_id=workspace_id,
            msg_id="m1",
            chat="group",
            sender_ref="wm-sleeper",
            sender_role="fan",
            customer_id=ids["sleeper"],
            text="买家秀",
            is_buyer_show=True,
            sent_at=paid(1),
        )
    )
    session.flush()


def _through_cursor(session: Session, sql: str, schema: pa.Schema, **params: object) -> pa.Table:
    connection = session.connection()
    statement, arguments = store._compiled(connection, sql, params)
    return store._read_by_cursor(connection, statement, arguments, schema)


def _reads(session: Session, workspace_id: int) -> dict[str, pa.Table]:
    since = paid(400)
    inputs = store.read_refresh_inputs(session, workspace_id, since, since, committed_only=True)
    return {
        "orders": inputs.orders,
        "customers": inputs.customers,
        "stages": inputs.previous_stages,
        "events": inputs.behaviour,
        "groups": inputs.group_activity,
    }


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in table.column_names])


def test_columnar_reads_equal_the_cursor_reads(
    committed: tuple[sessionmaker[Session], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    factory, workspace_id = committed
    with factory() as session:
        if session.get_bind().dialect.name == "sqlite":  # the file, read in a process apart
            assert store.sqlite_file(session) is not None
        columnar = _reads(session, workspace_id)
        with monkeypatch.context() as patch:
            patch.setattr(store, "read_table", _through_cursor)
            patch.setattr(store, "sqlite_file", lambda session: None)
            tuples = _reads(session, workspace_id)
    for name, table in columnar.items():
        assert table.schema == tuples[name].schema, name
        assert _sorted(table).equals(_sorted(tuples[name])), name
    shops = columnar["orders"].column("shop").to_pylist()
    for shop in AWKWARD_SHOPS:
        assert shop in shops
    assert columnar["orders"].num_rows == 9 + 300 + len(AWKWARD_SHOPS)
    assert columnar["events"].num_rows == 5 + 1  # the live views and the fan's group message
    assert columnar["groups"].num_rows == 1
    assert columnar["stages"].num_rows == 0  # an empty read keeps its schema
    assert columnar["orders"].column("paid_at")[0].as_py().tzinfo is not None


def test_a_transaction_that_wrote_reads_its_own_rows(
    session: Session, workspace: Workspace
) -> None:
    seed_history(session, workspace.id)  # not committed: only this transaction sees it
    orders = store.read_paid_orders(session, workspace.id)
    assert orders.num_rows == 9
    late = [order("whale", "late-1", 10, 1)]
    record_orders(session, workspace.id, late, ACTOR)
    session.flush()
    assert store.read_paid_orders(session, workspace.id).num_rows == 10


def test_reads_are_scoped_to_the_workspace(committed: tuple[sessionmaker[Session], int]) -> None:
    factory, workspace_id = committed
    with factory() as session:
        other = factories.make_workspace(session)
        record_orders(session, other.id, [order("stranger", "s-1", 10, 1)], ACTOR)
        session.commit()
        theirs = store.read_paid_orders(session, other.id)
        assert theirs.num_rows == 1
        apart = store.read_refresh_inputs(session, other.id, paid(9), paid(9), committed_only=True)
        assert apart.orders.equals(theirs)
        ours = set(store.read_paid_orders(session, workspace_id).column(0).to_pylist())
        assert not ours & set(theirs.column(0).to_pylist())


def test_since_bounds_the_events(committed: tuple[sessionmaker[Session], int]) -> None:
    factory, workspace_id = committed
    with factory() as session:
        recent = store.read_events(session, workspace_id, paid(2) - timedelta(seconds=1))
        assert recent.num_rows == 3 + 1  # live views of days 0, 1, 2 and the message of day 1
        assert all(moment <= paid(0) for moment in recent.column("occurred_at").to_pylist())
