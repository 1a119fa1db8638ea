"""The coupon grab's choice of engine: Redis in server mode (``stream``), else the store
(``grab``). Both engines share the grab's rules and answers in ``grab``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from siyu.coupons import grab, stream
from siyu.kit.redis import get_redis


def claim(session: Session, attempt: grab.Attempt, *, redis: Any = "default") -> grab.Claimed:
    """One attempt to claim a coupon. Raises a ``Problem`` for every refusal.

    ``redis``: the client to use; by default the configured one (server mode) or none.
    """
    client = get_redis() if redis == "default" else redis
    if client is not None:  # Redis answers a sold-out campaign itself, and knows who holds one
        return stream.claim(session, client, attempt)
    return grab.claim_in_store(session, attempt)
