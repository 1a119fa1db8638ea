"""Segment and fan-list exports (CSV or xlsx), streamed batch by batch."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from siyu.analytics.service import SEGMENT_LABELS, STAGE_LABELS, metrics_for
from siyu.customers.fan_links import IssuedLink, link_expiry, unaudited_links
from siyu.customers.platforms import PLATFORM_LABELS
from siyu.customers.service import customers_by_ids, identities_for
from siyu.kit.i18n import N_, gettext, using_locale
from siyu.kit.money import fen_to_yuan
from siyu.kit.tabular import MEDIA_TYPES, TableFormat, write_rows
from siyu.segments.service import iter_matching_ids
from siyu.workspace import audit
from siyu.workspace.audit import Actor
from siyu.workspace.service import workspace_locale

SPOOL_BYTES = 8 * 2**20  # a larger export goes to a temporary file, not memory
CHUNK_BYTES = 256 * 2**10

# Column titles, in the workspace's language when written (English message ids).
HEADER = (
    N_("Fan number"),
    N_("Display name"),
    N_("Phone (masked)"),
    N_("Region"),
    N_("Platform accounts"),
    N_("Paid orders"),
    N_("Net paid (yuan)"),
    N_("Spend in the last year (yuan)"),
    N_("Last paid at"),
    N_("Days since the last order"),
    N_("RFM segment"),
    N_("Chinese eight segment"),
    N_("Life-cycle stage"),
    N_("Activity score"),
    N_("KOC score"),
)


LINK_HEADER = (N_("Fan link"), N_("Fan link expires at"))


def _label(labels: dict[str, str], code: str | None) -> str:
    return gettext(labels.get(code, code)) if code else ""


def _identity(platform: str, external_id: str) -> str:
    return f"{gettext(PLATFORM_LABELS.get(platform, platform))}:{external_id}"


def _rows(
    session: Session, workspace_id: int, filter_text: str, links_until: datetime | None = None
) -> Iterator[list[Any]]:
    for ids in iter_matching_ids(session, workspace_id, filter_text):
        links = (
            unaudited_links(session, workspace_id, ids, links_until).links if links_until else {}
        )
        customers = {row.id: row for row in customers_by_ids(session, workspace_id, ids)}
        metrics = metrics_for(session, workspace_id, ids)
        identities = identities_for(session, workspace_id, ids)
        for customer_id in ids:
            customer, m = customers[customer_id], metrics.get(customer_id)
            yield [
                customer_id,
                customer.display_name or "",
                customer.phone_masked or "",  # exports never carry personal data in clear
                customer.region or "",
                ";".join(
                    sorted(_identity(i.platform, i.external_id) for i in identities[customer_id])
                ),
                m.paid_orders if m else 0,
                fen_to_yuan(m.net_paid_fen if m else 0),
                fen_to_yuan(m.spend_1y_fen if m else 0),
                m.last_paid_at.isoformat() if m and m.last_paid_at else "",
                m.days_since_last_order if m and m.days_since_last_order is not None else "",
                _label(SEGMENT_LABELS, m.rfm_segment) if m else "",
                (m.cn8_segment or "") if m else "",  # named in Chinese by definition
                _label(STAGE_LABELS, m.lifecycle_stage) if m else "",
                m.activity_score if m else 0,
                m.koc_score if m else 0,
                *(_link_cells(links.get(customer_id)) if links_until else ()),
            ]


def _link_cells(link: IssuedLink | None) -> tuple[str, str]:
    return (link.url, link.expires_at.isoformat()) if link else ("", "")


def export_audience(
    session: Session,
    workspace_id: int,
    filter_text: str,
    stream: BinaryIO,
    fmt: TableFormat,
    actor: Actor,
    *,
    label: str,
    link_ttl_days: int | None = None,
) -> int:
    """Write the fans matching ``filter_text``, titles and labels in the workspace's language;
    the export is audited with its size. With ``link_ttl_days`` each row carries the fan's
    personal link (all expiring together), and the audit entry says so: the file then holds
    credentials, not only data."""
    links_until = link_expiry(link_ttl_days * 86400) if link_ttl_days else None
    titles = HEADER + LINK_HEADER if links_until else HEADER
    with using_locale(workspace_locale(session, workspace_id)):
        header = [gettext(title) for title in titles]
        rows = _rows(session, workspace_id, filter_text, links_until)
        count = write_rows(stream, header, rows, fmt, sheet=label)
    detail: dict[str, Any] = {"label": label, "filter": filter_text, "format": fmt, "rows": count}
    if links_until:
        detail["fan_links_expire_at"] = links_until.isoformat()
    audit.record(
        session,
        actor,
        "segment.export",
        workspace_id=workspace_id,
        target_type="segment",
        detail=detail,
    )
    return count


def export_download(
    session: Session,
    workspace_id: int,
    filter_text: str,
    fmt: TableFormat,
    actor: Actor,
    *,
    label: str,
    filename: str,
    link_ttl_days: int | None = None,
) -> StreamingResponse:
    """The audited export as a file download (for the console and the API alike).

    The file is written in full first (the request's session closes when the handler
    returns), in memory up to ``SPOOL_BYTES`` and on disk beyond, then sent in chunks.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by _chunks
    export_audience(
        session,
        workspace_id,
        filter_text,
        spool,  # type: ignore[arg-type]
        fmt,
        actor,
        label=label,
        link_ttl_days=link_ttl_days,
    )
    spool.seek(0)
    return StreamingResponse(
        _chunks(spool),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


def _chunks(spool: Any) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
