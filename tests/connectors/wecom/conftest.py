"""A workspace connected to a fake WeCom corp with staff, tags, contacts and a group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.orm import Session

from siyu.connectors.wecom import service
from siyu.connectors.wecom.connection import register_transport
from siyu.connectors.wecom.fake import FakeWecom
from siyu.workspace.models import Workspace
from tests import factories

API_BASE = "http://fake-wecom.test"


@dataclass
class Connected:
    workspace: Workspace
    fake: FakeWecom

    @property
    def workspace_id(self) -> int:
        return self.workspace.id


def corp() -> FakeWecom:
    fake = FakeWecom()
    fake.add_staff("lin", "林小鹿")
    fake.add_staff("zhou", "周运营")
    vip = fake.add_tag("客户等级", "VIP")
    fake.add_tag("客户等级", "新客")
    fake.add_contact("lin", "wmA", "小美", unionid="unionA", mobiles=["13800001111"])
    fake.add_contact("zhou", "wmA", "小美")
    fake.add_contact("lin", "wmB", "阿花")
    fake.contacts["wmB"].follows["lin"].tags.add(vip)
    fake.add_chat("wrChat1", "小鹿宠粉群", "lin", {"lin": 1, "wmA": 2, "wmB": 2})
    fake.welcome_codes.clear()
    return fake


def connect(
    session: Session, workspace: Workspace, fake: FakeWecom, api_base: str = API_BASE
) -> None:
    form = service.ConnectForm(
        fake.corp_id,
        1000002,
        fake.secret,
        fake.crypto.token,
        fake.crypto.encoding_aes_key,
        api_base,
    )
    service.connect(session, workspace.id, form, factories.ACTOR)


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    fake = corp()
    register_transport(API_BASE, httpx.MockTransport(fake.handle))
    yield fake
    register_transport(API_BASE, None)


@pytest.fixture
def connected(session: Session, workspace: Workspace, fake: FakeWecom) -> Connected:
    connect(session, workspace, fake)
    session.commit()
    return Connected(workspace, fake)
