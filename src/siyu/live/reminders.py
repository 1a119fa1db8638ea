"""Reminders before a live starts. An outreach channel registers a sender here; until one
does (or when none takes a reminder), each reminder is listed on the live's console page as a
task for an operator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.kit.i18n import N_
from siyu.live.models import Live, LiveReservation

# A sender gets the live and the reservers' ids and says whether it took the reminder.
ReminderSender = Callable[[Session, Live, list[int]], bool]
_senders: list[ReminderSender] = []

LEADS = (
    (timedelta(days=1), N_("Remind reservers one day before")),
    (timedelta(minutes=15), N_("Remind reservers 15 minutes before")),
)


@dataclass(frozen=True)
class ReminderTask:
    due_at: datetime
    label: str
    reservers: int


def register_sender(sender: ReminderSender) -> None:
    """For an outreach domain: take reminders instead of the operator's task list."""
    _senders.append(sender)


def reminder_tasks(session: Session, live: Live) -> list[ReminderTask]:
    count = int(
        session.scalar(
            select(func.count()).where(
                LiveReservation.workspace_id == live.workspace_id,
                LiveReservation.live_id == live.id,
            )
        )
        or 0
    )
    return [ReminderTask(live.starts_at - lead, label, count) for lead, label in LEADS]


def channel_takes_reminders() -> bool:
    """Whether an outreach channel sends them; otherwise the console lists operator tasks."""
    return bool(_senders)
