"""Moderation in fan groups: sensitive-word checks, raising flags and resolving them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.community import service as groups
from siyu.community.matching.moderation import Flag, Moderator, SentMessage
from siyu.community.messages import BatchOutcome, MessageIn
from siyu.community.models import (
    FanGroup,
    ModerationFlag,
)
from siyu.kit.clock import as_utc
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace
from siyu.workspace import audit
from siyu.workspace.audit import Actor

_moderators: dict[tuple[str, ...], Moderator] = {}


def _moderator(words: Sequence[str] | None) -> Moderator:
    key = tuple(sorted(words or ()))
    found = _moderators.get(key)
    if found is None:
        found = Moderator(key)
        if len(_moderators) > 64:
            _moderators.clear()
        _moderators[key] = found
    return found


def check_outgoing_text(session: Session, workspace_id: int, text: str) -> list[Flag]:
    """Check an operator's reply before it goes out (Advertising Law terms, tone, own words)."""
    return _moderator(groups.settings_of(session, workspace_id).sensitive_words).check_outgoing(
        text
    )


def _flag_incoming(
    session: Session,
    workspace_id: int,
    moderator: Moderator,
    message: MessageIn,
    row_id: int,
    group: FanGroup | None,
    history: dict[tuple[int | None, str], list[SentMessage]],
    outcome: BatchOutcome,
) -> None:
    key = (group.id if group else None, message.sender_ref)
    past = [m for m in history[key] if m.sent_at <= as_utc(message.sent_at)]
    flags = moderator.check_incoming(message.text, past, sent_at=as_utc(message.sent_at))
    if message.msg_type == "qrcode":
        flags.append(Flag("contact_ad", "qr code", "a QR code picture"))
    history[key].append(SentMessage(message.text, as_utc(message.sent_at)))
    for flag in flags:
        _add_flag(
            session, workspace_id, "incoming", flag, group, row_id, message.sender_ref, message.text
        )
        outcome.flags += 1


def _flag_outgoing(
    session: Session,
    workspace_id: int,
    moderator: Moderator,
    message: MessageIn,
    row_id: int,
    group: FanGroup | None,
    outcome: BatchOutcome,
) -> None:
    for flag in moderator.check_outgoing(message.text):
        _add_flag(
            session, workspace_id, "outgoing", flag, group, row_id, message.sender_ref, message.text
        )
        outcome.flags += 1


def _add_flag(
    session: Session,
    workspace_id: int,
    direction: str,
    flag: Flag,
    group: FanGroup | None,
    message_id: int | None,
    sender_ref: str | None,
    text: str,
) -> None:
    session.add(
        ModerationFlag(
            workspace_id=workspace_id,
            direction=direction,
            kind=flag.kind,
            term=flag.term[:200],
            detail=(flag.detail or None) and flag.detail[:200],
            group_id=group.id if group else None,
            message_id=message_id,
            sender_ref=sender_ref,
            text=text,
        )
    )


# --- reviewing flags ---------------------------------------------------------------------


def list_flags(
    session: Session,
    workspace_id: int,
    *,
    status: str | None = "open",
    direction: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[ModerationFlag], str | None]:
    statement = select(ModerationFlag).where(ModerationFlag.workspace_id == workspace_id)
    if status:
        statement = statement.where(ModerationFlag.status == status)
    if direction:
        statement = statement.where(ModerationFlag.direction == direction)
    return keyset_page(session, statement, ModerationFlag.id, cursor=cursor, limit=limit)


def resolve_flag(
    session: Session, workspace_id: int, flag_id: int, status: str, actor: Actor
) -> ModerationFlag:
    if status not in ("open", "dismissed", "actioned"):
        raise Unprocessable("invalid-flag-status", title=N_("Use open, dismissed or actioned"))
    not_found = NotFound("flag-not-found", title=N_("Flag not found"))
    flag = get_in_workspace(session, ModerationFlag, workspace_id, flag_id, not_found)
    flag.status = status
    audit.record(
        session,
        actor,
        "community.flag_resolve",
        workspace_id=workspace_id,
        target_type="flag",
        target_id=flag.id,
        detail={"status": status},
    )
    session.flush()
    return flag
