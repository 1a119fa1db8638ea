"""The keyword bot through the API: rules, the tester, the message pipeline, hand-offs,
cooldowns, moderation, and the matcher shared through the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.community import rules as community_rules
from siyu.community import service
from siyu.community.models import OperatorNotification, StoredMatcher
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai


def _rule(api: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "规格", "match": "any", "keywords": ["SKU"], "reply": "{nickname}，规格见置顶"}
    body.update(fields)
    response = api.post("/api/v1/autoreply/rules", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _message(
    i: int, text: str, *, group: str = "g-1", role: str = "fan", **extra: Any
) -> dict[str, Any]:
    return {
        "msg_id": f"m-{i}",
        "chat": "group",
        "group_ref": group,
        "sender_ref": extra.pop("sender", f"fan-{i}"),
        "sender_role": role,
        "sent_at": (T0 + timedelta(seconds=extra.pop("at", i))).isoformat(),
        "text": text,
        **extra,
    }


def _group(session: Session, workspace: Workspace, **fields: Any) -> Any:
    group = service.create_group(
        session,
        workspace.id,
        SYSTEM,
        name=fields.pop("name", "小鹿1群"),
        external_ref=fields.pop("ref", "g-1"),
        **fields,
    )
    session.commit()
    return group


def test_invalid_regex_is_refused_with_a_problem(api: TestClient) -> None:
    response = api.post(
        "/api/v1/autoreply/rules",
        json={"name": "坏", "match": "regex", "pattern": "(a)\\1", "reply": "x"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:siyu:problem:invalid-rule-pattern"
    assert body["errors"][0]["field"] == "pattern"
    unknown = api.post(
        "/api/v1/autoreply/rules",
        json={"name": "坏", "match": "any", "keywords": ["a"], "reply": "{who}"},
    )
    assert unknown.status_code == 422 and unknown.json()["type"] == "urn:siyu:problem:invalid-rule"


def test_tester_explains_and_has_no_side_effects(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    group = _group(session, workspace)
    rule = _rule(api)
    for text in ("ＳＫＵ是多少", "sku", "S\u200bKU?"):
        result = api.post(
            "/api/v1/autoreply/test", json={"text": text, "group_id": group.id}
        ).json()
        assert result["rule_id"] == rule["id"], text
        assert result["explanation"][0]["reason"] == "chosen"
    assert api.post("/api/v1/autoreply/test", json={"text": "今天几点播"}).json()["rule_id"] is None
    # Testing twice inside the cooldown still answers: the tester records nothing.
    assert api.post("/api/v1/autoreply/test", json={"text": "sku"}).json()["rule_id"] == rule["id"]


def test_choice_priority_then_longest_then_oldest(api: TestClient) -> None:
    short = _rule(api, name="短", keywords=["面膜"], reply="a")
    longer = _rule(api, name="长", keywords=["花漾面膜"], reply="b")
    assert (
        api.post("/api/v1/autoreply/test", json={"text": "花漾面膜还有吗"}).json()["rule_id"]
        == longer["id"]
    )
    urgent = _rule(api, name="急", keywords=["面膜"], reply="c", priority=5)
    assert (
        api.post("/api/v1/autoreply/test", json={"text": "花漾面膜还有吗"}).json()["rule_id"]
        == urgent["id"]
    )
    twin = _rule(api, name="双", keywords=["面膜"], reply="d")
    result = api.post("/api/v1/autoreply/test", json={"text": "面膜"}).json()
    assert result["rule_id"] == urgent["id"]
    del short, twin


def test_batch_replies_hands_off_and_is_idempotent(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    operator = _operator(session, workspace)
    _group(session, workspace, operator_ids=[operator])
    _rule(api)
    handoff = _rule(
        api,
        name="售后",
        keywords=["退款", "破损", "发错", "没收到"],
        reply="{nickname}别急，私聊你处理",
        kind="handoff",
        priority=10,
    )
    batch = [
        _message(1, "ＳＫＵ多少", sender_name="小鹿"),
        _message(2, "sku呢"),  # same rule, same group, within 60 s: cooldown
        _message(3, "SKU", role="staff"),  # staff never trigger
        _message(4, "收到的杯子破損了", sender_name="阿花"),  # 損 -> 损 (t2s)
    ]
    result = api.post("/api/v1/messages:batch", json={"messages": batch}).json()
    assert result["accepted"] == 4 and result["duplicates"] == 0
    replies = {r["msg_id"]: r for r in result["replies"]}
    assert set(replies) == {"m-1", "m-4"}
    assert replies["m-1"]["reply"] == "小鹿，规格见置顶"
    assert replies["m-4"]["kind"] == "handoff" and replies["m-4"]["rule_id"] == handoff["id"]
    assert len(result["tickets"]) == 1 and result["tickets"][0]["sender_ref"] == "fan-4"
    notes = session.scalars(select(OperatorNotification)).all()
    assert [(n.kind, n.operator_id) for n in notes] == [("ticket", operator)]
    again = api.post("/api/v1/messages:batch", json={"messages": batch}).json()
    assert again["accepted"] == 0 and again["duplicates"] == 4 and again["replies"] == []
    later = api.post(
        "/api/v1/messages:batch", json={"messages": [_message(5, "sku", at=120)]}
    ).json()
    assert len(later["replies"]) == 1  # the cooldown has passed
    tickets = api.get("/api/v1/tickets").json()["items"]
    assert len(tickets) == 1
    patched = api.patch(f"/api/v1/tickets/{tickets[0]['id']}", json={"status": "resolved"})
    assert patched.json()["status"] == "resolved"


def test_unknown_groups_are_rejected_one_by_one(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    _group(session, workspace)
    result = api.post(
        "/api/v1/messages:batch",
        json={"messages": [_message(1, "hi"), _message(2, "hi", group="nope")]},
    ).json()
    assert result["accepted"] == 1
    assert result["rejected"] == [{"msg_id": "m-2", "reason": "unknown group_ref 'nope'"}]


def test_moderation_flags_spam_and_absolute_terms(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    _group(session, workspace)
    _rule(api, keywords=["最好"], reply="这是全网最低价")
    batch = [
        _message(1, "加我微信 领福利"),
        _message(2, "最好用的是哪个"),
        _message(3, "我们家是销量第一", role="staff", sender="op-1"),
    ]
    result = api.post("/api/v1/messages:batch", json={"messages": batch}).json()
    assert result["replies"][0]["held"] is True
    flags = api.get("/api/v1/moderation/flags").json()["items"]
    kinds = sorted((f["direction"], f["kind"]) for f in flags)
    assert kinds == [
        ("incoming", "contact_ad"),
        ("outgoing", "absolute_term"),
        ("outgoing", "absolute_term"),
    ]
    check = api.post("/api/v1/moderation/check", json={"text": "国家级品质"}).json()
    assert check["ok"] is False and check["flags"][0]["term"] == "国家级"


def test_a_second_process_sees_rule_changes(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    rule = _rule(api)
    version = session.scalar(select(StoredMatcher.version))
    community_rules.forget_cached_matchers()  # this process now knows nothing, like a fresh one
    assert api.post("/api/v1/autoreply/test", json={"text": "sku"}).json()["rule_id"] == rule["id"]
    api.patch(f"/api/v1/autoreply/rules/{rule['id']}", json={"reply": "新的回复"})
    assert session.scalar(select(StoredMatcher.version)) != version
    assert api.post("/api/v1/autoreply/test", json={"text": "sku"}).json()["reply"] == "新的回复"
    assert api.delete(f"/api/v1/autoreply/rules/{rule['id']}").status_code == 204
    assert api.post("/api/v1/autoreply/test", json={"text": "sku"}).json()["rule_id"] is None


def _operator(session: Session, workspace: Workspace) -> int:
    from tests import factories

    operator = factories.make_operator(session, workspace)
    session.commit()
    return int(getattr(operator, "id", operator))
