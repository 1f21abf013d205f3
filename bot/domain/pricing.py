"""Price breaks, minimum orders, order multiples and ranking by what the buyer really pays.

Pure functions over `bot.domain.models`; amounts are `Money` (Decimal with a currency),
and amounts in different currencies are never compared.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from bot.domain.models import (
    STOCK_UNKNOWN,
    Lifecycle,
    Offer,
    Part,
    PricedOffer,
    PricePoint,
    Seller,
    normalize_mpn,
)

_STATUS_NOTE = re.compile(r"\s*\((?:last updated|updated)[^)]*\)\s*", re.IGNORECASE)


def clean_lifecycle_text(text: str | None) -> str:
    """Nexar's display value without its "(Last Updated: 2 years ago)" note."""
    return " ".join(_STATUS_NOTE.sub(" ", text or "").split())


def parse_lifecycle(text: str | None) -> Lifecycle:
    """Map Nexar's `lifecyclestatus` display value to a status."""
    t = clean_lifecycle_text(text).lower()
    if not t:
        return Lifecycle.UNKNOWN
    if "obsolete" in t or "discontinued" in t:
        return Lifecycle.OBSOLETE
    if "nrnd" in t or "not recommended" in t:
        return Lifecycle.NRND
    if re.search(r"\beol\b|end of life|last time buy|\bltb\b", t):
        return Lifecycle.EOL
    if t.startswith("new") or "preview" in t or "pre-release" in t:
        return Lifecycle.NEW
    if "production" in t or "active" in t:
        return Lifecycle.PRODUCTION
    return Lifecycle.UNKNOWN


def is_exact_match(asked: str, found: str) -> bool:
    return normalize_mpn(asked) == normalize_mpn(found)


def _ladder(offer: Offer, currency: str) -> tuple[tuple[PricePoint, ...], bool]:
    """The offer's breaks usable in `currency`: native ones, else Nexar's conversions (an
    estimate), else the breaks of the offer's own first currency (priced, never compared
    with the asked currency)."""
    native = tuple(p for p in offer.prices if p.currency == currency)
    if native:
        return _sorted(native), False
    converted = tuple(
        PricePoint(p.quantity, estimate(p.converted_price), currency)
        for p in offer.prices
        if p.converted_currency == currency and p.converted_price is not None
    )
    if converted:
        return _sorted(converted), True
    if offer.prices:
        first = offer.prices[0].currency
        return _sorted(tuple(p for p in offer.prices if p.currency == first)), False
    return (), False


def estimate(amount: Decimal) -> Decimal:
    """A converted price to four significant digits, never less than cents: Nexar's
    conversion is an estimate, and its sixth decimal would only pretend otherwise."""
    if not amount:
        return amount
    places = max(2, 3 - amount.adjusted())
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _sorted(points: tuple[PricePoint, ...]) -> tuple[PricePoint, ...]:
    """By quantity; of two breaks at one quantity, the first listed."""
    seen: dict[int, PricePoint] = {}
    for p in points:
        seen.setdefault(p.quantity, p)
    return tuple(sorted(seen.values(), key=lambda p: p.quantity))


def quantity_bought(quantity: int, minimum: int, multiple: int | None) -> int:
    """At least `minimum`, rounded up to a whole number of `multiple`s."""
    bought = max(quantity, minimum)
    if multiple and multiple > 1:
        bought = -(-bought // multiple) * multiple
    return bought


def price_offer(seller: Seller, offer: Offer, quantity: int, currency: str) -> PricedOffer:
    """The offer at `quantity`: below the minimum order (the MOQ or the smallest break) the
    minimum is bought, then rounded up to the order multiple; the unit price is the largest
    break at or below the quantity bought."""
    breaks, estimated = _ladder(offer, currency)
    if not breaks:
        return PricedOffer(seller, offer, None, None, False, False, ())
    minimum = max(offer.moq or 1, breaks[0].quantity)
    bought = quantity_bought(quantity, minimum, offer.order_multiple)
    unit = next(p for p in reversed(breaks) if p.quantity <= bought).money
    return PricedOffer(
        seller,
        offer,
        unit,
        bought,
        below_moq=quantity < minimum,
        estimated=estimated,
        breaks=breaks,
        rounded_up=bought > max(quantity, minimum),
    )


ENOUGH, UNKNOWN_QTY, PARTIAL, UNPRICED, NO_STOCK = range(5)


def stock_group(p: PricedOffer) -> int:
    """Enough known stock, in stock but how many unknown (-2), too little stock (all three
    priced), in stock but unpriced, then out of stock / non-stocked / unknown / RFQ."""
    level = p.offer.inventory_level
    if p.unit_price is not None:
        if p.enough_stock:
            return ENOUGH
        if level == STOCK_UNKNOWN:
            return UNKNOWN_QTY
        if level > 0:
            return PARTIAL
    if level > 0 or level == STOCK_UNKNOWN:
        return UNPRICED
    return NO_STOCK


def is_stocked(p: PricedOffer) -> bool:
    return stock_group(p) < NO_STOCK


SortKey = tuple[int, int, str, bool, Decimal, int]


def sort_key(p: PricedOffer, currency: str) -> SortKey:
    """Stock group, then offers priced in the asked currency (native or converted) before
    those priced only in another, which are grouped by currency: amounts are compared only
    within one currency. Then the extended price of what is bought, then the most stock."""
    ext = p.extended_price
    other = ext is not None and ext.currency != currency
    return (
        stock_group(p),
        1 if other else 0,
        ext.currency if ext is not None and other else "",
        ext is None,
        ext.amount if ext is not None else Decimal(0),
        -max(p.offer.inventory_level, 0),
    )


def rank_offers(part: Part, quantity: int, currency: str, all_sellers: bool = False) -> list[PricedOffer]:
    """Each seller's best offer at `quantity`, best first (see `sort_key`)."""

    def key(p: PricedOffer) -> SortKey:
        return sort_key(p, currency)

    best: list[PricedOffer] = []
    for seller in part.sellers:
        if not all_sellers and (not seller.is_authorized or seller.is_broker):
            continue
        priced = [price_offer(seller, offer, quantity, currency) for offer in seller.offers]
        if priced:
            best.append(min(priced, key=key))
    return sorted(best, key=key)
