"""Every recorded Nexar answer in ../shared/realworld/nexar/, parsed with `parse_part` and priced
at many quantities with all sellers, checked against a hand-written oracle.

The oracle reads the recorded JSON on its own (amounts as the exact decimals written in the
file) and works out, offer by offer, what a buyer pays: the minimum order, the order multiple,
the largest price break at or below the quantity bought. Recordings lack `isAuthorized` and
`isBroker` (absent, not false), so sellers are compared with `--all`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.nexar import parse_part
from bot.domain.models import LineItem, Options, Part, SearchResult
from bot.domain.money import Money
from bot.domain.outcomes import Answer, PartAnswer
from bot.domain.pricing import price_offer, rank_offers
from bot.messages.answer import render_answer
from tests.blockkit import assert_valid_message
from tests.shared import shared_dir

RECORDED = shared_dir() / "realworld" / "nexar"
QUANTITIES = (1, 10, 100, 1000, 5000)


def _files() -> list[Path]:
    if not RECORDED.is_dir():
        return []
    return sorted(p for d in ("kicost-2022-10", "kicost-2022-12", "octopart-v4") for p in (RECORDED / d).glob("*.json"))


FILES = _files()
needs_recordings = pytest.mark.skipif(not FILES, reason=f"recorded Nexar answers not at {RECORDED}")


def _raw_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body["data"]
    if "supMultiMatch" in data:
        return [p for match in data["supMultiMatch"] for p in match.get("parts") or []]
    return [r["part"] for r in data["supSearchMpn"]["results"]]


# --- the oracle ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buy:
    bought: int
    unit: Decimal
    currency: str

    @property
    def total(self) -> Decimal:
        return self.unit * self.bought


def oracle(offer: dict[str, Any], quantity: int, currency: str) -> Buy | None:
    """What a buyer pays for `quantity` from this recorded offer, worked out from the JSON."""
    prices = [
        (p["quantity"], Decimal(p["price"]), p["currency"])
        for p in offer.get("prices") or []
        if p.get("currency") and p.get("quantity") and p["quantity"] >= 1 and p["price"] > 0
    ]
    if not prices:
        return None
    if not any(c == currency for _, _, c in prices):
        currency = prices[0][2]  # no price in the asked currency: the offer's own first one
    ladder = [(q, price) for q, price, c in prices if c == currency]
    moq = offer.get("moq") or 1
    multiple = offer.get("orderMultiple") or 1
    bought = max(quantity, moq, min(q for q, _ in ladder))
    bought += (-bought) % multiple  # up to the next whole multiple
    best_q = max(q for q, _ in ladder if q <= bought)
    unit = next(price for q, price in ladder if q == best_q)
    return Buy(bought, unit, currency)


def enough_known_stock(offer: dict[str, Any], buy: Buy) -> bool:
    level = offer.get("inventoryLevel")
    return isinstance(level, int) and level > 0 and level >= buy.bought


def edges(offer: dict[str, Any]) -> set[int]:
    """The quantities where this offer's price changes shape: around its MOQ, its multiple, its breaks."""
    out: set[int] = set()
    for n in (offer.get("moq"), offer.get("orderMultiple")):
        if n:
            out |= {n - 1, n, n + 1, 2 * n + 1}
    for p in offer.get("prices") or []:
        q = p.get("quantity") or 0
        out |= {q - 1, q}
    return {n for n in out if n >= 1}


def _recorded() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        exact = json.loads(text, parse_float=Decimal)  # the oracle's view: the decimals as written
        loose = json.loads(text)  # what httpx hands the client: JSON floats
        for raw_exact, raw_loose in zip(_raw_parts(exact), _raw_parts(loose), strict=True):
            yield f"{path.parent.name}/{path.name}", raw_exact, raw_loose


RECORDS = list(_recorded()) if FILES else []


# --- the tests -------------------------------------------------------------------------------------------


@needs_recordings
def test_the_recordings_are_all_there() -> None:
    files = {p.parent.name for p in FILES}
    assert files == {"kicost-2022-10", "kicost-2022-12", "octopart-v4"}
    assert len(FILES) == 132
    offers = sum(len(s.get("offers") or []) for _, raw, _ in RECORDS for s in raw.get("sellers") or [])
    assert offers > 3000


@needs_recordings
@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP"])
def test_every_offer_is_priced_as_the_oracle_says(currency: str) -> None:
    checked = 0
    for name, raw_exact, raw_loose in RECORDS:
        part = parse_part(raw_loose)
        raw_offers = [o for s in raw_exact.get("sellers") or [] for o in s.get("offers") or []]
        offers = [(s, o) for s in part.sellers for o in s.offers]
        assert len(offers) == len(raw_offers), name
        for (seller, offer), raw in zip(offers, raw_offers, strict=True):
            for q in sorted(set(QUANTITIES) | edges(raw)):
                want = oracle(raw, q, currency)
                got = price_offer(seller, offer, q, currency)
                where = f"{name}: {seller.name} {offer.sku} x{q} {currency}"
                if want is None:
                    assert got.unit_price is None and got.extended_price is None, where
                    continue
                assert got.unit_price == Money(want.unit, want.currency), where
                assert got.bought == want.bought, where
                assert got.extended_price == Money(want.total, want.currency), where
                assert got.below_moq == (q < max(raw.get("moq") or 1, min(b.quantity for b in got.breaks))), where
                assert got.enough_stock == enough_known_stock(raw, want), where
                checked += 1
    assert checked > 30_000


