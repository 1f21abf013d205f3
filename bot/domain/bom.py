"""Reading a bill of materials (CSV or TSV) into line items, and writing the priced BOM.

Pure: bytes in, lines and problems out. Lines that cannot be read are reported and
never looked up, so they are never billed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.models import LineItem
from bot.domain.money import plain_amount
from bot.domain.outcomes import Answer
from bot.domain.parsing import MAX_QUANTITY, check_mpn
from bot.domain.priced import price_rows

MAX_BOM_BYTES = 2 * 1024 * 1024
MAX_BOM_LINES = 500
_HEADER_SCAN = 10

_MPN_HEADERS = {
    "mpn",
    "mfrpn",
    "mfgpn",
    "mfrpart",
    "mfgpart",
    "mfrpartno",
    "mfgpartno",
    "mfrpartnumber",
    "mfgpartnumber",
    "manufacturerpartnumber",
    "manufacturerpn",
    "manufacturerpartno",
    "partnumber",
    "partno",
    "pn",
    "part",
    "partnum",
    "mfrnumber",
    "manufacturerpart",
}
_QTY_HEADERS = {"qty", "quantity", "qtyperboard", "qtyper", "count", "amount", "pcs", "quantityperboard", "qtytotal", "totalqty"}
_PREFERRED_MPN = ("mpn", "manufacturerpartnumber", "mfrpartnumber", "mfrpart", "mfrpn", "mfgpartnumber", "mfgpn")


@dataclass(frozen=True)
class BomLine:
    row: int
    item: LineItem


@dataclass(frozen=True)
class Bom:
    lines: tuple[BomLine, ...]
    problems: tuple[str, ...]
    mpn_column: str
    qty_column: str | None
    skipped_blank: int = 0


@dataclass(frozen=True)
class BomError:
    message: str


def _norm(header: str) -> str:
    return re.sub(r"[^a-z]", "", header.lower().replace("#", "no"))


def _decode(data: bytes) -> str | BomError:
    if b"\x00" in data[:8192]:
        return BomError("that file looks binary (it has NUL bytes); share the BOM as a CSV or TSV text file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\r\n\t")
        if controls > 8:
            return BomError("that file looks binary; share the BOM as a CSV or TSV text file")
        return text
    return BomError("that file is not readable text; save the BOM as CSV (UTF-8)")


def _dialect(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    counts = {d: sample.count(d) for d in ("\t", ",", ";")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _find_header(rows: Sequence[Sequence[str]]) -> tuple[int, int, int | None] | None:
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        names = [_norm(c) for c in row]
        mpn_cols = [j for j, n in enumerate(names) if n in _MPN_HEADERS]
        if not mpn_cols:
            continue
        preferred = [j for p in _PREFERRED_MPN for j in mpn_cols if names[j] == p]
        mpn = preferred[0] if preferred else mpn_cols[0]
        qty = next((j for j, n in enumerate(names) if n in _QTY_HEADERS), None)
        if qty is None:
            qty = next((j for j, n in enumerate(names) if j != mpn and ("qty" in n or "quantity" in n)), None)
        return i, mpn, qty
    return None


def _quantity(raw: str, *, decimal_comma: bool = False) -> int | str:
    """A whole quantity. In semicolon files (European spreadsheets) `1.000` is a thousand and
    the comma is the decimal mark; elsewhere `1,000` is a thousand."""
    shown = raw.strip()[:20] + ("…" if len(raw.strip()) > 20 else "")
    text = raw.strip().replace("_", "").replace(" ", "")
    if decimal_comma:
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
            text = text.replace(".", "")
        text = text.replace(",", ".") if re.fullmatch(r"\d+,\d+", text) else text
    else:
        text = text.replace(",", "")
    if not text:
        return 1
    if re.fullmatch(r"\d+(\.0+)?", text):
        value = int(text.partition(".")[0])
        if value < 1:
            return f"quantity {shown!r} is below 1"
        if value > MAX_QUANTITY:
            return f"quantity {shown!r} is more than {MAX_QUANTITY:,}"
        return value
    return f"quantity {shown!r} is not a whole number"


def read_bom(data: bytes, *, max_lines: int = MAX_BOM_LINES) -> Bom | BomError:
    if len(data) > MAX_BOM_BYTES:
        return BomError(f"that file is {len(data) / 1_048_576:.1f} MB; partbot reads BOMs up to {MAX_BOM_BYTES // 1_048_576} MB")
    if not data.strip():
        return BomError("that file is empty")
    text = _decode(data)
    if isinstance(text, BomError):
        return text
    try:
        delimiter = _dialect(text)
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        return BomError(f"that file is not valid CSV ({exc})")
    found = _find_header(rows)
    if found is None:
        return BomError(
            "I could not find a part-number column. Name it `MPN`, `Part Number` or `Mfr Part #` "
            "(and the quantity column `Qty` or `Quantity`)"
        )
    start, mpn_col, qty_col = found
    body = rows[start + 1 :]
    data_rows = [(start + 2 + k, r) for k, r in enumerate(body) if any(c.strip() for c in r)]
    if len(data_rows) > max_lines:
        return BomError(
            f"that BOM has {len(data_rows):,} lines; partbot prices at most {max_lines:,} at a time. Split it into smaller files"
        )
    lines: list[BomLine] = []
    problems: list[str] = []
    blank = 0
    for row_no, row in data_rows:
        mpn = row[mpn_col].strip() if mpn_col < len(row) else ""
        if not mpn:
            blank += 1
            continue
        issue = check_mpn(mpn)
        if issue:
            problems.append(f"line {row_no}: {issue}")
            continue
        qty: int | str = 1
        if qty_col is not None:
            qty = _quantity(row[qty_col] if qty_col < len(row) else "", decimal_comma=delimiter == ";")
        if isinstance(qty, str):
            problems.append(f"line {row_no} ({mpn[:40]}): {qty}")
            continue
        lines.append(BomLine(row_no, LineItem(mpn, qty)))
    header = rows[start]
    return Bom(
        tuple(lines), tuple(problems), header[mpn_col].strip(), header[qty_col].strip() if qty_col is not None else None, blank
    )


def bom_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def _safe_cell(value: object) -> object:
    """Defuse spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return "'" + value
    return value


BOM_CSV_HEADER = (
    "line",
    "mpn_asked",
    "qty",
    "mpn_found",
    "manufacturer",
    "lifecycle",
    "best_seller",
    "seller_stock",
    "unit_price",
    "currency",
    "priced_qty",
    "extended_price",
    "status",
    "octopart_url",
)


def bom_rows_csv(answer: Answer, bom: Bom) -> bytes:
    out = []
    for line, row in zip(bom.lines, price_rows(answer), strict=True):
        part = row.answer.result.part if row.answer.result else None
        b = row.best
        out.append(
            [
                line.row,
                line.item.mpn,
                line.item.quantity,
                part.mpn if part else "",
                part.manufacturer if part else "",
                part.lifecycle.value if part else "",
                b.seller.name if b else "",
                b.offer.inventory_level if b else "",
                plain_amount(b.unit_price.amount) if b and b.unit_price is not None else "",
                b.currency if b else "",
                b.priced_quantity if b else "",
                plain_amount(b.extended_price.amount) if b and b.extended_price is not None else "",
                row.status,
                part.octopart_url if part else "",
            ]
        )
    return bom_csv(BOM_CSV_HEADER, out)
