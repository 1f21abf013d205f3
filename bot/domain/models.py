"""Domain values: what a part, a seller and a price look like once Nexar has answered.

Everything here is a frozen dataclass with no I/O, so answers can be cached,
shared between threads and compared in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from bot.domain.money import Money, to_decimal


def normalize_mpn(mpn: str) -> str:
    """Upper-cased, punctuation removed: how two MPNs are compared."""
    return re.sub(r"[^0-9A-Z]", "", mpn.upper())


PartBy = Literal["mpn", "sku", "id"]
"""What a lookup's `mpn` holds: a manufacturer part number, a seller's SKU, or an Octopart part id."""

# Nexar's inventoryLevel codes below zero.
NON_STOCKED = -1
STOCK_UNKNOWN = -2
UNKNOWN = -3
RFQ = -4


class Lifecycle(StrEnum):
    NEW = "New"
    PRODUCTION = "Production"
    NRND = "NRND"
    EOL = "EOL"
    OBSOLETE = "Obsolete"
    UNKNOWN = "Unknown"

    @property
    def is_warning(self) -> bool:
        return self in (Lifecycle.NRND, Lifecycle.EOL, Lifecycle.OBSOLETE)


@dataclass(frozen=True)
class PricePoint:
    """One price break: from `quantity` pieces, `price` each in `currency` (exact), and
    Nexar's conversion into the asked currency when it has one."""

    quantity: int
    price: Decimal
    currency: str
    converted_price: Decimal | None = None
    converted_currency: str | None = None

    @property
    def money(self) -> Money:
        return Money(self.price, self.currency)

    @property
    def converted(self) -> Money | None:
        if self.converted_price is None or not self.converted_currency:
            return None
        return Money(self.converted_price, self.converted_currency)

    def to_json(self) -> dict[str, Any]:
        """Amounts as strings, so a cached answer keeps every digit."""
        return {
            "quantity": self.quantity,
            "price": str(self.price),
            "currency": self.currency,
            "converted_price": None if self.converted_price is None else str(self.converted_price),
            "converted_currency": self.converted_currency,
        }

    @classmethod
    def from_json(cls, p: dict[str, Any]) -> PricePoint:
        """Also reads entries written before amounts were strings (JSON floats)."""
        converted = p.get("converted_price")
        return cls(
            quantity=int(p["quantity"]),
            price=to_decimal(p["price"]),
            currency=str(p["currency"]),
            converted_price=None if converted is None else to_decimal(converted),
            converted_currency=p.get("converted_currency"),
        )


@dataclass(frozen=True)
class Offer:
    sku: str
    inventory_level: int
    moq: int | None
    packaging: str | None
    click_url: str
    updated: str | None
    prices: tuple[PricePoint, ...] = ()
    order_multiple: int | None = None
    """Nexar's `orderMultiple`: the quantity bought is a multiple of it (when > 1)."""


@dataclass(frozen=True)
class Seller:
    name: str
    is_authorized: bool
    is_broker: bool
    offers: tuple[Offer, ...] = ()
    homepage_url: str | None = None


