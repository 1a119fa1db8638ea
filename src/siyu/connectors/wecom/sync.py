"""Pulling WeCom into Siyu: staff, corp tags, contacts (as fans), follow relations (with their
channel), group chats (as fan groups) — a full pull with WeCom's cursors, and the single-entity
re-pulls the callback jobs do. Tags go both ways (see ``_merge_tags``), without echoes.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from siyu.connectors.wecom.client import WecomClient, WecomError
from siyu.connectors.wecom.connection import require_connection
from siyu.connectors.wecom.models import (
    WecomContact,
    WecomCorpTag,
    WecomFollow,
    WecomFollowTag,
    WecomGroupChat,
    WecomGroupMember,
    WecomStaff,
)
from siyu.connectors.wecom.service import contact_way_by_state
from siyu.customers import service as customers
from siyu.customers.identities import FanKey, resolve_customers
from siyu.kit.clock import utcnow
from siyu.kit.errors import Problem
from siyu.workspace.audit import SYSTEM

log = logging.getLogger("siyu.wecom")

NO_RELATION = 84061
JOIN_SCENES = {0: "invitation", 1: "invitation", 3: "live_code"}
STAFF_MEMBER = 1


@dataclass
class SyncSummary:
    staff: int = 0
    contacts: int = 0
    fans_created: int = 0
    fans_linked: int = 0
    follows_lost: int = 0
    tags: int = 0
    tags_marked: int = 0
    groups: int = 0
    group_members: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _moment(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if seconds else None


# --- staff --------------------------------------------------------------------------------


def sync_staff(
    session: Session, workspace_id: int, client: WecomClient, summary: SyncSummary
) -> None:
    userids = client.follow_user_list()
    known = {
        s.userid: s
        for s in session.scalars(select(WecomStaff).where(WecomStaff.workspace_id == workspace_id))
    }
    operators = _operators_by_name(session, workspace_id)
    for userid in userids:
        staff = known.get(userid)
        if staff is None:
            staff = WecomStaff(workspace_id=workspace_id, userid=userid)
            session.add(staff)
        try:
            staff.name = str(client.user_get(userid).get("name") or userid)[:100]
        except WecomError:
            staff.name = staff.name or userid
        if staff.operator_id is None:
            staff.operator_id = operators.get(staff.name or "")
        staff.active, staff.synced_at = True, utcnow()
    for userid, staff in known.items():
        if userid not in userids:
            staff.active = False
    summary.staff = len(userids)
    session.flush()


def _operators_by_name(session: Session, workspace_id: int) -> dict[str, int]:
    """Operators whose display name is unique in the workspace, by that name: a staff member
    of the same name is taken to be them until an operator links another."""
    from siyu.workspace import service as workspace_service

    names: dict[str, list[int]] = {}
    for membership in workspace_service.members_of(session, workspace_id):
        names.setdefault(membership.operator.display_name, []).append(membership.operator_id)
    return {name: ids[0] for name, ids in names.items() if len(ids) == 1}


# --- tags ---------------------------------------------------------------------------------


def sync_tags(
    session: Session, workspace_id: int, client: WecomClient, summary: SyncSummary
) -> None:
    """Mirror every corp tag as a Siyu tag (group / name); tags gone from WeCom are marked."""
    groups = client.get_corp_tag_list()
    known = {
        t.tag_id: t
        for t in session.scalars(
            select(WecomCorpTag).where(WecomCorpTag.workspace_id == workspace_id)
        )
    }
    seen: set[str] = set()
    for group in groups:
        for tag in group.get("tag", []):
            seen.add(tag["id"])
            mirror = known.get(tag["id"])
            if mirror is None:
                mirror = WecomCorpTag(workspace_id=workspace_id, tag_id=tag["id"])
                session.add(mirror)
            mirror.group_id = str(group.get("group_id", ""))
            mirror.group_name = str(group.get("group_name", ""))[:50] or "WeCom"
            mirror.name = str(tag.get("name", ""))[:50] or tag["id"]
            mirror.deleted_at, mirror.synced_at = None, utcnow()
            mirror.siyu_tag_id = customers.ensure_tag(
                session, workspace_id, mirror.group_name, mirror.name, SYSTEM
            ).id
    for tag_id, mirror in known.items():
        if tag_id not in seen and mirror.deleted_at is None:
            mirror.deleted_at = utcnow()
    summary.tags = len(seen)
    session.flush()


def _tag_maps(session: Session, workspace_id: int) -> tuple[dict[str, int], dict[int, str]]:
    rows = session.execute(
        select(WecomCorpTag.tag_id, WecomCorpTag.siyu_tag_id).where(
            WecomCorpTag.workspace_id == workspace_id,
            WecomCorpTag.deleted_at.is_(None),
            WecomCorpTag.siyu_tag_id.is_not(None),
        )
    ).all()
    pairs = [(w, int(s)) for w, s in rows if s is not None]
    return dict(pairs), {s: w for w, s in pairs}


# --- contacts -----------------------------------------------------------------------------


def _phones(follows: list[dict[str, Any]]) -> list[str]:
    found = []
    for follow in follows:
        for mobile in follow.get("remark_mobiles") or []:
            phone = customers.normalise_phone(str(mobile))
            if phone and phone not in found:
                found.append(phone)
    return found


def _fan_for(
    session: Session,
    workspace_id: int,
    data: dict[str, Any],
    follows: list[dict[str, Any]],
    summary: SyncSummary,
) -> int:
    """The fan of an external contact: its ``wecom`` identity, else its unionid's ``wechat``
    identity, else a phone in the staff's remark_mobiles, else a new fan."""
    external_userid = str(data["external_userid"])
    name = str(data.get("name") or "")[:100] or None
    known = customers.customer_by_identity(session, workspace_id, "wecom", external_userid)
    if known is not None:
        return known
    unionid = str(data.get("unionid") or "")
    by_union = (
        customers.customer_by_identity(session, workspace_id, "wechat", unionid)
        if unionid
        else None
    )
    if by_union is not None:
        customers.link_identity(
            session,
            workspace_id,
            by_union,
            "wecom",
            external_userid,
            SYSTEM,
            nickname=name,
            source="api",
        )
        summary.fans_linked += 1
        return by_union
    phones = _phones(follows)
    key = FanKey(
        "wecom", external_userid, phones[0] if phones else None, nickname=name, seen_at=utcnow()
    )
    resolution = resolve_customers(session, workspace_id, [key])
    customer_id = resolution.customer_ids[0]
    assert customer_id is not None
    if resolution.created:
        summary.fans_created += 1
    else:
        summary.fans_linked += 1
    if unionid:
        try:
            with session.begin_nested():
                customers.link_identity(
                    session,
                    workspace_id,
                    customer_id,
                    "wechat",
                    unionid,
                    SYSTEM,
                    nickname=name,
                    source="api",
                )
        except Problem:
            log.info(
                "unionid of %s belongs to another fan; left for an operator to merge",
                external_userid,
            )
    return customer_id


