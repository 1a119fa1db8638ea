"""Operator gifts: the monthly budgets, sending, approval and fulfilment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.kit.clock import business_day, utcnow
from siyu.kit.crypto import decrypt_pii, encrypt_pii
from siyu.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace, insert_for
from siyu.loyalty import ledger
from siyu.loyalty.mall import get_item, redeem
from siyu.loyalty.models import (
    GiftBudget,
    OperatorGift,
)
from siyu.loyalty.service import ADDRESS_CONTEXT, PointsSettings, _live_fan, settings_of
from siyu.workspace import audit
from siyu.workspace.audit import Actor

# --- operator gifts ---------------------------------------------------------------------------


def _month_key(settings: PointsSettings, moment: datetime | None = None) -> str:
    return business_day(moment or utcnow(), settings.timezone).strftime("%Y-%m")


def gift_budget(session: Session, workspace_id: int, operator_id: int) -> tuple[int, int]:
    """(monthly budget, spent this month) in fen."""
    settings = settings_of(session, workspace_id)
    budget = session.scalar(
        select(GiftBudget.monthly_budget_fen).where(
            GiftBudget.workspace_id == workspace_id, GiftBudget.operator_id == operator_id
        )
    )
    spent = session.scalar(
        select(func.coalesce(func.sum(OperatorGift.cost_fen), 0)).where(
            OperatorGift.workspace_id == workspace_id,
            OperatorGift.operator_id == operator_id,
            OperatorGift.month == _month_key(settings),
            OperatorGift.state != "rejected",
        )
    )
    return (settings.default_gift_budget_fen if budget is None else int(budget)), int(spent or 0)


@dataclass(frozen=True)
class BudgetStatus:
    operator_id: int
    month: str
    budget_fen: int
    spent_fen: int
    left_fen: int
    approval_threshold_fen: int


def budget_status(session: Session, workspace_id: int, operator_id: int) -> BudgetStatus:
    from siyu.workspace.roles import Role

    _require_member(session, workspace_id, operator_id, Role.analyst, "operator_id")
    settings = settings_of(session, workspace_id)
    budget, spent = gift_budget(session, workspace_id, operator_id)
    return BudgetStatus(
        operator_id=operator_id,
        month=_month_key(settings),
        budget_fen=budget,
        spent_fen=spent,
        left_fen=max(0, budget - spent),
        approval_threshold_fen=settings.gift_approval_threshold_fen,
    )


def set_gift_budget(
    session: Session, workspace_id: int, operator_id: int, budget_fen: int, actor: Actor
) -> None:
    if budget_fen < 0:
        raise Unprocessable("budget-invalid", title=N_("The budget cannot be negative"))
    row = session.scalar(
        select(GiftBudget).where(
            GiftBudget.workspace_id == workspace_id, GiftBudget.operator_id == operator_id
        )
    ) or GiftBudget(workspace_id=workspace_id, operator_id=operator_id)
    row.monthly_budget_fen = budget_fen
    session.add(row)
    audit.record(
        session,
        actor,
        "gift.budget",
        workspace_id=workspace_id,
        target_type="operator",
        target_id=operator_id,
        detail={"monthly_budget_fen": budget_fen},
    )


def send_gift(
    session: Session,
    workspace_id: int,
    operator_id: int,
    customer_id: int,
    *,
    description: str,
    reason: str,
    cost_fen: int | None,
    actor: Actor,
    item_id: int | None = None,
    address: str | None = None,
    approver: bool = False,
) -> OperatorGift:
    """An operator's gift to a fan, within the monthly budget; above the threshold it waits for an
    admin (unless an admin sends it). A mall-item gift joins the redemption queue, points-free."""
    _live_fan(session, workspace_id, customer_id)
    if not reason.strip():
        raise Unprocessable("reason-required", title=N_("Give a reason"))
    item = get_item(session, workspace_id, item_id) if item_id is not None else None
    cost = cost_fen if cost_fen is not None else (item.cost_fen if item else 0)
    if cost < 0:
        raise Unprocessable("cost-invalid", title=N_("The cost cannot be negative"))
    description = (description or (item.name if item else "")).strip()
    if not description:
        raise Unprocessable("description-required", title=N_("Say what the gift is"))
    _lock_budget(session, workspace_id, operator_id)  # serialises one operator's gifts
    budget, spent = gift_budget(session, workspace_id, operator_id)
    if spent + cost > budget:
        raise Conflict(
            "gift-budget-exceeded",
            title=N_("This gift would go over your monthly budget"),
            budget_fen=budget,
            spent_fen=spent,
        )
    settings = settings_of(session, workspace_id)
    needs_approval = cost > settings.gift_approval_threshold_fen and not approver
    gift = OperatorGift(
        workspace_id=workspace_id,
        operator_id=operator_id,
        customer_id=customer_id,
        item_id=item_id,
        description=description[:200],
        reason=reason.strip()[:200],
        cost_fen=cost,
        month=_month_key(settings),
        state="pending_approval" if needs_approval else "approved",
        decided_by=operator_id if not needs_approval else None,
        decided_at=None if needs_approval else utcnow(),
    )
    session.add(gift)
    session.flush()
    if address:
        gift.address_enc = encrypt_pii(address, context=ADDRESS_CONTEXT)
    if not needs_approval:
        _fulfil_gift(session, gift, address, actor)
    audit.record(
        session,
        actor,
        "gift.send",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"gift_id": gift.id, "cost_fen": cost, "state": gift.state, "reason": gift.reason},
    )
    return gift


def _lock_budget(session: Session, workspace_id: int, operator_id: int) -> None:
    insert = insert_for(session)
    session.execute(
        insert(GiftBudget)
        .values(
            workspace_id=workspace_id,
            operator_id=operator_id,
            monthly_budget_fen=settings_of(session, workspace_id).default_gift_budget_fen,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "operator_id"])
    )
    session.execute(
        select(GiftBudget.id)
        .where(GiftBudget.workspace_id == workspace_id, GiftBudget.operator_id == operator_id)
        .with_for_update()
    )


def _fulfil_gift(session: Session, gift: OperatorGift, address: str | None, actor: Actor) -> None:
    if gift.item_id is None:
        return
    redemption, _ = redeem(
        session,
        gift.workspace_id,
        gift.customer_id,
        gift.item_id,
        1,
        f"gift:{gift.id}",
        actor,
        address=address,
        free=True,
        gift_id=gift.id,
    )
    gift.redemption_id = redemption.id


def decide_gift(
    session: Session,
    workspace_id: int,
    gift_id: int,
    approve: bool,
    admin_id: int,
    actor: Actor,
    *,
    address: str | None = None,
) -> OperatorGift:
    gift = get_gift(session, workspace_id, gift_id)
    claimed = session.execute(
        update(OperatorGift)
        .where(OperatorGift.id == gift_id, OperatorGift.state == "pending_approval")
        .values(
            state="approved" if approve else "rejected", decided_by=admin_id, decided_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )
    if ledger.rowcount(claimed) != 1:
        raise Conflict("gift-already-decided", title=N_("This gift was already decided"))
    session.refresh(gift)
    if approve:
        stored = (
            decrypt_pii(gift.address_enc, context=ADDRESS_CONTEXT) if gift.address_enc else None
        )
        _fulfil_gift(session, gift, address or stored, actor)
    audit.record(
        session,
        actor,
        "gift.approve" if approve else "gift.reject",
        workspace_id=workspace_id,
        target_type="gift",
        target_id=gift_id,
    )
    return gift


def _require_member(
    session: Session, workspace_id: int, operator_id: int, needed: Any, field: str
) -> bool:
    """The operator sent in ``field`` belongs to the workspace (422 ``unknown-reference``
    naming the field, from the one check of operator ids) with at least ``needed`` (403);
    returns whether they are an admin (who approves their own gifts)."""
    from siyu.workspace import service as workspaces
    from siyu.workspace.roles import Role

    workspaces.check_operators(session, workspace_id, [operator_id], field)
    membership = workspaces.console_membership(session, operator_id, workspace_id)
    role = membership.role if membership is not None else None
    if role is None or not workspaces.role_allows(role, needed):
        raise Forbidden("role-required", title=N_("Your role does not allow this"))
    return workspaces.role_allows(role, Role.admin)


def send_gift_for(
    session: Session,
    workspace_id: int,
    operator_id: int,
    customer_id: int,
    actor: Actor,
    **details: Any,
) -> OperatorGift:
    """``send_gift`` for an integration acting as a named operator: their budget, and approval
    unless they are an admin."""
    from siyu.workspace.roles import Role

    admin = _require_member(session, workspace_id, operator_id, Role.operator, "operator_id")
    return send_gift(
        session, workspace_id, operator_id, customer_id, actor=actor, approver=admin, **details
    )


def decide_gift_for(
    session: Session, workspace_id: int, gift_id: int, approve: bool, admin_id: int, actor: Actor
) -> OperatorGift:
    from siyu.workspace.roles import Role

    get_gift(session, workspace_id, gift_id)  # the gift first: another workspace's is not found
    _require_member(session, workspace_id, admin_id, Role.admin, "admin_id")
    return decide_gift(session, workspace_id, gift_id, approve, admin_id, actor)


def get_gift(session: Session, workspace_id: int, gift_id: int) -> OperatorGift:
    not_found = NotFound("gift-not-found", title=N_("Gift not found"))
    return get_in_workspace(session, OperatorGift, workspace_id, gift_id, not_found)


def list_gifts(
    session: Session, workspace_id: int, *, state: str | None = None, limit: int = 100
) -> list[OperatorGift]:
    statement = select(OperatorGift).where(OperatorGift.workspace_id == workspace_id)
    if state:
        statement = statement.where(OperatorGift.state == state)
    return list(session.scalars(statement.order_by(OperatorGift.id.desc()).limit(limit)))


def gifts_page(
    session: Session,
    workspace_id: int,
    *,
    state: str | None = None,
    operator_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[OperatorGift], str | None]:
    statement = select(OperatorGift).where(OperatorGift.workspace_id == workspace_id)
    if state:
        statement = statement.where(OperatorGift.state == state)
    if operator_id is not None:
        statement = statement.where(OperatorGift.operator_id == operator_id)
    return keyset_page(session, statement, OperatorGift.id, cursor=cursor, limit=limit)
