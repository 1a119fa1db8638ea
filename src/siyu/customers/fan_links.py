"""Signed, expiring fan links and the fan-page session they open.

A link carries ``{w, c, x}`` (workspace, customer, expiry in epoch seconds) signed with the secret
key, so changing the customer breaks the signature. Opening it sets a cookie signed under a
different salt: a link can't be replayed as a cookie, nor a cookie passed off as a link. The
cookie keeps the link's expiry, so a session never outlives the link that opened it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.customers import service
from siyu.customers.models import Customer
from siyu.db import read_first
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, Forbidden, NotFound
from siyu.kit.i18n import N_
from siyu.kit.tenancy import Tenant
from siyu.kit.web import DbSession
from siyu.workspace import audit
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import Actor

LINK_SALT = "siyu.fan-link"
SESSION_SALT = "siyu.fan-session"
FAN_COOKIE = "siyu_fan"
FAN_CSRF_FIELD = "csrf_token"
FAN_CSRF_HEADER = "x-csrf-token"
DEFAULT_TTL_SECONDS = 7 * 86400
MAX_TTL_SECONDS = 90 * 86400  # also the serializer's own age cap, a second line of defence


class FanLinkInvalid(Exception):
    """The token was not signed by us, or was altered."""


class FanLinkExpired(FanLinkInvalid):
    """The token is genuine but past its expiry."""


@dataclass(frozen=True)
class FanClaim:
    workspace_id: int
    customer_id: int
    expires_at: datetime

    @property
    def seconds_left(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=salt)


def _sign(salt: str, workspace_id: int, customer_id: int, expires_at: datetime) -> str:
    payload = {"w": workspace_id, "c": customer_id, "x": int(expires_at.timestamp())}
    return str(_serializer(salt).dumps(payload))


def _verify(salt: str, token: str) -> FanClaim:
    try:
        payload: Any = _serializer(salt).loads(token, max_age=MAX_TTL_SECONDS)
    except BadSignature as exc:  # SignatureExpired included: past the hard cap
        raise FanLinkInvalid from exc
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(k), int) for k in ("w", "c", "x")
    ):
        raise FanLinkInvalid
    claim = FanClaim(payload["w"], payload["c"], datetime.fromtimestamp(payload["x"], UTC))
    if utcnow() >= claim.expires_at:
        raise FanLinkExpired
    return claim


def _expiry(ttl_seconds: int) -> datetime:
    if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl_seconds must be between 0 and {MAX_TTL_SECONDS}")
    return utcnow() + timedelta(seconds=ttl_seconds)


def sign_fan_link(
    workspace_id: int, customer_id: int, ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> str:
    return _sign(LINK_SALT, workspace_id, customer_id, _expiry(ttl_seconds))


def verify_fan_link(token: str) -> FanClaim:
    return _verify(LINK_SALT, token)


def sign_fan_session(claim: FanClaim) -> str:
    return _sign(SESSION_SALT, claim.workspace_id, claim.customer_id, claim.expires_at)


def verify_fan_session(value: str) -> FanClaim:
    return _verify(SESSION_SALT, value)


# --- issuing links ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime


def live_fan(session: Session, workspace_id: int, customer_id: int) -> Customer:
    """The customer, if a link may still open as them: not merged away, not erased."""
    customer = service.get_customer(session, workspace_id, customer_id)
    if customer.merged_into_id is not None:
        raise Conflict(
            "customer-merged",
            title=N_("This fan was merged into another"),
            merged_into_id=customer.merged_into_id,
        )
    if customer.erased_at is not None:
        raise Conflict("customer-erased", title=N_("This fan's personal data was erased"))
    return customer


def issue_fan_link(
    session: Session,
    workspace_id: int,
    customer_id: int,
    actor: Actor,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    base_url: str | None = None,
) -> IssuedLink:
    """A fan-page URL for one fan. Audited: whoever holds it acts as that fan until it expires."""
    live_fan(session, workspace_id, customer_id)
    expires_at = _expiry(ttl_seconds).replace(microsecond=0)  # what the token can express
    token = _sign(LINK_SALT, workspace_id, customer_id, expires_at)
    audit.record(
        session,
        actor,
        "customer.fan_link",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"expires_at": expires_at.isoformat()},
    )
    return IssuedLink(_link_url(token, base_url), expires_at)


def _link_url(token: str, base_url: str | None) -> str:
    root = (base_url or get_settings().public_base_url).rstrip("/")
    return f"{root}/h5/open?t={token}"


MAX_BULK_LINKS = 5000  # one call; a segment's export streams its links batch by batch instead


@dataclass
class BulkLinks:
    links: dict[int, IssuedLink]  # customer id → link, in the order asked
    refused: dict[int, str]  # customer id → problem slug (not found, merged, erased)


def link_expiry(ttl_seconds: int = DEFAULT_TTL_SECONDS) -> datetime:
    """The expiry a batch of links shares, to the second (what a token can express)."""
    return _expiry(ttl_seconds).replace(microsecond=0)


def unaudited_links(
    session: Session,
    workspace_id: int,
    customer_ids: list[int],
    expires_at: datetime,
    *,
    base_url: str | None = None,
) -> BulkLinks:
    """Sign links for live fans; the caller records the business action that hands them out
    (an export, a bulk request) in the audit log, once."""
    states = service.link_states(session, workspace_id, customer_ids)
    result = BulkLinks({}, {})
    for customer_id in customer_ids:
        state = states.get(customer_id, "customer-not-found")
        if state != "live":
            result.refused[customer_id] = state
            continue
        token = _sign(LINK_SALT, workspace_id, customer_id, expires_at)
        result.links[customer_id] = IssuedLink(_link_url(token, base_url), expires_at)
    return result


def issue_fan_links(
    session: Session,
    workspace_id: int,
    customer_ids: list[int],
    actor: Actor,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    base_url: str | None = None,
    purpose: str = "bulk",
) -> BulkLinks:
    """Links for many fans at once, all with one expiry, recorded as one audit entry (who asked,
    how many, what for). Merged, erased and unknown fans are refused one by one, not fatal."""
    wanted = list(dict.fromkeys(customer_ids))
    if len(wanted) > MAX_BULK_LINKS:
        raise ValueError(f"at most {MAX_BULK_LINKS} fans per call")
    expires_at = link_expiry(ttl_seconds)
    result = unaudited_links(session, workspace_id, wanted, expires_at, base_url=base_url)
    audit.record(
        session,
        actor,
        "customer.fan_links",
        workspace_id=workspace_id,
        target_type="customer",
        detail={
            "issued": len(result.links),
            "refused": len(result.refused),
            "purpose": purpose,
            "expires_at": expires_at.isoformat(),
        },
    )
    return result


# --- the fan-page session ---------------------------------------------------------------


@dataclass(frozen=True)
class FanContext:
    workspace: Tenant
    customer: Customer


class FanSessionRequired(Exception):
    """No usable fan session: without a message the fan is sent to the landing page, with one
    the landing explains what happened (the profile was merged or erased)."""

    def __init__(self, message: str | None = None, status: int = 303) -> None:
        super().__init__(message or "fan session required")
        self.message = message
        self.status = status


def fan_context(session: Session, claim: FanClaim) -> FanContext:
    workspace = workspace_service.find_workspace(session, claim.workspace_id)
    if workspace is None:
        raise FanSessionRequired()
    try:
        customer = live_fan(session, workspace.id, claim.customer_id)
    except NotFound:
        raise FanSessionRequired() from None
    except Conflict:
        raise FanSessionRequired(
            N_("This member profile is no longer in use. Ask our assistant for a new link."),
            status=410,
        ) from None
    return FanContext(workspace, customer)


def current_fan(request: Request, db: DbSession) -> FanContext:
    value = request.cookies.get(FAN_COOKIE)
    if not value:
        raise FanSessionRequired()
    try:
        claim = verify_fan_session(value)
    except FanLinkInvalid:
        raise FanSessionRequired() from None
    with read_first(db):  # a writing fan page takes the write lock in its endpoint only
        return fan_context(db, claim)


CurrentFan = Annotated[FanContext, Depends(current_fan)]


# --- CSRF on fan forms ------------------------------------------------------------------
# A fan form's token is derived from the fan's session cookie (HMAC under the secret key): no
# store, so the grab's hot path can check it too; a page of another site can't post as the fan.


def fan_csrf_token(request: Request) -> str:
    return csrf_for_fan_cookie(request.cookies.get(FAN_COOKIE, ""))


def csrf_for_fan_cookie(cookie: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"fan-csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def check_fan_csrf(request: Request, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent, fan_csrf_token(request)):
        raise Forbidden(
            "csrf-failed", title=N_("The form has expired. Reload the page and try again.")
        )


async def fan_csrf_protect(request: Request) -> None:
    """A dependency for fan forms: the token comes as ``X-CSRF-Token`` (htmx) or a form field."""
    sent = request.headers.get(FAN_CSRF_HEADER)
    if sent is None:
        value = (await request.form()).get(FAN_CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    check_fan_csrf(request, sent)
