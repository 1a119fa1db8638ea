"""Business rules of check-in camps (打卡): a camp runs N days on a fan group, each day has its
task, members check in once a day with a few words or a photo, and a fan who meets the camp's
rule (consecutive or cumulative days) is rewarded once.

A check-in is for doing the day's task: nothing here counts shares or visits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.engagement.models import (
    MAX_CAMP_DAYS,
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    REWARD_KINDS,
    RULES,
    Camp,
    CampCompletion,
    CampTask,
    CheckIn,
)
from siyu.kit.clock import today
from siyu.kit.errors import Conflict, NotFound, Problem, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace
from siyu.loyalty.labels import CAMP_REASON
from siyu.workspace import audit
from siyu.workspace.audit import SYSTEM, Actor

MAX_NOTE_CHARS = 500
MAX_TASK_CHARS = 500


def invalid(field_name: str, message: str) -> Unprocessable:
    return Unprocessable(
        "camp-invalid", title=message, errors=[{"field": field_name, "message": message}]
    )


@dataclass
class CampDraft:
    group_id: int
    title: str
    starts_on: date
    tasks: list[str]
    rule: str = "consecutive"
    required_days: int | None = None  # None: every day of the camp
    reward_kind: str = "points"
    reward_points: int = 0
    coupon_campaign_id: int | None = None


def _check_draft(session: Session, workspace_id: int, draft: CampDraft) -> None:
    from siyu.community.service import get_group

    get_group(session, workspace_id, draft.group_id)
    if not draft.title.strip() or len(draft.title) > 100:
        raise invalid("title", N_("Give the camp a title of at most 100 characters"))
    if not 1 <= len(draft.tasks) <= MAX_CAMP_DAYS:
        raise invalid("tasks", N_("Write one task per day, for 1 to 60 days"))
    if any(not t.strip() or len(t) > MAX_TASK_CHARS for t in draft.tasks):
        raise invalid("tasks", N_("Every day needs a task of at most 500 characters"))
    if draft.rule not in RULES:
        raise invalid("rule", N_("Choose consecutive days or days in total"))
    required = draft.required_days or len(draft.tasks)
    if not 1 <= required <= len(draft.tasks):
        raise invalid("required_days", N_("Days to complete: between 1 and the camp's days"))
    if draft.reward_kind not in REWARD_KINDS or draft.reward_points < 0:
        raise invalid("reward_kind", N_("Reward with points or a coupon"))
    if draft.reward_kind == "coupon":
        if draft.coupon_campaign_id is None:
            raise invalid("coupon_campaign_id", N_("Choose the coupon campaign to reward with"))
        from siyu.coupons.service import get_campaign

        get_campaign(session, workspace_id, draft.coupon_campaign_id)


def create_camp(session: Session, workspace_id: int, actor: Actor, draft: CampDraft) -> Camp:
    _check_draft(session, workspace_id, draft)
    camp = Camp(
        workspace_id=workspace_id,
        group_id=draft.group_id,
        title=draft.title.strip(),
        days=len(draft.tasks),
        starts_on=draft.starts_on,
        rule=draft.rule,
        required_days=draft.required_days or len(draft.tasks),
        reward_kind=draft.reward_kind,
        reward_points=draft.reward_points if draft.reward_kind == "points" else 0,
        coupon_campaign_id=draft.coupon_campaign_id if draft.reward_kind == "coupon" else None,
    )
    session.add(camp)
    session.flush()
    session.add_all(
        CampTask(workspace_id=workspace_id, camp_id=camp.id, day=day, text=text.strip())
        for day, text in enumerate(draft.tasks, start=1)
    )
    session.flush()
    audit.record(
        session,
        actor,
        "camp.created",
        workspace_id=workspace_id,
        target_type="camp",
        target_id=camp.id,
        detail={"group_id": camp.group_id, "days": camp.days, "rule": camp.rule},
    )
    return camp


def get_camp(session: Session, workspace_id: int, camp_id: int) -> Camp:
    not_found = NotFound("camp-not-found", title=N_("No such check-in camp"))
    return get_in_workspace(session, Camp, workspace_id, camp_id, not_found)


def list_camps(
    session: Session, workspace_id: int, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Camp], str | None]:
    query = select(Camp).where(Camp.workspace_id == workspace_id)
    return keyset_page(session, query, Camp.id, cursor=cursor, limit=limit)


def tasks_of(session: Session, camp: Camp) -> list[CampTask]:
    return list(
        session.scalars(
            select(CampTask)
            .where(CampTask.workspace_id == camp.workspace_id, CampTask.camp_id == camp.id)
            .order_by(CampTask.day)
        )
    )


def camp_day(camp: Camp, on: date) -> int | None:
    """The camp's day number on a business day, or None outside the camp."""
    day = (on - camp.starts_on).days + 1
    return day if 1 <= day <= camp.days else None


