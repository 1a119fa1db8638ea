"""The demo: a fictional streamer's workspace with an operator of every role, seeded through
the same services the product uses. Later capabilities extend it with their own data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from siyu.db import Base, database
from siyu.demo.imports import seed_orders
from siyu.migrations import upgrade
from siyu.tables import load_models
from siyu.workspace import service
from siyu.workspace.audit import Actor
from siyu.workspace.models import Membership, Operator, Workspace
from siyu.workspace.roles import Role

DEMO_SLUG = "xiaolu-live"
DEMO_NAME = "小鹿直播间（演示）"
SISTER_SLUG = "xiaolu-beauty"
SISTER_NAME = "小鹿美妆旗舰店（演示）"
DEMO_PASSWORD = "siyu-demo-2026"  # noqa: S105 - printed on purpose: it's the demo login
DEMO_OPERATORS = (
    ("owner@demo.siyu.local", "owner", "林小鹿"),
    ("admin@demo.siyu.local", "admin", "周运营"),
    ("operator@demo.siyu.local", "operator", "陈阿圆"),
    ("analyst@demo.siyu.local", "analyst", "王数据"),
)
SEED_ACTOR = Actor("system", label="siyu demo")
# Capabilities that build on fans and orders seed after them, in this order. Each module has
# ``seed(session: Session, workspace_id: int) -> None``, runs inside one transaction and goes
# through the domain's own services.
DEMO_EXTENSIONS: tuple[str, ...] = (
    "siyu.analytics.demo",
    "siyu.community.demo",
    "siyu.coupons.demo",
    "siyu.loyalty.demo",
    "siyu.outreach.demo",
    "siyu.channels.demo",
    "siyu.connectors.wecom.demo",
    "siyu.live.demo",
    "siyu.referral.demo",
    "siyu.engagement.demo",
)


@dataclass(frozen=True)
class DemoSummary:
    workspace: str
    operators: int
    created: bool

    def __str__(self) -> str:
        state = "seeded" if self.created else "already seeded"
        return f"demo workspace {self.workspace}: {state}, {self.operators} operators"


def seed_demo(*, reset: bool = False) -> DemoSummary:
    upgrade()
    with database.session() as session:
        if reset:
            remove_demo(session)
            session.commit()
        existing = session.scalar(select(Workspace).where(Workspace.slug == DEMO_SLUG))
        if existing is not None:
            return DemoSummary(DEMO_SLUG, len(service.members_of(session, existing.id)), False)
        _seed(session)
        session.commit()
    # Fans and orders arrive the way a seller's do: export files through the real importers.
    seed_orders(DEMO_SLUG)
    _seed_extensions()
    return DemoSummary(DEMO_SLUG, len(DEMO_OPERATORS), True)


def _seed(session: Session) -> None:
    workspace = service.create_workspace(session, DEMO_SLUG, DEMO_NAME, SEED_ACTOR)
    sister = service.create_workspace(session, SISTER_SLUG, SISTER_NAME, SEED_ACTOR)
    for email, role, name in DEMO_OPERATORS:
        service.create_operator(
            session,
            workspace,
            email,
            Role(role),
            SEED_ACTOR,
            password=DEMO_PASSWORD,
            display_name=name,
        )
    owner = session.scalar(select(Operator).where(Operator.email == DEMO_OPERATORS[0][0]))
    assert owner is not None
    # The owner also runs the flagship store, so the workspace switcher has somewhere to go.
    service.create_operator(
        session, sister, owner.email, Role.owner, SEED_ACTOR, password=DEMO_PASSWORD
    )
    service.create_token(session, workspace.id, "ERP 订单同步", SEED_ACTOR)


def _seed_extensions() -> None:
    import importlib

    from siyu.jobs import held

    with held():
        _seed_each(importlib.import_module(name) for name in DEMO_EXTENSIONS)


def _seed_each(modules: Iterator[ModuleType]) -> None:
    for module in modules:
        with database.session() as session:
            workspace_id = session.scalar(select(Workspace.id).where(Workspace.slug == DEMO_SLUG))
            assert workspace_id is not None
            module.seed(session, workspace_id)
            session.commit()


def remove_demo(session: Session) -> None:
    """Delete every row of the demo workspaces, table by table (every tenant table carries
    ``workspace_id``), then the demo operators."""
    load_models()
    ids = list(
        session.scalars(select(Workspace.id).where(Workspace.slug.in_((DEMO_SLUG, SISTER_SLUG))))
    )
    if not ids:
        return
    for table in reversed(Base.metadata.sorted_tables):
        if "workspace_id" in table.c and table.name != Membership.__tablename__:
            session.execute(delete(table).where(table.c.workspace_id.in_(ids)))
    session.execute(delete(Membership).where(Membership.workspace_id.in_(ids)))
    emails = [email for email, _role, _name in DEMO_OPERATORS]
    operator_ids = select(Operator.id).where(Operator.email.in_(emails))
    session.execute(delete(Membership).where(Membership.operator_id.in_(operator_ids)))
    session.execute(delete(Operator).where(Operator.email.in_(emails)))
    session.execute(delete(Workspace).where(Workspace.id.in_(ids)))
