"""A workspace's WeCom connection: encrypted settings, the shared access token, the limiter,
error counts, and the client built from them.

The access token is shared by every process: in server mode through Redis (refreshed under a
Redis lock, so one process refreshes and the others wait and reuse its token); in embedded
mode through the connection row, inside the caller's unit of work (on SQLite a writing unit of
work holds the store's write lock, so refreshes never overlap).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom.client import WecomClient, WecomUnavailable
from siyu.connectors.wecom.crypto import CallbackCrypto
from siyu.connectors.wecom.models import WecomApiError, WecomConnection
from siyu.kit.clock import utcnow
from siyu.kit.counters import counter_for
from siyu.kit.crypto import decrypt_pii, encrypt_pii
from siyu.kit.errors import NotFound
from siyu.kit.i18n import N_
from siyu.kit.redis import get_redis
from siyu.kit.sql import insert_for

EARLY_REFRESH = timedelta(minutes=5)  # refresh a token this long before WeCom expires it
# Under WeCom's per corp and API limits (10k/min, 150k/h), with room for other tools.
LIMITS = ((9_000, 60), (140_000, 3_600))
LIMITER_WAIT_SECONDS = 5.0
TOKEN_LOCK_SECONDS = 15

# API bases answered in this process (the fake corp in tests and the demo), by base URL.
_transports: dict[str, httpx.BaseTransport] = {}


def register_transport(api_base: str, transport: httpx.BaseTransport | None) -> None:
    if transport is None:
        _transports.pop(api_base.rstrip("/"), None)
    else:
        _transports[api_base.rstrip("/")] = transport


def _context(connection_workspace: int, field: str) -> bytes:
    return f"wecom:{connection_workspace}:{field}".encode()


def seal(workspace_id: int, field: str, value: str) -> bytes:
    return encrypt_pii(value, context=_context(workspace_id, field))


def unseal(workspace_id: int, field: str, blob: bytes) -> str:
    return decrypt_pii(blob, context=_context(workspace_id, field))


def connection_of(session: Session, workspace_id: int) -> WecomConnection | None:
    return session.scalar(
        select(WecomConnection).where(WecomConnection.workspace_id == workspace_id)
    )


def require_connection(session: Session, workspace_id: int) -> WecomConnection:
    connection = connection_of(session, workspace_id)
    if connection is None:
        raise NotFound("wecom-not-connected", title=N_("WeCom is not connected"))
    return connection


def callback_crypto(connection: WecomConnection) -> CallbackCrypto:
    ws = connection.workspace_id
    return CallbackCrypto(
        unseal(ws, "callback_token", connection.callback_token_enc),
        unseal(ws, "encoding_aes_key", connection.encoding_aes_key_enc),
        connection.corp_id,
    )


class StoreTokens:
    """The connection's access token (see the module's docstring)."""

    def __init__(self, session: Session, connection: WecomConnection) -> None:
        self.session, self.connection = session, connection
        self.redis = get_redis()
        self.key = f"siyu:wecom:{{{connection.corp_id}}}:token:{connection.workspace_id}"

    def current(self) -> str | None:
        if self.redis is not None:
            value = self.redis.get(self.key)
            return value.decode() if isinstance(value, bytes) else value
        row = self.connection
        if row.access_token_enc is None or row.token_expires_at is None:
            return None
        if row.token_expires_at - EARLY_REFRESH <= utcnow():
            return None
        return unseal(row.workspace_id, "access_token", row.access_token_enc)

    def refresh(self, stale: str | None, fetch: Callable[[], tuple[str, int]]) -> str:
        if self.redis is not None:
            with self.redis.lock(
                self.key + ":lock", timeout=TOKEN_LOCK_SECONDS, blocking_timeout=TOKEN_LOCK_SECONDS
            ):
                fresh = self.current()
                if fresh is not None and fresh != stale:
                    return fresh  # another process refreshed it while we waited
                token, expires_in = fetch()
                ttl = max(expires_in - int(EARLY_REFRESH.total_seconds()), 60)
                self.redis.set(self.key, token, ex=ttl)
                return token
        self.session.refresh(self.connection)
        fresh = self.current()
        if fresh is not None and fresh != stale:
            return fresh
        token, expires_in = fetch()
        self.connection.access_token_enc = seal(self.connection.workspace_id, "access_token", token)
        self.connection.token_expires_at = utcnow() + timedelta(seconds=expires_in)
        self.session.flush()
        return token


class CounterLimiter:
    """Hits per corp and endpoint in fixed windows (Redis or the store, ``kit/counters``); when
    a window is full the call waits for the next one, up to a bound, then gives up."""

    def __init__(self, session: Session, corp_id: str) -> None:
        self.counter, self.corp_id = counter_for(session), corp_id

    def acquire(self, endpoint: str) -> None:
        waited = 0.0
        for limit, window in LIMITS:
            while True:
                verdict = self.counter.hit(
                    f"wecom:{self.corp_id}:{endpoint}:{window}", limit, window
                )
                if verdict.allowed:
                    break
                if waited >= LIMITER_WAIT_SECONDS:
                    raise WecomUnavailable(endpoint, 45009, "client-side limit reached")
                pause = min(float(verdict.retry_after), LIMITER_WAIT_SECONDS - waited)
                time.sleep(pause)
                waited += pause


def record_error(
    session: Session, workspace_id: int, endpoint: str, errcode: int, errmsg: str
) -> None:
    """Count an error for the health page, in the caller's unit of work."""
    insert = insert_for(session)
    now = utcnow()
    statement = insert(WecomApiError).values(
        workspace_id=workspace_id,
        endpoint=endpoint[:80],
        errcode=errcode,
        count=1,
        last_message=errmsg[:300],
        last_at=now,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "endpoint", "errcode"],
            set_={"count": WecomApiError.count + 1, "last_message": errmsg[:300], "last_at": now},
        )
    )


def client_for(session: Session, workspace_id: int, **options: Any) -> WecomClient:
    connection = require_connection(session, workspace_id)
    return build_client(session, connection, **options)


def build_client(session: Session, connection: WecomConnection, **options: Any) -> WecomClient:
    ws = connection.workspace_id

    def on_error(endpoint: str, errcode: int, errmsg: str) -> None:
        record_error(session, ws, endpoint, errcode, errmsg)

    return WecomClient(
        corp_id=connection.corp_id,
        secret=unseal(ws, "secret", connection.secret_enc),
        api_base=connection.api_base,
        tokens=StoreTokens(session, connection),
        limiter=CounterLimiter(session, connection.corp_id),
        on_error=on_error,
        transport=_transports.get(connection.api_base.rstrip("/")),
        **options,
    )
