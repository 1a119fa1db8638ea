"""A post's WeCom 「联系我」 live code, against a fake WeCom corp: made through the connector,
shown on the post's landing page; fans added through it count for the post, and so do their
orders."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.channels import figures, service
from siyu.connectors.wecom import sync as wecom_sync
from siyu.connectors.wecom.connection import client_for
from siyu.connectors.wecom.fake import FakeWecom
from siyu.connectors.wecom.sync import SyncSummary
from siyu.kit.clock import utcnow
from siyu.workspace.models import Workspace
from tests.connectors.wecom.conftest import connect, fake  # noqa: F401 - the fixture
from tests.factories import ACTOR, sign_in


def _post(session: Session, workspace: Workspace) -> int:
    post = service.add_post(
        session, workspace.id, service.PostIn(platform="xiaohongshu", title="通勤包一周不重样")
    )
    session.commit()
    return post.id


def _staff(session: Session, workspace: Workspace) -> None:
    wecom_sync.sync_staff(session, workspace.id, client_for(session, workspace.id), SyncSummary())
    session.commit()


def test_fans_added_through_a_posts_live_code_count_for_it(
    api: TestClient,
    session: Session,
    workspace: Workspace,
    fake: FakeWecom,  # noqa: F811
) -> None:
    connect(session, workspace, fake)
    _staff(session, workspace)
    post_id = _post(session, workspace)

    post = service.make_live_code(session, workspace.id, post_id, ACTOR)
    again = service.make_live_code(session, workspace.id, post_id, ACTOR)
    session.commit()
    assert post.wecom_state and post.wecom_qr_url and again.wecom_state == post.wecom_state

    fake.add_contact("lin", "wmPost", "通勤党", state=post.wecom_state, mobiles=["13900002222"])
    wecom_sync.sync_contacts(
        session, workspace.id, client_for(session, workspace.id), SyncSummary()
    )
    session.commit()
    paid = (utcnow() + timedelta(minutes=5)).isoformat()
    order = {"platform": "douyin", "order_no": "W-1", "buyer_id": "buyer-w", "phone": "13900002222",
             "status": "paid", "paid_at": paid, "paid_amount_fen": 25_900}  # fmt: skip
    assert api.post("/api/v1/orders:batch", json={"orders": [order]}).status_code == 200

    report = figures.report(session, workspace.id)
    (xiaohongshu,) = report.platforms
    assert (xiaohongshu.key, xiaohongshu.fans) == ("xiaohongshu", 1)
    assert (xiaohongshu.buyers, xiaohongshu.gmv_fen) == (1, 25_900)


def test_the_console_makes_a_live_code_only_when_wecom_is_connected(
    client: TestClient,
    session: Session,
    workspace: Workspace,
    fake: FakeWecom,  # noqa: F811
) -> None:
    post_id = _post(session, workspace)
    csrf = sign_in(client, session, workspace)
    refused = client.post(f"/content/posts/{post_id}/live-code", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "企业微信" in refused.text
    assert f"/content/posts/{post_id}/live-code" not in client.get("/content/posts").text

    connect(session, workspace, fake)
    _staff(session, workspace)
    assert f"/content/posts/{post_id}/live-code" in client.get("/content/posts").text
    made = client.post(
        f"/content/posts/{post_id}/live-code", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert made.status_code == 303
    post = service.get_post(session, workspace.id, post_id)
    session.refresh(post)
    assert post.wecom_qr_url
    link = service.ensure_link(session, workspace.id, post_id).link_code
    session.commit()
    landing = client.get(f"/h5/content/{link}")
    assert post.wecom_qr_url in landing.text
