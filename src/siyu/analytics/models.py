"""What the analytics refresh writes back to the store: one metrics row per fan, the history
of life-cycle transitions, and the workspace-level reports the dashboard reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column


class CustomerMetrics(Base):
    """A fan's figures as of the last refresh. Every live fan has a row; order figures are null
    (counts 0) for fans who never paid."""

    __tablename__ = "customer_metrics"
    __table_args__ = (
        Index(None, "workspace_id", "rfm_segment"),
        Index(None, "workspace_id", "lifecycle_stage"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    as_of: Mapped[date] = mapped_column(Date)
    paid_orders: Mapped[int] = mapped_column(default=0)
    net_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    first_paid_at: Mapped[datetime | None]
    last_paid_at: Mapped[datetime | None]
    days_since_last_order: Mapped[int | None]
    days_since_first_order: Mapped[int | None]
    avg_order_value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    spend_1y_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # ",douyin,taobao," so one platform is a LIKE away without a join
    platforms: Mapped[str] = mapped_column(String(200), default="")
    repurchase: Mapped[bool] = mapped_column(default=False)
    ltv_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    r_score: Mapped[int | None] = mapped_column(SmallInteger)
    f_score: Mapped[int | None] = mapped_column(SmallInteger)
    m_score: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_segment: Mapped[str | None] = mapped_column(String(32))
    cn8_segment: Mapped[str | None] = mapped_column(String(16))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(16))
    activity_score: Mapped[int] = mapped_column(SmallInteger, default=0)
    activity_level: Mapped[str] = mapped_column(String(8), default="low")
    koc_score: Mapped[int] = mapped_column(SmallInteger, default=0)
    p_alive: Mapped[float | None]
    expected_purchases_90d: Mapped[float | None]
    refreshed_at: Mapped[datetime] = created_at_column()


class LifecycleChange(Base):
    """A fan moved from one life-cycle stage to another at a refresh (append-only)."""

    __tablename__ = "lifecycle_changes"
    __table_args__ = (
        Index(None, "workspace_id", "changed_on"),
        Index(None, "workspace_id", "customer_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[date] = mapped_column(Date)


class AnalyticsReport(Base):
    """A workspace-level report computed at refresh (cohorts, GMV mix, ...), kept as JSON so the
    dashboard reads it without touching orders."""

    __tablename__ = "analytics_reports"
    __table_args__ = (Index(None, "workspace_id", "kind", unique=True),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    kind: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[date] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    refreshed_at: Mapped[datetime] = created_at_column()