def apply_contact(
    session: Session,
    workspace_id: int,
    data: dict[str, Any],
    follows: list[dict[str, Any]],
    summary: SyncSummary,
    *,
    complete: bool,
) -> WecomContact:
    """Write one external contact and its follow relations as WeCom reports them. With
    ``complete`` (every relation of the contact was pulled) a relation WeCom no longer
    reports is marked lost: a missed ``del_follow_user`` is repaired."""
    external_userid = str(data["external_userid"])
    contact = session.scalar(
        select(WecomContact).where(
            WecomContact.workspace_id == workspace_id,
            WecomContact.external_userid == external_userid,
        )
    )
    if contact is None:
        contact = WecomContact(workspace_id=workspace_id, external_userid=external_userid)
        session.add(contact)
    contact.name = str(data.get("name") or "")[:100] or None
    contact.unionid = str(data.get("unionid") or "") or None
    contact.contact_type = int(data.get("type") or 1)
    contact.synced_at = utcnow()
    # Through the identity every time: an operator's merge moves it to the surviving fan.
    contact.customer_id = _fan_for(session, workspace_id, data, follows, summary)
    session.flush()
    summary.contacts += 1
    reported = {str(f["userid"]) for f in follows}
    for follow in follows:
        _apply_follow(session, workspace_id, contact, follow)
    if complete:
        for relation in _follows_of(session, workspace_id, external_userid):
            if relation.userid not in reported and relation.status == "active":
                mark_lost(relation, "lost")
                summary.follows_lost += 1
    session.flush()
    return contact


