"""Writing the priced BOM as CSV, with spreadsheet formulas defused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from bot.domain.bom.model import Bom
from bot.domain.money import plain_amount
from bot.domain.outcomes import Answer
from bot.domain.priced import price_rows


def bom_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


_FORMULA = re.compile(r"[\t\r\n ]*[=+\-@\t\r]")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _safe_cell(value: object) -> object:
    """Defuse spreadsheet formulas in text cells (CSV injection), also behind leading
    tabs, CRs or spaces, which spreadsheets skip before reading `=`, `+`, `-` or `@`."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.fullmatch(value):
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
