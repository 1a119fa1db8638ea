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

from siyu.community import service as community
from siyu.connectors.wecom import service as wecom
from siyu.connectors.wecom.client import WecomClient, WecomError, WecomUnavailable
from siyu.customers.outbound import fill, personalise
from siyu.outreach.attachments import wecom_attachments, with_url
from siyu.outreach.channels import FanResult, Reach, SendTask, TaskStatus
from siyu.workspace.audit import SYSTEM

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
        reminded = False
        client = wecom.wecom_client(session, workspace_id)
        try:
            for msgid in list(task.fan_messages.values()) or [task.external_id]:
                try:
                    client.remind_groupmsg_send(msgid)
                except WecomError:
                    continue
                reminded = True
        finally:
            client.close()
        return reminded


class WecomSingleChannel(_WecomChannel):
    """``add_msg_template`` with ``chat_type=single``, one task per staff member."""

    name = "wecom_single"
    uses_wecom_quota = True

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None:
        relations = _relations(session, workspace_id, task.customer_ids)
        externals = [relations[c][0] for c in task.customer_ids if c in relations]
        client = wecom.wecom_client(session, workspace_id)
        try:
            attachments = wecom_attachments(
                session, client, workspace_id, task.attachment, task.link_url
            )
            if task.fan_urls:
                texts = personalise(
                    session, workspace_id, list(task.customer_ids), task.text, SYSTEM
                )
                fans = {c: relations[c][0] for c in task.customer_ids if c in relations}
                return _task_per_fan(client, task, fans, texts, attachments)
            created = client.add_msg_template(
                chat_type="single",
                text=shared_text(task.text),
                external_userids=externals,
                sender=task.sender,
                attachments=attachments,
            )
        finally:
            client.close()
        return str(created["msgid"])

    def fetch_results(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus:
        if task.external_id is None:
            return TaskStatus(True, [FanResult(c, "failed") for c in task.customer_ids])
        if task.fan_messages:
            return self._results_per_fan(session, workspace_id, task)
        by_external = {
            relation[0]: fan
            for fan, relation in _relations(session, workspace_id, task.customer_ids).items()
        }
        client = wecom.wecom_client(session, workspace_id)
        try:
            confirmed = _confirmed(client.get_groupmsg_task(task.external_id), task.sender)
            rows = _send_results(client, task)
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

    def _results_per_fan(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus:
        """One WeCom task per fan: each is confirmed, and reports its one receiver, alone."""
        results = [FanResult(c, "failed") for c in task.customer_ids if c not in task.fan_messages]
        confirmed_all = True
        client = wecom.wecom_client(session, workspace_id)
        try:
            for fan, msgid in task.fan_messages.items():
                confirmed = _confirmed(client.get_groupmsg_task(msgid), task.sender)
                rows = client.get_groupmsg_send_result(msgid, task.sender).get("send_list", [])
                status = SEND_STATUSES.get(rows[0]["status"], "failed") if rows else "pending"
                results.append(FanResult(fan, status))
                confirmed_all = confirmed_all and confirmed
        finally:
            client.close()
        return TaskStatus(confirmed_all, results)


def _task_per_fan(
    client: Any,
    task: SendTask,
    externals: dict[int, str],
    texts: dict[int, str],
    attachments: list[dict[str, Any]],
) -> str:
    """A link made for one fan can only go in a task of its own: WeCom sends a task's content
    unchanged to every receiver. A fan WeCom refuses is left out (the broadcast marks it
    failed); the sender's task fails only when no fan's went through."""
    refusal: WecomError | None = None
    for customer_id, external in externals.items():
        try:
            created = client.add_msg_template(
                chat_type="single",
                text=shared_text(texts.get(customer_id, task.text)),
                external_userids=[external],
                sender=task.sender,
                attachments=with_url(attachments, task.fan_urls[customer_id]),
            )
        except (WecomError, WecomUnavailable) as error:
            refusal = error
            continue
        task.fan_messages[customer_id] = str(created["msgid"])
    if not task.fan_messages:
        raise refusal or WecomError("externalcontact/add_msg_template", 41048, "no receivers")
    return next(iter(task.fan_messages.values()))


class WecomGroupChannel(_WecomChannel):
    """``add_msg_template`` with ``chat_type=group`` to the customer groups each staff member
    owns. WeCom's quota here is per group, not per fan, and results come per chat: each fan
    takes the result of the chats they are a member of (sent in one is sent)."""

    name = "wecom_group"

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None:
        client = wecom.wecom_client(session, workspace_id)
        try:
            chats = [
                chat["chat_id"]
                for chat in _all_pages(
                    lambda cursor: client.groupchat_list(cursor), "group_chat_list"
                )
                if client.groupchat_get(chat["chat_id"])["owner"] == task.sender
            ]
            created = client.add_msg_template(
                chat_type="group",
                text=shared_text(task.text),
                chat_ids=chats,
                sender=task.sender,
                attachments=wecom_attachments(
                    session, client, workspace_id, task.attachment, task.link_url
                ),
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
            rows = _send_results(client, task)
        finally:
            client.close()
        by_chat = {
            str(row["chat_id"]): SEND_STATUSES.get(int(row.get("status") or 0), "failed")
            for row in rows
            if row.get("chat_id")
        }
        members = community.fans_in_chats(session, workspace_id, list(by_chat))
        reached: dict[int, str] = {}
        for chat_id, status in by_chat.items():
            for fan in members.get(chat_id, ()):
                if reached.get(fan) != "sent":
                    reached[fan] = status
        # A fan in none of the sender's chats is not delivered once the task went out.
        missing = "failed" if confirmed else "pending"
        return TaskStatus(
            confirmed, [FanResult(c, reached.get(c, missing)) for c in task.customer_ids]
        )


class MomentsChannel(_WecomChannel):
    """``add_moment_task`` visible to each sender's customers. Once the sender publishes it,
    ``get_moment_send_result`` names the customers it reached: those fans are sent, the
    sender's other fans not delivered."""

    name = "moments"

    def create_task(self, session: Session, workspace_id: int, task: SendTask) -> str | None:
        client = wecom.wecom_client(session, workspace_id)
        try:
            return client.add_moment_task(
                text=shared_text(task.text),
                sender_list=[task.sender],
                attachments=wecom_attachments(
                    session, client, workspace_id, task.attachment, task.link_url
                ),
            )
        finally:
            client.close()

    def fetch_results(self, session: Session, workspace_id: int, task: SendTask) -> TaskStatus:
        if task.external_id is None:
            return TaskStatus(True, [FanResult(c, "failed") for c in task.customer_ids])
        client = wecom.wecom_client(session, workspace_id)
        try:
            reached = _moment_reach(client, task.external_id, task.sender)
        finally:
            client.close()
        if reached is None:
            return TaskStatus(False, [FanResult(c, "pending") for c in task.customer_ids])
        if isinstance(reached, str):
            return TaskStatus(True, [FanResult(c, reached) for c in task.customer_ids])
        externals = wecom.external_userids_of(session, workspace_id, list(task.customer_ids))
        return TaskStatus(
            True,
            [
                FanResult(c, "sent" if _any_in(externals.get(c, []), reached) else "failed")
                for c in task.customer_ids
            ],
        )

    def remind(self, session: Session, workspace_id: int, task: SendTask) -> bool:
        return False  # moments have no reminder call


def _send_results(client: WecomClient, task: SendTask) -> list[dict[str, Any]]:
    """Every row of ``get_groupmsg_send_result`` for one sender's task."""
    return _all_pages(
        lambda cursor: client.get_groupmsg_send_result(
            task.external_id or "", task.sender, cursor=cursor
        ),
        "send_list",
    )


MOMENT_JOB_DONE = 3  # get_moment_task_result: the creation job finished
MOMENT_PUBLISHED = 1  # get_moment_task: the sender published it


def _moment_reach(client: WecomClient, jobid: str, sender: str) -> set[str] | str | None:
    """The external ids one sender's moment reached; ``None`` while the job runs or the
    sender has not published yet; ``"failed"`` when WeCom refused the job."""
    job = client.get_moment_task_result(jobid)
    if job.get("status") != MOMENT_JOB_DONE:
        return None
    outcome = job.get("result") or {}
    moment_id = outcome.get("moment_id")
    refused = (outcome.get("invalid_sender_list") or {}).get("user_list") or []
    if outcome.get("errcode", 0) != 0 or not moment_id or sender in refused:
        return "failed"
    publishers = _all_pages(lambda cursor: client.get_moment_task(moment_id, cursor), "task_list")
    if not any(
        row.get("userid") == sender and row.get("publish_status") == MOMENT_PUBLISHED
        for row in publishers
    ):
        return None
    rows = _all_pages(
        lambda cursor: client.get_moment_send_result(moment_id, sender, cursor), "customer_list"
    )
    return {str(row["external_userid"]) for row in rows if row.get("external_userid")}


def _any_in(relations: list[tuple[str, str]], reached: set[str]) -> bool:
    return any(external in reached for external, _ in relations)


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
