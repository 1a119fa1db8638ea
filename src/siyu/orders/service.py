"""Orders: importing seller export files and batches pushed through the API.

A file is applied whole or not at all, yet no request waits behind an import for longer than
about ``TRANSACTION_SECONDS`` and one batch: the import writes batches of ``BATCH_ORDERS``
orders, each with its undo record (``siyu.orders.journal``), and commits at most that often.
The run turns ``completed`` in the last transaction. A fatal problem half-way, or any error,
takes back every committed batch (newest first) and leaves only the failed run; a run whose
process died is taken back by the next import of its workspace, or at start-up
(``recover_interrupted_imports``). A dry run does the work of each batch and rolls it back.

The file is streamed (memory stays flat for 1M-row files), each batch written with a few bulk
statements (``siyu.orders.upsert``). Imports of one workspace run one at a time: each holds
the workspace's job lock (``siyu.kit.joblock``) from start to end, which also tells a live
import from a dead one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from siyu.customers.platforms import PLATFORM_LABELS
from siyu.jobs import chunk_committed
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.i18n import N_, gettext
from siyu.kit.joblock import job_lock
from siyu.kit.tenancy import Tenant
from siyu.orders.importers import (
    ExportReader,
    FatalImportError,
    ParsedItem,
    ParsedItemRow,
    ParsedOrder,
    RowError,
    open_export,
)
from siyu.orders.importers.grouping import combined_refund
from siyu.orders.importers.prefetch import parsed_records
from siyu.orders.importers.values import normalise_mobile
from siyu.orders.journal import ChunkUndo, forget_chunks, record_chunk, undo_newest_chunk
from siyu.orders.models import ImportReject, ImportRun, Order, OrderItem
from siyu.orders.rejects import RejectLog
from siyu.orders.schemas import OrderIn
from siyu.orders.upsert import (
    ORDER_NO_WIDTH,
    OrderCounts,
    apply_orders,
    insert_items,
    item_values,
    items_digest,
    replace_items,
)
from siyu.workspace import audit
from siyu.workspace.audit import Actor

BATCH_ORDERS = 2_000
# How long an import's transaction may write before it commits: with one batch's own time, the
# longest a request waits behind an import for SQLite's write lock.
TRANSACTION_SECONDS = 0.5
# pg_advisory_xact_lock key space of imports: this constant plus the workspace id.
_IMPORT_LOCK_BASE = 0x5159_0000_0000
SUMMARY_KEYS = (
    "file",
    "platform",
    "rows_read",
    "rows_rejected",
    "orders_created",
    "orders_updated",
    "orders_unchanged",
    "customers_created",
    "paid_amount_cents",
    "refund_amount_cents",
    "report",
)
# The documented summary keeps the money keys it was published with; the attributes say fen.
_ATTRIBUTE_OF_KEY = {
    "paid_amount_cents": "paid_amount_fen",
    "refund_amount_cents": "refund_amount_fen",
}

Progress = Callable[[int], None]  # called with the number of rows read since the last call


@dataclass
class ImportSummary:
    file: str
    platform: str | None
    rows_read: int = 0
    rows_rejected: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_created: int = 0
    paid_amount_fen: int = 0
    refund_amount_fen: int = 0
    report: str | None = None
    run_id: int | None = field(default=None, compare=False)
    fatal: str | None = field(default=None, compare=False)  # why the whole file was rejected
    missing_columns: list[str] = field(default_factory=list, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Exactly the keys of the documented summary (``siyu import orders --json``)."""
        values = asdict(self)
        return {key: values[_ATTRIBUTE_OF_KEY.get(key, key)] for key in SUMMARY_KEYS}


def import_file(
    session: Session,
    workspace: Tenant,
    path: str | Path,
    *,
    platform: str = "auto",
    dry_run: bool = False,
    actor: Actor,
    progress: Progress | None = None,
    report_path: Path | None = None,
    file_name: str | None = None,
) -> ImportSummary:
    """Import one export file; ``report_path``: where to write the reject CSV, if any rows are
    rejected; ``file_name``: the name to show (an upload's name, not its temp file).

    The import commits the caller's transaction first and works in transactions of its own."""
    name = file_name or str(path)
    try:
        reader = open_export(path, platform, tz=workspace.timezone)
    except FatalImportError as fatal:
        return _fatal(session, workspace, name, fatal, dry_run=dry_run, actor=actor)
    file = _File(name, reader, platform, workspace.id, workspace.timezone)
    if dry_run:
        return _dry_run(session, file, progress, report_path)
    session.commit()
    with job_lock(session.get_bind(), import_lock_name(workspace.id)):
        recover_runs(session, workspace.id)
        run = _start_run(session, workspace, name, reader.platform, reader.file_kind, False, actor)
        session.commit()
        return _apply(session, file, run, actor, progress, report_path)


