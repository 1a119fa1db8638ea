"""Bearer-token checks for hot endpoints that answer on the event loop (the coupon grab).

In server mode a token's resolution (workspace and token id, never the secret) is kept in Redis
under its digest for ``TOKEN_CACHE_SECONDS``, so a crowd of claims through one integration
token asks the store once per period instead of once per request. Revoking a token deletes its
entry at once and again after the revocation commits; the bound that always holds is
``TOKEN_CACHE_SECONDS``: a request racing the commit may still cache the token, and it then
works for at most that long.
Embedded mode (no Redis) resolves every request in the store, as ``auth.api_context`` does;
both answer a missing or invalid token with the problems built here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from siyu.db import side_write, transaction
from siyu.kit.crypto import token_digest
from siyu.kit.errors import Unauthorized
from siyu.kit.i18n import N_
from siyu.kit.redis import get_async_redis, get_redis
from siyu.workspace.roles import Scope

log = logging.getLogger("siyu.workspace")

TOKEN_CACHE_SECONDS = 10
BEARER = {"WWW-Authenticate": 'Bearer realm="siyu"'}


@dataclass(frozen=True)
class TokenCaller:
    workspace_id: int
    token_id: int
    scopes: frozenset[str]

    def require(self, scope: Scope) -> None:
        if scope.value not in self.scopes:
            from siyu.workspace.auth import scope_missing  # auth builds on this module's peers

            raise scope_missing(scope)


def _cache_key(digest: str) -> str:
    return f"siyu:tok:{digest}"


def token_missing() -> Unauthorized:
    return Unauthorized(
        "token-missing",
        title=N_("An API token is required"),
        detail=N_("Send Authorization: Bearer <workspace API token>."),
        headers=BEARER,
    )


def token_invalid() -> Unauthorized:
    return Unauthorized(
        "token-invalid", title=N_("The API token is invalid or revoked"), headers=BEARER
    )


def bearer_secret(request: Request) -> str:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise token_missing()
    return secret.strip()


def resolve_in_store(secret: str) -> TokenCaller:
    """The live token for ``secret`` from the store, in a read of its own; ``last_used_at`` is
    recorded beside it, as every API call does."""
    from siyu.workspace.service import resolve_token, token_touch_due, touch_token

    with transaction(read_only=True) as session:
        token = resolve_token(session, secret)
        if token is None:
            raise token_invalid()
        caller = TokenCaller(token.workspace_id, token.id, frozenset(token.scopes.split()))
        touch_due = token_touch_due(token)
    if touch_due:  # beside the read, skipped when the store is busy
        side_write(lambda s: touch_token(s, caller.token_id))
    return caller


async def token_caller(request: Request) -> TokenCaller:
    """The caller of a hot endpoint: from Redis when cached, else from the store (one worker
    thread) and then cached."""
    secret = bearer_secret(request)
    client = get_async_redis()
    if client is None:
        return await run_in_threadpool(resolve_in_store, secret)
    key = _cache_key(token_digest(secret))
    cached = await _cached(client, key)
    if cached is not None:
        return cached
    caller = await run_in_threadpool(resolve_in_store, secret)
    try:
        value = f"{caller.workspace_id}:{caller.token_id}:{' '.join(sorted(caller.scopes))}"
        await client.set(key, value, ex=TOKEN_CACHE_SECONDS)
    except RedisError as exc:  # the store answered; the cache is only a shortcut
        log.warning("token cache not written: %s", exc)
    return caller


async def _cached(client: AsyncRedis, key: str) -> TokenCaller | None:
    try:
        value = await client.get(key)
    except RedisError as exc:
        log.warning("token cache unreadable, asking the store: %s", exc)
        return None
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    workspace_id, token_id, scopes = text.split(":", 2)
    return TokenCaller(int(workspace_id), int(token_id), frozenset(scopes.split()))


def forget_token(session: Session, digest: str) -> None:
    """Drop a token's cached resolution on revocation: now, and again once the revocation is
    committed (a request that read the token in between may have cached it again)."""
    _drop(digest)
    event.listen(session, "after_commit", lambda _session: _drop(digest), once=True)


def _drop(digest: str) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        client.delete(_cache_key(digest))
    except RedisError as exc:  # the entry then expires by itself within TOKEN_CACHE_SECONDS
        log.warning("token cache entry not dropped: %s", exc)


TokenCallerDep = Annotated[TokenCaller, Depends(token_caller)]


async def writing_caller(caller: TokenCallerDep) -> TokenCaller:
    """A caller whose token may write; checked before the body is read, as ``api_context``
    checks every other route's scope."""
    caller.require(Scope.write)
    return caller


WritingCallerDep = Annotated[TokenCaller, Depends(writing_caller)]
