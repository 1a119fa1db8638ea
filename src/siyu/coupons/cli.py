"""``siyu coupons ...``: the grab stream consumer, reconciliation, redemption matching, and a
campaign's numbers.

``siyu.cli`` is imported inside each command (it imports this module to register them).
"""

from __future__ import annotations

import signal
import time
from typing import Annotated, Any

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, fail, unit_of_work

coupons_app = typer.Typer(help="Coupons (优惠券) and the flash grab.", no_args_is_help=True)


def _redis() -> Any:
    from siyu.kit.redis import get_redis

    client = get_redis()
    if client is None:
        raise fail("SIYU_REDIS_URL is not set: the embedded grab writes claims directly")
    return client


@coupons_app.command("consume")
def consume(
    once: Annotated[bool, typer.Option("--once", help="Drain what is there, then stop.")] = False,
    name: Annotated[
        str | None, typer.Option("--name", help="Consumer name (default: host-pid).")
    ] = None,
    batch: Annotated[int, typer.Option(help="Entries read per stream per round.")] = 1000,
    as_json: JsonFlag = False,
) -> None:
    """Persist grab claims from Redis streams to the store (server mode). Runs until stopped;
    restart it under the same --name to pick up what it had read but not yet committed."""
    from siyu.coupons import stream
    from siyu.db import database

    client = _redis()
    if once:
        report = stream.drain(database.session, client, name=name, count=batch)
        emit(_report(report), as_json, f"persisted {report.persisted} of {report.read} read")
        return
    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    total = 0
    try:
        while not stopping["now"]:
            report = stream.consume(database.session, client, name=name, count=batch, block_ms=1000)
            total += report.persisted
            if report.read == 0 and not client.smembers(stream.ACTIVE_KEY):
                time.sleep(1)  # nothing armed yet: XREADGROUP has no stream to block on
    except KeyboardInterrupt:
        pass
    emit({"persisted": total}, as_json, f"stopped; persisted {total} claims")


def _report(report: Any) -> dict[str, Any]:
    return {
        "read": report.read,
        "persisted": report.persisted,
        "duplicates": report.duplicates,
        "campaigns": sorted(report.campaigns),
    }


@coupons_app.command("reconcile")
def reconcile(as_json: JsonFlag = False) -> None:
    """Drain the streams, compare Redis with the store for every armed campaign, and rebuild
    Redis from the store where they differ."""
    from siyu.coupons import stream
    from siyu.db import database

    results = stream.reconcile(database.session, _redis())
    rows = [
        {
            "campaign_id": r.campaign_id,
            "redis_claimed": r.redis_claimed,
            "store_claimed": r.store_claimed,
            "repaired": r.repaired,
        }
        for r in results
    ]
    lines = [
        f"campaign {r['campaign_id']}: redis {r['redis_claimed']}, store {r['store_claimed']}"
        + (f" → {r['repaired']}" if r["repaired"] else " ✓")
        for r in rows
    ]
    emit({"campaigns": rows}, as_json, "\n".join(lines) or "no armed campaigns")


@coupons_app.command("match")
def match(
    workspace: WorkspaceSlug,
    campaign: Annotated[int | None, typer.Option(help="Only this campaign.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark coupons used from the orders imported so far."""
    from siyu.coupons import service
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        counts = service.match_redemptions(session, workspace_id, campaign)
    emit(counts, as_json, f"used by code: {counts['code']}, by rule: {counts['rule']}")


@coupons_app.command("show")
def show(
    campaign: Annotated[int, typer.Argument(help="Campaign id.")],
    workspace: WorkspaceSlug,
    as_json: JsonFlag = False,
) -> None:
    """A campaign's stock, claims and redemption report."""
    from siyu.coupons import service
    from siyu.workspace import service as workspaces

    with unit_of_work() as session:
        workspace_id = workspaces.get_workspace_by_slug(session, workspace).id
        found = service.get_campaign(session, workspace_id, campaign)
        numbers = service.numbers(session, found)
        report = service.report(session, found)
        payload = {
            "id": found.id,
            "name": found.name,
            "quantity": numbers.quantity,
            "claimed": numbers.claimed,
            "remaining": numbers.remaining,
            "status": service.status_of(found, numbers.remaining),
            **report.as_dict(),
        }
    emit(payload, as_json, " ".join(f"{k}={v}" for k, v in payload.items()))
