"""API shapes of the public channels domain."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

ContentPlatform = Literal["douyin", "kuaishou", "xiaohongshu", "bilibili", "weibo", "channels"]


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: ContentPlatform
    account_id: int | None
    title: str
    published_at: datetime | None
    plays: int
    likes: int
    comments: int
    shares: int
    favorites: int
    follower_gain: int


class SummaryOut(BaseModel):
    works: int
    works_per_week: float
    plays: int
    likes: int
    avg_likes: float
    avg_comments: float
    follower_gain: int
