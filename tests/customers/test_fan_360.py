"""The fan's 360 page shows the fan's groups, the coupons they hold and one activity timeline
merged from the domains' read functions (orders, points, coupons, group joins, notes)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.community import service as community
from siyu.coupons import service as coupons
from siyu.customers import service
from siyu.loyalty import service as loyalty
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories
from tests.factories import ACTOR
from tests.loyalty import helpers as h


def test_groups_coupons_and_the_timeline(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    order = h.order(session, workspace.id, "小鹿爱吃糖", paid_fen=39_900)
    fan = order.customer_id
    assert fan is not None
    loyalty.adjust(session, workspace.id, fan, 300, "生日礼", ACTOR, "birthday-1")
    group = community.create_group(session, workspace.id, SYSTEM, name="小鹿福利1群")
    community.add_member(
        session, workspace.id, group.id, SYSTEM, member_ref="wx-1", customer_id=fan
    )
    template = coupons.create_template(
        session,
        workspace.id,
        coupons.TemplateDraft(
            name="满99减10",
            kind="threshold",
            threshold_fen=9900,
            discount_fen=1000,
            valid_days=7,
        ),
        ACTOR,
    )
    coupons.issue_for_points(session, workspace.id, template.id, fan)
    service.add_note(session, workspace.id, fan, "喜欢小棕瓶", ACTOR)
    analyst = factories.make_operator(session, workspace, Role.analyst)
    session.commit()
    factories.login(client, analyst.email)

    profile = client.get(f"/customers/{fan}")
    for panel in (
        f"/community/customers/{fan}/panel",
        f"/coupons/customers/{fan}/panel",
        f"/customers/{fan}/timeline",
    ):
        assert f'hx-get="{panel}"' in profile.text

    groups = client.get(f"/community/customers/{fan}/panel")
    assert groups.status_code == 200 and "小鹿福利1群" in groups.text
    held = client.get(f"/coupons/customers/{fan}/panel")
    assert held.status_code == 200 and "满99减10" in held.text and "1 张未使用" in held.text

    timeline = client.get(f"/customers/{fan}/timeline")
    assert timeline.status_code == 200
    text = timeline.text
    for expected in (
        "淘宝 下单 ¥399",
        "生日礼",
        "领到优惠券 满99减10",
        "加入了 小鹿福利1群",
        "喜欢小棕瓶",
    ):
        assert expected in text, expected
    kinds = [k for k in ("tl-order", "tl-points", "tl-coupon", "tl-group", "tl-note") if k in text]
    assert len(kinds) == 5
    assert client.get("/customers/999999/timeline").status_code == 404
