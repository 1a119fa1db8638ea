"""A fake WeCom corp that speaks the documented server API and pushes encrypted callbacks.

It backs the tests (through ``httpx.MockTransport(fake.handle)``) and the demo (mounted as an
ASGI app under ``/wecom-fake``, the demo workspace's API base pointing at it). State lives in
the object: a corp, its staff, external contacts with follow relations and tags, group chats,
live codes, welcome messages, mass-message tasks and moments. Faults are injected per
endpoint (``fail_next``), and callbacks can be pushed once, twice or not at all.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import httpx

from siyu.connectors.wecom.crypto import CallbackCrypto

PREFIX = "/cgi-bin/"
PAGE = 100


@dataclass
class Follow:
    userid: str
    createtime: int
    remark: str = ""
    remark_mobiles: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    add_way: int = 1
    state: str = ""


@dataclass
class Contact:
    external_userid: str
    name: str
    unionid: str = ""
    follows: dict[str, Follow] = field(default_factory=dict)


@dataclass
class Chat:
    chat_id: str
    name: str
    owner: str
    create_time: int
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int = 0


class FakeWecom:
    def __init__(
        self,
        corp_id: str = "wwfakecorp0001",
        secret: str = "fake-contact-secret",  # noqa: S107 - the fake corp's, public
        callback_token: str = "fakecallbacktoken",  # noqa: S107
        encoding_aes_key: str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    ) -> None:
        self.corp_id, self.secret = corp_id, secret
        self.crypto = CallbackCrypto(callback_token, encoding_aes_key, corp_id)
        self.tokens: set[str] = set()
        self.staff: dict[str, str] = {}
        self.contacts: dict[str, Contact] = {}
        self.tag_groups: dict[str, dict[str, Any]] = {}
        self.chats: dict[str, Chat] = {}
        self.contact_ways: dict[str, dict[str, Any]] = {}
        self.join_ways: dict[str, dict[str, Any]] = {}
        self.welcome_codes: set[str] = set()
        self.welcomes: list[dict[str, Any]] = []
        self.templates: dict[str, dict[str, Any]] = {}
        self.moments: dict[str, dict[str, Any]] = {}
        self.media: dict[str, bytes] = {}
        self.oauth_codes: dict[str, str] = {}
        self.calls: list[str] = []
        self._faults: dict[str, list[int]] = {}
        self._ids = itertools.count(1)

    # --- building the corp ---------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def add_staff(self, userid: str, name: str) -> None:
        self.staff[userid] = name

    def add_tag(self, group_name: str, name: str) -> str:
        group = next((g for g in self.tag_groups.values() if g["group_name"] == group_name), None)
        if group is None:
            group_id = self._id("etgroup")
            group = {"group_id": group_id, "group_name": group_name, "tag": []}
            self.tag_groups[group_id] = group
        tag_id = self._id("ettag")
        group["tag"].append({"id": tag_id, "name": name, "create_time": int(time.time())})
        return tag_id

    def add_contact(
        self,
        userid: str,
        external_userid: str,
        name: str,
        *,
        unionid: str = "",
        state: str = "",
        mobiles: list[str] | None = None,
        add_way: int = 1,
    ) -> dict[str, str]:
        """A customer adds a staff member: the relation exists, and the callback fields
        (with a fresh WelcomeCode) are returned for ``push``."""
        contact = self.contacts.setdefault(
            external_userid, Contact(external_userid, name, unionid=unionid)
        )
        contact.follows[userid] = Follow(
            userid,
            int(time.time()),
            remark_mobiles=list(mobiles or []),
            state=state,
            add_way=add_way,
        )
        code = secrets.token_urlsafe(24)
        self.welcome_codes.add(code)
        return change_contact(
            "add_external_contact", userid, external_userid, State=state, WelcomeCode=code
        )

    def delete_follow(self, userid: str, external_userid: str) -> dict[str, str]:
        """The customer deleted the staff member (``del_follow_user``)."""
        contact = self.contacts[external_userid]
        contact.follows.pop(userid, None)
        return change_contact("del_follow_user", userid, external_userid)

    def add_chat(self, chat_id: str, name: str, owner: str, members: dict[str, int]) -> None:
        """``members``: member id → type (1 staff, 2 external contact)."""
        now = int(time.time())
        chat = Chat(chat_id, name, owner, now)
        for member_id, kind in members.items():
            chat.members[member_id] = self._member(member_id, kind, now)
        self.chats[chat_id] = chat

    def _member(self, member_id: str, kind: int, now: int) -> dict[str, Any]:
        member = {"userid": member_id, "type": kind, "join_time": now, "join_scene": 3}
        unionid = self.contacts[member_id].unionid if member_id in self.contacts else ""
        if unionid:
            member["unionid"] = unionid
        return member

    def issue_oauth_code(self, userid: str) -> str:
        code = secrets.token_urlsafe(16)
        self.oauth_codes[code] = userid
        return code

    # --- faults --------------------------------------------------------------------------

    def fail_next(self, endpoint: str, errcode: int, times: int = 1) -> None:
        self._faults.setdefault(endpoint, []).extend([errcode] * times)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # --- callbacks -----------------------------------------------------------------------

    def sealed(self, fields: dict[str, str]) -> tuple[dict[str, str], bytes]:
        """The query and body WeCom would POST for an event."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        signature, body = self.crypto.seal(event_xml(self.corp_id, fields), timestamp, nonce)
        return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}, body

    def push(
        self,
        post: Callable[..., Any],
        url: str,
        fields: dict[str, str],
        *,
        deliveries: int = 1,
    ) -> list[Any]:
        """Deliver an event ``deliveries`` times (0 loses it, 2 repeats it as WeCom's retry
        does), through ``post(url, params=..., content=...)``."""
        params, body = self.sealed(fields)
        return [post(url, params=params, content=body) for _ in range(deliveries)]

    def verification(self, echo: str = "") -> dict[str, str]:
        """The query of WeCom's URL verification GET."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        echostr = self.crypto.encrypt(echo or secrets.token_hex(8))
        from siyu.connectors.wecom.crypto import signature

        return {
            "msg_signature": signature(self.crypto.token, timestamp, nonce, echostr),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
        }

    # --- the HTTP face -------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """An ``httpx.MockTransport`` handler."""
        body = _body_of(request.headers.get("content-type", ""), request.content)
        answer = self.answer(request.url.path, dict(request.url.params), body)
        return httpx.Response(200, json=answer)

    def answer(
        self, path: str, query: dict[str, str], body: dict[str, Any] | None
    ) -> dict[str, Any]:
        endpoint = path.split(PREFIX, 1)[-1]
        self.calls.append(endpoint)
        if endpoint == "gettoken":
            return self._gettoken(query)
        if query.get("access_token") not in self.tokens:
            return _error(42001, "access_token expired")
        faults = self._faults.get(endpoint)
        if faults:
            return _error(faults.pop(0), "injected")
        handler = getattr(self, "_" + endpoint.replace("/", "__"), None)
        if handler is None:
            return _error(40066, f"unknown endpoint {endpoint}")
        result: dict[str, Any] = handler(body if body is not None else query)
        return {"errcode": 0, "errmsg": "ok", **result}

    def asgi_app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, RedirectResponse, Response
        from starlette.routing import Route

        async def endpoint(request: Request) -> JSONResponse:
            raw = await request.body()
            body = _body_of(request.headers.get("content-type", ""), raw)
            return JSONResponse(self.answer(request.url.path, dict(request.query_params), body))

        async def authorize(request: Request) -> Response:
            """WeCom's OAuth page, reduced to its answer: back to ``redirect_uri`` (a path of
            this site) with a code for ``userid``."""
            target = request.query_params.get("redirect_uri", "")
            userid = request.query_params.get("userid", "")
            if not target.startswith("/") or target.startswith("//") or userid not in self.staff:
                return JSONResponse(
                    _error(40029, "invalid redirect_uri or userid"), status_code=400
                )
            joiner = "&" if "?" in target else "?"
            code = self.issue_oauth_code(userid)
            return RedirectResponse(f"{target}{joiner}code={code}", status_code=302)

        return Starlette(
            routes=[
                Route("/cgi-bin/{rest:path}", endpoint, methods=["GET", "POST"]),
                Route("/connect/oauth2/authorize", authorize, methods=["GET"]),
            ]
        )

    # --- endpoints -----------------------------------------------------------------------

    def _gettoken(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return _error(40001, "invalid credential")
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _externalcontact__get_follow_user_list(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"follow_user": sorted(self.staff)}

    def _user__get(self, query: dict[str, Any]) -> dict[str, Any]:
        userid = query.get("userid", "")
        if userid not in self.staff:
            return _error(60111, "userid not found")
        return {"userid": userid, "name": self.staff[userid]}

    def _auth__getuserinfo(self, query: dict[str, Any]) -> dict[str, Any]:
        userid = self.oauth_codes.pop(query.get("code", ""), None)
        if userid is None:
            return _error(40029, "invalid code")
        return {"userid": userid}

    def _externalcontact__list(self, query: dict[str, Any]) -> dict[str, Any]:
        userid = query.get("userid", "")
        return {"external_userid": [c.external_userid for c in self._contacts_of(userid)]}

    def _contacts_of(self, userid: str) -> list[Contact]:
        return [c for c in self.contacts.values() if userid in c.follows]

    def _contact_json(self, contact: Contact) -> dict[str, Any]:
        data: dict[str, Any] = {
            "external_userid": contact.external_userid,
            "name": contact.name,
            "type": 1,
        }
        if contact.unionid:
            data["unionid"] = contact.unionid
        return data

    def _follow_json(self, follow: Follow) -> dict[str, Any]:
        return {
            "userid": follow.userid,
            "remark": follow.remark,
            "createtime": follow.createtime,
            "remark_mobiles": follow.remark_mobiles,
            "add_way": follow.add_way,
            "state": follow.state,
            "tags": [{"tag_id": tag_id, "type": 1} for tag_id in sorted(follow.tags)],
        }

    def _externalcontact__get(self, query: dict[str, Any]) -> dict[str, Any]:
        contact = self.contacts.get(query.get("external_userid", ""))
        if contact is None:
            return _error(84061, "not external contact")
        follows = list(contact.follows.values())
        start = int(query.get("cursor") or 0)
        page = follows[start : start + 500]
        more = start + 500 < len(follows)
        return {
            "external_contact": self._contact_json(contact),
            "follow_user": [self._follow_json(f) for f in page],
            "next_cursor": str(start + 500) if more else "",
        }

    def _externalcontact__batch__get_by_user(self, body: dict[str, Any]) -> dict[str, Any]:
        pairs = [
            (contact, follow)
            for userid in body.get("userid_list", [])
            for contact in self._contacts_of(userid)
            for follow in [contact.follows[userid]]
        ]
        start, limit = int(body.get("cursor") or 0), int(body.get("limit") or PAGE)
        page = pairs[start : start + limit]
        return {
            "external_contact_list": [
                {"external_contact": self._contact_json(c), "follow_info": self._follow_json(f)}
                for c, f in page
            ],
            "next_cursor": str(start + limit) if start + limit < len(pairs) else "",
        }

    def _externalcontact__get_corp_tag_list(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"tag_group": list(self.tag_groups.values())}

    def _externalcontact__add_corp_tag(self, body: dict[str, Any]) -> dict[str, Any]:
        ids = [self.add_tag(body["group_name"], tag["name"]) for tag in body.get("tag", [])]
        group = next(g for g in self.tag_groups.values() if g["group_name"] == body["group_name"])
        return {"tag_group": {**group, "tag": [t for t in group["tag"] if t["id"] in ids]}}

    def _all_tag_ids(self) -> set[str]:
        return {tag["id"] for group in self.tag_groups.values() for tag in group["tag"]}

    def _externalcontact__mark_tag(self, body: dict[str, Any]) -> dict[str, Any]:
        contact = self.contacts.get(body.get("external_userid", ""))
        follow = contact.follows.get(body.get("userid", "")) if contact else None
        if follow is None:
            return _error(84061, "not external contact")
        unknown = set(body.get("add_tag", [])) - self._all_tag_ids()
        if unknown:
            return _error(40068, "invalid tagid")
        follow.tags |= set(body.get("add_tag", []))
        follow.tags -= set(body.get("remove_tag", []))
        return {}

    def _externalcontact__groupchat__list(self, body: dict[str, Any]) -> dict[str, Any]:
        chats = sorted(self.chats.values(), key=lambda c: c.chat_id)
        start, limit = int(body.get("cursor") or 0), int(body.get("limit") or PAGE)
        page = chats[start : start + limit]
        return {
            "group_chat_list": [{"chat_id": c.chat_id, "status": c.status} for c in page],
            "next_cursor": str(start + limit) if start + limit < len(chats) else "",
        }

    def _externalcontact__groupchat__get(self, body: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(body.get("chat_id", ""))
        if chat is None:
            return _error(40050, "chatid not exist")
        return {
            "group_chat": {
                "chat_id": chat.chat_id,
                "name": chat.name,
                "owner": chat.owner,
                "create_time": chat.create_time,
                "member_list": list(chat.members.values()),
                "member_version": str(len(chat.members)),
            }
        }

    def _externalcontact__groupchat__add_join_way(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("scene") != 2 or not 1 <= len(body.get("chat_id_list", [])) <= 5:
            return _error(40058, "invalid parameter")
        config_id = self._id("jw")
        self.join_ways[config_id] = {
            **body,
            "config_id": config_id,
            "qr_code": f"https://wework.fake/jw/{config_id}",
        }
        return {"config_id": config_id}

    def _externalcontact__groupchat__get_join_way(self, body: dict[str, Any]) -> dict[str, Any]:
        way = self.join_ways.get(body.get("config_id", ""))
        if way is None:
            return _error(40058, "invalid config_id")
        return {"join_way": way}

    def _externalcontact__add_contact_way(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("user") or any(u not in self.staff for u in body["user"]):
            return _error(40098, "user not in the contact range")
        config_id = self._id("cw")
        qr_code = f"https://wework.fake/cw/{config_id}"
        self.contact_ways[config_id] = {**body, "config_id": config_id, "qr_code": qr_code}
        return {"config_id": config_id, "qr_code": qr_code}

    def _externalcontact__send_welcome_msg(self, body: dict[str, Any]) -> dict[str, Any]:
        code = body.get("welcome_code", "")
        if code not in self.welcome_codes:
            return _error(41051, "welcome code used or chat started")
        self.welcome_codes.discard(code)
        self.welcomes.append(body)
        return {}

    def _media__upload(self, body: dict[str, Any]) -> dict[str, Any]:
        data = body.get("media") or b""
        if not data:
            return _error(41001, "media data missing")
        if len(data) > 10 * 2**20:
            return _error(40006, "invalid media size")
        media_id = self._id("media")
        self.media[media_id] = data
        return {"type": "image", "media_id": media_id, "created_at": str(int(time.time()))}

    def _attachments_refused(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """WeCom's checks on attachments: at most 9, each of a known kind, media uploaded."""
        attachments = body.get("attachments") or []
        if len(attachments) > 9:
            return _error(81017, "too many attachments")
        for item in attachments:
            kind = item.get("msgtype")
            fields = item.get(kind) if isinstance(kind, str) else None
            if kind not in ("image", "link", "miniprogram", "video", "file") or not fields:
                return _error(40008, "invalid message type")
            media = fields.get("pic_media_id") if kind == "miniprogram" else fields.get("media_id")
            if kind in ("image", "miniprogram") and media not in self.media:
                return _error(40007, "invalid media_id")
            if kind == "link" and not (fields.get("title") and fields.get("url")):
                return _error(41016, "link title and url required")
            if kind == "miniprogram" and not (fields.get("appid") and fields.get("page")):
                return _error(41016, "miniprogram appid and page required")
        return None

    def _externalcontact__add_msg_template(self, body: dict[str, Any]) -> dict[str, Any]:
        refused = self._attachments_refused(body)
        if refused:
            return refused
        msgid = self._id("msg")
        receivers = body.get("external_userid") or body.get("chat_id_list") or []
        if not receivers:
            return _error(41048, "no sendable customers")
        sender = body.get("sender") or next(iter(sorted(self.staff)), "")
        self.templates[msgid] = {
            **body,
            "msgid": msgid,
            "creator": sender,
            "create_time": int(time.time()),
            "sender": sender,
            "results": {receiver: 0 for receiver in receivers},
            "task_status": 0,
            "reminders": 0,
        }
        return {"msgid": msgid, "fail_list": []}

    def confirm_template(self, msgid: str, statuses: dict[str, int] | None = None) -> None:
        """The staff member confirms the task in the WeCom client: receivers get it (status
        1), or the given status per receiver (2 not a friend, 3 quota refused)."""
        template = self.templates[msgid]
        template["task_status"] = 2
        for receiver in template["results"]:
            template["results"][receiver] = (statuses or {}).get(receiver, 1)

    def _externalcontact__get_groupmsg_list_v2(self, body: dict[str, Any]) -> dict[str, Any]:
        start, end = int(body.get("start_time", 0)), int(body.get("end_time", 0))
        if end - start > 31 * 86400:
            return _error(40058, "time range over one month")
        rows = [
            {
                "msgid": t["msgid"],
                "creator": t["creator"],
                "create_time": t["create_time"],
                "create_type": 0,
                "text": t.get("text", {}),
            }
            for t in self.templates.values()
            if start <= t["create_time"] <= end
            and t["chat_type"] == body.get("chat_type", "single")
        ]
        return {"group_msg_list": rows, "next_cursor": ""}

    def _template(self, body: dict[str, Any]) -> dict[str, Any] | None:
        return self.templates.get(body.get("msgid", ""))

    def _externalcontact__get_groupmsg_task(self, body: dict[str, Any]) -> dict[str, Any]:
        template = self._template(body)
        if template is None:
            return _error(41063, "msgid not found")
        status = 2 if template["task_status"] else 0
        return {"task_list": [{"userid": template["sender"], "status": status}], "next_cursor": ""}

    def _externalcontact__get_groupmsg_send_result(self, body: dict[str, Any]) -> dict[str, Any]:
        template = self._template(body)
        if template is None:
            return _error(41063, "msgid not found")
        key = "chat_id" if template["chat_type"] == "group" else "external_userid"
        rows = [
            {key: receiver, "userid": template["sender"], "status": status}
            for receiver, status in template["results"].items()
        ]
        return {"send_list": rows, "next_cursor": ""}

    def _externalcontact__remind_groupmsg_send(self, body: dict[str, Any]) -> dict[str, Any]:
        template = self._template(body)
        if template is None:
            return _error(41063, "msgid not found")
        if template["reminders"] >= 3:
            return _error(41065, "remind too many times")
        template["reminders"] += 1
        return {}

    def _externalcontact__cancel_groupmsg_send(self, body: dict[str, Any]) -> dict[str, Any]:
        template = self._template(body)
        if template is None:
            return _error(41063, "msgid not found")
        template["task_status"] = 3
        return {}

    def _externalcontact__add_moment_task(self, body: dict[str, Any]) -> dict[str, Any]:
        refused = self._attachments_refused(body)
        if refused:
            return refused
        jobid = self._id("job")
        senders = ((body.get("visible_range") or {}).get("sender_list") or {}).get("user_list")
        self.moments[jobid] = {
            **body,
            "moment_id": "mom" + jobid,
            "published": {userid: False for userid in (senders or sorted(self.staff))},
            "reached": {},
        }
        return {"jobid": jobid}

    def moment_id_of(self, jobid: str) -> str:
        return str(self.moments[jobid]["moment_id"])

    def publish_moment(self, jobid: str, userid: str, reached: list[str] | None = None) -> None:
        """The staff member publishes the moment in the WeCom client: it reaches ``reached``
        (by default every customer who follows them)."""
        moment = self.moments[jobid]
        moment["published"][userid] = True
        default = [c.external_userid for c in self._contacts_of(userid)]
        moment["reached"][userid] = list(default if reached is None else reached)

    def _moment(self, body: dict[str, Any]) -> dict[str, Any] | None:
        return next(
            (m for m in self.moments.values() if m["moment_id"] == body.get("moment_id")), None
        )

    def _externalcontact__get_moment_task_result(self, query: dict[str, Any]) -> dict[str, Any]:
        moment = self.moments.get(query.get("jobid", ""))
        if moment is None:
            return _error(40058, "invalid jobid")
        unknown = [userid for userid in moment["published"] if userid not in self.staff]
        return {
            "status": 3,
            "type": "add_moment_task",
            "result": {
                "errcode": 0,
                "errmsg": "ok",
                "moment_id": moment["moment_id"],
                "invalid_sender_list": {"user_list": unknown},
            },
        }

    def _externalcontact__get_moment_task(self, body: dict[str, Any]) -> dict[str, Any]:
        moment = self._moment(body)
        if moment is None:
            return _error(40058, "invalid moment_id")
        rows = [
            {"userid": userid, "publish_status": int(published)}
            for userid, published in moment["published"].items()
        ]
        return _paged(rows, body, "task_list")

    def _externalcontact__get_moment_send_result(self, body: dict[str, Any]) -> dict[str, Any]:
        moment = self._moment(body)
        if moment is None:
            return _error(40058, "invalid moment_id")
        reached = moment["reached"].get(body.get("userid", ""), [])
        return _paged([{"external_userid": e} for e in reached], body, "customer_list")


