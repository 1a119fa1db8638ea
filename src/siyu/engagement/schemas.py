"""API shapes of the engagement domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from siyu.kit.bounds import INT32_MAX, Int64

TaskText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CampIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: Int64 = Field(description="The fan group the camp runs in.")
    title: str = Field(min_length=1, max_length=100)
    starts_on: date = Field(description="The first day, a business day of the workspace.")
    tasks: list[TaskText] = Field(
        min_length=1, max_length=60, description="The task of each day, day 1 first."
    )
    rule: Literal["consecutive", "cumulative"] = "consecutive"
    required_days: int | None = Field(
        default=None, ge=1, le=60, description="Days to complete (default: every day)."
    )
    reward_kind: Literal["points", "coupon"] = "points"
    reward_points: int = Field(default=0, ge=0, le=INT32_MAX)
    coupon_campaign_id: Int64 | None = None


class CampOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group_id: int
    title: str
    days: int
    starts_on: date
    rule: str
    required_days: int
    reward_kind: str
    reward_points: int
    coupon_campaign_id: int | None
    created_at: datetime


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: int
    text: str


class CampDetailOut(CampOut):
    state: Literal["upcoming", "running", "ended"]
    today: int | None = Field(description="Today's camp day, when the camp is running.")
    tasks: list[TaskOut]


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Int64
    note: str = Field(min_length=1, max_length=500, description="What the fan did today.")


class CheckInOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    camp_id: int
    customer_id: int
    day: int
    note: str | None
    created_at: datetime


class ProgressOut(BaseModel):
    customer_id: int
    days: list[int]
    checked: int
    streak: int
    completed: bool


class BoardOut(BaseModel):
    items: list[ProgressOut]
