"""Business rules of workspaces, operators, sessions and API tokens."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, contains_eager, joinedload

from siyu.config import get_settings
from siyu.jobs import delete_in_chunks
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.counters import counter_for
from siyu.kit.crypto import new_secret, token_digest
from siyu.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from siyu.kit.i18n import DEFAULT_LOCALE, N_, normalise_locale
from siyu.kit.sql import check_in_workspace, get_in_workspace
from siyu.workspace import audit
from siyu.workspace.audit import Actor
from siyu.workspace.models import ApiToken, ConsoleSession, Membership, Operator, Workspace
from siyu.workspace.roles import DEFAULT_SCOPES, ROLE_RANK, Role, Scope

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "siyu_"  # noqa: S105 - a marker, not a secret
MIN_PASSWORD_LENGTH = 10
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)  # last_used_at is refreshed at most this often

_hasher = PasswordHasher()


# --- workspaces -------------------------------------------------------------------------


def create_workspace(
    session: Session, slug: str, name: str, actor: Actor, *, timezone: str = "Asia/Shanghai"
) -> Workspace:
    if not SLUG_PATTERN.match(slug):
        raise Unprocessable(
            "invalid-slug",
            title=N_("Invalid workspace slug"),
            detail=N_("Use 3-64 lowercase letters, digits and dashes."),
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Unprocessable("invalid-timezone", title=N_("Unknown time zone")) from exc
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict("workspace-exists", title=N_("A workspace with this slug already exists"))
    workspace = Workspace(slug=slug, name=name.strip() or slug, timezone=timezone, settings={})
    session.add(workspace)
    session.flush()
    audit.record(
        session,
        actor,
        "workspace.create",
        workspace_id=workspace.id,
        target_type="workspace",
        target_id=workspace.id,
        detail={"slug": slug},
    )
    return workspace


def get_workspace_by_slug(session: Session, slug: str) -> Workspace:
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise NotFound("workspace-not-found", title=N_("Workspace not found"), detail=slug)
    return workspace


def find_workspace(session: Session, workspace_id: int) -> Workspace | None:
    return session.get(Workspace, workspace_id)


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace-not-found", title=N_("Workspace not found"))
    return workspace


def workspace_ids(session: Session) -> list[int]:
    """Every workspace, for the nightly jobs that visit them one by one."""
    return list(session.scalars(select(Workspace.id).order_by(Workspace.id)))


def workspace_timezone(session: Session, workspace_id: int) -> str:
    """The zone of the workspace's business days (``kit.clock``)."""
    return _workspace(session, workspace_id).timezone


def workspace_slug(session: Session, workspace_id: int) -> str:
    return _workspace(session, workspace_id).slug


def settings_section(session: Session, workspace_id: int, section: str) -> dict[str, Any]:
    """A copy of one domain's part of ``Workspace.settings`` (empty when never saved). Each
    domain owns its section's meaning; the workspace domain owns the row."""
    return dict((_workspace(session, workspace_id).settings or {}).get(section) or {})


def save_settings_section(
    session: Session, workspace_id: int, section: str, value: dict[str, Any]
) -> None:
    """Replace one domain's section; the caller validates it and writes the audit entry."""
    workspace = _workspace(session, workspace_id)
    # A new dict, so the JSON column is seen as changed.
    workspace.settings = {**(workspace.settings or {}), section: value}
    session.flush()


# --- operators --------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(
            "weak-password",
            title=N_("Password too short"),
            detail=N_("Passwords need at least 10 characters."),
        )
    return _hasher.hash(password)


def create_operator(
    session: Session,
    workspace: Workspace,
    email: str,
    role: Role,
    actor: Actor,
    *,
    password: str,
    display_name: str | None = None,
) -> Operator:
    """Create the operator if new (else reuse the account) and give them ``role`` here."""
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise Unprocessable("invalid-email", title=N_("Invalid email address"))
    operator = session.scalar(select(Operator).where(Operator.email == email))
    if operator is None:
        operator = Operator(
            email=email,
            display_name=display_name or email.split("@")[0],
            password_hash=hash_password(password),
        )
        session.add(operator)
        session.flush()
    elif _membership(session, workspace.id, operator.id) is not None:
        raise Conflict("operator-exists", title=N_("This operator is already in the workspace"))
    session.add(Membership(workspace_id=workspace.id, operator_id=operator.id, role=role))
    session.flush()
    audit.record(
        session,
        actor,
        "operator.add",
        workspace_id=workspace.id,
        target_type="operator",
        target_id=operator.id,
        detail={"email": email, "role": role.value},
    )
    return operator


def _membership(session: Session, workspace_id: int, operator_id: int) -> Membership | None:
    return session.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace_id, Membership.operator_id == operator_id
        )
    )


