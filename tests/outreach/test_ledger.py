"""The quota ledger: WeCom's per-corp quota in business days of the workspace's time zone,
the workspace's weekly cap on top, and a send recorded twice counted once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from siyu.outreach import ledger
from siyu.workspace.models import Workspace
from tests.outreach.helpers import make_fans

TZ = "Asia/Shanghai"
# 2026-12-07 10:00 in Shanghai; the business day began at 2026-12-06 16:00 UTC.
NOON = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
LAST_NIGHT = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)  # 23:30 local, the day before
THIS_MORNING = datetime(2026, 12, 6, 16, 30, tzinfo=UTC)  # 00:30 local


@pytest.fixture
def fans(session: Session, workspace: Workspace) -> list[int]:
    return make_fans(session, workspace.id, 3)


def test_daily_quota_counts_the_local_day(
    session: Session, workspace: Workspace, fans: list[int]
) -> None:
    ledger.record(session, workspace.id, "broadcast", 1, "wecom_single", [fans[0]], LAST_NIGHT)
    ledger.record(session, workspace.id, "broadcast", 2, "wecom_single", [fans[1]], THIS_MORNING)
    rule = ledger.QuotaRule("daily")
    assert ledger.refused(session, workspace.id, rule, NOON, TZ, wecom=True) == {fans[1]}
    # A channel WeCom's quota does not apply to sees no refusal.
    assert ledger.refused(session, workspace.id, rule, NOON, TZ, wecom=False) == set()


def test_weekly_and_monthly_quotas(session: Session, workspace: Workspace, fans: list[int]) -> None:
    for source_id in range(7):
        moment = datetime(2026, 12, 1 + source_id, 2, 0, tzinfo=UTC)
        ledger.record(
            session, workspace.id, "broadcast", source_id, "wecom_single", [fans[0]], moment
        )
    weekly = ledger.QuotaRule("weekly7")
    assert ledger.refused(session, workspace.id, weekly, NOON, TZ, wecom=True) == {fans[0]}
    monthly = ledger.QuotaRule("monthly_days")
    assert ledger.refused(session, workspace.id, monthly, NOON, TZ, wecom=True) == set()


def test_workspace_cap_applies_to_every_channel(
    session: Session, workspace: Workspace, fans: list[int]
) -> None:
    ledger.record(session, workspace.id, "playbook", 5, "operator_task", fans[:2], THIS_MORNING)
    rule = ledger.QuotaRule("monthly_days", max_per_fan_per_week=1)
    assert ledger.refused(session, workspace.id, rule, NOON, TZ, wecom=False) == set(fans[:2])
    assert not ledger.allows_any(ledger.QuotaRule("daily", max_per_fan_per_week=0))


def test_recording_a_send_twice_counts_once(
    session: Session, workspace: Workspace, fans: list[int]
) -> None:
    for _ in range(2):
        ledger.record(session, workspace.id, "broadcast", 9, "wecom_single", fans, THIS_MORNING)
    assert ledger.receipts_of(session, workspace.id, fans, LAST_NIGHT) == {f: 1 for f in fans}
