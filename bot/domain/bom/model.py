"""What reading a BOM gives: the lines to price, what was skipped and why, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import LineItem

MAX_BOM_BYTES = 2 * 1024 * 1024
MAX_BOM_LINES = 500


@dataclass(frozen=True)
class BomLine:
    row: int
    item: LineItem


@dataclass(frozen=True)
class Bom:
    lines: tuple[BomLine, ...]
    problems: tuple[str, ...]
    """Lines that carry something in the part-number column that cannot be looked up."""
    mpn_column: str
    qty_column: str | None
    skipped_blank: int = 0
    """Lines with no part number, or a placeholder (`N/A`, `-`, `TBD` …) instead of one."""
    skipped_dnp: int = 0
    """Lines marked do-not-populate (a DNP column, or a DNP value)."""
    mfr_column: str | None = None
    sheet: str | None = None
    """The worksheet read, for an XLSX file."""
    boards: int = 1
    """Every line's quantity is already multiplied by this board count (`x50 boards`)."""


@dataclass(frozen=True)
class BomError:
    message: str


class Unsaved(str):
    """A spreadsheet cell holding a formula saved without its computed value (its text is the formula)."""
