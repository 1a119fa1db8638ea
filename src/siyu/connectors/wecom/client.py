"""The WeCom server API over httpx: access token, limiter, errcodes and retries.

Only this module builds WeCom URLs. Every call goes through ``WecomClient.call``:

* the limiter is asked first (per corp and endpoint, under WeCom's 10k/min and 150k/h);
* errcode 40014/42001 (token invalid or expired) refreshes the token and retries once — the
  call was refused before it did anything, so this is safe for every call;
* errcode 45009/45033 (frequency, concurrency) and transport failures back off and retry,
  but only for idempotent calls: a mass-message creation is never sent twice;
* every other errcode raises ``WecomError`` and is reported to ``on_error`` (the health page).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

log = logging.getLogger("siyu.wecom")

TOKEN_ERRCODES = frozenset({40014, 42001})
RATE_ERRCODES = frozenset({45009, 45033})
TIMEOUT_SECONDS = 10.0
RETRIES = 4


class WecomError(Exception):
    def __init__(self, endpoint: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"{endpoint}: errcode {errcode}: {errmsg}")
        self.endpoint, self.errcode, self.errmsg = endpoint, errcode, errmsg


class WecomUnavailable(WecomError):
    """The API could not be reached (or kept refusing for rate) after the retries allowed."""


class TokenSource(Protocol):
    def current(self) -> str | None: ...
    def refresh(self, stale: str | None, fetch: Callable[[], tuple[str, int]]) -> str: ...


class Limiter(Protocol):
    def acquire(self, endpoint: str) -> None: ...


class NoLimit:
    def acquire(self, endpoint: str) -> None:
        return None


@dataclass
class MemoryTokens:
    """A token kept in this object only (tests, the benchmark, one-off checks)."""

    token: str | None = None

    def current(self) -> str | None:
        return self.token

    def refresh(self, stale: str | None, fetch: Callable[[], tuple[str, int]]) -> str:
        self.token, _ = fetch()
        return self.token


@dataclass
class WecomClient:
    corp_id: str
    secret: str
    api_base: str
    tokens: TokenSource = field(default_factory=MemoryTokens)
    limiter: Limiter = field(default_factory=NoLimit)
    on_error: Callable[[str, int, str], None] | None = None
    transport: httpx.BaseTransport | None = None
    backoff_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.api_base.rstrip("/") + "/cgi-bin/",
            timeout=TIMEOUT_SECONDS,
            transport=self.transport,
        )

    def close(self) -> None:
        self._http.close()

    # --- the one way in ------------------------------------------------------------------

    def call(
        self,
        endpoint: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, Any] | None = None,
        idempotent: bool = True,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """POST ``body`` (or ``files`` as multipart, or GET ``params`` when there is neither)
        and return the answer."""
        refreshed = False
        attempt = 0
        while True:
            self.limiter.acquire(endpoint)
            token = self.tokens.current() or self._refresh(None)
            try:
                answer = self._send(endpoint, token, body, params, files)
            except httpx.TransportError as exc:
                if not idempotent or attempt >= RETRIES:
                    self._report(endpoint, -1, str(exc))
                    raise WecomUnavailable(endpoint, -1, str(exc)) from exc
                attempt = self._back_off(endpoint, attempt, -1)
                continue
            errcode = int(answer.get("errcode") or 0)
            if errcode == 0:
                return answer
            errmsg = str(answer.get("errmsg", ""))
            self._report(endpoint, errcode, errmsg)
            if errcode in TOKEN_ERRCODES and not refreshed:
                self._refresh(token)
                refreshed = True
                continue
            if errcode in RATE_ERRCODES and idempotent and attempt < RETRIES:
                attempt = self._back_off(endpoint, attempt, errcode)
                continue
            if errcode in RATE_ERRCODES:
                raise WecomUnavailable(endpoint, errcode, errmsg)
            raise WecomError(endpoint, errcode, errmsg)

    def _send(
        self,
        endpoint: str,
        token: str,
        body: dict[str, Any] | None,
        params: dict[str, Any] | None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        query = {"access_token": token, **(params or {})}
        if files is not None:
            response = self._http.post(endpoint, params=query, files=files)
        elif body is None:
            response = self._http.get(endpoint, params=query)
        else:
            response = self._http.post(endpoint, params=query, json=body)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def _back_off(self, endpoint: str, attempt: int, errcode: int) -> int:
        delay = self.backoff_seconds * 2**attempt
        log.warning("wecom %s: errcode %s, retry in %.1fs", endpoint, errcode, delay)
        self.sleep(delay)
        return attempt + 1

    def _report(self, endpoint: str, errcode: int, errmsg: str) -> None:
        log.warning("wecom %s failed: errcode %s: %s", endpoint, errcode, errmsg[:200])
        if self.on_error is not None:
            self.on_error(endpoint, errcode, errmsg)

    def _refresh(self, stale: str | None) -> str:
        return self.tokens.refresh(stale, self._fetch_token)

    def _fetch_token(self) -> tuple[str, int]:
        response = self._http.get(
            "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
        )
        response.raise_for_status()
        answer = response.json()
        errcode = int(answer.get("errcode") or 0)
        if errcode:
            self._report("gettoken", errcode, str(answer.get("errmsg", "")))
            raise WecomError("gettoken", errcode, str(answer.get("errmsg", "")))
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    # --- contacts ------------------------------------------------------------------------

    def follow_user_list(self) -> list[str]:
        answer = self.call("externalcontact/get_follow_user_list", params={})
        return list(answer.get("follow_user", []))

    def user_get(self, userid: str) -> dict[str, Any]:
        return self.call("user/get", params={"userid": userid})

    def external_contact_list(self, userid: str) -> list[str]:
        answer = self.call("externalcontact/list", params={"userid": userid})
        return list(answer.get("external_userid", []))

    def external_contact_get(self, external_userid: str) -> dict[str, Any]:
        """The contact and all its follow users (following ``next_cursor`` past 500)."""
        params: dict[str, Any] = {"external_userid": external_userid}
        answer = self.call("externalcontact/get", params=params)
        follows = list(answer.get("follow_user", []))
        while answer.get("next_cursor"):
            params["cursor"] = answer["next_cursor"]
            answer = self.call("externalcontact/get", params=params)
            follows.extend(answer.get("follow_user", []))
        return {"external_contact": answer.get("external_contact", {}), "follow_user": follows}

    def batch_get_by_user(
        self, userids: list[str], cursor: str = "", limit: int = 100
    ) -> dict[str, Any]:
        """One page: ``external_contact_list`` and ``next_cursor``."""
        return self.call(
            "externalcontact/batch/get_by_user",
            {"userid_list": userids[:100], "cursor": cursor, "limit": min(limit, 100)},
        )

    def get_user_info(self, code: str) -> dict[str, Any]:
        """WeCom OAuth: the member behind a sign-in code (``userid``)."""
        return self.call("auth/getuserinfo", params={"code": code})

    # --- tags ----------------------------------------------------------------------------

    def get_corp_tag_list(self) -> list[dict[str, Any]]:
        return list(self.call("externalcontact/get_corp_tag_list", {}).get("tag_group", []))

    def add_corp_tag(self, group_name: str, tag_names: list[str]) -> dict[str, Any]:
        body = {"group_name": group_name, "tag": [{"name": name} for name in tag_names]}
        return dict(self.call("externalcontact/add_corp_tag", body, idempotent=False)["tag_group"])

    def mark_tag(
        self,
        userid: str,
        external_userid: str,
        add_tag: list[str] | None = None,
        remove_tag: list[str] | None = None,
    ) -> None:
        body = {
            "userid": userid,
            "external_userid": external_userid,
            "add_tag": add_tag or [],
            "remove_tag": remove_tag or [],
        }
        self.call("externalcontact/mark_tag", body)

    # --- group chats ---------------------------------------------------------------------

    def groupchat_list(self, cursor: str = "", limit: int = 100) -> dict[str, Any]:
        body = {"status_filter": 0, "cursor": cursor, "limit": min(limit, 1000)}
        return self.call("externalcontact/groupchat/list", body)

    def groupchat_get(self, chat_id: str) -> dict[str, Any]:
        body = {"chat_id": chat_id, "need_name": 1}
        return dict(self.call("externalcontact/groupchat/get", body)["group_chat"])

    def add_join_way(
        self,
        chat_ids: list[str],
        state: str,
        *,
        room_base_name: str | None = None,
        auto_create_room: bool = True,
    ) -> str:
        body: dict[str, Any] = {
            "scene": 2,
            "chat_id_list": chat_ids[:5],
            "state": state,
            "auto_create_room": int(auto_create_room),
            "room_base_name": room_base_name or "",
            "room_base_id": 1,
        }
        return str(
            self.call("externalcontact/groupchat/add_join_way", body, idempotent=False)["config_id"]
        )

    def get_join_way(self, config_id: str) -> dict[str, Any]:
        body = {"config_id": config_id}
        return dict(self.call("externalcontact/groupchat/get_join_way", body)["join_way"])

    # --- live codes and welcome ----------------------------------------------------------

    def add_contact_way(
        self, userids: list[str], state: str, *, remark: str = "", skip_verify: bool = True
    ) -> dict[str, Any]:
        """A 「联系我」 QR code (type 2 when several staff share it): config_id and qr_code."""
        body = {
            "type": 1 if len(userids) == 1 else 2,
            "scene": 2,
            "user": userids,
            "state": state,
            "remark": remark[:30],
            "skip_verify": skip_verify,
        }
        return self.call("externalcontact/add_contact_way", body, idempotent=False)

    def send_welcome_msg(
        self, welcome_code: str, text: str, attachments: list[dict[str, Any]] | None = None
    ) -> None:
        body: dict[str, Any] = {"welcome_code": welcome_code, "text": {"content": text}}
        if attachments:
            body["attachments"] = attachments[:9]
        # A welcome code works once: never resent on a doubtful failure.
        self.call("externalcontact/send_welcome_msg", body, idempotent=False)

    # --- media ---------------------------------------------------------------------------

    def upload_media(self, data: bytes, *, file_name: str, content_type: str) -> str:
        """Upload an image as temporary media (kept three days by WeCom); its ``media_id``."""
        answer = self.call(
            "media/upload",
            params={"type": "image"},
            files={"media": (file_name, data, content_type)},
        )
        return str(answer["media_id"])

    # --- mass messages and moments -------------------------------------------------------

    def add_msg_template(
        self,
        *,
        chat_type: str = "single",
        text: str | None = None,
        external_userids: list[str] | None = None,
        chat_ids: list[str] | None = None,
        sender: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Create a mass-message task (``msgid``, ``fail_list``). Never retried automatically."""
        body: dict[str, Any] = {"chat_type": chat_type}
        if external_userids:
            body["external_userid"] = external_userids
        if chat_ids:
            body["chat_id_list"] = chat_ids
        if sender:
            body["sender"] = sender
        if text:
            body["text"] = {"content": text}
        if attachments:
            body["attachments"] = attachments[:9]
        return self.call("externalcontact/add_msg_template", body, idempotent=False)

    def get_groupmsg_list_v2(
        self,
        *,
        chat_type: str,
        start_time: int,
        end_time: int,
        creator: str | None = None,
        filter_type: int = 2,
        cursor: str = "",
        limit: int = 100,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "chat_type": chat_type,
            "start_time": start_time,
            "end_time": end_time,
            "filter_type": filter_type,
            "cursor": cursor,
            "limit": limit,
        }
        if creator:
            body["creator"] = creator
        return self.call("externalcontact/get_groupmsg_list_v2", body)

    def get_groupmsg_task(self, msgid: str, cursor: str = "", limit: int = 1000) -> dict[str, Any]:
        body = {"msgid": msgid, "cursor": cursor, "limit": limit}
        return self.call("externalcontact/get_groupmsg_task", body)

    def get_groupmsg_send_result(
        self, msgid: str, userid: str, cursor: str = "", limit: int = 1000
    ) -> dict[str, Any]:
        body = {"msgid": msgid, "userid": userid, "cursor": cursor, "limit": limit}
        return self.call("externalcontact/get_groupmsg_send_result", body)

    def remind_groupmsg_send(self, msgid: str) -> None:
        self.call("externalcontact/remind_groupmsg_send", {"msgid": msgid}, idempotent=False)

    def cancel_groupmsg_send(self, msgid: str) -> None:
        self.call("externalcontact/cancel_groupmsg_send", {"msgid": msgid})

    def add_moment_task(
        self,
        *,
        text: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        sender_list: list[str] | None = None,
        tag_list: list[str] | None = None,
    ) -> str:
        """Create a moment (朋友圈) task; returns the ``jobid`` to poll. Never retried."""
        body: dict[str, Any] = {}
        if text:
            body["text"] = {"content": text[:2000]}
        if attachments:
            body["attachments"] = attachments
        visible: dict[str, Any] = {}
        if sender_list:
            visible["sender_list"] = {"user_list": sender_list}
        if tag_list:
            visible["external_contact_list"] = {"tag_list": tag_list}
        if visible:
            body["visible_range"] = visible
        return str(self.call("externalcontact/add_moment_task", body, idempotent=False)["jobid"])

    def get_moment_task_result(self, jobid: str) -> dict[str, Any]:
        return self.call("externalcontact/get_moment_task_result", params={"jobid": jobid})

    def get_moment_task(
        self, moment_id: str, cursor: str = "", limit: int = 1000
    ) -> dict[str, Any]:
        """Each sender's ``publish_status`` (0 not yet, 1 published) for a moment."""
        body = {"moment_id": moment_id, "cursor": cursor, "limit": limit}
        return self.call("externalcontact/get_moment_task", body)

    def get_moment_send_result(
        self, moment_id: str, userid: str, cursor: str = "", limit: int = 1000
    ) -> dict[str, Any]:
        """The customers one sender's published moment reached (``customer_list``)."""
        body = {"moment_id": moment_id, "userid": userid, "cursor": cursor, "limit": limit}
        return self.call("externalcontact/get_moment_send_result", body)
