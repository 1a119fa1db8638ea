"""The demo's WeCom corp: a fake corp answered in-process by the demo (its API base is a fixed
local name; the serving process also shows it under ``/wecom-fake``). The demo workspace is
connected to it and synced, with live codes for a parcel card, a live room and a content post,
fans added through them (some lost since), corp tags both ways and two customer groups — so
the console shows WeCom without a real corp.

The corp is built the same way in the seeding and the serving process (fixed ids and times
relative to "now"), so what was synced is what the fake answers later.
"""

from __future__ import annotations

from functools import lru_cache

import httpx
from sqlalchemy.orm import Session

from siyu.connectors.wecom import service
from siyu.connectors.wecom.connection import client_for, register_transport
from siyu.connectors.wecom.fake import FakeWecom
from siyu.connectors.wecom.sync import sync_all
from siyu.customers import service as customers
from siyu.kit.clock import utcnow
from siyu.workspace.audit import Actor

FAKE_PATH = "/wecom-fake"
DEMO_ACTOR = Actor("system", label="siyu demo")
STAFF = (("xiaolu", "林小鹿"), ("zhouyy", "周运营"), ("ayuan", "陈阿圆"))
CHANNELS = (
    (
        "parcel_card",
        "pc-2026-12",
        "12月包裹卡",
        "感谢下单！这是你的专属售后客服，加我领 5 元无门槛券～",
    ),
    (
        "live_room",
        "live-1212",
        "双12直播间福利码",
        "欢迎来到小鹿直播间福利群预约，开播前会提醒你～",
    ),
    ("content_post", "xhs-note-88", "小红书种草笔记", None),
)
LINKED_FANS = 24  # existing shop fans who also add a staff member (tied by unionid)
NEW_CONTACTS = 12  # contacts who never bought


# A fixed address answered in-process: the demo keeps working whatever port it is served on.
DEMO_API_BASE = "http://wecom-fake.demo.siyu.local"


@lru_cache(maxsize=1)
def demo_corp() -> FakeWecom:
    fake = FakeWecom(corp_id="wwdemo0000xiaolu")
    for userid, name in STAFF:
        fake.add_staff(userid, name)
    fake.add_tag("客户等级", "VIP")
    fake.add_tag("兴趣", "护肤")
    fake.add_tag("兴趣", "彩妆")
    return fake


def install() -> FakeWecom:
    """Answer the demo's API base in-process (seeding, and the serving process's calls)."""
    fake = demo_corp()
    register_transport(DEMO_API_BASE, httpx.MockTransport(fake.handle))
    return fake


def seed(session: Session, workspace_id: int) -> None:
    fake = install()
    form = service.ConnectForm(
        fake.corp_id,
        1000002,
        fake.secret,
        fake.crypto.token,
        fake.crypto.encoding_aes_key,
        DEMO_API_BASE,
    )
    service.connect(session, workspace_id, form, DEMO_ACTOR)
    client = client_for(session, workspace_id, sleep=lambda _: None)
    sync_all(session, workspace_id, client)  # staff first: live codes need them
    ways = [
        service.create_contact_way(
            session,
            workspace_id,
            channel_kind=kind,
            channel_ref=ref,
            name=name,
            welcome_text=welcome,
            actor=DEMO_ACTOR,
        )
        for kind, ref, name, welcome in CHANNELS
    ]
    _add_contacts(session, workspace_id, fake, [way.state for way in ways])
    fake.fail_next("externalcontact/groupchat/get", 45009)  # the health page shows it survived
    sync_all(session, workspace_id, client)
    for external_userid, userid in (
        ("wmdemo0003", "xiaolu"),
        ("wmdemo0010", "zhouyy"),
        ("wmdemo0101", "zhouyy"),
    ):
        fake.delete_follow(userid, external_userid)  # churned; the callbacks were "lost"
    sync_all(session, workspace_id, client)
    client.close()


def _add_contacts(session: Session, workspace_id: int, fake: FakeWecom, states: list[str]) -> None:
    fans, _ = customers.search_customers(session, workspace_id, limit=LINKED_FANS)
    now = int(utcnow().timestamp())
    staff = [userid for userid, _ in STAFF]
    members: dict[str, int] = {"xiaolu": 1}
    for n, fan in enumerate(fans):
        unionid = f"odemo-union-{fan.id}"
        customers.link_identity(
            session, workspace_id, fan.id, "wechat", unionid, DEMO_ACTOR, source="api"
        )
        external_userid = f"wmdemo{n:04d}"
        _add(
            fake,
            staff[n % 3],
            external_userid,
            fan.display_name or f"粉丝{n}",
            states[n % 3],
            now - n * 2 * 86400,
            unionid,
        )
        if n % 2 == 0:
            members[external_userid] = 2
    for n in range(NEW_CONTACTS):
        _add(
            fake,
            staff[n % 3],
            f"wmdemo{100 + n:04d}",
            f"新朋友{n + 1}",
            states[n % 3],
            now - n * 86400,
            "",
        )
    vip = next(t["id"] for g in fake.tag_groups.values() for t in g["tag"] if t["name"] == "VIP")
    fake.contacts["wmdemo0000"].follows["xiaolu"].tags.add(vip)
    fake.add_chat("wrdemo-chat-1", "小鹿宠粉1群", "xiaolu", members)
    fake.add_chat(
        "wrdemo-chat-2", "小鹿新品体验群", "zhouyy", {"zhouyy": 1, "wmdemo0100": 2, "wmdemo0101": 2}
    )


def _add(
    fake: FakeWecom,
    userid: str,
    external_userid: str,
    name: str,
    state: str,
    added: int,
    unionid: str,
) -> None:
    fake.add_contact(userid, external_userid, name[:20], unionid=unionid, state=state)
    fake.contacts[external_userid].follows[userid].createtime = added


def mount(app: object) -> None:
    """Serve the demo corp at ``/wecom-fake`` (for a look at the protocol) and in-process."""
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    fake = install()
    app.mount(FAKE_PATH, fake.asgi_app())
