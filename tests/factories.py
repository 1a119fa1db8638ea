"""Realistic test data built through the services (never by writing rows around them)."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.workspace import service
from siyu.workspace.audit import Actor
from siyu.workspace.models import ApiToken, Operator, Workspace
from siyu.workspace.roles import Role, Scope

PASSWORD = "correct horse battery"
ACTOR = Actor("system", label="tests")
_sequence = itertools.count(1)

STREAMER_NAMES = ["小鹿直播间", "橘子酱美妆", "阿圆的好物", "北北生活馆", "糖糖护肤日记"]


def make_workspace(session: Session, slug: str | None = None, **kwargs: Any) -> Workspace:
    n = next(_sequence)
    name = kwargs.pop("name", f"{STREAMER_NAMES[n % len(STREAMER_NAMES)]} {n}")
    return service.create_workspace(session, slug or f"ws-{n:04d}", name, ACTOR, **kwargs)


def make_operator(
    session: Session,
    workspace: Workspace,
    role: Role = Role.operator,
    email: str | None = None,
    password: str = PASSWORD,
) -> Operator:
    email = email or f"op{next(_sequence)}@example.com"
    return service.create_operator(
        session, workspace, email, role, ACTOR, password=password, display_name=email.split("@")[0]
    )


def make_token(
    session: Session,
    workspace: Workspace,
    name: str = "integration",
    scopes: tuple[Scope, ...] = tuple(Scope),
) -> tuple[ApiToken, str]:
    """A token with every scope unless told (tests of a domain call its pii and admin routes)."""
    return service.create_token(session, workspace.id, name, ACTOR, scopes=scopes)


def login(client: TestClient, email: str, password: str = PASSWORD, next_url: str = "/") -> Any:
    """Sign in through the real form (login CSRF cookie included)."""
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post(
        "/login",
        data={"email": email, "password": password, "next": next_url, "csrf_token": csrf},
        follow_redirects=False,
    )


def sign_in(
    client: TestClient, session: Session, workspace: Workspace, role: Role = Role.operator
) -> str:
    """Sign a new operator of the role into the console; returns the session's CSRF token."""
    operator = make_operator(session, workspace, role)
    session.commit()
    assert login(client, operator.email).status_code == 303
    return csrf_of(client)


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token, as a console page embeds it."""
    page = client.get(path)
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