def console_membership(session: Session, operator_id: int, workspace_id: int) -> Membership | None:
    """The operator's membership of the workspace with the workspace, in one query (the
    console's every page needs both)."""
    return session.scalar(
        select(Membership)
        .options(joinedload(Membership.workspace))
        .where(Membership.workspace_id == workspace_id, Membership.operator_id == operator_id)
    )


def workspace_choices(session: Session, operator_id: int) -> list[tuple[int, str]]:
    """(id, name) of every workspace the operator belongs to, by name, in one query."""
    rows = session.execute(
        select(Workspace.id, Workspace.name)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.operator_id == operator_id)
        .order_by(Workspace.name)
    )
    return [(int(i), str(n)) for i, n in rows]


def memberships_of(session: Session, operator_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .join(Workspace)
            .options(contains_eager(Membership.workspace))
            .where(Membership.operator_id == operator_id)
            .order_by(Workspace.name)
        )
    )


def members_of(session: Session, workspace_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .join(Operator)
            .options(contains_eager(Membership.operator))
            .where(Membership.workspace_id == workspace_id)
            .order_by(Membership.id)
        )
    )


def check_operators(
    session: Session, workspace_id: int, operator_ids: Iterable[int | None], field: str
) -> None:
    """Every operator id a caller sent in ``field`` is a member of the workspace, else 422
    naming the field (an id that exists nowhere, too: never a foreign-key failure)."""
    check_in_workspace(session, Membership, workspace_id, operator_ids, field, key="operator_id")


def role_allows(role: Role, required: Role) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[required]


# --- sign-in ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    session: ConsoleSession
    token: str  # the cookie value, never stored


def authenticate(session: Session, email: str, password: str, actor: Actor) -> Operator:
    """Check a password, throttled per account and per address against guessing."""
    email = email.strip().lower()
    settings = get_settings()
    counter = counter_for(session)
    keys = [f"login:email:{email}", f"login:ip:{actor.ip or '-'}"]
    limits = [settings.login_max_failures, settings.login_max_failures * 4]
    window = settings.login_lockout_seconds
    for key, limit in zip(keys, limits, strict=True):
        if counter.peek(key, window) >= limit:
            raise TooManyRequests(
                "login-throttled",
                title=N_("Too many failed sign-ins"),
                detail=N_("Too many failed sign-ins. Try again in a few minutes."),
                headers={"Retry-After": str(window)},
            )
    operator = session.scalar(select(Operator).where(Operator.email == email))
    if operator is None or not operator.is_active or not _verify(operator, password):
        for key, limit in zip(keys, limits, strict=True):
            counter.hit(key, limit, window)
        audit.record(
            session,
            Actor("system", ip=actor.ip, user_agent=actor.user_agent),
            "auth.login_failed",
            workspace_id=None,
            detail={"email": email},
        )
        raise Unauthorized("invalid-credentials", title=N_("Wrong email or password"))
    counter.clear(keys[0])
    return operator


def _verify(operator: Operator, password: str) -> bool:
    try:
        _hasher.verify(operator.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = _hasher.hash(password)
    return True


def open_session(session: Session, operator: Operator, actor: Actor) -> SignedIn:
    memberships = memberships_of(session, operator.id)
    if not memberships:
        raise Forbidden("no-workspace", title=N_("This account has no workspace"))
    token = new_secret()
    now = utcnow()
    console_session = ConsoleSession(
        token_digest=token_digest(token),
        operator_id=operator.id,
        workspace_id=memberships[0].workspace_id,
        csrf_token=new_secret(nbytes=24),
        expires_at=now + timedelta(days=get_settings().session_days),
        last_seen_at=now,
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:300] or None,
    )
    session.add(console_session)
    operator.last_login_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "auth.login",
        workspace_id=console_session.workspace_id,
        target_type="operator",
        target_id=operator.id,
    )
    return SignedIn(console_session, token)


def resolve_session(session: Session, token: str) -> ConsoleSession | None:
    console_session = session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_digest == token_digest(token))
    )
    if console_session is None or as_utc(console_session.expires_at) <= utcnow():
        return None
    return console_session


def close_session(session: Session, console_session: ConsoleSession, actor: Actor) -> None:
    audit.record(
        session,
        actor,
        "auth.logout",
        workspace_id=console_session.workspace_id,
        target_type="operator",
        target_id=console_session.operator_id,
    )
    session.delete(console_session)


def switch_workspace(
    session: Session, console_session: ConsoleSession, workspace_id: int, actor: Actor
) -> Membership:
    membership = _membership(session, workspace_id, console_session.operator_id)
    if membership is None:
        raise Forbidden("not-a-member", title=N_("You are not a member of this workspace"))
    console_session.workspace_id = workspace_id
    audit.record(
        session,
        actor,
        "auth.switch_workspace",
        workspace_id=workspace_id,
        target_type="operator",
        target_id=console_session.operator_id,
    )
    return membership