def camp_state(camp: Camp, on: date) -> str:
    if on < camp.starts_on:
        return "upcoming"
    return "running" if camp_day(camp, on) is not None else "ended"


def ends_on(camp: Camp) -> date:
    return camp.starts_on + timedelta(days=camp.days - 1)


def camps_for_fan(session: Session, workspace_id: int, customer_id: int) -> list[Camp]:
    """Camps of the groups the fan is in now."""
    from siyu.community.service import groups_of

    group_ids = [
        g.id for g, stay in groups_of(session, workspace_id, customer_id) if not stay.left_at
    ]
    if not group_ids:
        return []
    return list(
        session.scalars(
            select(Camp)
            .where(Camp.workspace_id == workspace_id, Camp.group_id.in_(group_ids))
            .order_by(Camp.starts_on.desc(), Camp.id.desc())
        )
    )


# --- check-ins -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    content: bytes
    content_type: str


def check_in(
    session: Session,
    workspace_id: int,
    camp_id: int,
    customer_id: int,
    *,
    note: str | None,
    photo: Photo | None,
    tz: str,
) -> CheckIn:
    """Today's check-in of a member of the camp's group; once a day (409 the second time)."""
    camp = get_camp(session, workspace_id, camp_id)
    day = camp_day(camp, today(tz))
    if day is None:
        raise Conflict("camp-not-running", title=N_("This camp is not running today"))
    if camp.id not in {c.id for c in camps_for_fan(session, workspace_id, customer_id)}:
        raise Conflict("camp-not-member", title=N_("Only members of the camp's group check in"))
    note = (note or "").strip() or None
    _check_content(note, photo)
    row = CheckIn(
        workspace_id=workspace_id,
        camp_id=camp.id,
        customer_id=customer_id,
        day=day,
        note=note,
        photo=photo.content if photo else None,
        photo_type=photo.content_type if photo else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict("already-checked-in", title=N_("You already checked in today")) from None
    complete_if_due(session, camp, customer_id)
    return row


def _check_content(note: str | None, photo: Photo | None) -> None:
    if note is None and photo is None:
        raise invalid("note", N_("Write what you did or add a photo"))
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise invalid("note", N_("At most 500 characters"))
    if photo is not None:
        if photo.content_type not in PHOTO_TYPES:
            raise invalid("photo", N_("A photo is a JPEG, PNG or WebP image"))
        if not photo.content or len(photo.content) > MAX_PHOTO_BYTES:
            raise invalid("photo", N_("A photo is at most 2 MB"))


def checkin_photo(session: Session, workspace_id: int, checkin_id: int) -> CheckIn:
    not_found = NotFound("checkin-not-found", title=N_("No such check-in"))
    row = get_in_workspace(session, CheckIn, workspace_id, checkin_id, not_found)
    if row.photo is None:
        raise not_found
    return row


def days_of(session: Session, camp: Camp, customer_id: int) -> set[int]:
    return set(
        session.scalars(
            select(CheckIn.day).where(
                CheckIn.workspace_id == camp.workspace_id,
                CheckIn.camp_id == camp.id,
                CheckIn.customer_id == customer_id,
            )
        )
    )


def best_streak(days: set[int]) -> int:
    best = run = 0
    for day in range(1, max(days, default=0) + 1):
        run = run + 1 if day in days else 0
        best = max(best, run)
    return best


def meets_rule(camp: Camp, days: set[int]) -> bool:
    done = best_streak(days) if camp.rule == "consecutive" else len(days)
    return done >= camp.required_days


def complete_if_due(session: Session, camp: Camp, customer_id: int) -> CampCompletion | None:
    """Record the completion and give the reward, once (the unique key is the last line)."""
    if not meets_rule(camp, days_of(session, camp, customer_id)):
        return None
    completion = CampCompletion(
        workspace_id=camp.workspace_id, camp_id=camp.id, customer_id=customer_id
    )
    try:
        with session.begin_nested():
            session.add(completion)
            session.flush()
            _reward(session, camp, completion)
    except IntegrityError:
        return None
    return completion


def _reward(session: Session, camp: Camp, completion: CampCompletion) -> None:
    if camp.reward_kind == "points":
        if camp.reward_points > 0:
            from siyu.loyalty.service import adjust

            adjust(
                session,
                camp.workspace_id,
                completion.customer_id,
                camp.reward_points,
                CAMP_REASON,
                SYSTEM,
                f"camp-{camp.id}-{completion.customer_id}",
            )
            completion.points = camp.reward_points
        return
    from siyu.coupons.service import issue

    assert camp.coupon_campaign_id is not None
    try:
        report = issue(
            session,
            camp.workspace_id,
            camp.coupon_campaign_id,
            SYSTEM,
            customer_ids=[completion.customer_id],
        )
    except Problem:
        return  # the completion stands; the operator sees it without a coupon
    if report.issued:
        claimed = report.issued[0]
        completion.coupon_claim_id = f"{claimed.campaign_id}-{claimed.slot}"


# --- the progress board --------------------------------------------------------------------


@dataclass
class Progress:
    customer_id: int
    days: set[int] = field(default_factory=set)
    completed: bool = False

    @property
    def checked(self) -> int:
        return len(self.days)

    @property
    def streak(self) -> int:
        return best_streak(self.days)


def board(session: Session, camp: Camp, limit: int = 100) -> list[Progress]:
    """Participants by days checked in, then best streak; completions marked."""
    rows = session.execute(
        select(CheckIn.customer_id, CheckIn.day).where(
            CheckIn.workspace_id == camp.workspace_id, CheckIn.camp_id == camp.id
        )
    )
    progress: dict[int, Progress] = {}
    for customer_id, day in rows:
        progress.setdefault(customer_id, Progress(customer_id)).days.add(day)
    done = session.scalars(
        select(CampCompletion.customer_id).where(
            CampCompletion.workspace_id == camp.workspace_id, CampCompletion.camp_id == camp.id
        )
    )
    for customer_id in done:
        if customer_id in progress:
            progress[customer_id].completed = True
    ranked = sorted(progress.values(), key=lambda p: (-p.checked, -p.streak, p.customer_id))
    return ranked[:limit]


def checkins_per_day(session: Session, camp: Camp) -> list[int]:
    counts = dict(
        session.execute(
            select(CheckIn.day, func.count())
            .where(CheckIn.workspace_id == camp.workspace_id, CheckIn.camp_id == camp.id)
            .group_by(CheckIn.day)
        ).all()
    )
    return [int(counts.get(day, 0)) for day in range(1, camp.days + 1)]


def recent_checkins(session: Session, camp: Camp, limit: int = 30) -> list[CheckIn]:
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.workspace_id == camp.workspace_id, CheckIn.camp_id == camp.id)
            .order_by(CheckIn.id.desc())
            .limit(limit)
        )
    )


def recent_photos(session: Session, workspace_id: int, limit: int = 8) -> list[CheckIn]:
    """The latest check-ins with a photo, in every camp (the photos themselves stay unloaded)."""
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.workspace_id == workspace_id, CheckIn.photo_type.is_not(None))
            .order_by(CheckIn.id.desc())
            .limit(limit)
        )
    )
