"""Console pages of old-brings-new: the tree with fans by name, rewards, and the rules form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.referral import service
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from tests import factories
from tests.referral.helpers import add_paid_order, make_fan


def test_tree_and_rewards_show_fans_by_name(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    ws = workspace.id
    inviter = make_fan(session, ws, name="阿圆")
    invitee = make_fan(session, ws, name="糖糖")
    service.refer(session, ws, inviter.id, invitee.id, SYSTEM)
    add_paid_order(session, ws, invitee.id)
    service.settle_rewards(session, ws)
    factories.sign_in(client, session, workspace)
    tree = client.get("/referral")
    assert tree.status_code == 200
    assert inviter.display_name in tree.text and invitee.display_name in tree.text
    rewards = client.get("/referral/rewards")
    assert rewards.status_code == 200 and inviter.display_name in rewards.text


def test_rules_form_saves_and_refuses_bad_values(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    form = {
        "csrf_token": csrf,
        "max_depth": "2",
        "window_days": "14",
        "reward_kind": "points",
        "reward_points": "200",
        "reward_points_level2": "50",
    }
    saved = client.post("/referral/settings", data=form, follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    assert service.settings_of(session, workspace.id).max_depth == 2
    bad = client.post("/referral/settings", data={**form, "max_depth": "3"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    coupon = client.post("/referral/settings", data={**form, "reward_kind": "coupon"})
    assert coupon.status_code == 422
