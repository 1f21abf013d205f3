"""An answer priced once: each line's sellers ranked, its best offer, its status; totals
per currency. Built when the `Answer` is, so renderers only format. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.models import STOCK_UNKNOWN, Options, Part, PricedOffer
from bot.domain.money import Money, Totals
from bot.domain.pricing import is_stocked, rank_offers

if TYPE_CHECKING:
    from bot.domain.outcomes import Answer, PartAnswer


@dataclass(frozen=True)
class Row:
    """One line of an answer: every seller ranked at the line's quantity, and the best buy."""

    answer: PartAnswer
    ranked: tuple[PricedOffer, ...]
    best: PricedOffer | None
    status: str
    stocked: tuple[PricedOffer, ...] = ()
    """The ranked offers in stock (or -2), best first."""
    unstocked: tuple[PricedOffer, ...] = ()
    """Out of stock, non-stocked, unknown or RFQ: shown as such, last."""

    @property
    def part(self) -> Part | None:
        return self.answer.result.part if self.answer.result else None

    @property
    def extended(self) -> Money | None:
        return self.best.extended_price if self.best else None


def price_row(a: PartAnswer, options: Options) -> Row:
    part = a.result.part if a.result else None
    if a.error:
        return Row(a, (), None, "error: " + a.error)
    if part is None:
        return Row(a, (), None, "not found")
    ranked = tuple(rank_offers(part, a.item.quantity, options.currency, options.all_sellers))
    stocked = tuple(p for p in ranked if is_stocked(p))
    unstocked = tuple(p for p in ranked if not is_stocked(p))
    best = next((p for p in stocked if p.unit_price is not None), None)
    return Row(a, ranked, best, _status(a, part, best, options.currency), stocked, unstocked)


def _status(a: PartAnswer, part: Part, best: PricedOffer | None, currency: str) -> str:
    flags = ["stale"] if a.stale else []
    if not a.exact:
        flags.append(f"closest: {part.mpn}")
    if part.lifecycle.is_warning:
        flags.append(part.lifecycle.value)
    if best is None:
        flags.append("no stock")
    else:
        if best.short_stock:
            flags.append("short stock")
        elif best.offer.inventory_level == STOCK_UNKNOWN:
            flags.append("stock qty unknown")
        if best.below_moq:
            flags.append(f"MOQ {best.bought:,}")
        if best.rounded_up and best.offer.order_multiple:
            flags.append(f"multiples of {best.offer.order_multiple:,}")
        if best.estimated:
            flags.append("≈ converted")
        elif best.currency != currency:
            flags.append(f"priced in {best.currency}")
    return ", ".join(flags) or "ok"


def rank_rows(answers: Sequence[PartAnswer], options: Options) -> tuple[Row, ...]:
    return tuple(price_row(a, options) for a in answers)


def price_rows(answer: Answer) -> list[Row]:
    """The answer's rows (priced once, when the answer was built)."""
    return list(answer.rows)


def totals_by_currency(rows: Sequence[Row]) -> tuple[Totals, int]:
    """The extended prices summed per currency (never across), and how many lines are priced."""
    sums = Totals()
    priced = 0
    for r in rows:
        if r.extended is not None:
            sums.add(r.extended)
            priced += 1
    return sums, priced


def totals(rows: Sequence[Row]) -> tuple[str, int]:
    """(the totals as text, e.g. "$1,010.00 + €12.00"; lines priced)."""
    sums, priced = totals_by_currency(rows)
    return sums.text(), priced
