"""Jobs of the WeCom connector: welcomes, callback handling, and the periodic reconciliation."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom import callbacks
from siyu.connectors.wecom.client import WecomError
from siyu.connectors.wecom.connection import client_for
from siyu.connectors.wecom.models import WecomConnection
from siyu.connectors.wecom.sync import push_tags, sync_all
from siyu.jobs import job

log = logging.getLogger("siyu.wecom")
RECONCILE_EVERY_SECONDS = 3600
PUSH_TAGS_EVERY_SECONDS = 300


@job("wecom.send_welcome", max_attempts=1)
def send_welcome(session: Session, event_id: int) -> None:
    """One attempt only: a welcome code is valid once, for 20 s."""
    callbacks.welcome(session, event_id)
    session.commit()


@job("wecom.handle_event", max_attempts=5)
def handle_event(session: Session, event_id: int) -> None:
    callbacks.handle(session, event_id)
    session.commit()


@job("wecom.sync", max_attempts=3)
def sync_workspace(session: Session, workspace_id: int) -> None:
    client = client_for(session, workspace_id)
    try:
        summary = sync_all(session, workspace_id, client)
    finally:
        client.close()
    session.commit()
    log.info("wecom sync of workspace %s: %s", workspace_id, summary.as_dict())


@job("wecom.reconcile", every_seconds=RECONCILE_EVERY_SECONDS)
def reconcile(session: Session) -> None:
    """The periodic full pull of every connected workspace (repairs lost callbacks)."""
    from siyu.jobs import enqueue

    for workspace_id in session.scalars(select(WecomConnection.workspace_id)):
        enqueue(session, "wecom.sync", {"workspace_id": workspace_id}, workspace_id=workspace_id)
    session.commit()


@job("wecom.push_tags", every_seconds=PUSH_TAGS_EVERY_SECONDS)
def push_all_tags(session: Session) -> None:
    """Siyu's tag changes (by hand, segment rules, live codes) marked in WeCom within minutes."""
    for workspace_id in list(session.scalars(select(WecomConnection.workspace_id))):
        client = client_for(session, workspace_id)
        try:
            marked = push_tags(session, workspace_id, client)
        except WecomError as error:
            log.warning("wecom tag push of workspace %s stopped: %s", workspace_id, error)
            session.rollback()
            continue
        finally:
            client.close()
        session.commit()
        if marked:
            log.info("wecom tag push of workspace %s: %s relations marked", workspace_id, marked)
