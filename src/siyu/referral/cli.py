"""``siyu referral ...``: record a referral, pay due rewards now, and the tree's totals.

``siyu.cli`` is imported inside each command (it imports this module to register them).
"""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, unit_of_work

referral_app = typer.Typer(
    help="Old brings new (老带新): referrals and rewards.", no_args_is_help=True
)


@referral_app.command("add")
def add(
    workspace: WorkspaceSlug,
    inviter_id: Annotated[int, typer.Argument(help="The fan whose link brought the invitee.")],
    invitee_id: Annotated[int, typer.Argument(help="The fan brought in.")],
    as_json: JsonFlag = False,
) -> None:
    """Record that a fan was brought by another (refused past the workspace's depth)."""
    from siyu.referral import service
    from siyu.workspace import service as workspaces
    from siyu.workspace.audit import cli_actor

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        node = service.refer(session, workspace_id, inviter_id, invitee_id, cli_actor())
        result = {"id": node.id, "depth": node.depth}
    emit(result, as_json, f"referral {result['id']} at depth {result['depth']}")


@referral_app.command("settle")
def settle(workspace: WorkspaceSlug, as_json: JsonFlag = False) -> None:
    """Pay the rewards due for invitees' first paid orders now (the job does it every 10 min)."""
    from siyu.referral import service
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        paid = service.settle_rewards(session, workspace_id)
        totals = service.totals(session, workspace_id)
    emit(
        {"paid": paid, **totals.__dict__},
        as_json,
        f"paid {paid} rewards; {totals.referrals} referrals, {totals.rewards} rewards in all",
    )
