"""Rejected rows: stored with their import run, and written as the downloadable CSV report.

The report is UTF-8 with a BOM so that Excel on Windows, which sellers use, opens the Chinese
text correctly; columns are row, column, value, reason, titled and explained in the workspace's
language (rows keep the English reason, a message id, and are translated as they are written).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from sqlalchemy import insert
from sqlalchemy.orm import Session

from siyu.kit.i18n import N_, catalog
from siyu.kit.tabular import formula_safe
from siyu.orders.importers import RowError
from siyu.orders.models import ImportReject
from siyu.workspace.service import workspace_locale

REPORT_HEADER = ("row", "column", "value", "reason")
REPORT_TITLES = (N_("Row"), N_("Column"), N_("Value"), N_("Reason"))

Translate = Callable[[str], str]


def report_language(session: Session, workspace_id: int) -> Translate:
    """Message id → text in the workspace's export language. A plain lookup, not the request's
    locale: a streamed report is written across threads, beyond any ``using_locale``."""
    messages = catalog(workspace_locale(session, workspace_id))
    return lambda message: messages.get(message, message)


class RejectLog:
    """Collects one file's rejected rows; ``flush`` writes the pending ones in one statement.

    With a ``report_path`` the CSV report is written as rows come (only once the first reject
    arrives, so a clean file leaves no empty report behind).
    """

    def __init__(
        self, session: Session, workspace_id: int, run_id: int | None, report_path: Path | None
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.run_id = run_id
        self.report_path = report_path
        self.count = 0
        self._pending: list[dict[str, object]] = []
        self._file: IO[str] | None = None
        self._writer: tuple[csv.DictWriter[str], Translate] | None = None

    def add(self, error: RowError) -> None:
        self.count += 1
        self._pending.append(
            {
                "workspace_id": self.workspace_id,
                "run_id": self.run_id,
                "row_number": error.row,
                "column_name": _clip(error.column, 100),
                "value": _clip(error.value, 500),
                "reason": error.reason[:300],
            }
        )
        if self.report_path is not None:
            writer, translate = self._report_writer()
            writer.writerow(
                _report_row(error.row, error.column, error.value, translate(error.reason))
            )

    def flush(self) -> None:
        """Store the pending rows (a dry run, without a run, only writes the report)."""
        if self._pending and self.run_id is not None:
            self.session.execute(insert(ImportReject), self._pending)
        self._pending = []

    def close(self) -> str | None:
        """Flush; the report's path when one was written."""
        self.flush()
        if self._file is None:
            return None
        self._file.close()
        return str(self.report_path)

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()

    def _report_writer(self) -> tuple[csv.DictWriter[str], Translate]:
        if self._writer is None:
            assert self.report_path is not None
            self.report_path.parent.mkdir(parents=True, exist_ok=True)
            translate = report_language(self.session, self.workspace_id)
            self._file = self.report_path.open("w", encoding="utf-8-sig", newline="")
            writer = csv.DictWriter(self._file, REPORT_HEADER)
            writer.writerow(_titles(translate))
            self._writer = (writer, translate)
        return self._writer


def report_lines(rejects: Iterable[ImportReject], translate: Translate) -> Iterator[str]:
    """The CSV report as text chunks (BOM first), for streaming a download; ``translate`` from
    ``report_language``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, REPORT_HEADER)
    buffer.write("\ufeff")
    writer.writerow(_titles(translate))
    for count, reject in enumerate(rejects, start=1):
        reason = translate(reject.reason)
        writer.writerow(_report_row(reject.row_number, reject.column_name, reject.value, reason))
        if count % 1_000 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _titles(translate: Translate) -> dict[str, str]:
    return {key: translate(title) for key, title in zip(REPORT_HEADER, REPORT_TITLES, strict=True)}


def _report_row(row: int, column: str | None, value: str | None, reason: str) -> dict[str, object]:
    """One report line; cells echo the seller's file, so formulas are neutralised like exports."""
    return {
        "row": row,
        "column": formula_safe(column or ""),
        "value": formula_safe(value or ""),
        "reason": formula_safe(reason),
    }


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _clip(text: str | None, width: int) -> str | None:
    return None if text is None else text[:width]