@dataclass(frozen=True)
class Part:
    mpn: str
    manufacturer: str
    description: str = ""
    octopart_url: str | None = None
    total_avail: int | None = 0
    """Nexar's `totalAvail`; None when the answer did not carry it (not the same as none in stock)."""
    image_url: str | None = None
    datasheet_url: str | None = None
    lifecycle: Lifecycle = Lifecycle.UNKNOWN
    lifecycle_text: str = ""
    sellers: tuple[Seller, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """One MPN's answer: the best part (or none) and how many other parts matched."""

    part: Part | None
    hits: int
    suggestions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (hand-rolled: `dataclasses.asdict` was a hot spot per miss)."""
        part: dict[str, Any] | None = None
        if self.part is not None:
            part = dict(vars(self.part))
            part["sellers"] = [
                {**vars(s), "offers": [{**vars(o), "prices": [p.to_json() for p in o.prices]} for o in s.offers]}
                for s in self.part.sellers
            ]
        return {"part": part, "hits": self.hits, "suggestions": list(self.suggestions)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchResult:
        raw = data.get("part")
        part = None
        if raw is not None:
            sellers = tuple(
                Seller(
                    **{
                        **s,
                        "offers": tuple(
                            Offer(**{**o, "prices": tuple(PricePoint.from_json(p) for p in o["prices"])}) for o in s["offers"]
                        ),
                    }
                )
                for s in raw["sellers"]
            )
            part = Part(**{**raw, "lifecycle": Lifecycle(raw["lifecycle"]), "sellers": sellers})
        return cls(part=part, hits=int(data["hits"]), suggestions=tuple(data.get("suggestions", ())))


@dataclass(frozen=True)
class LookupKey:
    """What a Nexar answer depends on. Quantity is deliberately absent: pricing at a
    quantity is computed from the cached price breaks."""

    mpn: str
    currency: str = "USD"
    country: str = "US"
    all_sellers: bool = False
    mfr: str | None = None
    """Match only this manufacturer (sent to Nexar as written, whitespace tidied)."""
    by: PartBy = "mpn"
    """A seller's SKU (`supMultiMatch` by `sku`) or an Octopart part id (`supParts`) in `mpn`, for links."""

    def __post_init__(self) -> None:
        mfr = " ".join((self.mfr or "").split())
        object.__setattr__(self, "mfr", mfr or None)

    def cache_key(self) -> str:
        """Versioned, so entries written by an older release are simply not found.

        v2: answers carry `orderMultiple` (v1 entries lack it and would price wrongly),
        and the manufacturer is part of the key (case and spacing do not matter to Nexar;
        "TI" and "Texas Instruments" are two entries: which names are aliases Nexar knows)."""
        sellers = "all" if self.all_sellers else "auth"
        mfr = (self.mfr or "").casefold()
        name = normalize_mpn(self.mpn) if self.by == "mpn" else f"{self.by}:{normalize_mpn(self.mpn)}"
        return f"v2|{name}|{self.currency}|{self.country}|{sellers}|{mfr}"


@dataclass(frozen=True)
class LineItem:
    mpn: str
    quantity: int = 1
    mfr: str | None = None
    """Match only this manufacturer (a BOM's manufacturer column, or `--mfr`)."""
    by: PartBy = "mpn"
    """What `mpn` holds: an MPN, or (from a link) a seller's SKU or an Octopart part id."""


@dataclass(frozen=True)
class Options:
    all_sellers: bool = False
    currency: str = "USD"
    country: str = "US"
    public: bool = False
    mfr: str | None = None
    """`--mfr NAME`: every line without a manufacturer of its own matches only this one."""
    boards: int = 1
    """`x50 boards` / `--boards 50` with a BOM: every line's quantity is multiplied by it."""
    alternates: bool = False
    """`--alternates`: also show the best similar parts."""


@dataclass(frozen=True)
class PricedOffer:
    """A seller's offer priced at the asked quantity: what the buyer really pays.

    `bought` is the quantity actually bought: the asked one, raised to the minimum order
    (`below_moq`) and rounded up to the order multiple (`rounded_up`)."""

    seller: Seller
    offer: Offer
    unit_price: Money | None
    bought: int | None
    below_moq: bool
    estimated: bool
    breaks: tuple[PricePoint, ...] = field(default=())
    rounded_up: bool = False

    @property
    def currency(self) -> str | None:
        return self.unit_price.currency if self.unit_price else None

    @property
    def priced_quantity(self) -> int | None:
        return self.bought

    @property
    def extended_price(self) -> Money | None:
        if self.unit_price is None or self.bought is None:
            return None
        return self.unit_price * self.bought

    @property
    def enough_stock(self) -> bool:
        """Known stock covers the quantity bought (-2, in stock but how many unknown, does not)."""
        return self.bought is not None and 0 < self.bought <= self.offer.inventory_level

    @property
    def short_stock(self) -> bool:
        return 0 < self.offer.inventory_level < (self.bought or 0)

    @property
    def in_stock(self) -> bool:
        return self.offer.inventory_level > 0 or self.offer.inventory_level == STOCK_UNKNOWN
