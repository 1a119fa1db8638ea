"""The console as a browser sees it: sign-in, CSRF, roles, switching, language, tokens."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.workspace import service
from siyu.workspace.models import AuditEntry, Workspace
from siyu.workspace.roles import Role
from tests import factories


def _signed_in(
    client: TestClient, session: Session, workspace: Workspace, role: Role = Role.admin
) -> str:
    operator = factories.make_operator(session, workspace, role)
    session.commit()
    response = factories.login(client, operator.email)
    assert response.status_code == 303, response.text
    return operator.email


def test_pages_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/settings/tokens", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/tokens"


def test_sign_in_page_is_chinese_by_default(client: TestClient) -> None:
    page = client.get("/login")
    assert "登录运营后台" in page.text and 'lang="zh-CN"' in page.text


def test_sign_in_lands_on_the_overview(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    operator = factories.make_operator(session, workspace, Role.owner)
    session.commit()
    response = factories.login(client, operator.email, next_url="/settings/operators")
    assert response.headers["location"] == "/settings/operators"
    assert "httponly" in response.headers["set-cookie"].lower()
    home = client.get("/")
    assert home.status_code == 200 and "概览" in home.text and workspace.name in home.text


def test_wrong_password_rerenders_with_a_clear_error(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    operator = factories.make_operator(session, workspace)
    session.commit()
    response = factories.login(client, operator.email, "not the password")
    assert response.status_code == 401
    assert "邮箱或密码错误" in response.text
    assert operator.email in response.text  # the typed email is kept


def test_sign_in_is_throttled(client: TestClient, session: Session, workspace: Workspace) -> None:
    operator = factories.make_operator(session, workspace)
    session.commit()
    codes = [factories.login(client, operator.email, "bad-password").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    throttled = factories.login(client, operator.email)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0


def test_login_form_needs_its_csrf_cookie(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    operator = factories.make_operator(session, workspace)
    session.commit()
    response = client.post(
        "/login",
        data={"email": operator.email, "password": factories.PASSWORD, "csrf_token": "guess"},
    )
    assert response.status_code == 403


def test_state_changes_need_the_csrf_token(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _signed_in(client, session, workspace)
    forged = client.post("/settings/tokens", data={"name": "forged"})
    assert forged.status_code == 403
    assert (
        client.post("/settings/tokens", data={"name": "x", "csrf_token": "wrong"}).status_code
        == 403
    )
    csrf = factories.csrf_of(client, "/settings/tokens")
    form = {"name": "ERP sync", "csrf_token": csrf, "scopes": ["read", "pii"]}
    created = client.post("/settings/tokens", data=form)
    assert created.status_code == 201
    secret = created.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert secret.startswith("siyu_")
    assert (
        client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    page = client.get("/settings/tokens").text
    assert secret not in page  # shown once
    assert "个人数据" in page  # the new token's scopes are listed
    assert "Authorization" in page and 'value="read" checked' in page  # read, write by default
    none = client.post("/settings/tokens", data={"name": "x", "csrf_token": csrf})
    assert none.status_code == 422 and "read、write、pii" in none.text


def test_htmx_revoke_with_header_token(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _signed_in(client, session, workspace)
    token, secret = factories.make_token(session, workspace)
    session.commit()
    csrf = factories.csrf_of(client)
    row = client.post(
        f"/settings/tokens/{token.id}/revoke", headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert row.status_code == 200 and "已撤销" in row.text
    assert (
        client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_roles_are_enforced(client: TestClient, session: Session, workspace: Workspace) -> None:
    _signed_in(client, session, workspace, Role.operator)
    assert client.get("/settings/tokens").status_code == 403
    assert client.get("/settings/operators").status_code == 200
    csrf = factories.csrf_of(client)
    response = client.post(
        "/settings/operators",
        data={
            "email": "new@example.com",
            "role": "admin",
            "password": "x" * 12,
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 403


def test_admin_adds_operators_with_clear_errors(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _signed_in(client, session, workspace, Role.admin)
    csrf = factories.csrf_of(client)
    weak = client.post(
        "/settings/operators",
        data={
            "email": "a@example.com",
            "role": "operator",
            "password": "short",
            "csrf_token": csrf,
        },
    )
    assert weak.status_code == 422 and "密码至少需要 10 个字符" in weak.text
    owner = client.post(
        "/settings/operators",
        data={"email": "b@example.com", "role": "owner", "password": "x" * 12, "csrf_token": csrf},
    )
    assert owner.status_code == 422
    ok = client.post(
        "/settings/operators",
        data={
            "email": "c@example.com",
            "role": "analyst",
            "password": "x" * 12,
            "csrf_token": csrf,
        },
        follow_redirects=True,
    )
    assert ok.status_code == 200 and "c@example.com" in ok.text


def test_workspace_switcher(client: TestClient, session: Session, workspace: Workspace) -> None:
    email = _signed_in(client, session, workspace, Role.owner)
    sister = factories.make_workspace(session, name="小鹿美妆旗舰店")
    factories.make_operator(session, sister, Role.analyst, email=email)
    stranger = factories.make_workspace(session, name="别家")
    session.commit()
    csrf = factories.csrf_of(client)
    client.post("/workspace/switch", data={"workspace_id": sister.id, "csrf_token": csrf})
    home = client.get("/")
    assert "小鹿美妆旗舰店" in home.text
    assert client.get("/settings/tokens").status_code == 403  # analyst there
    refused = client.post(
        "/workspace/switch", data={"workspace_id": stranger.id, "csrf_token": csrf}
    )
    assert refused.status_code == 403


def test_language_switch(client: TestClient, session: Session, workspace: Workspace) -> None:
    _signed_in(client, session, workspace)
    response = client.post(
        "/language", data={"locale": "en", "next": "/settings/operators"}, follow_redirects=False
    )
    assert response.headers["location"] == "/settings/operators"
    page = client.get("/settings/operators")
    assert "Operators" in page.text and 'lang="en"' in page.text
    client.post("/language", data={"locale": "zh_CN", "next": "https://evil.example/"})
    assert "成员" in client.get("/").text


def test_sign_out_ends_the_session(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _signed_in(client, session, workspace)
    csrf = factories.csrf_of(client)
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    assert client.get("/", follow_redirects=False).status_code == 303
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == workspace.id))
    )
    assert {"auth.login", "auth.logout"} <= actions


def test_audit_page_lists_what_happened(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _signed_in(client, session, workspace)
    page = client.get("/settings/audit", params={"action": "auth."})
    assert "auth.login" in page.text and "workspace.create" not in page.text


def test_unknown_console_page_is_a_friendly_404(client: TestClient) -> None:
    page = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "页面不存在" in page.text


def test_admin_chooses_the_export_language_and_it_is_audited(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _signed_in(client, session, workspace, Role.admin)
    page = client.get("/settings/operators")
    assert "导出语言" in page.text and '<option value="zh_CN" selected>中文</option>' in page.text
    csrf = factories.csrf_of(client)

    bad = client.post("/settings/workspace/locale", data={"locale": "fr", "csrf_token": csrf})
    saved = client.post(
        "/settings/workspace/locale",
        data={"locale": "en", "csrf_token": csrf},
        follow_redirects=True,
    )

    assert bad.status_code == 422 and "不支持的语言" in bad.text
    assert saved.status_code == 200 and "导出语言已保存" in saved.text
    assert '<option value="en" selected>英文</option>' in saved.text
    session.expire_all()
    assert service.workspace_locale(session, workspace.id) == "en"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.locale")).one()
    assert entry.detail == {"from": "zh_CN", "to": "en"}


def test_only_admins_choose_the_export_language(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _signed_in(client, session, workspace, Role.operator)
    page = client.get("/settings/operators")
    assert "导出语言" in page.text and 'name="locale"' not in page.text.split("export-language")[1]
    csrf = factories.csrf_of(client)
    refused = client.post("/settings/workspace/locale", data={"locale": "en", "csrf_token": csrf})
    assert refused.status_code == 403
    session.expire_all()
    assert service.workspace_locale(session, workspace.id) == "zh_CN"
