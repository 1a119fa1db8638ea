"""The WeCom connector's rules: connecting a workspace, live codes and the channels fans came
through, welcome messages, and the read functions other domains use.

Other domains call these functions; none of them builds a WeCom URL (``client.py`` does).
Sync and reconciliation live in ``sync.py``, callback intake in ``callbacks.py``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.connectors.wecom.client import WecomClient, WecomError
from siyu.connectors.wecom.connection import (
    client_for,
    connection_of,
    require_connection,
    seal,
)
from siyu.connectors.wecom.crypto import CallbackCryptoError, aes_key
from siyu.connectors.wecom.models import (
    CHANNEL_KINDS,
    DEFAULT_API_BASE,
    WecomApiError,
    WecomConnection,
    WecomContactWay,
    WecomFollow,
    WecomJoinWay,
    WecomStaff,
    WecomWelcome,
)
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import get_in_workspace, insert_for
from siyu.workspace import audit
from siyu.workspace.audit import Actor

log = logging.getLogger("siyu.wecom")

DEFAULT_WELCOME = "你好，我是店铺的专属客服，有任何问题随时找我～"
MAX_ATTACHMENTS = 9
STATE_PREFIX = "sy"

# Checks every outbound welcome text passes before WeCom sees it: each takes
# (session, workspace_id, text) and returns the text to send, or raises to refuse it. The
# content check of outreach registers itself here.
WELCOME_TEXT_CHECKS: list[Callable[[Session, int, str], str]] = []


def _invalid(field: str, title: str) -> Unprocessable:
    return Unprocessable(
        "invalid-wecom-settings", title=title, errors=[{"field": field, "message": title}]
    )


# --- connecting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectForm:
    corp_id: str
    agent_id: int
    secret: str
    callback_token: str
    encoding_aes_key: str
    api_base: str = DEFAULT_API_BASE


def _check_form(form: ConnectForm) -> None:
    if not 1 <= len(form.corp_id.strip()) <= 64:
        raise _invalid("corp_id", N_("Give the corp id (1 to 64 characters)"))
    if not 0 < form.agent_id < 2**31:
        raise _invalid("agent_id", N_("The agent id is a positive number"))
    if not 1 <= len(form.secret) <= 128:
        raise _invalid("secret", N_("Give the app's secret"))
    if not 1 <= len(form.callback_token) <= 64:
        raise _invalid("callback_token", N_("Give the callback token"))
    try:
        aes_key(form.encoding_aes_key)
    except CallbackCryptoError:
        raise _invalid(
            "encoding_aes_key", N_("The EncodingAESKey has 43 letters and digits")
        ) from None
    parts = urlsplit(form.api_base)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(form.api_base) > 300:
        raise _invalid("api_base", N_("The API base is an http(s) address"))


def connect(
    session: Session, workspace_id: int, form: ConnectForm, actor: Actor
) -> WecomConnection:
    """Save (or replace) the workspace's WeCom settings; secrets are stored encrypted."""
    _check_form(form)
    connection = connection_of(session, workspace_id)
    if connection is None:
        connection = WecomConnection(
            workspace_id=workspace_id, default_welcome_text=DEFAULT_WELCOME
        )
        session.add(connection)
    connection.corp_id = form.corp_id.strip()
    connection.agent_id = form.agent_id
    connection.secret_enc = seal(workspace_id, "secret", form.secret)
    connection.callback_token_enc = seal(workspace_id, "callback_token", form.callback_token)
    connection.encoding_aes_key_enc = seal(workspace_id, "encoding_aes_key", form.encoding_aes_key)
    connection.api_base = form.api_base.rstrip("/")
    connection.access_token_enc, connection.token_expires_at = None, None
    connection.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "wecom.connect",
        workspace_id=workspace_id,
        target_type="wecom_connection",
        target_id=connection.id,
        detail={
            "corp_id": connection.corp_id,
            "agent_id": form.agent_id,
            "api_base": connection.api_base,
        },
    )
    return connection


