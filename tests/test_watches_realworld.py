"""Watches judged against every recorded Nexar answer in ../shared/realworld/nexar/: a
`below` watch holds exactly at the cheapest stocked unit price a buyer can get at the
quantity (and not a hundredth of a cent under it); a `stock` watch holds exactly when some
offer's known stock covers the quantity. Recordings lack `isAuthorized`, so `--all`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.nexar import parse_part
from bot.domain.models import Part, SearchResult
from bot.domain.watches import Watch, evaluate
from tests.test_realworld_prices import FILES, _raw_parts, needs_recordings

QUANTITIES = (1, 100, 1000)


def _cheapest(part: Part, quantity: int, currency: str) -> Decimal | None:
    """The lowest unit price of an offer in `currency` whose known stock covers what is bought,
    worked out from the breaks directly (minimum order = the MOQ or the first break)."""
    best = None
    for seller in part.sellers:
        for offer in seller.offers:
            breaks = sorted((p for p in offer.prices if p.currency == currency), key=lambda p: p.quantity)
            if not breaks:
                continue
            bought = max(quantity, offer.moq or 1, breaks[0].quantity)
            if offer.order_multiple and offer.order_multiple > 1:
                bought = -(-bought // offer.order_multiple) * offer.order_multiple
            if not 0 < bought <= offer.inventory_level:
                continue
            unit = [p.price for p in breaks if p.quantity <= bought][-1]
            best = unit if best is None or unit < best else best
    return best


@needs_recordings
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_watches_hold_exactly_at_the_best_stocked_price(path: Path) -> None:
    for raw in _raw_parts(json.loads(path.read_text(encoding="utf-8"))):
        part = parse_part({**raw, "sellers": [{**s, "isAuthorized": True, "isBroker": False} for s in raw.get("sellers") or []]})
        result = SearchResult(part, 1)
        for q in QUANTITIES:
            cheapest = _cheapest(part, q, "USD")
            if cheapest is not None:
                at = Watch("W", "U", part.mpn, q, cheapest)
                hit = evaluate(at, result, 0.0, 1.0, 60.0)
                assert hit and hit.unit_price is not None and hit.unit_price.amount == cheapest, (part.mpn, q)
                assert hit.stock >= (hit.bought or q)
                under = Watch("W", "U", part.mpn, q, cheapest - Decimal("0.0001"))
                assert evaluate(under, result, 0.0, 1.0, 60.0) is None, (part.mpn, q)
            in_stock = any(o.inventory_level >= q for s in part.sellers for o in s.offers)
            assert (evaluate(Watch("W", "U", part.mpn, q, None), result, 0.0, 1.0, 60.0) is not None) == in_stock
