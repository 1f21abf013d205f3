"""The plain-English reader: MPN-like tokens and quantities picked out of a sentence.

"@partbot what would 500 pcs of NB9921GT cost us?" → NB9921GT × 500, and the answer
says what was understood. Pure functions; the grammar itself is in `parsing`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.domain.commands import Command, Invalid, Lookup
from bot.domain.models import LineItem, Options, normalize_mpn

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)k?"
_WORD_QTY = re.compile(
    rf"(?:\b(?:qty|quantity|at)\s*[:=]?\s*|\b[x×]\s?)({_NUMBER})\b"
    rf"|\b({_NUMBER})\s*(?:pcs|pieces|pc|units|off|each|ea\b|x\b|of\b)",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(rf"{_NUMBER}", re.IGNORECASE)
_VALUE_LIKE = re.compile(r"^\d+(\.\d+)?[a-zµΩ]{1,4}$", re.IGNORECASE)
_NOT_MPNS = frozenset({"MP3", "MP4", "I2C", "USB2", "USB3", "COVID19", "H264", "CO2", "ROHS3", "Q1", "Q2", "Q3", "Q4"})
_PUNCTUATION = "?!.,;:\"'()[]{}"

QuantityParser = Callable[[str], "int | str | None"]
MpnChecker = Callable[[str], "str | None"]


def looks_like_mpn(token: str, check_mpn: MpnChecker) -> bool:
    """Letters and digits mixed, not a component value or a common acronym."""
    return (
        len(token) >= 4
        and bool(re.search(r"[A-Za-z]", token))
        and bool(re.search(r"\d", token))
        and not _VALUE_LIKE.match(token)
        and token.upper() not in _NOT_MPNS
        and check_mpn(token) is None
    )


def read_english(
    text: str, options: Options, *, hint: str, max_items: int, parse_quantity: QuantityParser, check_mpn: MpnChecker
) -> Command:
    """MPN-like tokens and quantities from free text. With one quantity, every part gets it;
    with several, each part takes the quantity written right after it (before the next part),
    else the one right before it. A bare number right beside a part ("500 NE555DR") counts."""
    quantities: list[tuple[int, int, int]] = []
    for m in _WORD_QTY.finditer(text):
        parsed = parse_quantity((m.group(1) or m.group(2)).replace(",", ""))
        if isinstance(parsed, str):
            return Invalid(parsed)
        if parsed is not None:
            quantities.append((m.start(), m.end(), parsed))
    tokens = [m for m in re.finditer(r"\S+", text) if not any(s <= m.start() < e for s, e, _ in quantities)]
    mpns: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    is_mpn = [looks_like_mpn(m.group().strip(_PUNCTUATION), check_mpn) for m in tokens]
    for m, yes in zip(tokens, is_mpn, strict=True):
        token = m.group().strip(_PUNCTUATION)
        if yes and normalize_mpn(token) not in seen:
            seen.add(normalize_mpn(token))
            mpns.append((m.start(), m.end(), token))
    if not mpns:
        return Invalid("I could not find a part number in that", hint)
    if len(mpns) > max_items:
        return Invalid(f"that names {len(mpns)} parts; one message takes at most {max_items}")
    for n, m in enumerate(tokens):
        beside_a_part = (n > 0 and is_mpn[n - 1]) or (n + 1 < len(tokens) and is_mpn[n + 1])
        if beside_a_part and _BARE_NUMBER.fullmatch(m.group().strip(_PUNCTUATION)):
            parsed = parse_quantity(m.group().strip(_PUNCTUATION).replace(",", ""))
            if isinstance(parsed, str):
                return Invalid(parsed)
            if parsed is not None:
                quantities.append((m.start(), m.end(), parsed))
    quantities.sort()
    bound = _bind_quantities(text, mpns, quantities)
    items = tuple(
        LineItem(mpn, bound.get(n, quantities[0][2] if len(quantities) == 1 else 1)) for n, (_, _, mpn) in enumerate(mpns)
    )
    understood = ", ".join(f"{i.mpn} × {i.quantity:,}" for i in items)
    return Lookup(items, options, understood=understood)


def _bind_quantities(text: str, mpns: list[tuple[int, int, str]], quantities: list[tuple[int, int, int]]) -> dict[int, int]:
    """Which part each quantity belongs to: "500 pcs of X" → the next part; otherwise the
    nearest part (the one before it on a tie, as in "X x500 Y")."""
    bound: dict[int, int] = {}
    for start, end, qty in quantities:
        before = [n for n, m in enumerate(mpns) if m[1] <= start]
        after = [n for n, m in enumerate(mpns) if m[0] >= end]
        words = text[start:end].lower() + " " + text[end : end + 4].lower()
        if re.search(r"\bof\b", words) and after:
            target = after[0]
        elif before and after:
            target = before[-1] if start - mpns[before[-1]][1] <= mpns[after[0]][0] - end else after[0]
        elif before or after:
            target = before[-1] if before else after[0]
        else:
            continue
        bound.setdefault(target, qty)
    return bound
