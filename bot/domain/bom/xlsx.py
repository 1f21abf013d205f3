"""XLSX bytes → each worksheet's rows of cells, read with openpyxl in read-only mode.

The zip directory is checked before openpyxl opens anything, so a zip bomb is refused
from its declared sizes instead of being inflated."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterator
from itertools import zip_longest

from bot.domain.bom.model import BomError, Unsaved

MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_RATIO = 200
MAX_SHEET_ROWS = 5000
MAX_SHEET_COLUMNS = 200

Sheet = tuple[str, list[list[str]]]


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def check_zip(data: bytes) -> BomError | None:
    """Refuse archives whose entries would inflate past a sane size (from the directory only)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception:  # BadZipFile, and whatever else a damaged directory raises (EOFError, NotImplementedError …)
        return BomError("that file is not a readable XLSX workbook (the zip archive is damaged)")
    if len(entries) > MAX_ZIP_ENTRIES:
        return BomError(f"that workbook holds {len(entries):,} parts; partbot reads workbooks of up to {MAX_ZIP_ENTRIES:,}")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNZIPPED_BYTES:
        return BomError(
            f"that workbook unpacks to {total / 1_048_576:.0f} MB; partbot reads workbooks up to "
            f"{MAX_UNZIPPED_BYTES // 1_048_576} MB unpacked"
        )
    if any(e.compress_size and e.file_size / e.compress_size > MAX_RATIO for e in entries if e.file_size > 1_000_000):
        return BomError("that workbook is compressed suspiciously well (a zip bomb?), so partbot will not open it")
    if not any(e.filename == "xl/workbook.xml" for e in entries):
        return BomError("that zip file is not an XLSX workbook; share the BOM as CSV, TSV or XLSX")
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _cell(value: object, formula: object) -> str:
    if isinstance(formula, str) and formula.startswith("=") and value in (None, 0, ""):
        return Unsaved(formula)
    return _text(value)


def _rows(values: Iterator[tuple[object, ...]], formulas: Iterator[tuple[object, ...]]) -> list[list[str]]:
    rows: list[list[str]] = []
    for value_row, formula_row in zip_longest(values, formulas, fillvalue=()):
        cells = [_cell(v, f) for v, f in zip_longest(value_row, formula_row)]
        while cells and not cells[-1].strip():
            cells.pop()
        rows.append(cells)
    return rows


def sheets(data: bytes) -> list[Sheet] | BomError:
    """Every worksheet's rows, in workbook order; formula cells saved without a value are `Unsaved`."""
    problem = check_zip(data)
    if problem is not None:
        return problem
    import openpyxl  # type: ignore[import-untyped]  # no stubs; only BOM pricing needs it

    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        return BomError(f"that XLSX workbook could not be read ({type(exc).__name__})")
    try:
        out: list[Sheet] = []
        for ws, wf in zip(values.worksheets, formulas.worksheets, strict=True):
            bounds = {"max_row": MAX_SHEET_ROWS, "max_col": MAX_SHEET_COLUMNS, "values_only": True}
            rows = _rows(ws.iter_rows(**bounds), wf.iter_rows(**bounds))
            out.append((str(ws.title), rows))
        return out
    except Exception as exc:
        return BomError(f"that XLSX workbook could not be read ({type(exc).__name__})")
    finally:
        values.close()
        formulas.close()