def set_default_welcome(session: Session, workspace_id: int, text: str, actor: Actor) -> None:
    text = text.strip()
    if not 1 <= len(text) <= 4000:
        raise _invalid("default_welcome_text", N_("The welcome text needs 1 to 4,000 characters"))
    connection = require_connection(session, workspace_id)
    connection.default_welcome_text = text
    audit.record(
        session,
        actor,
        "wecom.welcome_default",
        workspace_id=workspace_id,
        target_type="wecom_connection",
        target_id=connection.id,
    )


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    staff: int = 0
    errcode: int | None = None
    message: str = ""


def test_connection(session: Session, workspace_id: int) -> ConnectionCheck:
    """Ask WeCom for a token and the follow users with the saved settings."""
    client = client_for(session, workspace_id)
    try:
        return ConnectionCheck(True, staff=len(client.follow_user_list()))
    except WecomError as error:
        return ConnectionCheck(False, errcode=error.errcode, message=error.errmsg)
    finally:
        client.close()


# --- live codes ---------------------------------------------------------------------------


def _check_channel(kind: str, ref: str) -> None:
    if kind not in CHANNEL_KINDS:
        raise Unprocessable(
            "unknown-channel-kind",
            title=N_("Unknown channel kind"),
            errors=[{"field": "channel_kind", "message": f"use one of {', '.join(CHANNEL_KINDS)}"}],
        )
    if not 1 <= len(ref.strip()) <= 64:
        raise _invalid("channel_ref", N_("Name the channel (1 to 64 characters)"))


def _check_attachments(attachments: list[dict[str, Any]]) -> None:
    if len(attachments) > MAX_ATTACHMENTS:
        raise _invalid("welcome_attachments", N_("A welcome carries at most 9 attachments"))
    for attachment in attachments:
        if attachment.get("msgtype") not in ("image", "link", "miniprogram", "video", "file"):
            raise _invalid(
                "welcome_attachments", N_("Attachments are images, links or mini-programs")
            )


def _active_staff(session: Session, workspace_id: int) -> list[str]:
    return list(
        session.scalars(
            select(WecomStaff.userid)
            .where(WecomStaff.workspace_id == workspace_id, WecomStaff.active.is_(True))
            .order_by(WecomStaff.userid)
            .limit(100)
        )
    )


def create_contact_way(
    session: Session,
    workspace_id: int,
    *,
    channel_kind: str,
    channel_ref: str,
    name: str | None = None,
    userids: list[str] | None = None,
    welcome_text: str | None = None,
    welcome_attachments: list[dict[str, Any]] | None = None,
    tag_ids: list[int] | None = None,
    actor: Actor = audit.SYSTEM,
) -> WecomContactWay:
    """A 「联系我」 live code for a channel: fans added through it are attributed to
    ``(channel_kind, channel_ref)``, greeted with its welcome and tagged with ``tag_ids``."""
    _check_channel(channel_kind, channel_ref)
    attachments = list(welcome_attachments or [])
    _check_attachments(attachments)
    if welcome_text is not None and len(welcome_text) > 4000:
        raise _invalid("welcome_text", N_("The welcome text needs 1 to 4,000 characters"))
    staff = userids or _active_staff(session, workspace_id)
    if not staff:
        raise _invalid("userids", N_("Sync the staff from WeCom before making a live code"))
    if tag_ids:
        from siyu.customers import service as customers

        for tag_id in tag_ids:
            customers.get_tag(session, workspace_id, tag_id)
    state = STATE_PREFIX + secrets.token_hex(6)
    client = client_for(session, workspace_id)
    try:
        answer = client.add_contact_way(staff, state, remark=(name or channel_ref)[:30])
    finally:
        client.close()
    way = WecomContactWay(
        workspace_id=workspace_id,
        name=(name or channel_ref).strip()[:100],
        channel_kind=channel_kind,
        channel_ref=channel_ref.strip(),
        state=state,
        config_id=answer.get("config_id"),
        qr_code=answer.get("qr_code"),
        userids=staff,
        siyu_tag_ids=list(tag_ids or []),
        welcome_text=(welcome_text or "").strip() or None,
        welcome_attachments=attachments,
    )
    session.add(way)
    session.flush()
    audit.record(
        session,
        actor,
        "wecom.contact_way_create",
        workspace_id=workspace_id,
        target_type="wecom_contact_way",
        target_id=way.id,
        detail={"channel": f"{channel_kind}:{way.channel_ref}", "config_id": way.config_id},
    )
    return way


