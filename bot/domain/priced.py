"""The best offer for each line of an answer, and totals per currency. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.models import PricedOffer
from bot.domain.outcomes import Answer, PartAnswer
from bot.domain.pricing import format_total, is_stocked, rank_offers


@dataclass(frozen=True)
class Row:
    """One line of a multi-part answer or a BOM."""

    answer: PartAnswer
    best: PricedOffer | None
    status: str

    @property
    def extended(self) -> float | None:
        return self.best.extended_price if self.best else None


def price_rows(answer: Answer) -> list[Row]:
    rows = []
    opts = answer.options
    for a in answer.answers:
        part = a.result.part if a.result else None
        if a.error:
            rows.append(Row(a, None, "error: " + a.error))
            continue
        if part is None:
            rows.append(Row(a, None, "not found"))
            continue
        ranked = rank_offers(part, a.item.quantity, opts.currency, opts.all_sellers)
        best = next((p for p in ranked if is_stocked(p) and p.unit_price is not None), None)
        flags = []
        if not a.exact:
            flags.append(f"closest: {part.mpn}")
        if part.lifecycle.is_warning:
            flags.append(part.lifecycle.value)
        if best is None:
            flags.append("no stock")
        elif 0 < best.offer.inventory_level < a.item.quantity:
            flags.append("short stock")
        elif best.below_moq:
            flags.append(f"MOQ {best.priced_quantity:,}")
        if best is not None and best.estimated:
            flags.append("≈ converted")
        rows.append(Row(a, best, ", ".join(flags) or "ok"))
    return rows


def totals(rows: Sequence[Row]) -> tuple[str, int]:
    """(the sum of extended prices, one sum per currency, e.g. "$1,010.00 + €12.00"; lines priced).

    A line only has a price in another currency when neither a native nor a converted
    price in the asked one exists; such amounts are never added to the others."""
    sums: dict[str | None, float] = {}
    priced = 0
    for r in rows:
        if r.extended is not None and r.best is not None:
            sums[r.best.currency] = sums.get(r.best.currency, 0.0) + r.extended
            priced += 1
    text = " + ".join(format_total(v, c) for c, v in sums.items()) or format_total(0.0, None)
    return text, priced