def _follows_of(session: Session, workspace_id: int, external_userid: str) -> list[WecomFollow]:
    return list(
        session.scalars(
            select(WecomFollow).where(
                WecomFollow.workspace_id == workspace_id,
                WecomFollow.external_userid == external_userid,
            )
        )
    )


def mark_lost(relation: WecomFollow, status: str) -> None:
    relation.status, relation.lost_at = status, relation.lost_at or utcnow()


def _apply_follow(
    session: Session, workspace_id: int, contact: WecomContact, data: dict[str, Any]
) -> None:
    userid = str(data["userid"])
    relation = session.scalar(
        select(WecomFollow).where(
            WecomFollow.workspace_id == workspace_id,
            WecomFollow.external_userid == contact.external_userid,
            WecomFollow.userid == userid,
        )
    )
    if relation is None:
        relation = WecomFollow(
            workspace_id=workspace_id, external_userid=contact.external_userid, userid=userid
        )
        session.add(relation)
    added_at = _moment(data.get("createtime"))
    if (
        relation.status != "active"
        and added_at
        and relation.lost_at
        and added_at > relation.lost_at
    ):
        relation.lost_at = None  # added again after a loss
    relation.status = "active" if relation.lost_at is None else relation.status
    relation.customer_id = contact.customer_id
    relation.remark = str(data.get("remark") or "")[:100] or None
    relation.add_way = data.get("add_way")
    relation.added_at = added_at or relation.added_at
    state = str(data.get("state") or "") or None
    if state and state != relation.state:
        relation.state = state
        way = contact_way_by_state(session, workspace_id, state)
        relation.contact_way_id = way.id if way else None
        relation.channel_kind = way.channel_kind if way else None
        relation.channel_ref = way.channel_ref if way else None
        if way and contact.customer_id:
            for tag_id in way.siyu_tag_ids:
                customers.tag_customer(session, workspace_id, contact.customer_id, tag_id, SYSTEM)
    relation.synced_at = utcnow()
    session.flush()
    reported = {
        str(t["tag_id"])
        for t in data.get("tags") or []
        if t.get("type", 1) == 1 and t.get("tag_id")
    }
    _merge_tags(session, workspace_id, relation, reported)


def _merge_tags(
    session: Session, workspace_id: int, relation: WecomFollow, reported: set[str]
) -> None:
    """WeCom's side of the two-way tags. ``wecom_follow_tags`` holds what WeCom said last
    time; only what changed since is applied to the fan (so a tag Siyu put on the fan and has
    not pushed yet is not taken off), and the base becomes what WeCom says now."""
    base = set(
        session.scalars(
            select(WecomFollowTag.tag_id).where(
                WecomFollowTag.workspace_id == workspace_id,
                WecomFollowTag.external_userid == relation.external_userid,
                WecomFollowTag.userid == relation.userid,
            )
        )
    )
    if base == reported:
        return
    to_siyu, _ = _tag_maps(session, workspace_id)
    if relation.customer_id is not None:
        for tag_id in reported - base:
            if tag_id in to_siyu:
                customers.tag_customer(
                    session, workspace_id, relation.customer_id, to_siyu[tag_id], SYSTEM
                )
        for tag_id in base - reported:
            if tag_id in to_siyu:
                customers.untag_customer(
                    session, workspace_id, relation.customer_id, to_siyu[tag_id], SYSTEM
                )
    _set_base(session, workspace_id, relation, reported)


