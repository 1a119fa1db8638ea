"""The shapes a batch of group messages takes through the bot: in, replies out, the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from siyu.community.matching.moderation import Flag
from siyu.community.models import (
    AfterSalesTicket,
)


@dataclass(frozen=True)
class MessageIn:
    msg_id: str
    chat: str
    sender_ref: str
    sender_role: str
    sent_at: datetime
    text: str = ""
    group_ref: str | None = None
    msg_type: str = "text"
    sender_name: str | None = None
    reply_to_ref: str | None = None
    is_push: bool = False


@dataclass
class ReplyOut:
    msg_id: str
    rule_id: int
    kind: str
    text: str
    group_ref: str | None
    held: bool
    flags: list[Flag]


@dataclass
class BatchOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    replies: list[ReplyOut] = field(default_factory=list)
    tickets: list[AfterSalesTicket] = field(default_factory=list)
    flags: int = 0
