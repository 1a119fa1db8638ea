"""Helpers for the live tests: a live built through the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.live import service
from siyu.live.models import Live
from tests.factories import ACTOR


def make_live(session: Session, workspace_id: int, **overrides: Any) -> Live:
    start = utcnow() + timedelta(days=1)
    fields: dict[str, Any] = {
        "title": "周五宠粉夜",
        "platform": "douyin",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "streamer_id": "xiaolu",
        "products": ["羊绒围巾", "保温杯"],
    }
    fields.update(overrides)
    return service.create_live(session, workspace_id, service.LiveDraft(**fields), ACTOR)
