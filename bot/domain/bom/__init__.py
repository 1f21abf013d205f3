"""Reading a bill of materials (CSV, TSV or XLSX) into line items, and writing the priced BOM.

Pure: bytes in, lines and problems out."""

from __future__ import annotations

from bot.domain.bom.boards import for_boards
from bot.domain.bom.model import MAX_BOM_BYTES, MAX_BOM_LINES, Bom, BomError, BomLine
from bot.domain.bom.reader import find_columns, read_rows
from bot.domain.bom.text import decode, delimiter, text_rows
from bot.domain.bom.writer import BOM_CSV_HEADER, bom_csv, bom_rows_csv
from bot.domain.bom.xlsx import is_xlsx, sheets

__all__ = [
    "BOM_CSV_HEADER",
    "MAX_BOM_BYTES",
    "MAX_BOM_LINES",
    "Bom",
    "BomError",
    "BomLine",
    "bom_csv",
    "bom_rows_csv",
    "for_boards",
    "read_bom",
]


def read_bom(data: bytes, *, max_lines: int = MAX_BOM_LINES) -> Bom | BomError:
    if len(data) > MAX_BOM_BYTES:
        return BomError(f"that file is {len(data) / 1_048_576:.1f} MB; partbot reads BOMs up to {MAX_BOM_BYTES // 1_048_576} MB")
    if not data.strip():
        return BomError("that file is empty")
    if is_xlsx(data):
        return _read_workbook(data, max_lines)
    text = decode(data)
    if isinstance(text, BomError):
        return text
    sep = delimiter(text)
    rows = text_rows(text, sep)
    if isinstance(rows, BomError):
        return rows
    return read_rows(rows, max_lines=max_lines, decimal_comma=sep == ";")


def _read_workbook(data: bytes, max_lines: int) -> Bom | BomError:
    """The first worksheet that holds a BOM; when none does, why the first one does not."""
    book = sheets(data)
    if isinstance(book, BomError):
        return book
    first: BomError | None = None
    for title, rows in book:
        if not isinstance(find_columns(rows), BomError):
            return read_rows(rows, max_lines=max_lines, sheet=title)
        if first is None and any(any(c.strip() for c in r) for r in rows):
            refusal = find_columns(rows)
            assert isinstance(refusal, BomError)
            first = BomError(
                f"{refusal.message} (sheet {title!r}; no other sheet holds a BOM either)" if len(book) > 1 else refusal.message
            )
    return first or BomError("that workbook has no cells with data")
