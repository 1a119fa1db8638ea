"""The demo seed on a small store: tiers, a stocked mall, conversions, redemptions, clean ledger."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.loyalty import demo, reports
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty import tiers as loyalty_tiers
from siyu.workspace.models import Workspace

from . import helpers as h


def test_demo_seed(session: Session, workspace: Workspace) -> None:
    for n in range(40):
        h.order(session, workspace.id, f"fan-{n % 12}", paid_fen=50_000 + n * 3_000)
    demo.seed(session, workspace.id)
    assert [t.name for t in loyalty_tiers.list_tiers(session, workspace.id)] == [
        "普通",
        "银卡",
        "金卡",
        "黑钻",
    ]
    shelves = {i.shelf for i in loyalty_mall.list_items(session, workspace.id)}
    assert shelves == {"aspirational", "essentials", "seasonal"}
    redemptions, _ = loyalty_mall.list_redemptions(session, workspace.id, limit=200)
    assert {r.state for r in redemptions} >= {"pending", "shipped", "delivered"}
    assert reports.report(session, workspace.id).issued > 0
    assert reports.check_invariants(session, workspace.id) == []
