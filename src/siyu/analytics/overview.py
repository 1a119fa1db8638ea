"""The console's overview: what the private domain earns, read live from the domains' own read
functions (no refresh needed), for a period of business days and the period before it.

Definitions (also in docs/analytics.md):
* GMV: net paid amount (paid less refunds) of paid orders, by business day of payment.
* Private-domain fans of a period: fans in a fan group at some moment of it, or otherwise
  reached by the private domain: holding a points account or having claimed a coupon.
* Private-domain share of GMV: GMV of private-domain fans over all GMV of the period.
* Fans added: new fans first seen in the period. Joined / lost: fans who joined a fan group in
  the period / left one and are in no group at its end.
* Active groups: groups where fans wrote at least one message in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, union
from sqlalchemy.orm import Session

from siyu.community import figures as community
from siyu.coupons import figures as coupons
from siyu.customers import figures as customers
from siyu.kit.clock import day_bounds, today, utcnow
from siyu.kit.i18n import N_
from siyu.loyalty import figures as loyalty
from siyu.orders import figures as orders

RANGES = {
    "7d": N_("Last 7 days"),
    "30d": N_("Last 30 days"),
    "90d": N_("Last 90 days"),
    "month": N_("This month"),
    "last_month": N_("Last month"),
}
DEFAULT_RANGE = "30d"
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        return day_bounds(self.first, tz)[0], day_bounds(self.last, tz)[1]


def period_of(choice: str, start: str | None, end: str | None, tz: str) -> tuple[str, Period]:
    """The chosen range (a key of RANGES, or "custom" with ISO dates) as business days up to
    today; anything unreadable falls back to the default range."""
    now = today(tz)
    if choice == "custom":
        try:
            first, last = date.fromisoformat(start or ""), date.fromisoformat(end or "")
        except ValueError:
            return period_of(DEFAULT_RANGE, None, None, tz)
        first, last = min(first, last), min(max(first, last), now)
        first = max(first, last - timedelta(days=MAX_DAYS - 1))
        return "custom", Period(min(first, last), last)
    if choice == "month":
        return choice, Period(now.replace(day=1), now)
    if choice == "last_month":
        last = now.replace(day=1) - timedelta(days=1)
        return choice, Period(last.replace(day=1), last)
    days = {"7d": 7, "30d": 30, "90d": 90}.get(choice)
    if days is None:
        return period_of(DEFAULT_RANGE, None, None, tz)
    return choice, Period(now - timedelta(days=days - 1), now)


@dataclass(frozen=True)
class Compared:
    """A figure of the period and of the period before."""

    value: int
    previous: int

    @property
    def change(self) -> float | None:
        """Relative change against the previous period; None without a base."""
        return (self.value - self.previous) / self.previous if self.previous > 0 else None


@dataclass
class Overview:
    period: Period
    previous: Period
    today_gmv: Compared  # today vs yesterday
    month_gmv: Compared  # this month to date vs the same days of last month
    gmv: Compared
    orders: Compared
    private_gmv: Compared
    new_fans: Compared
    joined: Compared
    lost: Compared
    active_groups: Compared
    points_outstanding: int
    coupons_outstanding: int
    coupons_face_fen: int
    trend: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def private_share(self) -> float | None:
        return self.private_gmv.value / self.gmv.value if self.gmv.value > 0 else None

    @property
    def private_share_previous(self) -> float | None:
        return self.private_gmv.previous / self.gmv.previous if self.gmv.previous > 0 else None


def private_domain_fans(workspace_id: int, start: datetime, end: datetime) -> Select[Any]:
    return (
        union(
            community.members_during(workspace_id, start, end),
            loyalty.points_members(workspace_id),
            coupons.claimants(workspace_id),
        )
        .subquery()
        .select()
    )


def build(session: Session, workspace_id: int, tz: str, period: Period) -> Overview:
    previous = period.previous()
    both = (period, previous)
    day_gmv = _gmv(session, workspace_id, tz, period.first, period.last)
    prev_gmv = _gmv(session, workspace_id, tz, previous.first, previous.last)
    private = [_private_gmv(session, workspace_id, tz, p) for p in both]
    moves = [community.group_moves(session, workspace_id, *p.bounds(tz)) for p in both]
    outstanding = coupons.coupons_outstanding(session, workspace_id, utcnow())
    return Overview(
        period=period,
        previous=previous,
        today_gmv=_today(session, workspace_id, tz),
        month_gmv=_month_to_date(session, workspace_id, tz),
        gmv=Compared(_total(day_gmv), _total(prev_gmv)),
        orders=Compared(_orders(day_gmv), _orders(prev_gmv)),
        private_gmv=Compared(_total(private[0]), _total(private[1])),
        new_fans=Compared(
            *(customers.count_new_fans(session, workspace_id, *p.bounds(tz)) for p in both)
        ),
        joined=Compared(moves[0].joined, moves[1].joined),
        lost=Compared(moves[0].lost, moves[1].lost),
        active_groups=Compared(
            *(community.active_group_count(session, workspace_id, *p.bounds(tz)) for p in both)
        ),
        points_outstanding=loyalty.points_outstanding(session, workspace_id),
        coupons_outstanding=outstanding.coupons,
        coupons_face_fen=outstanding.face_value_fen,
        trend=_trend(period, day_gmv, private[0]),
    )


def _gmv(
    session: Session, workspace_id: int, tz: str, first: date, last: date
) -> dict[date, tuple[int, int]]:
    return orders.gmv_by_day(session, workspace_id, first, last, tz)


def _private_gmv(
    session: Session, workspace_id: int, tz: str, period: Period
) -> dict[date, tuple[int, int]]:
    fans = private_domain_fans(workspace_id, *period.bounds(tz))
    return orders.gmv_by_day(session, workspace_id, period.first, period.last, tz, customers=fans)


def _today(session: Session, workspace_id: int, tz: str) -> Compared:
    now = today(tz)
    days = _gmv(session, workspace_id, tz, now - timedelta(days=1), now)
    return Compared(days.get(now, (0, 0))[0], days.get(now - timedelta(days=1), (0, 0))[0])


def _month_to_date(session: Session, workspace_id: int, tz: str) -> Compared:
    now = today(tz)
    first = now.replace(day=1)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    previous_last = min(previous_first + (now - first), first - timedelta(days=1))
    return Compared(
        _total(_gmv(session, workspace_id, tz, first, now)),
        _total(_gmv(session, workspace_id, tz, previous_first, previous_last)),
    )


def _total(days: dict[date, tuple[int, int]]) -> int:
    return sum(gmv for gmv, _ in days.values())


def _orders(days: dict[date, tuple[int, int]]) -> int:
    return sum(count for _, count in days.values())


def _trend(
    period: Period, gmv: dict[date, tuple[int, int]], private: dict[date, tuple[int, int]]
) -> dict[str, list[Any]]:
    days = [period.first + timedelta(days=i) for i in range(period.days)]
    return {
        "labels": [d.isoformat() for d in days],
        "gmv": [gmv.get(d, (0, 0))[0] for d in days],
        "private": [private.get(d, (0, 0))[0] for d in days],
    }
