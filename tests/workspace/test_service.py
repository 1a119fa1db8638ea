from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.errors import Conflict, Forbidden, TooManyRequests, Unauthorized, Unprocessable
from siyu.workspace import service
from siyu.workspace.audit import Actor
from siyu.workspace.models import ApiToken, AuditEntry, Operator, Workspace
from siyu.workspace.roles import Role
from tests import factories

ACTOR = Actor("system", None, "owner@example.com", "10.0.0.8", "pytest")


def _actions(session: Session, workspace_id: int | None) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.workspace_id == workspace_id)
            .order_by(AuditEntry.id)
        )
    )


def test_workspace_creation_is_validated_and_audited(session: Session) -> None:
    ws = service.create_workspace(session, "tangtang-live", "糖糖直播间", ACTOR)
    assert ws.timezone == "Asia/Shanghai"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == ws.id)).one()
    assert (entry.action, entry.actor_label, entry.ip) == (
        "workspace.create",
        ACTOR.label,
        "10.0.0.8",
    )
    with pytest.raises(Conflict):
        service.create_workspace(session, "tangtang-live", "again", ACTOR)
    for bad in ["A", "has space", "-lead", "中文"]:
        with pytest.raises(Unprocessable):
            service.create_workspace(session, bad, "x", ACTOR)
    with pytest.raises(Unprocessable):
        service.create_workspace(session, "tz-bad", "x", ACTOR, timezone="Mars/Olympus")


def test_passwords_are_argon2_hashed(session: Session, workspace: Workspace) -> None:
    operator = factories.make_operator(session, workspace, Role.admin, "Admin@Example.com")
    assert operator.email == "admin@example.com"
    assert operator.password_hash.startswith("$argon2id$")
    assert factories.PASSWORD not in operator.password_hash
    with pytest.raises(Unprocessable):
        factories.make_operator(session, workspace, password="short")


def test_one_account_many_workspaces(session: Session, workspace: Workspace) -> None:
    other = factories.make_workspace(session)
    operator = factories.make_operator(session, workspace, Role.owner, "lin@example.com")
    again = service.create_operator(
        session, other, "lin@example.com", Role.analyst, ACTOR, password="ignored-for-existing"
    )
    assert again.id == operator.id
    assert [m.workspace_id for m in service.memberships_of(session, operator.id)] == sorted(
        [workspace.id, other.id], key=lambda i: session.get_one(Workspace, i).name
    )
    with pytest.raises(Conflict):
        service.create_operator(
            session, other, "lin@example.com", Role.admin, ACTOR, password="x" * 12
        )


def test_roles_rank() -> None:
    assert service.role_allows(Role.owner, Role.admin)
    assert service.role_allows(Role.admin, Role.operator)
    assert not service.role_allows(Role.operator, Role.admin)
    assert not service.role_allows(Role.analyst, Role.operator)


def test_sign_in_and_throttling(session: Session, workspace: Workspace) -> None:
    factories.make_operator(session, workspace, email="ah@example.com")
    actor = Actor("system", ip="203.0.113.9")
    assert (
        service.authenticate(session, "AH@example.com", factories.PASSWORD, actor).email
        == "ah@example.com"
    )
    for _ in range(5):
        with pytest.raises(Unauthorized):
            service.authenticate(session, "ah@example.com", "wrong password!", actor)
    # Locked now, even with the right password: guessing can't continue.
    with pytest.raises(TooManyRequests) as locked:
        service.authenticate(session, "ah@example.com", factories.PASSWORD, actor)
    assert locked.value.headers["Retry-After"]
    assert _actions(session, None).count("auth.login_failed") == 5


def test_unknown_email_fails_like_a_wrong_password(session: Session) -> None:
    with pytest.raises(Unauthorized) as caught:
        service.authenticate(session, "nobody@example.com", "whatever-pass", Actor("system"))
    assert caught.value.slug == "invalid-credentials"


def test_sessions_and_switching(session: Session, workspace: Workspace) -> None:
    operator = factories.make_operator(session, workspace, Role.admin)
    signed_in = service.open_session(session, operator, ACTOR)
    assert signed_in.token not in signed_in.session.token_digest
    assert service.resolve_session(session, signed_in.token) is signed_in.session
    assert service.resolve_session(session, "forged") is None
    stranger = factories.make_workspace(session)
    with pytest.raises(Forbidden):
        service.switch_workspace(session, signed_in.session, stranger.id, ACTOR)
    service.close_session(session, signed_in.session, ACTOR)
    session.flush()
    assert service.resolve_session(session, signed_in.token) is None


def test_operator_without_workspace_cannot_sign_in(session: Session) -> None:
    lonely = Operator(
        email="lonely@example.com",
        display_name="x",
        password_hash=service.hash_password(factories.PASSWORD),
    )
    session.add(lonely)
    session.flush()
    with pytest.raises(Forbidden):
        service.open_session(session, lonely, ACTOR)


def test_tokens_hashed_shown_once_revocable(session: Session, workspace: Workspace) -> None:
    admin = factories.make_operator(session, workspace, Role.admin)
    by_admin = Actor("operator", admin.id, admin.email)
    token, secret = service.create_token(session, workspace.id, "ERP sync", by_admin)
    assert token.created_by_operator_id == admin.id
    assert secret.startswith("siyu_") and len(secret) > 40
    stored = session.get_one(ApiToken, token.id)
    assert secret not in (stored.token_digest, stored.prefix) and secret.startswith(stored.prefix)
    assert stored.last_used_at is None
    assert service.resolve_token(session, secret) is token
    assert service.token_touch_due(token)
    service.touch_token(session, token.id)
    session.refresh(token)
    assert token.last_used_at is not None and not service.token_touch_due(token)
    service.revoke_token(session, workspace.id, token.id, ACTOR)
    assert service.resolve_token(session, secret) is None
    assert _actions(session, workspace.id)[-2:] == ["token.create", "token.revoke"]
    with pytest.raises(Unprocessable):
        service.create_token(session, workspace.id, "   ", ACTOR)


def test_revoking_another_workspaces_token_is_not_found(
    session: Session, workspace: Workspace
) -> None:
    from siyu.kit.errors import NotFound

    other = factories.make_workspace(session)
    token, _ = service.create_token(session, other.id, "theirs", ACTOR)
    with pytest.raises(NotFound):
        service.revoke_token(session, workspace.id, token.id, ACTOR)