@needs_recordings
def test_the_best_buy_is_the_cheapest_offer_with_enough_known_stock() -> None:
    """For each recorded part and quantity: the first seller shown is the oracle's cheapest
    offer (in USD, the currency the recordings were asked in) among those whose known stock
    covers what is bought; when none does, no seller is presented as having enough."""
    compared = 0
    for name, raw_exact, raw_loose in RECORDS:
        part = parse_part(raw_loose)
        raw_offers = [o for s in raw_exact.get("sellers") or [] for o in s.get("offers") or []]
        quantities = set(QUANTITIES)
        for raw in raw_offers:
            quantities |= {n for n in edges(raw) if n in (raw.get("moq"), raw.get("orderMultiple"))}
        for q in sorted(quantities):
            buys = [(o, oracle(o, q, "USD")) for o in raw_offers]
            totals = [b.total for o, b in buys if b is not None and b.currency == "USD" and enough_known_stock(o, b)]
            ranked = rank_offers(part, q, "USD", all_sellers=True)
            where = f"{name} x{q}"
            if totals:
                first = ranked[0]
                assert first.enough_stock and first.extended_price == Money(min(totals), "USD"), where
                compared += 1
            else:
                assert not any(r.enough_stock and r.currency == "USD" for r in ranked), where
            # Never ranked across currencies: USD first, then each other currency together.
            seen: list[str] = []
            for r in ranked:
                if r.enough_stock and r.currency and (not seen or seen[-1] != r.currency):
                    assert r.currency not in seen, f"{where}: {r.currency} split"
                    seen.append(r.currency)
            assert seen[:1] in ([], ["USD"]) or "USD" not in seen, where
    assert compared > 500


@needs_recordings
def test_recordings_without_authorization_fields_show_no_seller_by_default() -> None:
    for name, _, raw_loose in RECORDS:
        part = parse_part(raw_loose)
        absent = [s for s in raw_loose.get("sellers") or [] if "isAuthorized" not in s]
        if absent and len(absent) == len(raw_loose.get("sellers") or []):
            assert rank_offers(part, 1, "USD") == [], name
            assert not any(s.is_authorized or s.is_broker for s in part.sellers), name


@needs_recordings
def test_stock_code_minus_two_is_never_enough_stock() -> None:
    found = 0
    for _, _, raw_loose in RECORDS:
        part = parse_part(raw_loose)
        for r in rank_offers(part, 1, "USD", all_sellers=True):
            if r.offer.inventory_level == -2:
                found += 1
                assert not r.enough_stock
    assert found > 0


@needs_recordings
def test_lifecycle_is_a_clean_status() -> None:
    statuses = set()
    for name, _, raw_loose in RECORDS:
        part = parse_part(raw_loose)
        assert "Last Updated" not in part.lifecycle_text, name
        statuses.add(part.lifecycle.value)
    assert {"Production", "EOL", "NRND"} <= statuses


@needs_recordings
def test_the_octopart_answer_with_only_non_authorized_sellers() -> None:
    [(_, _, raw)] = [r for r in RECORDS if r[0].startswith("octopart-v4/")]
    part = parse_part(raw)
    assert part.sellers and not any(s.is_authorized for s in part.sellers)
    assert rank_offers(part, 1, "USD") == []
    ranked = rank_offers(part, 1, "USD", all_sellers=True)
    assert len(ranked) == len(part.sellers)
    assert all(r.unit_price is None for r in ranked)


def _answer(part: Part, quantity: int) -> Answer:
    item = LineItem(part.mpn, quantity)
    return Answer((PartAnswer(item, SearchResult(part, 1)),), Options(all_sellers=True), 1, None, False, 0.0)


@needs_recordings
@pytest.mark.parametrize("quantity", [1, 5000])
def test_every_recorded_part_renders_within_slack_limits(quantity: int) -> None:
    for name, _, raw_loose in RECORDS:
        msg = render_answer(_answer(parse_part(raw_loose), quantity)).to_dict()
        assert_valid_message(msg)
        assert "Last Updated" not in json.dumps(msg), name


@needs_recordings
def test_absent_total_stock_is_not_shown_as_zero() -> None:
    name, _, raw = next(r for r in RECORDS if "totalAvail" not in r[2])
    part = parse_part(raw)
    assert part.total_avail is None, name
    msg = render_answer(_answer(part, 1)).to_dict()
    assert "Total stock" not in json.dumps(msg)
