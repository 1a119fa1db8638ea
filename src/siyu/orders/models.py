"""Tables of the orders domain: orders, their items, import runs and rejected rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column

ORDER_STATUSES = ("created", "paid", "shipped", "completed", "closed")
REFUND_STATES = ("none", "requested", "partial", "full")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "order_no"),
        Index(None, "workspace_id", "customer_id", "paid_at"),
        Index(None, "workspace_id", "paid_at"),
        CheckConstraint("paid_amount_fen >= 0", name="paid_non_negative"),
        CheckConstraint("refund_amount_fen >= 0", name="refund_non_negative"),
        CheckConstraint(
            "status IN ('created','paid','shipped','completed','closed')", name="status_known"
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    # Null when the file carries no identity at all (e.g. a masked phone and no buyer id).
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    platform: Mapped[str] = mapped_column(String(16))
    order_no: Mapped[str] = mapped_column(String(64))
    shop: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    refund_state: Mapped[str] = mapped_column(String(16), default="none")
    paid_amount_fen: Mapped[int] = mapped_column(default=0)
    refund_amount_fen: Mapped[int] = mapped_column(default=0)
    ordered_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    buyer_id: Mapped[str | None] = mapped_column(String(128))  # the identity it came under
    buyer_nick: Mapped[str | None] = mapped_column(String(100))
    streamer_id: Mapped[str | None] = mapped_column(String(64))
    streamer_name: Mapped[str | None] = mapped_column(String(100))
    traffic_source: Mapped[str | None] = mapped_column(String(64))
    item_count: Mapped[int] = mapped_column(default=0)
    content_hash: Mapped[str] = mapped_column(String(32))  # what the last import said
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    import_run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("import_runs.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        Index(None, "workspace_id", "order_id"),
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    sku: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_fen: Mapped[int | None]
    product_id: Mapped[str | None] = mapped_column(String(64))


class ImportRun(Base):
    """One file imported (or dry-run): what it held and what it changed."""

    __tablename__ = "import_runs"
    __table_args__ = (Index(None, "workspace_id", "id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    platform: Mapped[str | None] = mapped_column(String(16))
    file_kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|completed|failed
    dry_run: Mapped[bool] = mapped_column(default=False)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    orders_created: Mapped[int] = mapped_column(default=0)
    orders_updated: Mapped[int] = mapped_column(default=0)
    orders_unchanged: Mapped[int] = mapped_column(default=0)
    customers_created: Mapped[int] = mapped_column(default=0)
    # Sums over a whole file: a million orders pass 2^31 fen (21 million yuan) easily.
    paid_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # The same reason as a message id and its values (``service.fatal_text``), for the console.
    error_detail: Mapped[dict[str, Any] | None]
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None]


class ImportChunk(Base):
    """What one committed chunk of a running import changed, so that it can be taken back.

    Kept only while its run is running: the run's last transaction deletes them; a run that
    failed, or whose process died, is undone chunk by chunk from the newest (``journal``)."""

    __tablename__ = "import_chunks"
    __table_args__ = (UniqueConstraint("workspace_id", "run_id", "seq"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("import_runs.id", ondelete="CASCADE"))
    seq: Mapped[int]
    undo: Mapped[dict[str, Any]]


class ImportReject(Base):
    """A row the import refused: the downloadable reject report."""

    __tablename__ = "import_rejects"
    __table_args__ = (Index(None, "workspace_id", "run_id", "row_number"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("import_runs.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    column_name: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(300))
