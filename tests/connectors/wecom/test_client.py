"""The client against the fake corp: tokens shared and refreshed once, rate errors retried for
idempotent calls only, errors counted for the health page, mass-message endpoints."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom.client import WecomClient, WecomError, WecomUnavailable
from siyu.connectors.wecom.connection import client_for
from siyu.connectors.wecom.fake import FakeWecom
from siyu.connectors.wecom.models import WecomApiError
from tests.connectors.wecom.conftest import Connected


def _bare(fake: FakeWecom) -> WecomClient:
    return WecomClient(
        corp_id=fake.corp_id,
        secret=fake.secret,
        api_base="http://fake",
        transport=httpx.MockTransport(fake.handle),
        sleep=lambda _: None,
    )


def test_token_is_shared_and_refreshed_on_expiry(session: Session, connected: Connected) -> None:
    fake = connected.fake
    first = client_for(session, connected.workspace_id)
    first.follow_user_list()
    second = client_for(session, connected.workspace_id)
    second.follow_user_list()
    assert fake.calls.count("gettoken") == 1  # the second client reused the stored token
    fake.expire_tokens()
    assert second.follow_user_list() == ["lin", "zhou"]
    assert fake.calls.count("gettoken") == 2


def test_rate_errors_retry_idempotent_calls_only(session: Session, connected: Connected) -> None:
    fake = connected.fake
    client = client_for(session, connected.workspace_id, sleep=lambda _: None)
    fake.fail_next("externalcontact/get_follow_user_list", 45009, times=2)
    assert client.follow_user_list() == ["lin", "zhou"]
    fake.fail_next("externalcontact/add_msg_template", 45009)
    with pytest.raises(WecomUnavailable):
        client.add_msg_template(text="上新啦", external_userids=["wmA"])
    assert fake.templates == {}  # never created twice, nor retried
    errors = session.scalars(select(WecomApiError).order_by(WecomApiError.endpoint)).all()
    assert [(e.endpoint, e.errcode, e.count) for e in errors] == [
        ("externalcontact/add_msg_template", 45009, 1),
        ("externalcontact/get_follow_user_list", 45009, 2),
    ]


def test_persistent_rate_limit_gives_up() -> None:
    fake = FakeWecom()
    fake.fail_next("externalcontact/get_follow_user_list", 45033, times=10)
    with pytest.raises(WecomUnavailable):
        _bare(fake).follow_user_list()


def test_other_errors_raise_with_their_errcode() -> None:
    fake = FakeWecom()
    with pytest.raises(WecomError) as raised:
        _bare(fake).external_contact_get("nobody")
    assert raised.value.errcode == 84061


def test_mass_messages_and_moments() -> None:
    fake = FakeWecom()
    fake.add_staff("lin", "林")
    client = _bare(fake)
    created = client.add_msg_template(text="双十二", external_userids=["wmA", "wmB"], sender="lin")
    msgid = created["msgid"]
    fake.confirm_template(msgid, {"wmB": 3})
    now = int(time.time())
    listed = client.get_groupmsg_list_v2(chat_type="single", start_time=now - 60, end_time=now + 60)
    assert [m["msgid"] for m in listed["group_msg_list"]] == [msgid]
    assert client.get_groupmsg_task(msgid)["task_list"][0]["status"] == 2
    results = client.get_groupmsg_send_result(msgid, "lin")["send_list"]
    assert {r["external_userid"]: r["status"] for r in results} == {"wmA": 1, "wmB": 3}
    for _ in range(3):
        client.remind_groupmsg_send(msgid)
    with pytest.raises(WecomError):
        client.remind_groupmsg_send(msgid)
    client.cancel_groupmsg_send(msgid)
    jobid = client.add_moment_task(text="朋友圈", sender_list=["lin"])
    assert client.get_moment_task_result(jobid)["status"] == 3