@dataclass(frozen=True)
class _File:
    name: str
    reader: ExportReader
    platform: str  # as asked for ("auto" to detect)
    workspace_id: int
    timezone: str


@dataclass
class _Chunks:
    """Each batch of a file in a short transaction: committed with its undo record (an
    import), or rolled back (a dry run, ``run_id`` None). Batches that take less than
    ``TRANSACTION_SECONDS`` share a transaction up to that long, so the pause after each commit
    (``jobs.chunk_committed``) costs an import little."""

    session: Session
    workspace_id: int
    run_id: int | None
    rejects: RejectLog
    seq: int = 0
    opened: float | None = None  # when the open transaction wrote its first batch

    def write(self, work: Callable[[ChunkUndo], object]) -> None:
        if self.opened is None:
            self.opened = time.monotonic()
            _serialise_imports(self.session, self.workspace_id)
        undo = ChunkUndo()
        work(undo)
        self.rejects.flush()
        if self.run_id is None:
            self.session.rollback()
            self.opened = None
            return
        self.seq += 1
        record_chunk(self.session, self.workspace_id, self.run_id, self.seq, undo)
        if time.monotonic() - self.opened >= TRANSACTION_SECONDS:
            chunk_committed(self.session)
            self.opened = None

    def orders(self, batch: list[ParsedOrder], counts: OrderCounts) -> None:
        def work(undo: ChunkUndo) -> None:
            counts.add(
                apply_orders(self.session, self.workspace_id, batch, run_id=self.run_id, undo=undo)
            )

        self.write(work)
        _refresh_planner_statistics(self.session, self.seq)


def _apply(
    session: Session,
    file: _File,
    run: ImportRun,
    actor: Actor,
    progress: Progress | None,
    report_path: Path | None,
) -> ImportSummary:
    """Chunk by chunk; the run turns completed, and its journal goes, in the last
    transaction. Any failure takes back every chunk committed so far."""
    rejects = RejectLog(session, file.workspace_id, run.id, report_path)
    chunks = _Chunks(session, file.workspace_id, run.id, rejects)
    summary = ImportSummary(file=file.name, platform=file.reader.platform, run_id=run.id)
    try:
        counts = _read_file(chunks, file, summary, progress)
        summary.report = rejects.close()
        summary.rows_rejected = rejects.count
        _fill(summary, counts)
        _finish_run(session, run, summary, actor)
        forget_chunks(session, file.workspace_id, run.id)
        session.commit()
    except FatalImportError as fatal:
        rejects.discard()
        session.rollback()
        undo_run(session, file.workspace_id, run.id, fatal_detail(fatal))
        return _fatal_summary(file.name, fatal, run.id)
    except BaseException:
        rejects.discard()
        session.rollback()
        undo_run(session, file.workspace_id, run.id, interrupted_detail())
        raise
    return summary


def _dry_run(
    session: Session, file: _File, progress: Progress | None, report_path: Path | None
) -> ImportSummary:
    """All the work of an import, each batch rolled back. Batches are counted one by one, so
    an order or a new fan that comes back in a later batch of the file counts again there."""
    rejects = RejectLog(session, file.workspace_id, None, report_path)
    chunks = _Chunks(session, file.workspace_id, None, rejects)
    summary = ImportSummary(file=file.name, platform=file.reader.platform)
    try:
        counts = _read_file(chunks, file, summary, progress)
    except FatalImportError as fatal:
        rejects.discard()
        session.rollback()
        return _fatal_summary(file.name, fatal)
    except BaseException:
        rejects.discard()
        session.rollback()
        raise
    summary.report = rejects.close()
    summary.rows_rejected = rejects.count
    _fill(summary, counts)
    return summary


