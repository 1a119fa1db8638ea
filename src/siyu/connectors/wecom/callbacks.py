"""Callback intake and handling.

The callback route decrypts and checks the message, stores it raw under its identity (a
repeated delivery is counted, not stored again) and enqueues the jobs; WeCom gets its answer
as soon as that commits. The jobs treat events as hints: they re-pull the contact, the group or
the tags from the API before writing. A welcome goes out in a job of its own, first, because
its code expires 20 s after the add.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.connectors.wecom.client import WecomClient
from siyu.connectors.wecom.connection import callback_crypto, client_for
from siyu.connectors.wecom.crypto import CallbackCryptoError, parse_xml
from siyu.connectors.wecom.models import WecomCallbackEvent, WecomConnection, WecomFollow
from siyu.connectors.wecom.sync import (
    SyncSummary,
    dismiss_group,
    mark_lost,
    pull_contact,
    pull_group,
    sync_tags,
)
from siyu.kit.clock import utcnow
from siyu.kit.sql import insert_for

log = logging.getLogger("siyu.wecom")

CONTACT_CHANGES = frozenset(
    {
        "add_external_contact",
        "add_half_external_contact",
        "edit_external_contact",
        "del_external_contact",
        "del_follow_user",
        "transfer_fail",
    }
)
ADDS = frozenset({"add_external_contact", "add_half_external_contact"})
# The fields that make an event what it is; a retried delivery repeats all of them.
IDENTITY_FIELDS = (
    "ToUserName",
    "CreateTime",
    "Event",
    "ChangeType",
    "UserID",
    "ExternalUserID",
    "WelcomeCode",
    "ChatId",
    "UpdateDetail",
    "MemChangeList",
    "LastMemVer",
    "CurMemVer",
    "Id",
    "TagType",
    "Source",
    "FailReason",
)


def event_key(fields: dict[str, str]) -> str:
    canonical = json.dumps({name: fields.get(name, "") for name in IDENTITY_FIELDS}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Received:
    event_id: int
    new: bool


def open_message(
    connection: WecomConnection, msg_signature: str, timestamp: str, nonce: str, body: bytes
) -> dict[str, str]:
    """The event's fields, once the signature, the decryption and the ReceiveId hold
    (``CallbackCryptoError`` otherwise)."""
    message = callback_crypto(connection).open_post(msg_signature, timestamp, nonce, body)
    fields = parse_xml(message)
    if fields.get("ToUserName") and fields["ToUserName"] != connection.corp_id:
        raise CallbackCryptoError("message addressed to another corp")
    return fields | {"_xml": message}


def receive(session: Session, connection: WecomConnection, fields: dict[str, str]) -> Received:
    """Store the event (once per identity) and enqueue its handling."""
    workspace_id = connection.workspace_id
    key = event_key(fields)
    insert = insert_for(session)
    stored = session.scalar(
        insert(WecomCallbackEvent)
        .values(
            workspace_id=workspace_id,
            event_key=key,
            event=fields.get("Event", "")[:64] or "unknown",
            change_type=fields.get("ChangeType", "")[:64] or None,
            message=fields["_xml"],
            status="received",
            deliveries=1,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(WecomCallbackEvent.id)
    )
    connection.last_callback_at = utcnow()
    if stored is None:  # a repeated delivery: counted, handled once
        session.execute(
            update(WecomCallbackEvent)
            .where(
                WecomCallbackEvent.workspace_id == workspace_id, WecomCallbackEvent.event_key == key
            )
            .values(deliveries=WecomCallbackEvent.deliveries + 1)
            .execution_options(synchronize_session=False)
        )
        event_id = session.scalars(
            select(WecomCallbackEvent.id).where(
                WecomCallbackEvent.workspace_id == workspace_id, WecomCallbackEvent.event_key == key
            )
        ).one()
        return Received(event_id, False)
    event_id = int(stored)
    if fields.get("ChangeType") in ADDS and fields.get("WelcomeCode"):
        jobs.enqueue(
            session, "wecom.send_welcome", {"event_id": event_id}, workspace_id=workspace_id
        )
    jobs.enqueue(session, "wecom.handle_event", {"event_id": event_id}, workspace_id=workspace_id)
    return Received(event_id, True)


def _fields(event: WecomCallbackEvent) -> dict[str, str]:
    return parse_xml(event.message)


def welcome(session: Session, event_id: int, client: WecomClient | None = None) -> str:
    from siyu.connectors.wecom.service import send_welcome

    event = session.get_one(WecomCallbackEvent, event_id)
    fields = _fields(event)
    return send_welcome(
        session,
        event.workspace_id,
        welcome_code=fields["WelcomeCode"],
        userid=fields.get("UserID", ""),
        external_userid=fields.get("ExternalUserID", ""),
        state=fields.get("State") or None,
        client=client,
    )


def handle(session: Session, event_id: int, client: WecomClient | None = None) -> str:
    """Apply one stored event (again: a handled event re-pulls and changes nothing)."""
    event = session.get_one(WecomCallbackEvent, event_id)
    fields = _fields(event)
    own_client = client is None
    client = client or client_for(session, event.workspace_id)
    try:
        status = _apply(session, event.workspace_id, client, fields)
    finally:
        if own_client:
            client.close()
    event.status, event.handled_at = status, utcnow()
    session.flush()
    return status


def _apply(session: Session, workspace_id: int, client: WecomClient, fields: dict[str, str]) -> str:
    kind, change = fields.get("Event"), fields.get("ChangeType", "")
    summary = SyncSummary()
    if kind == "change_external_contact" and change in CONTACT_CHANGES:
        return _contact_change(session, workspace_id, client, fields, summary)
    if kind == "change_external_chat" and fields.get("ChatId"):
        if change == "dismiss":
            dismiss_group(session, workspace_id, fields["ChatId"])
        else:
            pull_group(session, workspace_id, client, fields["ChatId"], summary)
        return "handled"
    if kind == "change_external_tag":
        sync_tags(session, workspace_id, client, summary)
        return "handled"
    log.info("wecom event %s/%s stored and ignored", kind, change)
    return "ignored"


def _contact_change(
    session: Session,
    workspace_id: int,
    client: WecomClient,
    fields: dict[str, str],
    summary: SyncSummary,
) -> str:
    change = fields["ChangeType"]
    external_userid, userid = fields.get("ExternalUserID", ""), fields.get("UserID", "")
    if change == "transfer_fail" or not external_userid:
        return "handled"
    reported = pull_contact(session, workspace_id, client, external_userid, summary)
    if change in ("del_follow_user", "del_external_contact") and userid not in reported:
        # The re-pull has the last word: a relation WeCom still reports was re-added since.
        relation = session.scalar(
            select(WecomFollow).where(
                WecomFollow.workspace_id == workspace_id,
                WecomFollow.external_userid == external_userid,
                WecomFollow.userid == userid,
            )
        )
        if relation is not None:
            mark_lost(relation, "lost" if change == "del_follow_user" else "deleted")
    return "handled"
