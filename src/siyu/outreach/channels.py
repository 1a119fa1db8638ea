"""The one interface outbound messages go through.

A channel plans a send (who can be reached, and by which operator), creates the task for each
operator, fetches results, and says whether WeCom's per-customer mass-message quota applies to
it. Text has passed the content check and fans the quota ledger before a channel sees them;
channels know nothing of either. New channels (微信客服, SMS, a platform's own messaging) are
added to :data:`CHANNELS` without touching broadcasts, playbooks or the bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.kit.errors import Unprocessable
from siyu.kit.i18n import N_
from siyu.outreach.models import OutreachTask
from siyu.workspace import service as workspace_service


@dataclass(frozen=True)
class Reach:
    """Who sends to whom; fans nobody can reach any more are ``lost``."""

    by_operator: dict[int | None, list[int]]
    lost: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class FanResult:
    customer_id: int
    status: str  # sent | not_friend | quota_refused | failed | pending


@dataclass(frozen=True)
class TaskStatus:
    confirmed: bool
    results: list[FanResult]


class Channel(Protocol):
    name: str
    uses_wecom_quota: bool

    def plan(self, session: Session, workspace_id: int, customer_ids: Sequence[int]) -> Reach: ...

    def create_task(
        self,
        session: Session,
        workspace_id: int,
        *,
        broadcast_id: int,
        operator_id: int | None,
        customer_ids: Sequence[int],
        text: str,
    ) -> str | None: ...

    def fetch_results(
        self,
        session: Session,
        workspace_id: int,
        *,
        broadcast_id: int,
        operator_id: int | None,
        external_id: str | None,
    ) -> TaskStatus: ...

    def remind(self, session: Session, workspace_id: int, *, external_id: str | None) -> bool: ...


class OperatorTaskChannel:
    """Operators send by hand from their "my tasks today" list: usable with no connector. Fans
    are shared among the workspace's operators, each fan always to the same one."""

    name = "operator_task"
    uses_wecom_quota = False

    def plan(self, session: Session, workspace_id: int, customer_ids: Sequence[int]) -> Reach:
        operators = sorted(
            m.operator_id for m in workspace_service.members_of(session, workspace_id)
        )
        by_operator: dict[int | None, list[int]] = {}
        for customer_id in customer_ids:
            owner = operators[customer_id % len(operators)] if operators else None
            by_operator.setdefault(owner, []).append(customer_id)
        return Reach(by_operator)

    def create_task(
        self,
        session: Session,
        workspace_id: int,
        *,
        broadcast_id: int,
        operator_id: int | None,
        customer_ids: Sequence[int],
        text: str,
    ) -> str | None:
        now = utcnow()
        session.add_all(
            OutreachTask(
                workspace_id=workspace_id,
                broadcast_id=broadcast_id,
                customer_id=customer_id,
                operator_id=operator_id,
                kind="message",
                text=text,
                due_at=now,
            )
            for customer_id in customer_ids
        )
        session.flush()
        return None

    def fetch_results(
        self,
        session: Session,
        workspace_id: int,
        *,
        broadcast_id: int,
        operator_id: int | None,
        external_id: str | None,
    ) -> TaskStatus:
        rows = session.execute(
            select(OutreachTask.customer_id, OutreachTask.state).where(
                OutreachTask.workspace_id == workspace_id,
                OutreachTask.broadcast_id == broadcast_id,
                OutreachTask.operator_id.is_(None)
                if operator_id is None
                else OutreachTask.operator_id == operator_id,
            )
        )
        statuses = {"done": "sent", "pending": "pending", "skipped": "failed", "blocked": "failed"}
        results = [FanResult(int(c), statuses[s]) for c, s in rows if c is not None]
        return TaskStatus(all(r.status != "pending" for r in results), results)

    def remind(self, session: Session, workspace_id: int, *, external_id: str | None) -> bool:
        return False  # the tasks page is the reminder


CHANNELS: dict[str, Channel] = {"operator_task": OperatorTaskChannel()}


def register(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


def channel_for(name: str) -> Channel:
    found = CHANNELS.get(name)
    if found is None:
        raise Unprocessable(
            "channel-unavailable",
            title=N_("This channel is not connected"),
            detail=f"channel {name!r} is not available in this installation",
        )
    return found
