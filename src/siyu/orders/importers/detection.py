"""Finding the header row and the platform: every platform scores every early row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from siyu.kit.i18n import N_

from .headers import (
    ColumnMap,
    alias_hits,
    build_column_map,
    header_key,
    normalise_header,
    signature_hits,
)
from .records import FatalImportError
from .spec import PlatformSpec
from .values import Cell, clean_text

HEADER_SCAN_ROWS = 20
# A file matching no platform is only attributed to one when it clearly looks like it.
_GUESS_MIN_ALIASES = 3


@dataclass(frozen=True, slots=True)
class HeaderChoice:
    spec: PlatformSpec
    row: int
    columns: ColumnMap


@dataclass(frozen=True, slots=True)
class _Score:
    signatures: int
    aliases: int
    spec: PlatformSpec
    row: int
    headers: list[str]

    def rank(self) -> tuple[int, int]:
        return self.signatures, self.aliases


def choose_header(
    rows: Sequence[tuple[int, list[Cell]]], specs: Sequence[PlatformSpec], platform: str
) -> HeaderChoice:
    """The best (row, platform) pair; raises FatalImportError when none is good enough.

    Auto-detection needs a platform's distinctive columns (a signature); a forced platform
    only needs some of its columns, and then all of its required ones.
    """
    candidates = [spec for spec in specs if platform in ("auto", spec.platform)]
    scores = [_score(spec, number, cells) for number, cells in rows for spec in candidates]
    best = max(scores, key=_Score.rank, default=None)  # max keeps the earliest among equals
    if best is None or best.aliases == 0 or (platform == "auto" and best.signatures == 0):
        raise _no_header(best, platform, candidates)
    columns = build_column_map(best.headers, best.spec.columns, best.spec.known_columns)
    missing = [best.spec.column_name(name) for name in best.spec.required if not columns.has(name)]
    if missing:
        raise FatalImportError(
            N_("The %(platform)s export is missing required columns: %(columns)s."),
            values={"platform": best.spec.platform, "columns": ", ".join(missing)},
            platform_guess=best.spec.platform,
            missing_columns=missing,
        )
    return HeaderChoice(spec=best.spec, row=best.row, columns=columns)


def _score(spec: PlatformSpec, number: int, cells: list[Cell]) -> _Score:
    headers = [normalise_header(clean_text(cell)) for cell in cells]
    keys = {header_key(name) for name in headers if name}
    signatures = signature_hits(keys, spec.signatures)
    aliases = alias_hits(keys, spec.columns, spec.known_columns)
    return _Score(signatures, aliases, spec, number, headers)


def _no_header(
    best: _Score | None, platform: str, candidates: Sequence[PlatformSpec]
) -> FatalImportError:
    if platform != "auto":
        required = [candidates[0].column_name(name) for name in candidates[0].required]
        return FatalImportError(
            N_(
                "No header row of a %(platform)s export was found in the first %(rows)s rows; "
                "required columns: %(columns)s."
            ),
            values={"platform": platform, "rows": HEADER_SCAN_ROWS, "columns": ", ".join(required)},
            platform_guess=platform,
            missing_columns=required,
        )
    guess = best.spec.platform if best and best.aliases >= _GUESS_MIN_ALIASES else None
    return FatalImportError(
        N_(
            "Unknown export format: no row among the first %(rows)s looks like the header of a "
            "supported platform's export."
        ),
        values={"rows": HEADER_SCAN_ROWS},
        platform_guess=guess,
    )
