"""CSV/TSV bytes → rows of cells: the encoding Excel or EasyEDA wrote, and the delimiter."""

from __future__ import annotations

import csv
import io

from bot.domain.bom.model import BomError

_DELIMITERS = ",;\t"
_SAMPLE_LINES = 40


def decode(data: bytes) -> str | BomError:
    """UTF-16 with a byte-order mark (EasyEDA), UTF-8 (with or without a BOM), else cp1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return BomError("that file says it is UTF-16 but is not; save the BOM as CSV (UTF-8)")
    bare = _bare_utf16(data)
    if bare:
        try:
            return data.decode(bare)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        return BomError("that file looks binary (it has NUL bytes); share the BOM as a CSV, TSV or XLSX file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\r\n\t")
        if controls > 8:
            return BomError("that file looks binary; share the BOM as a CSV, TSV or XLSX file")
        return text
    return BomError("that file is not readable text; save the BOM as CSV (UTF-8)")


def _bare_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: ASCII text with a NUL beside nearly every byte."""
    head = data[: min(2048, len(data) // 2 * 2)]
    pairs = len(head) // 2
    if pairs < 4:
        return None
    if head[1::2].count(0) >= pairs * 0.9 and head[0::2].count(0) == 0:
        return "utf-16-le"
    if head[0::2].count(0) >= pairs * 0.9 and head[1::2].count(0) == 0:
        return "utf-16-be"
    return None


def delimiter(text: str) -> str:
    """The delimiter `csv.Sniffer` finds among `,` `;` and tab.

    Only the delimiter is taken from the sniffer: on the real BOMs it also guesses
    `doublequote=False` for files that do escape quotes by doubling them, and it gives
    up on TSVs with ragged rows (Kitspace), where the most frequent candidate wins."""
    sample = "\n".join(text.splitlines()[:_SAMPLE_LINES])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in _DELIMITERS}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def text_rows(text: str, sep: str) -> list[list[str]] | BomError:
    try:
        return list(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error as exc:
        return BomError(f"that file is not valid CSV ({exc})")
