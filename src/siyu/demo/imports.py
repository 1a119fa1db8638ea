"""The demo's orders: seller exports in every platform's real format, written for the demo fan
base and imported through the real importers, as a seller would.

Taobao order lists go before their item files (items attach to orders already imported).
Each file is one transaction, like ``siyu import orders``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from siyu.config import get_settings
from siyu.db import transaction
from siyu.demo.exports import DemoShape, generate_demo_exports
from siyu.kit.clock import utcnow
from siyu.kit.money import format_yuan
from siyu.orders.service import ImportSummary, import_file
from siyu.workspace import service
from siyu.workspace.audit import Actor

IMPORT_ACTOR = Actor("system", label="siyu demo")


def seed_orders(
    workspace_slug: str,
    *,
    shape: DemoShape | None = None,
    out_dir: Path | None = None,
    echo: Callable[[str], None] = print,
) -> list[ImportSummary]:
    """Write the demo exports (exported now, Asia/Shanghai) and import every one of them."""
    started = time.perf_counter()
    shape = shape or demo_shape()
    out_dir = out_dir or exports_dir()
    for stale in out_dir.glob("*"):  # exports of an earlier day must not be imported again
        if stale.is_file():
            stale.unlink()
    now = utcnow().astimezone(ZoneInfo("Asia/Shanghai"))
    paths = generate_demo_exports(out_dir, shape, until=now.date(), now=now)
    seconds = time.perf_counter() - started
    echo(f"wrote {len(paths)} demo export files to {out_dir} in {seconds:.0f} s")
    summaries = []
    for path in _lists_before_items(paths):
        started = time.perf_counter()
        summaries.append(_import(workspace_slug, path))
        echo(f"{_line(summaries[-1])} ({time.perf_counter() - started:.0f} s)")
    return summaries


def exports_dir() -> Path:
    """Beside the SQLite store (var/demo-exports by default), else var/demo-exports."""
    store = get_settings().sqlite_path
    return (store.parent if store else Path("var")) / "demo-exports"


def demo_shape() -> DemoShape:
    """The default shape (20,000 fans, 120,000 orders), scaled by ``SIYU_DEMO_ORDERS``."""
    orders = get_settings().demo_orders
    default = DemoShape()
    return DemoShape(fans=max(50, default.fans * orders // default.orders), orders=orders)


def _lists_before_items(paths: list[Path]) -> list[Path]:
    return sorted(paths, key=lambda path: path.name.startswith("ExportOrderDetailList"))


def _import(workspace_slug: str, path: Path) -> ImportSummary:
    with transaction() as session:
        workspace = service.get_workspace_by_slug(session, workspace_slug)
        return import_file(session, workspace, path, actor=IMPORT_ACTOR)


def _line(summary: ImportSummary) -> str:
    if summary.fatal:
        return f"  {Path(summary.file).name}: rejected: {summary.fatal}"
    return (
        f"  {Path(summary.file).name} ({summary.platform}): {summary.rows_read:,} rows, "
        f"{summary.orders_created:,} new orders, {summary.orders_updated:,} updated, "
        f"{summary.rows_rejected:,} rejected, {summary.customers_created:,} new fans, "
        f"paid {format_yuan(summary.paid_amount_fen)}"
    )