def _read_file(
    chunks: _Chunks, file: _File, summary: ImportSummary, progress: Progress | None
) -> OrderCounts:
    with parsed_records(file.reader, file.reader.path, file.platform, file.timezone) as records:
        if file.reader.file_kind == "taobao_items":
            return _import_items(chunks, records, summary, progress)
        return _import_orders(chunks, records, summary, progress)


# --- order files --------------------------------------------------------------------------


def _import_orders(
    chunks: _Chunks,
    records: Iterable[ParsedOrder | ParsedItemRow | RowError],
    summary: ImportSummary,
    progress: Progress | None,
) -> OrderCounts:
    counts = OrderCounts()
    batch: list[ParsedOrder] = []
    rows_in_batch = 0
    for record in records:
        if isinstance(record, ParsedItemRow):  # only the item file yields these
            continue
        rows_in_batch += 1 if isinstance(record, RowError) else len(record.rows)
        if isinstance(record, RowError):
            chunks.rejects.add(record)
        elif len(record.order_no) > ORDER_NO_WIDTH:
            chunks.rejects.add(_too_long(record))
        else:
            batch.append(record)
        if len(batch) >= BATCH_ORDERS:
            chunks.orders(batch, counts)
            _advance(summary, progress, rows_in_batch)
            batch, rows_in_batch = [], 0
    if batch:
        chunks.orders(batch, counts)
    _advance(summary, progress, rows_in_batch)
    return counts


# Tables an import writes to and then looks batches up in.
_IMPORT_TABLES = "orders, order_items, customers, customer_identities"


def _refresh_planner_statistics(session: Session, batches: int) -> None:
    """On PostgreSQL, re-analyse the tables the import grows after 1, 2, 4, 8, … batches.

    Autovacuum cannot see rows of a transaction still open, so without this the planner keeps
    the statistics of the tables as they were (often empty) and turns each batch's lookups into
    scans of everything inserted so far: batches got slower and slower (quadratic). Doubling
    the interval keeps the statistics close at a cost of a dozen ANALYZEs for a million rows.
    """
    if batches and batches & (batches - 1) == 0 and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {_IMPORT_TABLES}"))


def _too_long(order: ParsedOrder) -> RowError:
    return RowError(
        order.rows[0],
        None,
        order.order_no[:100],
        ORDER_NO_TOO_LONG,
    )


# --- the Taobao item file -----------------------------------------------------------------

UNKNOWN_ORDER = N_("No order with this number: import the order list (ExportOrderList) first.")
ORDER_NO_TOO_LONG = N_("Order number is longer than 64 characters.")


def _import_items(
    chunks: _Chunks,
    records: Iterable[ParsedOrder | ParsedItemRow | RowError],
    summary: ImportSummary,
    progress: Progress | None,
) -> OrderCounts:
    """Item rows attach to orders already imported, by number. An order's rows are collected
    before a batch is cut, so its items are replaced as a whole; an order whose rows come back
    after a batch boundary gets the later rows appended (``touched`` remembers it)."""
    counts = OrderCounts()
    pending: dict[str, list[ParsedItemRow]] = {}
    touched: set[int] = set()
    rows_in_batch = 0

    def attach(undo: ChunkUndo) -> None:
        _attach_items(
            chunks.session, chunks.workspace_id, pending, touched, chunks.rejects, counts, undo
        )

    for record in records:
        rows_in_batch += 1
        if isinstance(record, RowError):
            chunks.rejects.add(record)
            continue
        if not isinstance(record, ParsedItemRow):
            continue
        if len(pending) >= BATCH_ORDERS and record.order_no not in pending:
            chunks.write(attach)
            _advance(summary, progress, rows_in_batch)
            pending, rows_in_batch = {}, 0
        pending.setdefault(record.order_no, []).append(record)
    chunks.write(attach)
    _advance(summary, progress, rows_in_batch)
    return counts


