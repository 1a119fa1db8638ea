"""``siyu customer ...``: a fan's personal link, their profile, export and erasure on request.

``siyu.cli`` is imported inside each command: it imports this module to register the commands,
so importing it back at module level would be circular.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, fail, unit_of_work
from siyu.workspace.audit import cli_actor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from siyu.customers.models import Customer

customer_app = typer.Typer(help="Fans (customers).", no_args_is_help=True)

FanId = Annotated[str, typer.Argument(metavar="ID", help="The fan's number.")]


def _fan_id(text: str) -> int:

    digits = text.strip().lstrip("#")
    if not digits.isdigit():
        raise fail(f"invalid fan id {text!r}: expected a number such as 42")
    return int(digits)


def _workspace_id(session: Session, slug: str) -> int:
    from siyu.workspace import service as workspace_service

    return workspace_service.get_workspace_by_slug(session, slug).id


@customer_app.command("link")
def link(
    customer_id: FanId,
    workspace: WorkspaceSlug,
    ttl_days: Annotated[
        int, typer.Option("--ttl-days", min=1, max=90, help="Days the link stays valid.")
    ] = 7,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Default: SIYU_PUBLIC_BASE_URL.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a personal fan-page link that opens Siyu's fan pages as this fan."""
    from siyu.customers.fan_links import issue_fan_link

    fan = _fan_id(customer_id)
    with unit_of_work() as session:
        issued = issue_fan_link(
            session,
            _workspace_id(session, workspace),
            fan,
            cli_actor(),
            ttl_seconds=ttl_days * 86400,
            base_url=base_url,
        )
    emit({"url": issued.url, "expires_at": issued.expires_at.isoformat()}, as_json, issued.url)


@customer_app.command("show")
def show(customer_id: FanId, workspace: WorkspaceSlug, as_json: JsonFlag = False) -> None:
    """Show a fan's profile with personal data masked."""

    fan = _fan_id(customer_id)
    with unit_of_work() as session:
        profile = _masked_profile(session, _workspace_id(session, workspace), fan)
    emit(profile, as_json, _describe(profile))


def _masked_profile(session: Session, workspace_id: int, customer_id: int) -> dict[str, Any]:
    from siyu.customers import service
    from siyu.orders.ownership import fan_order_stats

    customer = service.get_customer(session, workspace_id, customer_id)
    pii = service.masked_pii(customer)
    stats = fan_order_stats(session, workspace_id, customer_id)
    return {
        "id": customer.id,
        "display_name": customer.display_name,
        "phone": pii.phone,
        "real_name": pii.real_name,
        "has_address": pii.has_address,
        "region": customer.region,
        "first_seen_at": customer.first_seen_at.isoformat(),
        "identities": [
            f"{i.platform}:{i.external_id}"
            for i in service.identities_of(session, workspace_id, customer_id)
        ],
        "tags": [f"{g}/{t.name}" for g, t in service.tags_of(session, workspace_id, customer_id)],
        "paid_orders": stats.paid_orders,
        "spend_1y_fen": stats.spend_1y_fen,
        "net_paid_fen": stats.net_paid_fen,
        "last_paid_at": stats.last_paid_at.isoformat() if stats.last_paid_at else None,
        "merged_into_id": customer.merged_into_id,
        "erased": customer.erased_at is not None,
    }


def _describe(profile: dict[str, Any]) -> str:
    from siyu.kit.money import format_yuan

    lines = [
        f"#{profile['id']} {profile['display_name'] or '(no name)'}",
        f"  phone      {profile['phone'] or '-'}",
        f"  name       {profile['real_name'] or '-'}",
        f"  region     {profile['region'] or '-'}",
        f"  accounts   {', '.join(profile['identities']) or '-'}",
        f"  tags       {', '.join(profile['tags']) or '-'}",
        f"  orders     {profile['paid_orders']} paid, "
        f"{format_yuan(profile['spend_1y_fen'])} in the last 12 months",
    ]
    if profile["merged_into_id"]:
        lines.append(f"  merged into #{profile['merged_into_id']}")
    if profile["erased"]:
        lines.append("  personal data erased")
    return "\n".join(lines)


@customer_app.command("export")
def export(
    customer_id: FanId,
    workspace: WorkspaceSlug,
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
) -> None:
    """Export everything held about a fan as JSON, personal data in clear (audited)."""
    from siyu.customers import service

    fan = _fan_id(customer_id)
    with unit_of_work() as session:
        data = service.export_customer(session, _workspace_id(session, workspace), fan, cli_actor())
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    typer.echo(f"exported fan {fan} to {out}", err=True)


@customer_app.command("erase")
def erase(
    customer_id: FanId,
    workspace: WorkspaceSlug,
    yes: Annotated[bool, typer.Option("--yes", help="Don't ask for confirmation.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase a fan's personal data on request. Orders stay, anonymous, for the books."""
    from siyu.customers import service

    fan = _fan_id(customer_id)
    with unit_of_work() as session:
        workspace_id = _workspace_id(session, workspace)
        customer = service.get_customer(session, workspace_id, fan)
        if customer.erased_at is not None:
            emit(
                {"id": fan, "erased": [], "already_erased": True},
                as_json,
                f"fan {fan}: already erased",
            )
            return
        if not yes:
            typer.confirm(
                f"Erase the personal data of fan {fan} ({customer.display_name})?", abort=True
            )
        erased = _what_erase_removes(session, workspace_id, customer)
        service.erase_customer(session, workspace_id, fan, cli_actor())
    summary = ", ".join(
        f"{v} {k}" if v is not True else k.replace("_", " ") for k, v in erased.items()
    )
    emit({"id": fan, "erased": erased}, as_json, f"erased fan {fan}: {summary or 'nothing held'}")


def _what_erase_removes(session: Session, workspace_id: int, customer: Customer) -> dict[str, Any]:
    """Counted before the erasure, for the operator's record of what was removed."""
    from siyu.customers import service

    pii = service.masked_pii(customer)
    held: dict[str, Any] = {
        "phone": customer.phone_hash is not None,
        "real_name": pii.real_name is not None,
        "address": pii.has_address,
        "region": customer.region is not None,
        "identities": len(service.identities_of(session, workspace_id, customer.id)),
        "tags": len(service.tags_of(session, workspace_id, customer.id)),
        "notes": len(service.notes_of(session, workspace_id, customer.id)),
    }
    return {k: v for k, v in held.items() if v}