def get_contact_way(session: Session, workspace_id: int, way_id: int) -> WecomContactWay:
    not_found = NotFound("live-code-not-found", title=N_("Live code not found"))
    return get_in_workspace(session, WecomContactWay, workspace_id, way_id, not_found)


def contact_ways(
    session: Session, workspace_id: int, channel_kind: str | None = None
) -> list[WecomContactWay]:
    statement = select(WecomContactWay).where(WecomContactWay.workspace_id == workspace_id)
    if channel_kind is not None:
        statement = statement.where(WecomContactWay.channel_kind == channel_kind)
    return list(session.scalars(statement.order_by(WecomContactWay.id.desc())))


def contact_way_by_state(
    session: Session, workspace_id: int, state: str | None
) -> WecomContactWay | None:
    if not state:
        return None
    return session.scalar(
        select(WecomContactWay).where(
            WecomContactWay.workspace_id == workspace_id, WecomContactWay.state == state
        )
    )


def create_join_way(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    chat_ids: list[str],
    room_base_name: str | None = None,
    auto_create_room: bool = True,
    actor: Actor = audit.SYSTEM,
) -> WecomJoinWay:
    """A group live code (``add_join_way``, scene 2) over 1 to 5 customer groups; when they
    are full WeCom opens a new group named after ``room_base_name`` by itself."""
    from siyu.connectors.wecom.models import WecomGroupChat

    chats = list(dict.fromkeys(chat_ids))
    if not 1 <= len(chats) <= 5:
        raise _invalid("chat_ids", N_("A group live code covers 1 to 5 groups"))
    known = set(
        session.scalars(
            select(WecomGroupChat.chat_id).where(
                WecomGroupChat.workspace_id == workspace_id, WecomGroupChat.chat_id.in_(chats)
            )
        )
    )
    if known != set(chats):
        raise _invalid("chat_ids", N_("Sync the groups from WeCom before making a live code"))
    state = STATE_PREFIX + secrets.token_hex(6)
    base_name = (room_base_name or name).strip()[:40]
    client = client_for(session, workspace_id)
    try:
        config_id = client.add_join_way(
            chats, state, room_base_name=base_name, auto_create_room=auto_create_room
        )
        qr_code = client.get_join_way(config_id).get("qr_code")
    finally:
        client.close()
    way = WecomJoinWay(
        workspace_id=workspace_id,
        name=name.strip()[:100] or base_name,
        state=state,
        config_id=config_id,
        qr_code=qr_code,
        chat_ids=chats,
        room_base_name=base_name,
        auto_create_room=auto_create_room,
    )
    session.add(way)
    session.flush()
    audit.record(
        session,
        actor,
        "wecom.join_way_create",
        workspace_id=workspace_id,
        target_type="wecom_join_way",
        target_id=way.id,
        detail={"chats": chats, "config_id": config_id},
    )
    return way


# --- channels: read functions for other domains --------------------------------------------


@dataclass(frozen=True)
class FanChannel:
    customer_id: int
    external_userid: str
    userid: str
    channel_kind: str | None
    channel_ref: str | None
    added_at: datetime | None
    status: str


def fan_channels(
    session: Session, workspace_id: int, customer_ids: list[int] | None = None
) -> list[FanChannel]:
    """Through which channel ``(kind, ref)`` each fan was added (one row per follow relation;
    kind and ref are empty for codes not made in Siyu)."""
    statement = select(WecomFollow).where(
        WecomFollow.workspace_id == workspace_id, WecomFollow.customer_id.is_not(None)
    )
    if customer_ids is not None:
        statement = statement.where(WecomFollow.customer_id.in_(customer_ids))
    return [
        FanChannel(
            int(f.customer_id or 0),
            f.external_userid,
            f.userid,
            f.channel_kind,
            f.channel_ref,
            f.added_at,
            f.status,
        )
        for f in session.scalars(statement.order_by(WecomFollow.added_at, WecomFollow.id))
    ]


