"""WeCom channels, on the connector's client (``siyu.connectors.wecom``): one-to-one mass
messages, customer groups and moments. Each staff member is one sender: WeCom asks them to
confirm the task in their client before anything goes out.

Creating a task is never retried (WeCom would create a second one): a refusal is recorded as
the failure of that sender's fans. Reading task status and results is safe to repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from siyu.connectors.wecom import service as wecom
from siyu.connectors.wecom.client import WecomError
from siyu.customers.outbound import fill
from siyu.outreach.channels import FanResult, Reach, SendTask, TaskStatus

# get_groupmsg_send_result: 0 not sent yet, 1 sent, 2 not a friend any more, 3 the customer
# already received a mass message (WeCom's quota refused it: the quota's truth).
SEND_STATUSES = {0: "pending", 1: "sent", 2: "not_friend", 3: "quota_refused"}
TASK_SENT = 2  # get_groupmsg_task: the staff member confirmed and it went out


def shared_text(text: str) -> str:
    """One text goes to every receiver of a WeCom task: per-fan placeholders are left empty."""
    return fill(text, {})


def _staff_operators(session: Session, workspace_id: int) -> dict[str, int | None]:
    return {staff.userid: staff.operator_id for staff in wecom.staff_of(session, workspace_id)}


def _relations(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """Fan → the (external_userid, userid) it is reached through: its oldest active follow."""
    found = wecom.external_userids_of(session, workspace_id, list(customer_ids))
    return {fan: relations[0] for fan, relations in found.items() if relations}


class _WecomChannel:
    name = ""
    uses_wecom_quota = False

    def plan(self, session: Session, workspace_id: int, customer_ids: Sequence[int]) -> Reach:
        relations = _relations(session, workspace_id, customer_ids)
        by_sender: dict[str, list[int]] = {}
        for customer_id in customer_ids:
            relation = relations.get(customer_id)
            if relation is not None:
                by_sender.setdefault(relation[1], []).append(customer_id)
        staff = _staff_operators(session, workspace_id)
        return Reach(
            by_sender,
            {sender: staff.get(sender) for sender in by_sender},
            [c for c in customer_ids if c not in relations],
        )

    def remind(self, session: Session, workspace_id: int, task: SendTask) -> bool:
        if task.external_id is None:
            return False
        client = wecom.wecom_client(session, workspace_id)
        try:
            client.remind_groupmsg_send(task.external_id)
        except WecomError:
            return False
        finally:
            client.close()
        return True


class WecomSingleChannel(_WecomChannel):
    """``add_msg_template`` with ``chat_type=single``, one task per staff member."""

    name = "wecom_single"
    uses_wecom_quota = True

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None:
        relations = _relations(session, workspace_id, task.customer_ids)
        externals = [relations[c][0] for c in task.customer_ids if c in relations]
        client = wecom.wecom_client(session, workspace_id)
        try:
            created = client.add_msg_template(
                chat_type="single",
                text=shared_text(task.text),
                external_userids=externals,
                sender=task.sender,
            )
        finally:
            client.close()
        return str(created["msgid"])

    def fetch_results(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus:
        if task.external_id is None:
            return TaskStatus(True, [FanResult(c, "failed") for c in task.customer_ids])
        by_external = {
            relation[0]: fan
            for fan, relation in _relations(session, workspace_id, task.customer_ids).items()
        }
        client = wecom.wecom_client(session, workspace_id)
        try:
            confirmed = _confirmed(client.get_groupmsg_task(task.external_id), task.sender)
            rows = _all_pages(
                lambda cursor: client.get_groupmsg_send_result(
                    task.external_id or "", task.sender, cursor=cursor
                ),
                "send_list",
            )
        finally:
            client.close()
        results = [
            FanResult(
                by_external[row["external_userid"]], SEND_STATUSES.get(row["status"], "failed")
            )
            for row in rows
            if row.get("external_userid") in by_external
        ]
        return TaskStatus(confirmed, results)


class WecomGroupChannel(_WecomChannel):
    """``add_msg_template`` with ``chat_type=group`` to the customer groups each staff member
    owns. WeCom's quota here is per group, not per fan: a fan counts as reached when the
    sender's task went out."""

    name = "wecom_group"

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None:
        client = wecom.wecom_client(session, workspace_id)
        try:
            chats = [
                chat["chat_id"]
                for chat in _all_pages(
                    lambda cursor: client.groupchat_list(cursor), "group_chat_list"
                )
                if client.groupchat_get(chat["chat_id"])["group_chat"]["owner"] == task.sender
            ]
            created = client.add_msg_template(
                chat_type="group", text=shared_text(task.text), chat_ids=chats, sender=task.sender
            )
        finally:
            client.close()
        return str(created["msgid"])

    def fetch_results(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus:
        if task.external_id is None:
            return TaskStatus(True, [FanResult(c, "failed") for c in task.customer_ids])
        client = wecom.wecom_client(session, workspace_id)
        try:
            confirmed = _confirmed(client.get_groupmsg_task(task.external_id), task.sender)
        finally:
            client.close()
        status = "sent" if confirmed else "pending"
        return TaskStatus(confirmed, [FanResult(c, status) for c in task.customer_ids])


class MomentsChannel(_WecomChannel):
    """``add_moment_task`` visible to each sender's customers; a fan counts as reached once
    the sender's moment is published."""

    name = "moments"

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None:
        client = wecom.wecom_client(session, workspace_id)
        try:
            return client.add_moment_task(text=shared_text(task.text), sender_list=[task.sender])
        finally:
            client.close()

    def fetch_results(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus:
        if task.external_id is None:
            return TaskStatus(True, [FanResult(c, "failed") for c in task.customer_ids])
        client = wecom.wecom_client(session, workspace_id)
        try:
            result = client.get_moment_task_result(task.external_id)
        finally:
            client.close()
        done = result.get("status") == 3  # 3: the job finished
        failed = done and (result.get("result") or {}).get("errcode", 0) != 0
        status = "failed" if failed else "sent" if done else "pending"
        return TaskStatus(done, [FanResult(c, status) for c in task.customer_ids])

    def remind(self, session: Session, workspace_id: int, task: SendTask) -> bool:
        return False  # moments have no reminder call


def _confirmed(task_list: dict[str, Any], sender: str) -> bool:
    return any(
        row.get("userid") == sender and row.get("status") == TASK_SENT
        for row in task_list.get("task_list", [])
    )


def _all_pages(fetch: Any, key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = fetch(cursor)
        rows.extend(page.get(key, []))
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return rows
