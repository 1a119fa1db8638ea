"""The analytics console: dashboard, segment builder, segments, exports and settings."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.analytics.refresh import refresh_workspace
from siyu.segments.models import Segment
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories

from .store_data import AS_OF, seed_history


def _post(client: TestClient, path: str, csrf: str, **data: object) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def test_dashboard_before_and_after_a_refresh(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace, Role.admin)
    empty = client.get("/analytics")
    assert empty.status_code == 200 and ("Refresh now" in empty.text or "立即刷新" in empty.text)
    seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    session.commit()
    page = client.get("/analytics")
    assert page.status_code == 200, page.text
    assert "Champions" in page.text and "analytics-data" in page.text


def test_builder_counts_previews_and_explains(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    session.commit()
    ok = _post(client, "/analytics/segments/count", csrf, filter="orders >= 2")
    assert ok.status_code == 200, ok.text
    assert "<strong>3</strong>" in ok.text
    bad = _post(client, "/analytics/segments/count", csrf, filter="orders >= and")
    assert bad.status_code == 200 and "column" in bad.text


def test_save_edit_export_delete(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.operator)
    seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    session.commit()
    refused = _post(client, "/analytics/segments", csrf, name="", filter="orders >= 2")
    assert refused.status_code == 422
    saved = _post(
        client, "/analytics/segments", csrf, name="复购粉", filter="orders >= 2", auto_tag="on"
    )
    assert saved.status_code == 303
    segment = session.scalars(select(Segment).where(Segment.workspace_id == workspace.id)).one()
    page = client.get(f"/analytics/segments/{segment.id}")
    assert page.status_code == 200 and "复购粉" in page.text
    bad_edit = _post(
        client, f"/analytics/segments/{segment.id}", csrf, name="复购粉", filter="orders >"
    )
    assert bad_edit.status_code == 422
    export = client.get(f"/analytics/export?segment_id={segment.id}&format=csv")
    assert export.status_code == 200 and len(export.content.decode("utf-8-sig").splitlines()) == 4
    everyone = client.get("/analytics/export?format=xlsx")
    assert everyone.content[:2] == b"PK"
    assert _post(client, f"/analytics/segments/{segment.id}/delete", csrf).status_code == 303


def test_settings_validate_and_apply(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.admin)
    assert client.get("/analytics/settings").status_code == 200
    bad = _post(
        client, "/analytics/settings", csrf, rfm_mode="thresholds", recency_days="90, 30, 60, 180"
    )
    assert bad.status_code == 422
    junk = _post(client, "/analytics/settings", csrf, rfm_mode="thresholds", recency_days="a, b")
    assert junk.status_code == 422
    ok = _post(
        client,
        "/analytics/settings",
        csrf,
        rfm_mode="thresholds",
        scheme="cn8",
        monetary_yuan="5000, 2000, 1000, 300",
    )
    assert ok.status_code == 303
    session.expire_all()
    assert session.get(Workspace, workspace.id).settings["analytics"]["scheme"] == "cn8"  # type: ignore[union-attr]


def test_analysts_cannot_change_settings(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace, Role.analyst)
    assert client.get("/analytics/settings").status_code == 403


def test_fan_panel_on_the_360_page(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace, Role.analyst)
    ids = seed_history(session, workspace.id)
    before = client.get(
        f"/analytics/customers/{ids['whale']}/panel", headers={"accept-language": "en"}
    )
    assert before.status_code == 200 and "还没有数据" in before.text
    refresh_workspace(session, workspace.id, AS_OF)
    from siyu.segments.service import create_segment

    create_segment(
        session, workspace.id, name="大客户", filter_text="net_paid >= 1000", actor=factories.ACTOR
    )
    session.commit()
    panel = client.get(
        f"/analytics/customers/{ids['whale']}/panel", headers={"accept-language": "en"}
    )
    assert "冠军客户" in panel.text and "大客户" in panel.text
    assert 'hx-get="/analytics/customers/' in client.get(f"/customers/{ids['whale']}").text


def test_fan_list_exports_its_platform_and_tag_choice(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    import html
    import re

    from siyu.customers.service import ensure_tag, tag_customer

    factories.sign_in(client, session, workspace, Role.operator)
    ids = seed_history(session, workspace.id)
    tag = ensure_tag(session, workspace.id, "肤质", 'say "hi" \\ 敏感肌', factories.ACTOR)
    tag_customer(session, workspace.id, ids["whale"], tag.id, factories.ACTOR)
    session.commit()
    page = client.get(f"/customers?tag={tag.id}&platform=douyin")
    link = re.search(r'href="(/analytics/export\?[^"]*format=csv)"', page.text)
    assert link, page.text
    export = client.get(html.unescape(link.group(1)))
    assert export.status_code == 200
    rows = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2 and rows[1].startswith(str(ids["whale"]))
    assert "/analytics/export" not in client.get("/customers?q=whale").text


def test_export_refuses_an_unknown_format(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace, Role.operator)
    refused = client.get("/analytics/export?format=pdf")
    assert refused.status_code == 422
    assert "pdf" not in refused.headers.get("content-disposition", "")