def channel_customers(
    session: Session, workspace_id: int, channel_kind: str, channel_ref: str
) -> list[int]:
    """The fans added through one channel."""
    rows = session.scalars(
        select(WecomFollow.customer_id)
        .where(
            WecomFollow.workspace_id == workspace_id,
            WecomFollow.channel_kind == channel_kind,
            WecomFollow.channel_ref == channel_ref,
            WecomFollow.customer_id.is_not(None),
        )
        .distinct()
    )
    return [int(row) for row in rows if row is not None]


@dataclass
class ChannelRow:
    channel_kind: str
    channel_ref: str
    adds: int = 0
    losses: int = 0
    fans: int = 0
    gmv_fen: int = 0
    orders: int = 0


def channel_report(session: Session, workspace_id: int, since: datetime) -> list[ChannelRow]:
    """Per channel since ``since``: adds, losses (the fan deleted the staff member), and GMV
    of the fans it brought (net paid, orders paid since ``since``; the orders domain's figure)."""
    from siyu.orders.figures import gmv_by_customer

    rows: dict[tuple[str, str], ChannelRow] = {}
    members: dict[tuple[str, str], set[int]] = {}
    follows = session.execute(
        select(
            WecomFollow.channel_kind,
            WecomFollow.channel_ref,
            WecomFollow.customer_id,
            WecomFollow.added_at,
            WecomFollow.lost_at,
        ).where(WecomFollow.workspace_id == workspace_id, WecomFollow.channel_kind.is_not(None))
    )
    for kind, ref, customer_id, added_at, lost_at in follows:
        key = (str(kind), str(ref))
        row = rows.setdefault(key, ChannelRow(*key))
        row.adds += int(added_at is not None and added_at >= since)
        row.losses += int(lost_at is not None and lost_at >= since)
        if customer_id is not None:
            members.setdefault(key, set()).add(int(customer_id))
    everyone = sorted({c for fans in members.values() for c in fans})
    gmv = gmv_by_customer(session, workspace_id, everyone, since)
    for key, fans in members.items():
        rows[key].fans = len(fans)
        rows[key].gmv_fen = sum(gmv.get(c, (0, 0))[0] for c in fans)
        rows[key].orders = sum(gmv.get(c, (0, 0))[1] for c in fans)
    return sorted(rows.values(), key=lambda r: (-r.adds, r.channel_kind, r.channel_ref))


def lost_customers(session: Session, workspace_id: int, since: datetime) -> list[int]:
    """Fans who deleted a staff member since ``since`` (the churn signal analytics read)."""
    rows = session.scalars(
        select(WecomFollow.customer_id)
        .where(
            WecomFollow.workspace_id == workspace_id,
            WecomFollow.status == "lost",
            WecomFollow.lost_at >= since,
            WecomFollow.customer_id.is_not(None),
        )
        .distinct()
    )
    return [int(row) for row in rows if row is not None]


