"""A watch on a part, its condition evaluated against an answer, and its alert state. No I/O.

A watch alerts once when its condition starts to hold and again only after it stopped
holding: `holding` is what the last fresh answer said, `pending` the alert still to be
posted (it stays until Slack took it, or until the condition stops holding).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from bot.domain.models import LookupKey, Part, SearchResult
from bot.domain.money import Money, format_money
from bot.domain.pricing import price_offer

USER_LIMIT = 10
WORKSPACE_LIMIT = 100


@dataclass(frozen=True)
class Hit:
    """The offer that made the condition hold, as the alert shows it."""

    seller: str
    stock: int
    unit_price: Money | None
    bought: int | None
    url: str = ""
    estimated: bool = False
    fetched_at: float = 0.0

    def price_text(self) -> str:
        if self.unit_price is None:
            return "price on request"
        approx = "≈ " if self.estimated else ""
        return f"{approx}{format_money(self.unit_price)} each"

    def to_json(self) -> dict[str, Any]:
        return {
            "seller": self.seller,
            "stock": self.stock,
            "price": None if self.unit_price is None else str(self.unit_price.amount),
            "currency": None if self.unit_price is None else self.unit_price.currency,
            "bought": self.bought,
            "url": self.url,
            "estimated": self.estimated,
            "fetched_at": self.fetched_at,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Hit:
        price = None if d.get("price") is None else Money(Decimal(str(d["price"])), str(d["currency"]))
        return cls(
            str(d["seller"]),
            int(d["stock"]),
            price,
            d.get("bought"),
            str(d.get("url") or ""),
            bool(d.get("estimated")),
            float(d.get("fetched_at") or 0),
        )


@dataclass(frozen=True)
class Watch:
    id: str
    user: str
    mpn: str
    quantity: int
    below: Decimal | None
    """Alert when the quantity can be bought at or below this unit price (in `currency`);
    None: alert when a seller has the quantity in stock."""
    currency: str = "USD"
    country: str = "US"
    all_sellers: bool = False
    mfr: str | None = None
    channel: str = ""
    thread_ts: str | None = None
    by_dm: bool = False
    """The bot could not post in `channel` when the watch was made: alerts go by DM."""
    created_at: float = 0.0
    holding: bool | None = None
    """Whether the condition held at the last fresh answer; None before the first one."""
    pending: Hit | None = None
    last_checked: float | None = None
    retry_at: float = 0.0
    """After a failed check, not before this time."""
    problem: str | None = None
    rev: int = 0

    @property
    def key(self) -> LookupKey:
        return LookupKey(self.mpn.upper(), self.currency, self.country, self.all_sellers, self.mfr)

    @property
    def part_key(self) -> str:
        return self.key.cache_key()

    def condition(self) -> str:
        if self.below is None:
            return f"{self.quantity:,} in stock"
        return f"{self.quantity:,} at or below {format_money(Money(self.below, self.currency))} each"

    def to_json(self) -> dict[str, Any]:
        d = {k: v for k, v in vars(self).items() if k not in ("below", "pending")}
        d["below"] = None if self.below is None else str(self.below)
        d["pending"] = None if self.pending is None else self.pending.to_json()
        d["part_key"] = self.part_key
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Watch:
        fields = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        fields["below"] = None if d.get("below") is None else Decimal(str(d["below"]))
        fields["pending"] = None if d.get("pending") is None else Hit.from_json(d["pending"])
        return cls(**fields)


def find_hit(watch: Watch, part: Part, fetched_at: float) -> Hit | None:
    """The best offer that meets the watch: an authorized seller's (any seller's with
    `--all`) whose known stock covers the quantity bought and, with `below`, whose unit price
    in the watch's currency (a converted one counts, marked as an estimate) is at or below
    it. The cheapest such offer; for a stock watch unpriced offers come last."""
    best: tuple[Decimal, Hit] | None = None
    for seller in part.sellers:
        if not watch.all_sellers and (not seller.is_authorized or seller.is_broker):
            continue
        for offer in seller.offers:
            p = price_offer(seller, offer, watch.quantity, watch.currency)
            priced = p.unit_price is not None and p.currency == watch.currency
            if watch.below is None:
                meets = offer.inventory_level >= watch.quantity
            else:
                meets = priced and p.enough_stock and p.unit_price is not None and p.unit_price.amount <= watch.below
            if not meets:
                continue
            rank = p.unit_price.amount if priced and p.unit_price is not None else Decimal("Infinity")
            if best is None or rank < best[0]:
                hit = Hit(seller.name, offer.inventory_level, p.unit_price, p.bought, offer.click_url, p.estimated, fetched_at)
                best = (rank, hit)
    return best[1] if best else None


def evaluate(watch: Watch, result: SearchResult, fetched_at: float, now: float, max_age: float) -> Hit | Literal[False] | None:
    """The hit when the condition holds, None when it does not; False when the answer is
    too old to judge by (a stale answer never alerts, nor ends an alert)."""
    if now - fetched_at > max_age:
        return False
    return None if result.part is None else find_hit(watch, result.part, fetched_at)


def advance(watch: Watch, verdict: Hit | None, now: float, *, announce: bool = True) -> Watch:
    """The watch after a fresh answer: an alert becomes pending when the condition starts to
    hold (`announce=False`: the asker was just told, as when the watch is made), stays while
    it holds (its offer updated), and is dropped when the condition stops holding."""
    checked = replace(watch, last_checked=now, retry_at=0.0, problem=None)
    if verdict is None:
        return replace(checked, holding=False, pending=None)
    if watch.holding:
        return replace(checked, pending=verdict if watch.pending else None)
    return replace(checked, holding=True, pending=verdict if announce else None)


def failed(watch: Watch, problem: str, retry_at: float) -> Watch:
    """A check that got no answer: nothing changes but when to try again."""
    return replace(watch, retry_at=retry_at, problem=problem)


def delivered(watch: Watch) -> Watch:
    return replace(watch, pending=None)
