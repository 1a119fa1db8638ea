"""API bodies of the analytics domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from siyu.analytics.funnels import DEFAULT_STEPS, MAX_STEPS


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="Business day, inclusive; default today")


class RefreshOut(BaseModel):
    job_id: int
    status: str


class MetricsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    as_of: date
    paid_orders: int
    net_paid_fen: int
    first_paid_at: datetime | None
    last_paid_at: datetime | None
    days_since_last_order: int | None
    days_since_first_order: int | None
    avg_order_value_fen: int
    spend_1y_fen: int
    platforms: list[str]
    repurchase: bool
    ltv_fen: int
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_segment: str | None
    cn8_segment: str | None
    lifecycle_stage: str | None
    activity_score: int
    activity_level: str
    koc_score: int
    p_alive: float | None
    expected_purchases_90d: float | None
    refreshed_at: datetime


class DashboardOut(BaseModel):
    refreshed: bool
    as_of: str | None
    refreshed_at: datetime | None
    scheme: str
    overview: dict[str, Any]
    segments: list[dict[str, Any]]
    stages: dict[str, int]
    moves: dict[str, Any]
    cohorts: list[dict[str, Any]]
    gmv: list[dict[str, Any]]
    channels: dict[str, Any]


class FunnelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[str] = Field(
        default=list(DEFAULT_STEPS),
        min_length=2,
        max_length=MAX_STEPS,
        description="Event kinds, or first_order / repeat_order",
    )
    window_days: int = Field(default=30, ge=1, le=365)


class FunnelStepOut(BaseModel):
    kind: str
    customers: int
    conversion: float
    overall: float


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rfm_mode: str = Field(default="quintile", description="quintile | thresholds")
    scheme: str = Field(default="standard", description="standard | cn8")
    thresholds: dict[str, list[int]] = Field(
        default_factory=dict,
        description="recency_days (increasing), frequency_orders and monetary_fen (decreasing), "
        "four cut points each",
    )
    windows: dict[str, int] = Field(
        default_factory=dict,
        description="new_days, new_max_orders, active_days, about_to_sleep_days, sleeping_days",
    )
