"""Lift of a broadcast over its holdout, by intention to treat.

Every member who was in an arm when the broadcast was planned counts in that arm, whether the
message reached them or not (the quota, a deleted friend or an operator who never confirmed all
stay in the treated arm): the comparison is then between two random halves of the same audience,
and the difference is what sending the broadcast did. The interval is Welch's t interval on the
difference of mean GMV per fan (``scipy.stats.ttest_ind``), scaled to the treated arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.clock import as_utc
from siyu.orders import ownership as orders
from siyu.outreach.models import Broadcast, BroadcastMember
from siyu.outreach.service import broadcast_counts


@dataclass(frozen=True)
class Arm:
    fans: int
    buyers: int
    gmv_fen: int

    @property
    def conversion(self) -> float:
        return self.buyers / self.fans if self.fans else 0.0


@dataclass(frozen=True)
class Lift:
    days: int
    treated: Arm
    control: Arm
    conversion_difference: float
    incremental_gmv_fen: int
    ci95_fen: tuple[int | None, int | None]
    delivery_rate: float


def _arms(session: Session, broadcast: Broadcast) -> dict[str, list[int]]:
    rows = session.execute(
        select(BroadcastMember.arm, BroadcastMember.customer_id).where(
            BroadcastMember.workspace_id == broadcast.workspace_id,
            BroadcastMember.broadcast_id == broadcast.id,
            BroadcastMember.arm.is_not(None),
        )
    )
    arms: dict[str, list[int]] = {"treated": [], "control": []}
    for arm, customer_id in rows:
        arms[str(arm)].append(int(customer_id))
    return arms


def _gmv_vector(fans: list[int], paid: dict[int, int]) -> np.ndarray:
    return np.fromiter((paid.get(c, 0) for c in fans), dtype=np.float64, count=len(fans))


def broadcast_lift(session: Session, broadcast: Broadcast, days: int) -> Lift:
    """The N days from the send (nothing sent yet: an empty window at the planned time)."""
    start = as_utc(broadcast.sent_at or broadcast.send_at or broadcast.created_at)
    end = start + timedelta(days=days)
    arms = _arms(session, broadcast)
    everyone = arms["treated"] + arms["control"]
    paid = orders.paid_by_fan(session, broadcast.workspace_id, everyone, start, end)
    treated = _gmv_vector(arms["treated"], paid)
    control = _gmv_vector(arms["control"], paid)
    treated_arm = Arm(len(treated), int((treated > 0).sum()), int(treated.sum()))
    control_arm = Arm(len(control), int((control > 0).sum()), int(control.sum()))
    counts = broadcast_counts(session, broadcast)
    return Lift(
        days=days,
        treated=treated_arm,
        control=control_arm,
        conversion_difference=treated_arm.conversion - control_arm.conversion,
        incremental_gmv_fen=_incremental(treated, control),
        ci95_fen=_interval(treated, control),
        delivery_rate=counts.sent / counts.planned if counts.planned else 0.0,
    )


def _incremental(treated: np.ndarray, control: np.ndarray) -> int:
    if not len(treated) or not len(control):
        return 0
    return round(float(treated.mean() - control.mean()) * len(treated))


def _interval(treated: np.ndarray, control: np.ndarray) -> tuple[int | None, int | None]:
    """95 % interval of the incremental GMV; none when an arm is too small to have one."""
    if len(treated) < 2 or len(control) < 2:
        return (None, None)
    if not treated.any() and not control.any():
        return (0, 0)
    result = stats.ttest_ind(treated, control, equal_var=False)
    low, high = result.confidence_interval(0.95)
    if not (np.isfinite(low) and np.isfinite(high)):
        return (None, None)
    return (round(float(low) * len(treated)), round(float(high) * len(treated)))