def _set_base(session: Session, workspace_id: int, relation: WecomFollow, tags: set[str]) -> None:
    session.execute(
        delete(WecomFollowTag).where(
            WecomFollowTag.workspace_id == workspace_id,
            WecomFollowTag.external_userid == relation.external_userid,
            WecomFollowTag.userid == relation.userid,
        )
    )
    session.add_all(
        WecomFollowTag(
            workspace_id=workspace_id,
            external_userid=relation.external_userid,
            userid=relation.userid,
            tag_id=t,
        )
        for t in sorted(tags)
    )
    session.flush()


def push_tags(
    session: Session, workspace_id: int, client: WecomClient, customer_ids: list[int] | None = None
) -> int:
    """Siyu's side of the two-way tags: each active relation gets, in WeCom, the mirrored
    corp tags its fan has in Siyu (``mark_tag`` with the difference from the base). API calls
    raise no callback, and the base is updated to what was pushed, so nothing echoes back."""
    to_siyu, to_wecom = _tag_maps(session, workspace_id)
    statement = select(WecomFollow).where(
        WecomFollow.workspace_id == workspace_id,
        WecomFollow.status == "active",
        WecomFollow.customer_id.is_not(None),
    )
    if customer_ids is not None:
        statement = statement.where(WecomFollow.customer_id.in_(customer_ids))
    relations = list(session.scalars(statement))
    fan_tags = customers.tag_ids_of(
        session, workspace_id, sorted({int(r.customer_id or 0) for r in relations})
    )
    bases = _bases(session, workspace_id)
    marked = 0
    for relation in relations:
        wanted = {
            to_wecom[t]
            for t in fan_tags.get(int(relation.customer_id or 0), set())
            if t in to_wecom
        }
        base = bases.get((relation.external_userid, relation.userid), set())
        mirrored_base = {t for t in base if t in to_siyu}
        add, remove = sorted(wanted - base), sorted(mirrored_base - wanted)
        if not add and not remove:
            continue
        try:
            client.mark_tag(relation.userid, relation.external_userid, add, remove)
        except WecomError as error:
            if error.errcode == NO_RELATION:
                mark_lost(relation, "lost")
                continue
            raise
        _set_base(session, workspace_id, relation, (base | set(add)) - set(remove))
        marked += 1
    return marked


def _bases(session: Session, workspace_id: int) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    rows = session.execute(
        select(WecomFollowTag.external_userid, WecomFollowTag.userid, WecomFollowTag.tag_id).where(
            WecomFollowTag.workspace_id == workspace_id
        )
    )
    for external_userid, userid, tag_id in rows:
        found.setdefault((external_userid, userid), set()).add(tag_id)
    return found


def pull_contact(
    session: Session,
    workspace_id: int,
    client: WecomClient,
    external_userid: str,
    summary: SyncSummary,
) -> set[str]:
    """Re-pull one contact (a callback's hint) and return the staff WeCom says follow it; a
    contact WeCom no longer knows loses its relations."""
    try:
        answer = client.external_contact_get(external_userid)
    except WecomError as error:
        if error.errcode != NO_RELATION:
            raise
        for relation in _follows_of(session, workspace_id, external_userid):
            if relation.status == "active":
                mark_lost(relation, "lost")
                summary.follows_lost += 1
        return set()
    follows = answer["follow_user"]
    apply_contact(
        session, workspace_id, answer["external_contact"], follows, summary, complete=True
    )
    return {str(follow["userid"]) for follow in follows}


