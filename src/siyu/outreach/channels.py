"""The one interface outbound messages go through.

A channel plans a send (who can be reached, and through which sender — an operator, or a WeCom
staff member tied to one), creates the task for each sender, fetches results, and says whether
WeCom's per-customer mass-message quota applies to it. Text has passed the content check and
fans the quota ledger before a channel sees them; channels know nothing of either. Another
channel (微信客服, SMS, a platform's own messaging) is one more entry in :func:`channel_for`,
without touching broadcasts, playbooks or the bot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.outbound import personalise
from siyu.kit.clock import utcnow
from siyu.kit.errors import Unprocessable
from siyu.kit.i18n import N_
from siyu.outreach.models import OutreachTask
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import SYSTEM


@dataclass(frozen=True)
class Reach:
    """Fans by sender, the operator behind each sender, and fans nobody can reach (``lost``)."""

    by_sender: dict[str, list[int]]
    operators: dict[str, int | None]
    lost: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class FanResult:
    customer_id: int
    status: str  # sent | not_friend | quota_refused | failed | pending


@dataclass(frozen=True)
class TaskStatus:
    confirmed: bool
    results: list[FanResult]


@dataclass(frozen=True)
class SendTask:
    """What a channel needs to create or follow one sender's task (of a broadcast, or of a
    playbook step when ``broadcast_id`` is ``None``)."""

    broadcast_id: int | None
    sender: str
    operator_id: int | None
    customer_ids: Sequence[int]
    text: str
    external_id: str | None = None
    attachment: Mapping[str, Any] | None = None
    link_url: str | None = None  # the landing shared by every receiver
    # Personalised content: each fan's landing, and the WeCom task made for each fan (the
    # channel fills it when creating; the broadcast keeps it for the follow-up).
    fan_urls: Mapping[int, str] = field(default_factory=dict)
    fan_messages: dict[int, str] = field(default_factory=dict)

    def text_for(self, customer_id: int, personal_text: str) -> str:
        """A hand-sent text ends with the link the fan is to open, if there is one."""
        url = self.fan_urls.get(customer_id) or self.link_url
        return f"{personal_text}\n{url}" if url else personal_text


class Channel(Protocol):
    name: str
    uses_wecom_quota: bool

    def plan(self, session: Session, workspace_id: int, customer_ids: Sequence[int]) -> Reach: ...

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None: ...

    def fetch_results(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus: ...

    def remind(self, session: Session, workspace_id: int, task: SendTask) -> bool: ...


class OperatorTaskChannel:
    """Operators send by hand from their "my tasks today" list: usable with no connector. Fans
    are shared among the workspace's operators, each fan always to the same one."""

    name = "operator_task"
    uses_wecom_quota = False

    def plan(self, session: Session, workspace_id: int, customer_ids: Sequence[int]) -> Reach:
        operators = sorted(
            m.operator_id for m in workspace_service.members_of(session, workspace_id)
        )
        if not operators:
            return Reach({}, {}, list(customer_ids))
        by_sender: dict[str, list[int]] = {}
        for customer_id in customer_ids:
            by_sender.setdefault(str(operators[customer_id % len(operators)]), []).append(
                customer_id
            )
        return Reach(by_sender, {sender: int(sender) for sender in by_sender})

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None:
        now = utcnow()
        texts = personalise(session, workspace_id, list(task.customer_ids), task.text, SYSTEM)
        session.add_all(
            OutreachTask(
                workspace_id=workspace_id,
                broadcast_id=task.broadcast_id,
                customer_id=customer_id,
                operator_id=task.operator_id,
                kind="message",
                text=task.text_for(customer_id, texts.get(customer_id, task.text)),
                due_at=now,
            )
            for customer_id in task.customer_ids
        )
        session.flush()
        return None

    def fetch_results(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus:
        rows = session.execute(
            select(OutreachTask.customer_id, OutreachTask.state).where(
                OutreachTask.workspace_id == workspace_id,
                OutreachTask.broadcast_id == task.broadcast_id,
                OutreachTask.operator_id == task.operator_id,
            )
        )
        statuses = {
            "done": "sent",
            "pending": "pending",
            "ready": "pending",
            "skipped": "failed",
            "blocked": "failed",
        }
        results = [FanResult(int(c), statuses[s]) for c, s in rows if c is not None]
        return TaskStatus(all(r.status != "pending" for r in results), results)

    def remind(self, session: Session, workspace_id: int, task: SendTask) -> bool:
        return False  # the tasks page is the reminder


def channel_for(name: str) -> Channel:
    from siyu.outreach import wecom_channels

    found: dict[str, Channel] = {
        "operator_task": OperatorTaskChannel(),
        "wecom_single": wecom_channels.WecomSingleChannel(),
        "wecom_group": wecom_channels.WecomGroupChannel(),
        "moments": wecom_channels.MomentsChannel(),
    }
    channel = found.get(name)
    if channel is None:
        raise Unprocessable(
            "channel-unavailable",
            title=N_("This channel is not available"),
            detail=f"channel {name!r} is not available in this installation",
        )
    return channel
