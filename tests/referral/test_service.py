"""The referral tree: depth kept by the store, cycles and second invitations refused, and
rewards paid once, only for the invitee's own first paid order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict
from siyu.loyalty.service import summary
from siyu.referral import service
from siyu.referral.models import Referral, ReferralReward
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from tests.referral.helpers import add_paid_order, make_fan


def _settings(session: Session, ws: int, depth: int, level2: int = 0) -> None:
    service.update_settings(
        session,
        ws,
        SYSTEM,
        max_depth=depth,
        window_days=7,
        reward_kind="points",
        reward_points=100,
        reward_points_level2=level2,
        coupon_campaign_id=None,
    )


def test_one_level_by_default_and_two_when_allowed(session: Session, workspace: Workspace) -> None:
    a, b, c = (make_fan(session, workspace.id).id for _ in range(3))
    node = service.refer(session, workspace.id, a, b, SYSTEM)
    assert (node.depth, node.inviter_id, node.inviter_depth) == (1, a, 0)
    with pytest.raises(Conflict) as deep:
        service.refer(session, workspace.id, b, c, SYSTEM)
    assert deep.value.slug == service.TOO_DEEP
    _settings(session, workspace.id, 2)
    assert service.refer(session, workspace.id, b, c, SYSTEM).depth == 2
    d = make_fan(session, workspace.id).id
    with pytest.raises(Conflict) as third:
        service.refer(session, workspace.id, c, d, SYSTEM)
    assert third.value.slug == service.TOO_DEEP


def test_cycles_and_second_invitations_are_refused(session: Session, workspace: Workspace) -> None:
    _settings(session, workspace.id, 2)
    a, b, c = (make_fan(session, workspace.id).id for _ in range(3))
    service.refer(session, workspace.id, a, b, SYSTEM)
    for inviter, invitee, slug in [
        (a, a, service.CYCLE),
        (b, a, service.CYCLE),
        (c, b, service.ALREADY_INVITED),
        (c, a, service.ALREADY_INVITER),
    ]:
        with pytest.raises(Conflict) as refused:
            service.refer(session, workspace.id, inviter, invitee, SYSTEM)
        assert refused.value.slug == slug
    assert service.ancestors(session, workspace.id, b) == [a]


def test_the_store_refuses_a_third_level_and_a_lying_depth(
    session: Session, workspace: Workspace
) -> None:
    """Rows written around the service: the CHECKs and the inviter's-depth key hold."""
    ws = workspace.id
    a, b, c, d = (make_fan(session, ws).id for _ in range(4))
    session.add_all(
        [
            Referral(workspace_id=ws, customer_id=a, depth=0, source="api"),
            Referral(
                workspace_id=ws, customer_id=b, inviter_id=a, inviter_depth=0, depth=1, source="api"
            ),
            Referral(
                workspace_id=ws, customer_id=c, inviter_id=b, inviter_depth=1, depth=2, source="api"
            ),
        ]
    )
    session.flush()
    for inviter, inviter_depth, depth in [(c, 2, 3), (c, 0, 1), (b, 1, 1)]:
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(
                Referral(
                    workspace_id=ws,
                    customer_id=d,
                    inviter_id=inviter,
                    inviter_depth=inviter_depth,
                    depth=depth,
                    source="api",
                )
            )
            session.flush()


def test_rewards_wait_for_the_first_paid_order_and_are_paid_once(
    session: Session, workspace: Workspace
) -> None:
    ws = workspace.id
    _settings(session, ws, 2, level2=30)
    a, b, c = (make_fan(session, ws).id for _ in range(3))
    service.refer(session, ws, a, b, SYSTEM)
    service.refer(session, ws, b, c, SYSTEM)
    assert service.settle_rewards(session, ws) == 0  # sharing and joining earn nothing
    add_paid_order(session, ws, c)
    assert service.settle_rewards(session, ws) == 2
    assert service.settle_rewards(session, ws) == 0
    add_paid_order(session, ws, c)  # a second order of the same invitee pays nothing more
    assert service.settle_rewards(session, ws) == 0
    assert summary(session, ws, b).balance == 100
    assert summary(session, ws, a).balance == 30
    rewards = session.scalars(select(ReferralReward).order_by(ReferralReward.level)).all()
    assert [(r.beneficiary_id, r.level) for r in rewards] == [(b, 1), (a, 2)]
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            ReferralReward(
                workspace_id=ws,
                invitee_id=c,
                beneficiary_id=b,
                level=1,
                order_id=rewards[0].order_id,
                order_paid_fen=1,
                kind="points",
            )
        )
        session.flush()


def test_a_buyer_before_the_referral_brings_no_reward(
    session: Session, workspace: Workspace
) -> None:
    ws = workspace.id
    a, b = (make_fan(session, ws).id for _ in range(2))
    add_paid_order(session, ws, b, paid_at=utcnow() - timedelta(days=3))
    service.refer(session, ws, a, b, SYSTEM)
    assert service.settle_rewards(session, ws) == 0
    count = session.scalar(select(func.count()).select_from(ReferralReward))
    assert count == 0


def test_first_touch_counts_within_the_window_for_new_fans_only(
    session: Session, workspace: Workspace
) -> None:
    ws = workspace.id
    a = make_fan(session, ws).id
    old_fan = make_fan(session, ws)
    touched = utcnow()
    assert service.claim_first_touch(session, ws, old_fan.id, a, touched) is None
    new_fan = make_fan(session, ws)
    stale = touched - timedelta(days=8)
    assert service.claim_first_touch(session, ws, new_fan.id, a, stale) is None
    new_fan.created_at = touched + timedelta(seconds=1)
    node = service.claim_first_touch(session, ws, new_fan.id, a, touched)
    assert node is not None and node.source == "link" and node.inviter_id == a