def _attach_items(
    session: Session,
    workspace_id: int,
    pending: dict[str, list[ParsedItemRow]],
    touched: set[int],
    rejects: RejectLog,
    counts: OrderCounts,
    undo: ChunkUndo,
) -> None:
    if not pending:
        return
    order_ids = _taobao_order_ids(session, workspace_id, list(pending))
    for order_no in pending.keys() - order_ids.keys():
        for row in pending[order_no]:
            rejects.add(RowError(row.row, "订单编号", order_no, UNKNOWN_ORDER))
    known = {
        order_ids[no]: [item_values(row.item) for row in rows]
        for no, rows in pending.items()
        if no in order_ids
    }
    current = _items_of(session, workspace_id, [i for i in known if i not in touched])
    replaced: list[tuple[int, list[dict[str, Any]]]] = []
    appended: list[tuple[int, list[dict[str, Any]]]] = []
    for order_id, items in known.items():
        if order_id in touched:
            appended.append((order_id, items))
        elif items_digest(items) == items_digest(current.get(order_id, [])):
            counts.unchanged += 1
        else:
            replaced.append((order_id, items))
            counts.updated += 1
    rewritten = [order_id for order_id, _ in replaced + appended]
    undo.keep_orders(session, workspace_id, rewritten)
    undo.keep_items(session, workspace_id, rewritten)
    replace_items(session, workspace_id, replaced)
    insert_items(session, workspace_id, appended)
    _recount_items(session, workspace_id, rewritten)
    touched.update(known)


def _taobao_order_ids(session: Session, workspace_id: int, numbers: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(Order.order_no, Order.id).where(
            Order.workspace_id == workspace_id,
            Order.platform == "taobao",
            Order.order_no.in_(numbers),
        )
    )
    return {order_no: order_id for order_no, order_id in rows}


