"""The content check: the Advertising Law with its exemptions, banned forms of address,
induced sharing and repeats, through normalisation that sees past width, script and symbols;
offsets index the submitted text."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.outreach import content, service
from siyu.workspace.models import Workspace
from tests.factories import ACTOR

WORDS = content.word_list()


def findings(text: str) -> list[tuple[str, str, str]]:
    return [(f.term, f.category, f.severity) for f in content.check_terms(text, WORDS)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全网最低价，快来抢", [("全网最低价", "ad_law", "block")]),
        ("全 網 最.低.價", [("全网最低价", "ad_law", "block")]),
        ("ＮＯ．１好物", [("NO.1", "ad_law", "block")]),
        ("亲亲，今晚八点上新", [("亲亲", "address", "block")]),
        ("亲，在吗", [("亲", "address", "block")]),
        ("集赞送面膜", [("集赞", "induced_sharing", "block")]),
        ("尊敬的客户您好", [("尊敬的客户", "address", "warn")]),
    ],
)
def test_banned_copy_is_found(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert findings(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "今晚八点直播，新款连衣裙上架，欢迎来看",
        "这款面包最佳食用期是三天",
        "第一次下单的朋友记得领券",
        "100%纯棉T恤，舒服透气",
        "父亲节快乐，亲自挑选的礼物",
        "最近天气冷，注意保暖",
    ],
)
def test_ordinary_copy_passes(text: str) -> None:
    assert findings(text) == []


def test_offsets_index_the_submitted_text() -> None:
    text = "今天 全-网-最-低-价 哦"
    (finding,) = content.check_terms(text, WORDS)
    assert text[finding.start : finding.end] == "全-网-最-低-价"
    assert finding.suggestion == "超值价"


def test_workspace_terms_extend_the_lists(session: Session, workspace: Workspace) -> None:
    assert service.check_content(session, workspace.id, "今晚秒杀") == []
    service.add_term(
        session,
        workspace.id,
        term="秒杀",
        category="ad_law",
        severity="warn",
        suggestion="限时",
        actor=ACTOR,
    )
    (finding,) = service.check_content(session, workspace.id, "今晚秒殺")
    assert (finding.term, finding.severity, finding.suggestion) == ("秒杀", "warn", "限时")
    service.add_term(
        session,
        workspace.id,
        term="第一名",
        category="exemption",
        severity="warn",
        suggestion=None,
        actor=ACTOR,
    )
    assert service.check_content(session, workspace.id, "比赛第一名的奖品") == []


def test_a_text_sent_in_the_last_week_is_a_repeat(session: Session, workspace: Workspace) -> None:
    service.note_sent_text(session, workspace.id, "周五晚8点，春季新品直播", utcnow())
    session.flush()
    (finding,) = service.check_content(session, workspace.id, "周五晚８点 春季新品直播！")
    assert (finding.category, finding.severity) == ("repeat", "warn")


def test_check_api(api: TestClient) -> None:
    blocked = api.post("/api/v1/content/check", json={"text": "亲亲，全网最低价"})
    assert blocked.status_code == 200
    body = blocked.json()
    assert body["ok"] is False
    assert [(f["term"], f["start"], f["end"]) for f in body["findings"]] == [
        ("亲亲", 0, 2),
        ("全网最低价", 3, 8),
    ]
    fine = api.post("/api/v1/content/check", json={"text": "今晚八点见，新款已上架"}).json()
    assert fine == {"ok": True, "findings": []}
    assert api.post("/api/v1/content/check", json={"text": ""}).status_code == 422
    assert api.post("/api/v1/content/check", json={}).status_code == 422
