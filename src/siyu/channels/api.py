"""REST endpoints of the public channels domain (every query scoped to the token's workspace)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from siyu.channels import figures, service
from siyu.channels.schemas import ContentPlatform, PostOut, SummaryOut
from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.workspace.auth import Api

router = APIRouter(tags=["content"])
MAX_SUMMARY_DAYS = 366


@router.get("/content/posts", response_model=Page[PostOut])
def list_posts(
    api: Api,
    db: DbSession,
    platform: ContentPlatform | None = None,
    account_id: Int64 | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[PostOut]:
    """Posts on the public platforms with their latest imported figures, newest first;
    `account_id` keeps one of the workspace's accounts' posts."""
    _check_account(db, api.workspace_id, account_id)
    posts, next_cursor = figures.list_posts(
        db, api.workspace_id, platform=platform, account_id=account_id, cursor=cursor, limit=limit
    )
    return Page(items=[PostOut.model_validate(post) for post in posts], next_cursor=next_cursor)


@router.get("/content/summary", response_model=SummaryOut)
def content_summary(
    api: Api,
    db: DbSession,
    platform: ContentPlatform | None = None,
    account_id: Int64 | None = None,
    days: int = Query(default=30, ge=1, le=MAX_SUMMARY_DAYS),
) -> SummaryOut:
    """Works published over the `days` days before today (the workspace's time zone) and their
    figures: plays, likes and follower gain are the works' latest totals. `account_id` keeps
    one of the workspace's accounts' works."""
    _check_account(db, api.workspace_id, account_id)
    data = figures.summary(
        db,
        api.workspace_id,
        api.workspace.timezone,
        platform=platform,
        days=days,
        account_id=account_id,
    )
    return SummaryOut(**data)


def _check_account(db: Session, workspace_id: int, account_id: int | None) -> None:
    """An account of another workspace (or none) is not found, like any foreign id."""
    if account_id is not None:
        service.get_account(db, workspace_id, account_id)
