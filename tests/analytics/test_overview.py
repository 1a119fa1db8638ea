"""The console overview: GMV by period against the one before, the private-domain share, and
fans who joined and left groups, read live through the domains' read functions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.analytics import overview
from siyu.community import service as community
from siyu.workspace.models import Workspace
from tests.factories import ACTOR

from .store_data import AS_OF, paid, seed_history

TZ = "Asia/Shanghai"


def test_gmv_private_share_and_group_moves_by_period(
    session: Session, workspace: Workspace
) -> None:
    fans = seed_history(session, workspace.id)
    group = community.create_group(session, workspace.id, ACTOR, name="小鹿福利1群")
    community.add_member(
        session, workspace.id, group.id, ACTOR, customer_id=fans["whale"], joined_at=paid(45)
    )
    session.flush()
    period = overview.Period(AS_OF - timedelta(days=29), AS_OF)

    figures = overview.build(session, workspace.id, TZ, period)

    # In the 30 days: whale 900 (3 days ago), regular 120 (10), newbie 59 (2); before: whale
    # 1,200 (40). Only whale is in a group, so only whale's GMV is private-domain GMV.
    assert (figures.gmv.value, figures.gmv.previous) == (107_900, 120_000)
    assert (figures.private_gmv.value, figures.private_gmv.previous) == (90_000, 120_000)
    assert figures.private_share == 90_000 / 107_900
    assert (figures.joined.value, figures.joined.previous) == (0, 1)
    assert figures.trend["gmv"][-4] == 90_000 and len(figures.trend["labels"]) == 30


def test_period_choices_fall_back_to_the_default() -> None:
    assert overview.period_of("7d", None, None, TZ)[1].days == 7
    assert overview.period_of("custom", "2026-01-10", "2026-01-01", TZ)[1].days == 10
    assert overview.period_of("nonsense", None, None, TZ)[0] == overview.DEFAULT_RANGE
    assert overview.period_of("custom", "abc", None, TZ)[0] == overview.DEFAULT_RANGE
