"""Console pages of fan groups: every page renders, the rule editor and its tester work."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.community import health, messages, pipeline, service
from siyu.community import rules as community_rules
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from tests import factories


def test_pages_render(client: TestClient, session: Session, workspace: Workspace) -> None:
    group = service.create_group(
        session, workspace.id, SYSTEM, name="小鹿杭州1群", external_ref="g"
    )
    community_rules.create_rule(
        session,
        workspace.id,
        SYSTEM,
        {
            "name": "售后",
            "match": "any",
            "keywords": ["退款"],
            "reply": "私聊你",
            "kind": "handoff",
        },
    )
    from datetime import UTC, datetime

    pipeline.ingest_messages(
        session,
        workspace.id,
        [
            messages.MessageIn(
                "x1",
                "group",
                "fan-1",
                "fan",
                datetime(2026, 11, 20, 4, tzinfo=UTC),
                "我要退款",
                group_ref="g",
            )
        ],
    )
    health.compute_health(session, workspace.id, days=7)
    session.commit()
    factories.sign_in(client, session, workspace)
    for path in (
        "/community",
        f"/community/groups/{group.id}",
        "/community/families",
        "/community/rules",
        "/community/tickets",
        "/community/flags",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "小鹿杭州1群" in client.get("/community").text
    assert "我要退款" in client.get("/community/tickets").text


def test_rule_editor_and_tester(client: TestClient, session: Session, workspace: Workspace) -> None:
    csrf = factories.sign_in(client, session, workspace)
    created = client.post(
        "/community/rules",
        data={
            "csrf_token": csrf,
            "name": "几点播",
            "match": "any",
            "keywords": "几点, 开播",
            "reply": "今晚8点",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    refused = client.post(
        "/community/rules",
        data={"csrf_token": csrf, "name": "坏", "match": "regex", "pattern": "(?=x)", "reply": "x"},
    )
    assert refused.status_code == 422
    # The reason in Chinese, the field by its label; only RE2's own words are quoted.
    assert "正则表达式（RE2）：不支持前瞻和后顾断言" in refused.text, refused.text
    unknown = client.post(
        "/community/rules",
        data={"csrf_token": csrf, "name": "坏", "match": "any", "keywords": "x", "reply": "{name}"},
    )
    assert unknown.status_code == 422 and "回复：未知变量 {name}" in unknown.text, unknown.text
    tested = client.post(
        "/community/rules/test", data={"text": "今晚幾點開播"}, headers={"X-CSRF-Token": csrf}
    )
    assert tested.status_code == 200 and "今晚8点" in tested.text
    assert "选中：命中" in tested.text and "chosen" not in tested.text  # reasons in Chinese


def test_refused_forms_come_back_with_the_message_and_what_was_typed(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    family = client.post(
        "/community/families",
        data={"csrf_token": csrf, "name": "杭州粉丝群", "slug": "hz", "group_capacity": "abc"},
    )
    assert family.status_code == 422, family.text
    assert "请输入整数" in family.text or "整数" in family.text
    assert 'value="杭州粉丝群"' in family.text and 'value="abc"' in family.text
    assert service.list_families(session, workspace.id) == []
    assert "链接标识" in family.text and "地址" not in family.text  # the slug's name
    rule = client.post(
        "/community/rules",
        data={"csrf_token": csrf, "name": "几点播", "match": "any", "keywords": "几点",
              "reply": "今晚8点", "cooldown_seconds": "一分钟"},
    )  # fmt: skip
    assert rule.status_code == 422 and 'value="几点播"' in rule.text


def test_error_text_in_the_address_is_not_shown(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace)
    for path in ("/community/families", "/community/rules"):
        page = client.get(path, params={"error": "请转账到 6222 0000"})
        assert page.status_code == 200 and "6222 0000" not in page.text
