"""Rows of cells → the BOM's lines: find the header, pick the columns, read every line.

Lines that cannot be read are reported and never looked up, so they are never billed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.bom import columns as col
from bot.domain.bom.model import Bom, BomError, BomLine, Unsaved
from bot.domain.models import LineItem
from bot.domain.parsing import MAX_QUANTITY

HEADER_SCAN = 30
MAX_MPN = 40
_MPN_CHARS = re.compile(r"[A-Za-z0-9\-_.,/+#()=& ]+")
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d]")
_KNOWN = {"reference", "references", "ref", "refs", "designator", "refdes", "value", "footprint", "description", "desc"}
_KNOWN |= {"package", "comment", "datasheet", "item", "item#", "no", "id", "#", "row", "partlist"}


@dataclass(frozen=True)
class Columns:
    header: int
    mpn: int
    kind: col.Kind
    qty: int | None
    mfr: int | None
    dnp: tuple[tuple[int, str], ...]


def clean_mpn(cell: str) -> str:
    """The whole cell is one MPN: whitespace collapsed, a Unicode minus or dash made `-`."""
    return _DASHES.sub("-", " ".join(cell.split()))


def mpn_problem(mpn: str) -> str | None:
    shown = mpn if len(mpn) <= MAX_MPN else mpn[: MAX_MPN - 1] + "…"
    shown = shown.replace("`", "'")
    if "*" in mpn or "?" in mpn:
        return f"`{shown}` has a wildcard; partbot looks up exact part numbers only"
    if len(mpn) > MAX_MPN:
        return f"`{shown}` is longer than {MAX_MPN} characters"
    if not _MPN_CHARS.fullmatch(mpn):
        return f"`{shown}` has characters a part number cannot contain"
    if not re.search(r"[A-Za-z0-9]", mpn):
        return f"`{shown}` is not a part number"
    return None


def quantity(raw: str, *, decimal_comma: bool = False) -> int | str:
    """A whole quantity. In semicolon files (European spreadsheets) `1.000` is a thousand and
    the comma is the decimal mark; elsewhere `1,000` is a thousand."""
    if isinstance(raw, Unsaved):
        return (
            f"the quantity is a formula (`{raw[:40]}`) saved without its value; open the file in Excel "
            "or LibreOffice and save it again, or type the numbers in"
        )
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


def _cell(row: Sequence[str], j: int | None) -> str:
    return row[j] if j is not None and j < len(row) else ""


def _header_score(row: Sequence[str]) -> int:
    score = 0
    for cell in row:
        name = col.compact(cell)
        if name and (col.mpn_kind(cell) or col.qty_rank(cell) or col.is_mfr(cell) or col.dnp_column(cell) or name in _KNOWN):
            score += 1
    return score


def find_columns(rows: Sequence[Sequence[str]]) -> Columns | BomError:
    """The first row (of the first 30) with a column that holds manufacturer part numbers."""
    for i, row in enumerate(rows[:HEADER_SCAN]):
        candidates = [(col.mpn_kind(c), j) for j, c in enumerate(row) if col.mpn_kind(c)]
        if not candidates:
            continue
        body = rows[i + 1 :]
        judged = []
        for kind, j in candidates:
            cells = [_cell(r, j) for r in body]
            judged.append((kind, sum(1 for c in cells if col.looks_like_mpn(c)), -j, col.judge_column(cells, kind)))
        judged.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
        for kind, _, neg_j, verdict in judged:
            if verdict.ok:
                return _columns(row, i, -neg_j, kind)
    return _refusal(rows)


def _columns(row: Sequence[str], i: int, mpn: int, kind: col.Kind) -> Columns:
    ranked = [(col.qty_rank(c), -j) for j, c in enumerate(row) if j != mpn and col.qty_rank(c)]
    qty = -max(ranked)[1] if ranked else None
    mfrs = [j for j, c in enumerate(row) if j != mpn and col.is_mfr(c)]
    # Kitspace pairs `MFG1` with `MPN`; LCSC repeats `Mfr.` beside each `Mrf#`.
    mfr = min(mfrs, key=lambda j: (col.header_index(row[j]) > 1, abs(j - mpn), j)) if mfrs else None
    dnp = tuple((j, k) for j, c in enumerate(row) if (k := col.dnp_column(c)))
    return Columns(i, mpn, kind, qty, mfr, dnp)


def _refusal(rows: Sequence[Sequence[str]]) -> BomError:
    scored = [(_header_score(r), -i) for i, r in enumerate(rows[:HEADER_SCAN])]
    best = max(scored, default=(0, 0))
    advice = "Add a manufacturer part number column (`MPN`, `Manufacturer Part Number` or `Mfr Part #`) and a `Qty` column"
    if best[0] < 2:
        return BomError(f"I could not find a header row with a part-number column. {advice}")
    i = -best[1]
    body = rows[i + 1 :]
    seen = []
    for j, cell in enumerate(rows[i]):
        name = " ".join(cell.split())
        if not name:
            continue
        shown = f"`{name[:30]}`"
        kind = col.mpn_kind(cell)
        if kind:
            shown += f" ({col.judge_column([_cell(r, j) for r in body], kind).why})"
        elif re.search(r"digi-?key|mouser|lcsc|supplier|vendor|farnell|newark", name, re.IGNORECASE):
            shown += " (a distributor's column)"
        seen.append(shown)
    more = f" and {len(seen) - 15} more" if len(seen) > 15 else ""
    return BomError(f"none of its columns holds manufacturer part numbers. Columns seen: {', '.join(seen[:15])}{more}. {advice}")


def read_rows(
    rows: Sequence[Sequence[str]], *, max_lines: int, decimal_comma: bool = False, sheet: str | None = None
) -> Bom | BomError:
    found = find_columns(rows)
    if isinstance(found, BomError):
        return found
    start = found.header
    data_rows = [(start + 2 + k, r) for k, r in enumerate(rows[start + 1 :]) if any(c.strip() for c in r)]
    if len(data_rows) > max_lines:
        return BomError(
            f"that BOM has {len(data_rows):,} lines; partbot prices at most {max_lines:,} at a time. Split it into smaller files"
        )
    lines: list[BomLine] = []
    problems: list[str] = []
    blank = dnp = 0
    for row_no, row in data_rows:
        outcome = _read_line(row, found, decimal_comma)
        if outcome == "dnp":
            dnp += 1
        elif outcome == "blank":
            blank += 1
        elif isinstance(outcome, str):
            problems.append(f"line {row_no}{outcome}")
        elif outcome is not None:
            lines.append(BomLine(row_no, outcome))
    header = rows[start]
    name = " ".join(_cell(header, found.mpn).split())
    qty_name = " ".join(_cell(header, found.qty).split()) if found.qty is not None else None
    mfr_name = " ".join(_cell(header, found.mfr).split()) if found.mfr is not None else None
    return Bom(tuple(lines), tuple(problems), name, qty_name, blank, dnp, mfr_name, sheet)


def _read_line(row: Sequence[str], c: Columns, decimal_comma: bool) -> LineItem | str | None:
    """A line item; "dnp" or "blank" for a skipped line; ": problem" for a line that cannot be read;
    None for a row that is not a BOM line at all (a total or a note under the table)."""
    mpn = clean_mpn(_cell(row, c.mpn))
    qty_cell = _cell(row, c.qty)
    if any(col.dnp_mark(_cell(row, j), kind) for j, kind in c.dnp) or any(col.is_dnp_cell(x) for x in row):
        return "dnp"
    if col.is_placeholder(mpn):
        others = [x.strip() for j, x in enumerate(row) if j != c.mpn and x.strip()]
        note = any(x.endswith(":") for x in others) or all(re.fullmatch(r"[\d.,$]+", x) for x in others)
        if c.qty is not None:
            return "blank" if qty_cell.strip() else None
        return "blank" if others and not note else None
    if c.kind == col.Kind.LOOSE and not col.looks_like_mpn(mpn):
        return f": `{mpn[:40]}` does not look like a manufacturer part number; not looked up"
    if col.is_distributor_sku(mpn):
        return f": `{mpn[:40]}` looks like a distributor order code, not a manufacturer part number"
    problem = mpn_problem(mpn)
    if problem:
        return f": {problem}"
    qty = quantity(qty_cell, decimal_comma=decimal_comma) if c.qty is not None else 1
    if isinstance(qty, str):
        return f" ({mpn[:40]}): {qty}"
    mfr_cell = " ".join(_cell(row, c.mfr).split())
    if mfr_cell and mpn.casefold() == mfr_cell.casefold():
        return f": `{mpn[:40]}` is the manufacturer's name, not a part number; not looked up"
    return LineItem(mpn, qty, col.manufacturer(mfr_cell))
