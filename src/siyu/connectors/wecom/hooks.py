"""WeCom's callback URL: ``/wecom/callback/{workspace_slug}``.

GET is WeCom's URL verification (the decrypted echostr, as plain text); POST carries events.
A message that is not WeCom's — bad signature, wrong ReceiveId, undecryptable — is refused
with 403 or 400 and changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from siyu.connectors.wecom import callbacks
from siyu.connectors.wecom import tasks as _tasks  # noqa: F401 - registers the jobs enqueued here
from siyu.connectors.wecom.connection import callback_crypto, require_connection
from siyu.connectors.wecom.crypto import CallbackCryptoError
from siyu.connectors.wecom.models import WecomConnection
from siyu.kit.errors import BadRequest, Forbidden
from siyu.kit.i18n import N_
from siyu.kit.web import DbSession
from siyu.workspace import service as workspace_service

router = APIRouter(prefix="/wecom", include_in_schema=False)

Param = Annotated[str, Query(max_length=1024)]  # missing: the signature check refuses it
MAX_BODY_BYTES = 64 * 1024


def _connection(session: Session, slug: str) -> WecomConnection:
    workspace = workspace_service.get_workspace_by_slug(session, slug)
    return require_connection(session, workspace.id)


def _refused(error: CallbackCryptoError) -> BadRequest | Forbidden:
    text = str(error)
    if "signature" in text or "ReceiveId" in text or "another corp" in text:
        return Forbidden(
            "wecom-callback-refused", title=N_("The callback is not from this WeCom corp")
        )
    return BadRequest("wecom-callback-unreadable", title=N_("The callback could not be decrypted"))


@router.get("/callback/{workspace_slug}", response_class=PlainTextResponse)
def verify_url(
    workspace_slug: str,
    db: DbSession,
    msg_signature: Param = "",
    timestamp: Param = "",
    nonce: Param = "",
    echostr: Param = "",
) -> PlainTextResponse:
    connection = _connection(db, workspace_slug)
    try:
        echo = callback_crypto(connection).verify_url(msg_signature, timestamp, nonce, echostr)
    except CallbackCryptoError as error:
        raise _refused(error) from None
    return PlainTextResponse(echo)


@router.post("/callback/{workspace_slug}", response_class=PlainTextResponse)
async def receive_event(
    workspace_slug: str,
    request: Request,
    db: DbSession,
    msg_signature: Param = "",
    timestamp: Param = "",
    nonce: Param = "",
) -> PlainTextResponse:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(
            "wecom-callback-unreadable", title=N_("The callback could not be decrypted")
        )
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(_store, db, workspace_slug, msg_signature, timestamp, nonce, body)
    return PlainTextResponse("success")


def _store(
    db: Session, slug: str, msg_signature: str, timestamp: str, nonce: str, body: bytes
) -> None:
    connection = _connection(db, slug)
    try:
        fields = callbacks.open_message(connection, msg_signature, timestamp, nonce, body)
    except CallbackCryptoError as error:
        raise _refused(error) from None
    callbacks.receive(db, connection, fields)
