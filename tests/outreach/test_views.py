"""Console pages of outreach: every page renders; a broadcast is planned from the form (a
blocked text re-renders the form with its findings), sent, and shown with its lift; operators
mark tasks done; settings and word lists are saved."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.outreach import playbooks
from siyu.workspace.models import Role, Workspace
from tests import factories
from tests.outreach.helpers import everyone, make_fans


def test_broadcast_pages(client: TestClient, session: Session, workspace: Workspace) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    make_fans(session, workspace.id, 6)
    segment = everyone(session, workspace.id)
    session.commit()
    assert client.get("/outreach").status_code == 200
    assert client.get("/outreach/broadcasts/new").status_code == 200
    form = {
        "csrf_token": csrf,
        "name": "周五上新",
        "segment_id": str(segment),
        "channel": "operator_task",
        "text": "亲亲，全网最低价",
        "holdout_percent": "20",
    }
    refused = client.post("/outreach/broadcasts", data=form)
    assert refused.status_code == 422
    assert "全网最低价" in refused.text
    assert (
        client.post("/outreach/broadcasts", data=form | {"holdout_percent": "x"}).status_code == 422
    )
    assert (
        client.post("/outreach/broadcasts", data=form | {"segment_id": "999999"}).status_code == 422
    )
    created = client.post(
        "/outreach/broadcasts", data=form | {"text": "周五晚8点新品直播"}, follow_redirects=False
    )
    assert created.status_code == 303
    detail = created.headers["location"].split("?")[0]
    assert client.get(detail).status_code == 200
    sent = client.post(f"{detail}/send", data={"csrf_token": csrf}, follow_redirects=False)
    assert sent.status_code == 303
    page = client.get(detail + "?days=14")
    assert page.status_code == 200 and "lift-chart" in page.text
    assert client.get("/outreach/broadcasts/999999").status_code == 404


def test_playbooks_tasks_and_settings(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    created = client.post(
        "/outreach/playbooks",
        data={"csrf_token": csrf, "template": "new_contact"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert (
        client.post("/outreach/playbooks", data={"csrf_token": csrf, "template": "x"}).status_code
        == 422
    )
    assert client.get("/outreach/playbooks").status_code == 200
    (playbook,) = playbooks.list_playbooks(session, workspace.id)
    (fan,) = make_fans(session, workspace.id, 1)
    anchor = datetime.now(UTC)
    playbooks.enrol(session, workspace.id, playbook, [(fan, anchor)])
    playbooks.work_due_tasks(session, workspace.id, playbook, anchor.replace(year=anchor.year + 1))
    session.commit()
    page = client.get("/outreach/tasks")
    assert page.status_code == 200
    assert client.post("/outreach/tasks/999999/done", data={"csrf_token": csrf}).status_code == 404
    assert client.get("/outreach/settings").status_code == 200
    saved = client.post(
        "/outreach/settings",
        data={"csrf_token": csrf, "wecom_quota": "daily", "max_per_fan_per_week": "3"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    bad = client.post("/outreach/settings", data={"csrf_token": csrf, "wecom_quota": "hourly"})
    assert bad.status_code == 422
    term = client.post(
        "/outreach/terms",
        data={"csrf_token": csrf, "term": "秒杀", "category": "ad_law", "severity": "warn"},
        follow_redirects=False,
    )
    assert term.status_code == 303
    assert "秒杀" in client.get("/outreach/settings").text
    assert (
        client.post(
            "/outreach/terms",
            data={"csrf_token": csrf, "term": "!!", "category": "ad_law", "severity": "warn"},
        ).status_code
        == 422
    )
