"""Nexar's part JSON (`PartFields`) as domain models: the response-to-model mapping.

Fields a recorded or older answer lacks are read as absent, never guessed: no
`isAuthorized` is not authorized, no `orderMultiple` is none, a price without a currency
or quantity is not a price a buyer can pay.
"""

from __future__ import annotations

from typing import Any

from bot.domain.models import UNKNOWN, Offer, Part, PricePoint, Seller
from bot.domain.money import to_decimal
from bot.domain.pricing import clean_lifecycle_text, parse_lifecycle


def _int(value: Any) -> int | None:
    """A whole number from JSON, or None (absent, null, or not a whole number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _price(p: dict[str, Any]) -> PricePoint | None:
    """A price break; None when it is not one a buyer can pay (no currency, no quantity,
    no price, or not a positive amount)."""
    quantity = _int(p.get("quantity"))
    currency = str(p.get("currency") or "").strip().upper()
    try:
        price = to_decimal(p.get("price"))
    except ValueError:
        return None
    if quantity is None or quantity < 1 or not currency or price <= 0:
        return None
    converted_currency = str(p.get("convertedCurrency") or "").strip().upper() or None
    try:
        converted = to_decimal(p["convertedPrice"]) if p.get("convertedPrice") is not None else None
    except ValueError:
        converted = None
    if converted is None or converted <= 0 or converted_currency is None:
        converted, converted_currency = None, None
    return PricePoint(quantity, price, currency, converted, converted_currency)


def _offer(o: dict[str, Any]) -> Offer:
    level = _int(o.get("inventoryLevel"))
    moq = _int(o.get("moq"))
    multiple = _int(o.get("orderMultiple"))
    return Offer(
        sku=o.get("sku") or "",
        inventory_level=UNKNOWN if level is None else level,
        moq=moq if moq and moq > 0 else None,
        packaging=o.get("packaging"),
        click_url=o.get("clickUrl") or "",
        updated=o.get("updated"),
        prices=tuple(pp for pp in (_price(p) for p in o.get("prices") or ()) if pp is not None),
        order_multiple=multiple if multiple and multiple > 0 else None,
    )


def _seller(s: dict[str, Any]) -> Seller:
    """Absent `isAuthorized`/`isBroker` (answers recorded without them) read as not
    authorized and not a broker: such sellers show only with `--all`."""
    company = s.get("company") or {}
    return Seller(
        name=company.get("name") or "Unknown seller",
        is_authorized=s.get("isAuthorized") is True,
        is_broker=s.get("isBroker") is True,
        offers=tuple(_offer(o) for o in s.get("offers") or ()),
        homepage_url=company.get("homepageUrl"),
    )


def parse_part(d: dict[str, Any]) -> Part:
    """A `PartFields` JSON object as a `Part`."""
    raw_lifecycle = ""
    for spec in d.get("specs") or ():
        if (spec.get("attribute") or {}).get("shortname") == "lifecyclestatus":
            raw_lifecycle = spec.get("displayValue") or ""
    total = _int(d.get("totalAvail"))
    return Part(
        mpn=d["mpn"],
        manufacturer=(d.get("manufacturer") or {}).get("name") or "",
        description=d.get("shortDescription") or "",
        octopart_url=d.get("octopartUrl"),
        total_avail=None if total is None else max(total, 0),
        image_url=(d.get("bestImage") or {}).get("url"),
        datasheet_url=(d.get("bestDatasheet") or {}).get("url"),
        lifecycle=parse_lifecycle(raw_lifecycle),
        lifecycle_text=clean_lifecycle_text(raw_lifecycle),
        sellers=tuple(_seller(s) for s in d.get("sellers") or ()),
    )