def _paged(rows: list[dict[str, Any]], body: dict[str, Any], key: str) -> dict[str, Any]:
    start, limit = int(body.get("cursor") or 0), int(body.get("limit") or PAGE)
    more = start + limit < len(rows)
    return {key: rows[start : start + limit], "next_cursor": str(start + limit) if more else ""}


def _body_of(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """JSON as most endpoints take it; a multipart upload as ``{"media": bytes}``."""
    if not raw:
        return None
    if content_type.startswith("multipart/form-data"):
        return {"media": _multipart_file(content_type, raw)}
    found: dict[str, Any] = json.loads(raw)
    return found


def _multipart_file(content_type: str, raw: bytes) -> bytes:
    boundary = content_type.split("boundary=", 1)[-1].strip('"').encode()
    for part in raw.split(b"--" + boundary):
        head, _, data = part.partition(b"\r\n\r\n")
        if b'name="media"' in head:
            return data.removesuffix(b"\r\n")
    return b""


def _error(errcode: int, errmsg: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg}


def change_contact(
    change_type: str, userid: str, external_userid: str, **extra: str
) -> dict[str, str]:
    return {
        "Event": "change_external_contact",
        "ChangeType": change_type,
        "UserID": userid,
        "ExternalUserID": external_userid,
        **{key: value for key, value in extra.items() if value},
    }


def event_xml(corp_id: str, fields: dict[str, str]) -> str:
    """An event message as WeCom writes it (before encryption)."""
    common = {
        "ToUserName": corp_id,
        "FromUserName": "sys",
        "CreateTime": str(int(time.time())),
        "MsgType": "event",
    }
    parts = "".join(
        f"<{name}><![CDATA[{escape(value)}]]></{name}>"
        for name, value in {**common, **fields}.items()
    )
    return f"<xml>{parts}</xml>"