def _items_of(
    session: Session, workspace_id: int, order_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    if not order_ids:
        return {}
    rows = session.execute(
        select(
            OrderItem.order_id,
            OrderItem.title,
            OrderItem.sku,
            OrderItem.quantity,
            OrderItem.unit_price_fen,
            OrderItem.product_id,
        )
        .where(OrderItem.workspace_id == workspace_id, OrderItem.order_id.in_(order_ids))
        .order_by(OrderItem.id)
    )
    items: dict[int, list[dict[str, Any]]] = {}
    for order_id, title, sku, quantity, unit_price_fen, product_id in rows:
        items.setdefault(order_id, []).append(
            {
                "title": title,
                "sku": sku,
                "quantity": quantity,
                "unit_price_fen": unit_price_fen,
                "product_id": product_id,
            }
        )
    return items


def _recount_items(session: Session, workspace_id: int, order_ids: list[int]) -> None:
    """item_count follows the items now attached (one UPDATE with a correlated sum)."""
    if not order_ids:
        return
    units = (  # workspace_id first, so the sum reads the (workspace_id, order_id) index
        select(func.coalesce(func.sum(OrderItem.quantity), 0))
        .where(OrderItem.workspace_id == workspace_id, OrderItem.order_id == Order.id)
        .scalar_subquery()
    )
    session.execute(
        update(Order)
        .where(Order.workspace_id == workspace_id, Order.id.in_(order_ids))
        .values(item_count=units, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# --- runs, locks, summaries ---------------------------------------------------------------


def _serialise_imports(session: Session, workspace_id: int) -> None:
    """PostgreSQL: a chunk of an import and a batch pushed through the API queue here until
    the other commits, so they never race to create the same customer or order. SQLite takes
    its write lock at BEGIN."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_IMPORT_LOCK_BASE + workspace_id)))


def import_lock_name(workspace_id: int) -> str:
    """The job lock (``kit.joblock``) an import of the workspace holds from start to end."""
    return f"siyu-imports-{workspace_id}"


INTERRUPTED = N_("The import stopped before the end of the file; nothing of it was kept.")


def interrupted_detail() -> dict[str, Any]:
    return {"message_id": INTERRUPTED, "values": {}, "missing_columns": [], "platform_guess": None}


def undo_run(session: Session, workspace_id: int, run_id: int, detail: dict[str, Any]) -> None:
    """Take back every committed chunk of a run, newest first, a short transaction each; then
    the run is failed for the reason in ``detail`` (``fatal_detail``) and keeps no rejects."""
    while undo_newest_chunk(session, workspace_id, run_id):
        chunk_committed(session)
    session.execute(
        delete(ImportReject).where(
            ImportReject.workspace_id == workspace_id, ImportReject.run_id == run_id
        )
    )
    session.execute(
        update(ImportRun)
        .where(ImportRun.workspace_id == workspace_id, ImportRun.id == run_id)
        .values(
            status="failed",
            error=_fatal_text(detail, lambda text: text, lambda code: code),
            error_detail=detail,
            finished_at=utcnow(),
        )
    )
    session.commit()


def recover_runs(session: Session, workspace_id: int) -> list[int]:
    """Undo the runs of the workspace left running by a process that died. The caller holds
    the workspace's import lock, so no run of it is alive."""
    stale = list(
        session.scalars(
            select(ImportRun.id).where(
                ImportRun.workspace_id == workspace_id, ImportRun.status == "running"
            )
        )
    )
    session.commit()
    for run_id in stale:
        undo_run(session, workspace_id, run_id, interrupted_detail())
    return stale


def recover_interrupted_imports(session: Session) -> list[int]:
    """At start-up: undo every run left running whose import is not alive (its lock is free)."""
    workspace_ids = set(
        session.scalars(select(ImportRun.workspace_id).where(ImportRun.status == "running"))
    )
    session.commit()
    recovered: list[int] = []
    for workspace_id in sorted(workspace_ids):
        lock = job_lock(session.get_bind(), import_lock_name(workspace_id), wait=False)
        with lock as taken:
            if taken:
                recovered += recover_runs(session, workspace_id)
    return recovered


def _start_run(
    session: Session,
    workspace: Tenant,
    name: str,
    platform: str | None,
    file_kind: str | None,
    dry_run: bool,
    actor: Actor,
) -> ImportRun:
    run = ImportRun(
        workspace_id=workspace.id,
        file_name=Path(name).name[-255:],
        platform=platform,
        file_kind=file_kind,
        status="running",
        dry_run=dry_run,
        operator_id=actor.id if actor.type == "operator" else None,
    )
    session.add(run)
    session.flush()
    return run


def _finish_run(session: Session, run: ImportRun, summary: ImportSummary, actor: Actor) -> None:
    run.status = "completed"
    run.finished_at = utcnow()
    run.rows_read = summary.rows_read
    run.rows_rejected = summary.rows_rejected
    run.orders_created = summary.orders_created
    run.orders_updated = summary.orders_updated
    run.orders_unchanged = summary.orders_unchanged
    run.customers_created = summary.customers_created
    run.paid_amount_fen = summary.paid_amount_fen
    run.refund_amount_fen = summary.refund_amount_fen
    detail = summary.as_dict() | {"file": run.file_name}
    detail.pop("report")
    audit.record(
        session,
        actor,
        "orders.import",
        workspace_id=run.workspace_id,
        target_type="import_run",
        target_id=run.id,
        detail=detail,
    )
    session.flush()


def _fatal(
    session: Session,
    workspace: Tenant,
    name: str,
    fatal: FatalImportError,
    *,
    dry_run: bool,
    actor: Actor,
) -> ImportSummary:
    """The whole file is rejected: record the failed run (not for a dry run) and say why."""
    summary = _fatal_summary(name, fatal)
    if dry_run:
        return summary
    run = _start_run(session, workspace, name, fatal.platform_guess, None, False, actor)
    run.status = "failed"
    run.error = summary.fatal
    run.error_detail = fatal_detail(fatal)
    run.finished_at = utcnow()
    session.flush()
    summary.run_id = run.id
    return summary


def _fatal_summary(name: str, fatal: FatalImportError, run_id: int | None = None) -> ImportSummary:
    return ImportSummary(
        file=name,
        platform=fatal.platform_guess,
        fatal=fatal_message(fatal),
        missing_columns=fatal.missing_columns,
        run_id=run_id,
    )


def fatal_message(fatal: FatalImportError) -> str:
    """The parser's message in English (API, CLI), naming the missing columns and the platform
    guessed."""
    return _fatal_text(fatal_detail(fatal), lambda text: text, lambda code: code)


def fatal_detail(fatal: FatalImportError) -> dict[str, Any]:
    """What ``fatal_text`` needs to say it again later in another language."""
    return {
        "message_id": fatal.message_id,
        "values": fatal.values,
        "missing_columns": fatal.missing_columns,
        "platform_guess": fatal.platform_guess,
    }


def fatal_text(detail: dict[str, Any]) -> str:
    """A rejected file's reason in the reader's language, platforms by name."""
    return _fatal_text(detail, gettext, lambda code: gettext(PLATFORM_LABELS.get(code, code)))


def _fatal_text(
    detail: dict[str, Any], translate: Callable[[str], str], platform: Callable[[str], str]
) -> str:
    values = dict(detail.get("values") or {})
    english = detail["message_id"] % values if values else detail["message_id"]
    if "platform" in values:
        values["platform"] = platform(str(values["platform"]))
    message = translate(detail["message_id"]) % values if values else translate(english)
    missing = detail.get("missing_columns") or []
    if missing and not all(c in english for c in missing):
        message += " " + translate(MISSING_COLUMNS) % {"columns": ", ".join(missing)}
    guess = detail.get("platform_guess")
    if guess and guess not in english:
        message += " " + translate(LOOKS_LIKE) % {"platform": platform(guess)}
    return message


MISSING_COLUMNS = N_("Missing columns: %(columns)s.")
LOOKS_LIKE = N_("(Looks like a %(platform)s export.)")


def _fill(summary: ImportSummary, counts: OrderCounts) -> None:
    summary.orders_created = counts.created
    summary.orders_updated = counts.updated
    summary.orders_unchanged = counts.unchanged
    summary.customers_created = counts.customers_created
    summary.paid_amount_fen = counts.paid_amount_fen
    summary.refund_amount_fen = counts.refund_amount_fen


def _advance(summary: ImportSummary, progress: Progress | None, rows: int) -> None:
    summary.rows_read += rows
    if progress is not None and rows:
        progress(rows)


# --- orders pushed through the API --------------------------------------------------------


def record_orders(
    session: Session, workspace_id: int, orders: Sequence[OrderIn], actor: Actor
) -> OrderCounts:
    """Upsert orders by (platform, order_no): re-sending a batch changes nothing."""
    _serialise_imports(session, workspace_id)
    counts = apply_orders(
        session, workspace_id, [_parsed(order) for order in orders], keep_items_when_empty=True
    )
    audit.record(
        session,
        actor,
        "orders.batch",
        workspace_id=workspace_id,
        target_type="orders",
        detail={
            "orders": len(orders),
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "customers_created": counts.customers_created,
        },
    )
    return counts


def _parsed(order: OrderIn) -> ParsedOrder:
    """The same rules as files: only a payment time makes an order paid."""
    paid_fen = order.paid_amount_fen if order.paid_at is not None else 0
    refund_state = order.refund_state or combined_refund([], order.refund_amount_fen, paid_fen)
    return ParsedOrder(
        platform=order.platform,
        order_no=order.order_no,
        shop=order.shop,
        buyer_id=order.buyer_id,
        buyer_nick=order.buyer_nick,
        phone=normalise_mobile(order.phone) if order.phone else None,
        receiver_name=None,
        address=None,
        province=None,
        status=order.status,
        refund_state=refund_state,
        paid_amount_fen=paid_fen,
        refund_amount_fen=order.refund_amount_fen,
        created_at=_utc(order.ordered_at),
        paid_at=_utc(order.paid_at),
        completed_at=_utc(order.completed_at),
        streamer_id=None,
        streamer_name=None,
        traffic_source=None,
        items=[
            ParsedItem(item.title, item.sku, item.quantity, item.unit_price_fen, item.product_id)
            for item in order.items or []
        ],
        rows=[],
        raw={},
    )


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


# --- read functions for other domains ------------------------------------------------------


@dataclass(frozen=True)
class FirstPaidOrder:
    order_id: int
    paid_at: datetime
    paid_amount_fen: int


def first_paid_orders(
    session: Session, workspace_id: int, customer_ids: Iterable[int]
) -> dict[int, FirstPaidOrder]:
    """Each fan's earliest paid order (paid, amount above zero), one query for all the fans: the
    referral rewards wait for an invitee's own first order."""
    wanted = set(customer_ids)
    if not wanted:
        return {}
    ranked = (
        select(
            Order.customer_id,
            Order.id,
            Order.paid_at,
            Order.paid_amount_fen,
            func.row_number()
            .over(partition_by=Order.customer_id, order_by=(Order.paid_at, Order.id))
            .label("rank"),
        )
        .where(
            Order.workspace_id == workspace_id,
            Order.customer_id.in_(wanted),
            Order.paid_at.is_not(None),
            Order.paid_amount_fen > 0,
        )
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rank == 1))
    return {
        row.customer_id: FirstPaidOrder(row.id, as_utc(row.paid_at), row.paid_amount_fen)
        for row in rows
    }
