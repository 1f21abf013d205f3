"""Price breaks, ranking and money formatting. Pure functions over `bot.domain.models`."""

from __future__ import annotations

import re

from bot.domain.models import (
    NON_STOCKED,
    RFQ,
    STOCK_UNKNOWN,
    UNKNOWN,
    Lifecycle,
    Offer,
    Part,
    PricedOffer,
    PricePoint,
    Seller,
    normalize_mpn,
)

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "KRW": "₩"}


def parse_lifecycle(text: str | None) -> Lifecycle:
    """Map Nexar's `lifecyclestatus` display value to a status."""
    if not text:
        return Lifecycle.UNKNOWN
    t = text.strip().lower()
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


def _ladder(offer: Offer, currency: str) -> tuple[tuple[PricePoint, ...], str | None, bool]:
    """The offer's breaks usable in `currency`: native ones, else converted (an estimate)."""
    native = tuple(p for p in offer.prices if p.currency == currency)
    if native:
        return tuple(sorted(native, key=lambda p: p.quantity)), currency, False
    converted = tuple(
        PricePoint(p.quantity, p.converted_price, currency)
        for p in offer.prices
        if p.converted_currency == currency and p.converted_price is not None
    )
    if converted:
        return tuple(sorted(converted, key=lambda p: p.quantity)), currency, True
    if offer.prices:
        first = offer.prices[0].currency
        same = tuple(p for p in offer.prices if p.currency == first)
        return tuple(sorted(same, key=lambda p: p.quantity)), first, False
    return (), None, False


def price_offer(seller: Seller, offer: Offer, quantity: int, currency: str) -> PricedOffer:
    """Unit price at `quantity`: the largest break ≤ quantity; below the minimum
    order (the MOQ or the smallest break) the price at that minimum, flagged."""
    breaks, cur, estimated = _ladder(offer, currency)
    if not breaks:
        return PricedOffer(seller, offer, None, None, None, False, False, ())
    minimum = max(offer.moq or 1, breaks[0].quantity)
    below = quantity < minimum
    priced_qty = minimum if below else quantity
    unit = None
    for point in breaks:
        if point.quantity <= priced_qty:
            unit = point.price
    return PricedOffer(seller, offer, unit, cur, priced_qty, below, estimated, breaks)


def _group(p: PricedOffer) -> int:
    level = p.offer.inventory_level
    if p.unit_price is not None and (level == STOCK_UNKNOWN or (p.priced_quantity or 0) <= level):
        return 0
    if p.unit_price is not None and level > 0:
        return 1
    if level > 0 or level == STOCK_UNKNOWN:
        return 2
    return 3


def _sort_key(p: PricedOffer, currency: str) -> tuple[int, bool, bool, float, int]:
    """Within a stock group: offers priced in the asked currency before those only priced in
    another (their numbers do not compare), offers that sell the asked quantity before those
    priced at a larger minimum order, then the cheapest unit price, then the most stock."""
    price = p.unit_price if p.unit_price is not None else float("inf")
    return (_group(p), p.currency not in (None, currency), p.below_moq, price, -max(p.offer.inventory_level, 0))


def rank_offers(part: Part, quantity: int, currency: str, all_sellers: bool = False) -> list[PricedOffer]:
    """Each seller's best offer at `quantity`, best first: enough stock and cheapest first,
    then partial stock, then unpriced, then out-of-stock / non-stocked / RFQ last."""

    def key(p: PricedOffer) -> tuple[int, bool, bool, float, int]:
        return _sort_key(p, currency)

    best: list[PricedOffer] = []
    for seller in part.sellers:
        if not all_sellers and (not seller.is_authorized or seller.is_broker):
            continue
        priced = [price_offer(seller, offer, quantity, currency) for offer in seller.offers]
        if priced:
            best.append(min(priced, key=key))
    return sorted(best, key=key)


def is_stocked(p: PricedOffer) -> bool:
    return _group(p) < 3


def stock_label(level: int) -> str:
    if level > 0:
        return f"{level:,}"
    return {
        0: "out of stock",
        NON_STOCKED: "non-stocked",
        STOCK_UNKNOWN: "in stock",
        UNKNOWN: "unknown",
        RFQ: "RFQ",
    }.get(level, "unknown")


def format_money(value: float, currency: str | None) -> str:
    """Unit prices keep the precision a buyer needs: 0.0123, not 0.01; 12.50, not 12.5."""
    decimals = 2 if value >= 100 else 4 if value >= 1 else 5
    text = f"{value:,.{decimals}f}".rstrip("0")
    whole, _, frac = text.partition(".")
    text = f"{whole}.{frac.ljust(2, '0')}"
    return _with_symbol(text, currency)


def format_total(value: float, currency: str | None) -> str:
    return _with_symbol(f"{value:,.2f}", currency)


def _with_symbol(text: str, currency: str | None) -> str:
    if currency is None:
        return text
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