def external_userids_of(
    session: Session, workspace_id: int, customer_ids: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """Fan id → its active ``(external_userid, userid)`` relations: who can reach it in WeCom."""
    found: dict[int, list[tuple[str, str]]] = {c: [] for c in customer_ids}
    if customer_ids:
        rows = session.execute(
            select(WecomFollow.customer_id, WecomFollow.external_userid, WecomFollow.userid)
            .where(
                WecomFollow.workspace_id == workspace_id,
                WecomFollow.customer_id.in_(customer_ids),
                WecomFollow.status == "active",
            )
            .order_by(WecomFollow.added_at)
        )
        for customer_id, external_userid, userid in rows:
            found[int(customer_id or 0)].append((external_userid, userid))
    return found


def wecom_client(session: Session, workspace_id: int, **options: Any) -> WecomClient:
    """The workspace's WeCom client (outreach's channel adapter sends through it)."""
    return client_for(session, workspace_id, **options)


# --- welcome ------------------------------------------------------------------------------


def welcome_for(
    session: Session, workspace_id: int, state: str | None
) -> tuple[WecomContactWay | None, str, list[dict[str, Any]]]:
    """The live code's welcome, or the workspace's default one for any other state."""
    way = contact_way_by_state(session, workspace_id, state)
    if way is not None and way.welcome_text:
        return way, way.welcome_text, list(way.welcome_attachments)
    connection = require_connection(session, workspace_id)
    return way, connection.default_welcome_text, list(way.welcome_attachments) if way else []


def send_welcome(
    session: Session,
    workspace_id: int,
    *,
    welcome_code: str,
    userid: str,
    external_userid: str,
    state: str | None,
    client: WecomClient | None = None,
) -> str:
    """Send the welcome for one WelcomeCode, once: the code's row is claimed first (a unique
    key), so a repeated callback or a retried job finds it taken. Returns the row's status,
    or ``duplicate``."""
    claimed = session.scalar(
        insert_for(session)(WecomWelcome)
        .values(
            workspace_id=workspace_id,
            welcome_code=welcome_code[:128],
            external_userid=external_userid,
            userid=userid,
            status="sending",
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(WecomWelcome.id)
    )
    if claimed is None:
        return "duplicate"
    welcome = session.get_one(WecomWelcome, claimed)
    way, text, attachments = welcome_for(session, workspace_id, state)
    welcome.contact_way_id = way.id if way else None
    for check in WELCOME_TEXT_CHECKS:
        text = check(session, workspace_id, text)
    own_client = client is None
    client = client or client_for(session, workspace_id)
    try:
        client.send_welcome_msg(welcome_code, text, attachments)
        welcome.status, welcome.sent_at = "sent", utcnow()
    except WecomError as error:
        # A welcome code works once and for 20 s: a failure is recorded, never retried.
        welcome.status, welcome.errcode = "failed", error.errcode
    finally:
        if own_client:
            client.close()
    session.flush()
    return welcome.status


# --- health -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    connection: WecomConnection | None
    errors: list[WecomApiError]
    welcomes: dict[str, int]
    events: dict[str, int]


def health(session: Session, workspace_id: int) -> Health:
    from sqlalchemy import func

    from siyu.connectors.wecom.models import WecomCallbackEvent

    errors = list(
        session.scalars(
            select(WecomApiError)
            .where(WecomApiError.workspace_id == workspace_id)
            .order_by(WecomApiError.count.desc(), WecomApiError.errcode)
        )
    )
    welcomes = {
        str(status): int(count)
        for status, count in session.execute(
            select(WecomWelcome.status, func.count())
            .where(WecomWelcome.workspace_id == workspace_id)
            .group_by(WecomWelcome.status)
        )
    }
    events = {
        str(status): int(count)
        for status, count in session.execute(
            select(WecomCallbackEvent.status, func.count())
            .where(WecomCallbackEvent.workspace_id == workspace_id)
            .group_by(WecomCallbackEvent.status)
        )
    }
    return Health(connection_of(session, workspace_id), errors, welcomes, events)


def staff_of(session: Session, workspace_id: int) -> list[WecomStaff]:
    return list(
        session.scalars(
            select(WecomStaff)
            .where(WecomStaff.workspace_id == workspace_id)
            .order_by(WecomStaff.userid)
        )
    )


def link_staff(
    session: Session, workspace_id: int, userid: str, operator_id: int | None, actor: Actor
) -> WecomStaff:
    """Tie a WeCom staff member to a Siyu operator of the workspace (their WeCom identity)."""
    from siyu.workspace import service as workspace_service

    staff = session.scalar(
        select(WecomStaff).where(
            WecomStaff.workspace_id == workspace_id, WecomStaff.userid == userid
        )
    )
    if staff is None:
        raise NotFound("wecom-staff-not-found", title=N_("Staff member not found"))
    workspace_service.check_operators(session, workspace_id, [operator_id], "operator_id")
    if operator_id is not None:  # an operator has one WeCom identity
        session.execute(
            update(WecomStaff)
            .where(WecomStaff.workspace_id == workspace_id, WecomStaff.operator_id == operator_id)
            .values(operator_id=None)
            .execution_options(synchronize_session=False)
        )
    staff.operator_id = operator_id
    audit.record(
        session,
        actor,
        "wecom.staff_link",
        workspace_id=workspace_id,
        target_type="wecom_staff",
        target_id=staff.id,
        detail={"operator_id": operator_id},
    )
    return staff