def sync_contacts(
    session: Session, workspace_id: int, client: WecomClient, summary: SyncSummary
) -> None:
    """Every staff member's contacts through ``batch/get_by_user`` and its cursor, 100 staff a
    request; relations WeCom no longer reports are marked lost."""
    userids = list(
        session.scalars(
            select(WecomStaff.userid).where(
                WecomStaff.workspace_id == workspace_id, WecomStaff.active.is_(True)
            )
        )
    )
    contacts: dict[str, dict[str, Any]] = {}
    follows: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(userids), 100):
        cursor = ""
        while True:
            page = client.batch_get_by_user(userids[start : start + 100], cursor)
            for row in page.get("external_contact_list", []):
                external_userid = row["external_contact"]["external_userid"]
                contacts[external_userid] = row["external_contact"]
                follows.setdefault(external_userid, []).append(row["follow_info"])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
    for external_userid, data in contacts.items():
        apply_contact(
            session, workspace_id, data, follows[external_userid], summary, complete=False
        )
    pulled = {(e, str(f["userid"])) for e, rows in follows.items() for f in rows}
    for relation in session.scalars(
        select(WecomFollow).where(
            WecomFollow.workspace_id == workspace_id, WecomFollow.status == "active"
        )
    ):
        if (relation.external_userid, relation.userid) not in pulled and relation.userid in userids:
            mark_lost(relation, "lost")
            summary.follows_lost += 1
    session.flush()


# --- groups -------------------------------------------------------------------------------


def sync_groups(
    session: Session, workspace_id: int, client: WecomClient, summary: SyncSummary
) -> None:
    cursor = ""
    while True:
        page = client.groupchat_list(cursor)
        for row in page.get("group_chat_list", []):
            pull_group(session, workspace_id, client, row["chat_id"], summary)
        cursor = page.get("next_cursor") or ""
        if not cursor:
            break


def pull_group(
    session: Session, workspace_id: int, client: WecomClient, chat_id: str, summary: SyncSummary
) -> WecomGroupChat:
    """Re-pull one group chat and mirror it (and its external members) as a fan group."""
    data = client.groupchat_get(chat_id)
    chat = _chat(session, workspace_id, chat_id)
    chat.name = str(data.get("name") or "")[:100] or None
    chat.owner_userid = data.get("owner")
    chat.member_version = str(data.get("member_version") or "") or None
    chat.dismissed_at, chat.synced_at = None, utcnow()
    group_id = _fan_group(session, workspace_id, chat)
    current = {str(m["userid"]): m for m in data.get("member_list", [])}
    _apply_members(session, workspace_id, chat, group_id, current)
    summary.groups += 1
    summary.group_members += len(current)
    session.flush()
    return chat


def _chat(session: Session, workspace_id: int, chat_id: str) -> WecomGroupChat:
    chat = session.scalar(
        select(WecomGroupChat).where(
            WecomGroupChat.workspace_id == workspace_id, WecomGroupChat.chat_id == chat_id
        )
    )
    if chat is None:
        chat = WecomGroupChat(workspace_id=workspace_id, chat_id=chat_id)
        session.add(chat)
    return chat


def _owner_operator(session: Session, workspace_id: int, userid: str | None) -> int | None:
    if not userid:
        return None
    return session.scalar(
        select(WecomStaff.operator_id).where(
            WecomStaff.workspace_id == workspace_id, WecomStaff.userid == userid
        )
    )


def _fan_group(session: Session, workspace_id: int, chat: WecomGroupChat) -> int:
    from siyu.community import service as community

    if chat.fan_group_id is None:
        existing = community.groups_by_ref(session, workspace_id, [chat.chat_id]).get(chat.chat_id)
        if existing is None:
            existing = community.create_group(
                session,
                workspace_id,
                SYSTEM,
                name=chat.name or chat.chat_id,
                capacity=500,
                external_ref=chat.chat_id,
                owner_operator_id=_owner_operator(session, workspace_id, chat.owner_userid),
                status="active",
            )
        chat.fan_group_id = existing.id
    elif chat.name:
        group = community.get_group(session, workspace_id, chat.fan_group_id)
        if group.name != chat.name:
            community.update_group(session, workspace_id, group.id, SYSTEM, name=chat.name)
    return chat.fan_group_id