# --- API tokens -------------------------------------------------------------------------


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """``read,write`` (commas or spaces) into scopes, in their canonical order."""
    names = {part.strip().lower() for part in re.split(r"[,\s]+", text) if part.strip()}
    unknown = names - {scope.value for scope in Scope}
    if not names or unknown:
        raise _invalid_scopes(unknown)
    return tuple(scope for scope in Scope if scope.value in names)


def _invalid_scopes(unknown: set[str]) -> Unprocessable:
    return Unprocessable(
        "invalid-scopes",
        title=N_("Choose the token's scopes among read, write, pii and admin"),
        errors=[{"field": "scopes", "message": ", ".join(sorted(unknown)) or "empty"}],
    )


def create_token(
    session: Session,
    workspace_id: int,
    name: str,
    actor: Actor,
    *,
    scopes: tuple[Scope, ...] = DEFAULT_SCOPES,
) -> tuple[ApiToken, str]:
    """Returns the token row and the clear token, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Unprocessable(
            "invalid-token-name", title=N_("Give the token a name (up to 100 characters)")
        )
    if not scopes:
        raise _invalid_scopes(set())
    ordered = [scope.value for scope in Scope if scope in scopes]
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        workspace_id=workspace_id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_digest=token_digest(secret),
        scopes=" ".join(ordered),
        created_by_operator_id=actor.id if actor.type == "operator" else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        workspace_id=workspace_id,
        target_type="api_token",
        target_id=token.id,
        detail={"name": name, "scopes": ordered},
    )
    return token, secret


def revoke_token(session: Session, workspace_id: int, token_id: int, actor: Actor) -> ApiToken:
    not_found = NotFound("token-not-found", title=N_("API token not found"))
    token = get_in_workspace(session, ApiToken, workspace_id, token_id, not_found)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "token.revoke",
            workspace_id=workspace_id,
            target_type="api_token",
            target_id=token.id,
        )
        from siyu.workspace.token_cache import forget_token

        forget_token(session, token.token_digest)
    return token


def resolve_token(session: Session, secret: str) -> ApiToken | None:
    """The live token for a bearer secret (a read; see ``touch_token``)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_digest == token_digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def token_touch_due(token: ApiToken) -> bool:
    """``last_used_at`` is refreshed at most once a minute."""
    last = token.last_used_at
    return last is None or as_utc(last) < utcnow() - TOKEN_TOUCH_INTERVAL


def touch_token(session: Session, token_id: int) -> None:
    """A conditional UPDATE, so parallel requests don't queue on one row just to touch it."""
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - TOKEN_TOUCH_INTERVAL)
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def delete_expired_sessions(session: Session, now: datetime) -> None:
    """Housekeeping: console sessions past their expiry go, a chunk per transaction."""
    delete_in_chunks(session, ConsoleSession, ConsoleSession.expires_at < now)


def touch_session(session: Session, session_id: int) -> None:
    """Slide a console session's ``last_seen_at`` (at most every few minutes, by the caller)."""
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == session_id)
        .values(last_seen_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def list_tokens(session: Session, workspace_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.workspace_id == workspace_id)
            .order_by(ApiToken.id.desc())
        )
    )


# The languages a workspace can write its exports in, as the settings page names them.
EXPORT_LOCALES = {"zh_CN": N_("Chinese"), "en": N_("English")}


def set_workspace_locale(session: Session, workspace_id: int, locale: str, actor: Actor) -> None:
    """Choose the language of the workspace's exports and reports; audited."""
    if locale not in EXPORT_LOCALES:
        raise Unprocessable("invalid-locale", title=N_("Unknown language"))
    workspace = session.get_one(Workspace, workspace_id)
    previous = workspace_locale(session, workspace_id)
    # A new dict, so the JSON column is seen as changed.
    workspace.settings = {**(workspace.settings or {}), "locale": locale}
    session.flush()
    audit.record(
        session,
        actor,
        "workspace.locale",
        workspace_id=workspace.id,
        target_type="workspace",
        target_id=workspace.id,
        detail={"from": previous, "to": locale},
    )


def workspace_locale(session: Session, workspace_id: int) -> str:
    """The language of what the workspace produces without a reader at hand (exports, files):
    ``settings["locale"]`` when set, else the console's default, Chinese."""
    workspace = session.get(Workspace, workspace_id)
    chosen = (workspace.settings or {}).get("locale") if workspace else None
    return normalise_locale(chosen) or DEFAULT_LOCALE
