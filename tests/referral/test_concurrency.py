"""The depth cap and one place per fan under parallel referrals, in real transactions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.kit.errors import Conflict
from siyu.referral import service
from siyu.referral.models import Referral
from siyu.workspace.audit import SYSTEM
from tests import factories
from tests.concurrency import in_parallel, scratch_store
from tests.referral.helpers import make_fan


def _refer(factory: sessionmaker[Session], ws: int, inviter: int, invitee: int) -> str:
    with factory() as db:
        try:
            with db.begin():
                service.refer(db, ws, inviter, invitee, SYSTEM)
        except Conflict as refused:
            return refused.slug
    return "created"


def test_parallel_chains_never_pass_two_levels() -> None:
    """Fans invite each other along a chain all at once, in every order: whatever commits
    first, no fan ends up three levels down and each fan has one inviter at most."""
    with scratch_store() as factory:
        with factory() as db, db.begin():
            ws = factories.make_workspace(db).id
            fans = [make_fan(db, ws).id for _ in range(12)]
            service.update_settings(
                db,
                ws,
                SYSTEM,
                max_depth=2,
                window_days=7,
                reward_kind="points",
                reward_points=10,
                reward_points_level2=5,
                coupon_campaign_id=None,
            )
        pairs = [(fans[i], fans[i + 1]) for i in range(len(fans) - 1)]
        pairs += [(fans[0], fans[5]), (fans[3], fans[5]), (fans[7], fans[2])]
        outcomes = in_parallel(8, len(pairs), lambda i: _refer(factory, ws, *pairs[i]))
        assert all(isinstance(o, str) for o in outcomes), outcomes
        with factory() as db:
            nodes = db.scalars(select(Referral).where(Referral.workspace_id == ws)).all()
        depth = {n.customer_id: n.depth for n in nodes}
        parent = {n.customer_id: n.inviter_id for n in nodes}
        assert max(depth.values()) <= 2
        for fan, inviter in parent.items():
            if inviter is not None:
                assert depth[fan] == depth[inviter] + 1
        assert outcomes.count("created") == sum(1 for p in parent.values() if p is not None)


def test_the_same_fan_invited_in_parallel_is_placed_once() -> None:
    with scratch_store() as factory:
        with factory() as db, db.begin():
            ws = factories.make_workspace(db).id
            invitee = make_fan(db, ws).id
            inviters = [make_fan(db, ws).id for _ in range(8)]
        outcomes = in_parallel(8, 8, lambda i: _refer(factory, ws, inviters[i], invitee))
        assert outcomes.count("created") == 1, outcomes
        assert set(outcomes) - {"created"} <= {service.ALREADY_INVITED}