def _apply_members(
    session: Session,
    workspace_id: int,
    chat: WecomGroupChat,
    group_id: int,
    current: dict[str, dict[str, Any]],
) -> None:
    known = {
        m.member_id: m
        for m in session.scalars(
            select(WecomGroupMember).where(
                WecomGroupMember.workspace_id == workspace_id,
                WecomGroupMember.chat_id == chat.chat_id,
            )
        )
    }
    for member_id, data in current.items():
        member = known.get(member_id)
        if member is not None and member.quit_at is None:
            continue
        if member is None:
            member = WecomGroupMember(
                workspace_id=workspace_id, chat_id=chat.chat_id, member_id=member_id
            )
            session.add(member)
        member.member_type = int(data.get("type") or 2)
        member.join_scene = data.get("join_scene")
        member.joined_at = _moment(data.get("join_time")) or utcnow()
        member.quit_at, member.quit_scene = None, None
        if member.member_type != STAFF_MEMBER:
            _join_fan_group(session, workspace_id, group_id, member)
    for member_id, member in known.items():
        if member_id not in current and member.quit_at is None:
            member.quit_at = utcnow()
            _leave_fan_group(session, workspace_id, group_id, member)
    session.flush()


def _member_ref(session: Session, workspace_id: int, member_id: str) -> tuple[str, int | None]:
    from siyu.community import service as community

    customer_id = customers.customer_by_identity(session, workspace_id, "wecom", member_id)
    return (
        community.customer_ref(customer_id) if customer_id else f"wecom:{member_id}"
    ), customer_id


def _join_fan_group(
    session: Session, workspace_id: int, group_id: int, member: WecomGroupMember
) -> None:
    from siyu.community import service as community

    ref, customer_id = _member_ref(session, workspace_id, member.member_id)
    try:
        with session.begin_nested():
            community.add_member(
                session,
                workspace_id,
                group_id,
                SYSTEM,
                member_ref=ref,
                customer_id=customer_id,
                scene=JOIN_SCENES.get(member.join_scene or 0, "invitation"),
                joined_at=member.joined_at,
            )
    except Problem as problem:  # a full mirror group: WeCom's count is the truth
        log.warning("fan group %s refused member %s: %s", group_id, member.member_id, problem.title)


def _leave_fan_group(
    session: Session, workspace_id: int, group_id: int, member: WecomGroupMember
) -> None:
    from siyu.community import service as community

    ref, _ = _member_ref(session, workspace_id, member.member_id)
    membership = community.open_membership(session, workspace_id, group_id, ref)
    if membership is not None:
        community.remove_member(session, workspace_id, membership.id, SYSTEM)


def dismiss_group(session: Session, workspace_id: int, chat_id: str) -> None:
    from siyu.community import service as community

    chat = _chat(session, workspace_id, chat_id)
    chat.dismissed_at = utcnow()
    session.flush()
    if chat.fan_group_id is not None:
        community.update_group(session, workspace_id, chat.fan_group_id, SYSTEM, status="dismissed")


# --- the full pull ------------------------------------------------------------------------


def sync_all(session: Session, workspace_id: int, client: WecomClient) -> SyncSummary:
    """Pull everything (staff, tags, contacts, groups), push Siyu's tag changes, and record
    what changed on the connection."""
    summary = SyncSummary()
    sync_staff(session, workspace_id, client, summary)
    sync_tags(session, workspace_id, client, summary)
    sync_contacts(session, workspace_id, client, summary)
    sync_groups(session, workspace_id, client, summary)
    summary.tags_marked = push_tags(session, workspace_id, client)
    connection = require_connection(session, workspace_id)
    connection.last_sync_at = utcnow()
    connection.last_sync_summary = summary.as_dict()
    session.flush()
    return summary
