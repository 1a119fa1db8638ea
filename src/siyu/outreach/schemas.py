"""API bodies of outreach (the contract in docs/outreach.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.kit.bounds import Int64


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000, examples=["今晚八点直播，新款连衣裙上架"])


class FindingOut(BaseModel):
    term: str
    category: Literal["ad_law", "address", "induced_sharing", "repeat"]
    severity: Literal["block", "warn"]
    start: int
    end: int
    suggestion: str | None = None


class CheckOut(BaseModel):
    ok: bool
    findings: list[FindingOut]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wecom_quota: Literal["daily", "weekly7", "monthly_days"]
    max_per_fan_per_week: int | None = Field(default=None, ge=0, le=1000)


class SettingsOut(BaseModel):
    wecom_quota: Literal["daily", "weekly7", "monthly_days"]
    max_per_fan_per_week: int | None


class BroadcastIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    segment_id: Int64
    channel: Literal["wecom_single", "wecom_group", "moments", "operator_task"]
    text: str = Field(min_length=1, max_length=2000)
    holdout_percent: int = Field(default=0, ge=0, le=50)
    send_at: datetime | None = None


class Excluded(BaseModel):
    no_consent: int = 0
    unsubscribed: int = 0
    lost: int = 0


class BroadcastCreatedOut(BaseModel):
    id: int
    state: str
    audience_size: int
    holdout_size: int
    excluded: Excluded
    findings: list[FindingOut] = Field(
        default_factory=list, description="warn findings to show the operator"
    )


class OperatorStatusOut(BaseModel):
    operator_id: int | None
    fans: int
    sent: int
    confirmed: bool
    reminders_today: int


class BroadcastOut(BaseModel):
    id: int
    name: str
    channel: str
    state: str
    audience_size: int
    holdout_size: int
    excluded: Excluded
    planned: int
    quota_blocked: int
    sent: int
    failed: int
    sent_at: datetime | None
    operators: list[OperatorStatusOut]


class ArmOut(BaseModel):
    fans: int
    buyers: int
    gmv_fen: int


class LiftOut(BaseModel):
    days: int
    treated: ArmOut
    control: ArmOut
    conversion_difference: float
    incremental_gmv_fen: int
    ci95_fen: tuple[int | None, int | None]
    delivery_rate: float


class UnsubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Int64
