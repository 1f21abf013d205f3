"""Price breaks, seller ranking, lifecycle and money formatting (bot.domain.pricing)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.models import NON_STOCKED, RFQ, STOCK_UNKNOWN, UNKNOWN, Lifecycle, Offer, Part, PricedOffer, PricePoint, Seller
from bot.domain.money import Money
from bot.domain.pricing import (
    clean_lifecycle_text,
    is_exact_match,
    is_stocked,
    parse_lifecycle,
    price_offer,
    rank_offers,
)
from bot.messages.blocks import stock_label

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pp(
    quantity: int, price: float, currency: str = "USD", converted: float | None = None, converted_currency: str | None = None
) -> PricePoint:
    return PricePoint(quantity, D(price), currency, None if converted is None else D(converted), converted_currency)


def D(value: float | str) -> Decimal:
    """The decimal a JSON number is written as (0.1 is 0.1, not the float's binary value)."""
    return Decimal(str(value))


def usd(value: float | str, currency: str = "USD") -> Money:
    return Money(D(value), currency)


def offer(
    *prices: PricePoint,
    stock: int = 1000,
    moq: int | None = None,
    sku: str = "SKU",
    url: str = "https://example.com/buy",
    multiple: int | None = None,
) -> Offer:
    return Offer(
        sku=sku,
        inventory_level=stock,
        moq=moq,
        packaging=None,
        click_url=url,
        updated=None,
        prices=tuple(prices),
        order_multiple=multiple,
    )


def seller(name: str, *offers: Offer, authorized: bool = True, broker: bool = False) -> Seller:
    return Seller(name=name, is_authorized=authorized, is_broker=broker, offers=tuple(offers))


LADDER = (pp(1, 1.00), pp(10, 0.80), pp(100, 0.50), pp(1000, 0.30))
S = seller("Digi-Key")


# --- price_offer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "unit"),
    [(1, 1.00), (9, 1.00), (10, 0.80), (11, 0.80), (99, 0.80), (100, 0.50), (999, 0.50), (1000, 0.30), (10_000_000, 0.30)],
)
def test_unit_price_is_the_largest_break_at_or_below_the_quantity(qty: int, unit: float) -> None:
    p = price_offer(S, offer(*LADDER), qty, "USD")
    assert p.unit_price == usd(unit)
    assert p.priced_quantity == qty
    assert p.below_moq is False
    assert p.estimated is False
    assert p.currency == "USD"
    assert p.extended_price == usd(unit) * qty
    assert p.breaks == LADDER


def test_unsorted_breaks_are_sorted_before_pricing() -> None:
    shuffled = (LADDER[2], LADDER[0], LADDER[3], LADDER[1])
    p = price_offer(S, offer(*shuffled), 150, "USD")
    assert p.unit_price == usd(0.50)
    assert [b.quantity for b in p.breaks] == [1, 10, 100, 1000]


def test_exactly_on_a_break() -> None:
    p = price_offer(S, offer(*LADDER), 100, "USD")
    assert (p.unit_price, p.priced_quantity, p.below_moq) == (usd(0.50), 100, False)
    assert p.extended_price == usd(50)


def test_below_the_moq_is_priced_at_the_moq_and_flagged() -> None:
    p = price_offer(S, offer(*LADDER, moq=25), 5, "USD")
    assert p.below_moq is True
    assert p.priced_quantity == 25
    assert p.unit_price == usd(0.80)
    assert p.extended_price == usd(20)


def test_at_or_above_the_moq_is_not_flagged() -> None:
    p = price_offer(S, offer(*LADDER, moq=25), 25, "USD")
    assert (p.below_moq, p.priced_quantity, p.unit_price) == (False, 25, usd(0.80))
    p = price_offer(S, offer(*LADDER, moq=25), 150, "USD")
    assert (p.below_moq, p.priced_quantity, p.unit_price) == (False, 150, usd(0.50))


def test_below_the_smallest_break_without_moq_is_priced_at_that_break_and_flagged() -> None:
    ladder = (pp(100, 0.50), pp(1000, 0.30))
    for moq in (None, 0, 1):
        p = price_offer(S, offer(*ladder, moq=moq), 7, "USD")
        assert p.below_moq is True, moq
        assert p.priced_quantity == 100
        assert p.unit_price == usd(0.50)
        assert p.extended_price == usd(50)


def test_moq_below_the_smallest_break_still_prices_at_the_smallest_break() -> None:
    p = price_offer(S, offer(pp(100, 0.50), moq=10), 20, "USD")
    assert (p.priced_quantity, p.unit_price, p.below_moq) == (100, usd(0.50), True)


def test_moq_between_breaks_uses_the_break_below_the_moq() -> None:
    p = price_offer(S, offer(*LADDER, moq=2500), 1, "USD")
    assert (p.priced_quantity, p.unit_price, p.below_moq) == (2500, usd(0.30), True)


def test_native_currency_is_preferred_over_a_converted_price() -> None:
    o = offer(
        pp(1, 1.10, "EUR", 1.20, "USD"),
        pp(1, 1.00, "USD", 1.00, "USD"),
        pp(10, 0.90, "USD", 0.90, "USD"),
    )
    p = price_offer(S, o, 10, "USD")
    assert (p.unit_price, p.currency, p.estimated) == (usd(0.90), "USD", False)
    assert all(b.currency == "USD" for b in p.breaks)


def test_converted_prices_are_flagged_as_estimates() -> None:
    o = offer(pp(1, 1.00, "EUR", 1.09, "USD"), pp(100, 0.80, "EUR", 0.872, "USD"))
    p = price_offer(S, o, 150, "USD")
    assert p.unit_price == usd(0.872)
    assert p.currency == "USD"
    assert p.estimated is True
    assert [(b.quantity, b.price, b.currency) for b in p.breaks] == [(1, D(1.09), "USD"), (100, D(0.872), "USD")]


def test_converted_price_missing_falls_back_to_the_native_ladder_unconverted() -> None:
    o = offer(pp(1, 1.00, "EUR"), pp(100, 0.80, "EUR"), pp(1, 0.9, "GBP"))
    p = price_offer(S, o, 100, "USD")
    assert (p.unit_price, p.currency, p.estimated) == (usd(0.80, "EUR"), "EUR", False)
    assert [b.currency for b in p.breaks] == ["EUR", "EUR"]


def test_offer_with_no_prices() -> None:
    o = offer(stock=500)
    p = price_offer(S, o, 10, "USD")
    assert p.unit_price is None
    assert p.currency is None
    assert p.priced_quantity is None
    assert p.extended_price is None
    assert p.below_moq is False
    assert p.estimated is False
    assert p.breaks == ()
    assert p.in_stock is True


@pytest.mark.parametrize(
    ("level", "expected"),
    [(5, True), (1, True), (0, False), (NON_STOCKED, False), (STOCK_UNKNOWN, True), (UNKNOWN, False), (RFQ, False)],
)
def test_in_stock(level: int, expected: bool) -> None:
    assert price_offer(S, offer(*LADDER, stock=level), 1, "USD").in_stock is expected


# --- rank_offers ---------------------------------------------------------------------------------


def part(*sellers: Seller) -> Part:
    return Part(mpn="LM358DR", manufacturer="Texas Instruments", sellers=tuple(sellers))


def names(ranked: list[PricedOffer]) -> list[str]:
    return [p.seller.name for p in ranked]


def test_enough_stock_cheapest_first_then_partial_then_unpriced_then_unstocked() -> None:
    p = part(
        seller("Out", offer(pp(1, 0.01), stock=0)),
        seller("NonStocked", offer(pp(1, 0.01), stock=NON_STOCKED)),
        seller("Rfq", offer(pp(1, 0.01), stock=RFQ)),
        seller("Unknown", offer(pp(1, 0.01), stock=UNKNOWN)),
        seller("Unpriced", offer(stock=5000)),
        seller("Partial", offer(pp(1, 0.05), stock=50)),
        seller("Dear", offer(pp(1, 0.90), stock=5000)),
        seller("Cheap", offer(pp(1, 0.40), stock=100)),
        seller("QtyUnknown", offer(pp(1, 0.60), stock=STOCK_UNKNOWN)),
    )
    ranked = rank_offers(p, 100, "USD")
    # -2 (in stock, quantity unknown) is not enough stock for 100: after every known-enough offer.
    assert names(ranked[:5]) == ["Cheap", "Dear", "QtyUnknown", "Partial", "Unpriced"]
    assert set(names(ranked[5:])) == {"Out", "NonStocked", "Rfq", "Unknown"}
    assert [is_stocked(r) for r in ranked] == [True] * 5 + [False] * 4


def test_stock_unknown_code_counts_as_in_stock_but_not_as_enough() -> None:
    p = part(seller("A", offer(pp(1, 0.5), stock=STOCK_UNKNOWN)), seller("B", offer(pp(1, 0.4), stock=10)))
    ranked = rank_offers(p, 1_000_000, "USD")
    # B has only 10 of 1,000,000 (partial); A's -2 means "in stock, quantity unknown".
    assert names(ranked) == ["A", "B"]
    assert all(is_stocked(r) for r in ranked)
    assert not any(r.enough_stock for r in ranked)
    # For 5 pieces B's 10 are known to be enough; A's unknown quantity is not.
    assert names(rank_offers(p, 5, "USD")) == ["B", "A"]
    dear_known = part(seller("A", offer(pp(1, 0.1), stock=STOCK_UNKNOWN)), seller("B", offer(pp(1, 9.0), stock=10)))
    assert names(rank_offers(dear_known, 5, "USD")) == ["B", "A"]


def test_partial_stock_sorted_by_price() -> None:
    p = part(
        seller("P1", offer(pp(1, 0.9), stock=10)),
        seller("P2", offer(pp(1, 0.3), stock=20)),
        seller("Full", offer(pp(1, 5.0), stock=1000)),
    )
    assert names(rank_offers(p, 500, "USD")) == ["Full", "P2", "P1"]


def test_enough_stock_is_judged_at_the_priced_quantity() -> None:
    # Asked 10 but the MOQ is 100 and only 50 are in stock: that is partial stock.
    p = part(seller("Moq", offer(pp(1, 0.10), moq=100, stock=50)), seller("Plain", offer(pp(1, 0.20), stock=50)))
    assert names(rank_offers(p, 10, "USD")) == ["Plain", "Moq"]


def test_ties_in_price_prefer_more_stock() -> None:
    p = part(seller("Small", offer(pp(1, 0.5), stock=100)), seller("Big", offer(pp(1, 0.5), stock=9000)))
    assert names(rank_offers(p, 10, "USD")) == ["Big", "Small"]


def test_authorized_only_by_default() -> None:
    p = part(
        seller("Auth", offer(pp(1, 0.5))),
        seller("Unauth", offer(pp(1, 0.1)), authorized=False),
        seller("Broker", offer(pp(1, 0.1)), authorized=False, broker=True),
        seller("AuthBroker", offer(pp(1, 0.1)), authorized=True, broker=True),
    )
    assert names(rank_offers(p, 1, "USD")) == ["Auth"]
    assert names(rank_offers(p, 1, "USD", all_sellers=False)) == ["Auth"]
    assert set(names(rank_offers(p, 1, "USD", all_sellers=True))) == {"Auth", "Unauth", "Broker", "AuthBroker"}
    assert names(rank_offers(p, 1, "USD", all_sellers=True))[-1] == "Auth"


def test_a_sellers_best_offer_is_chosen_among_several() -> None:
    s = seller(
        "Digi-Key",
        offer(pp(1, 0.30), stock=0, sku="cut-tape-oos"),
        offer(pp(1, 0.50), stock=5000, sku="tube"),
        offer(pp(1, 0.45), stock=20, sku="partial"),
        offer(pp(1, 0.40), stock=5000, sku="reel"),
        offer(stock=9000, sku="unpriced"),
    )
    ranked = rank_offers(part(s), 100, "USD")
    assert len(ranked) == 1
    assert ranked[0].offer.sku == "reel"
    assert ranked[0].unit_price == usd(0.40)


def test_seller_with_no_offers_is_not_listed() -> None:
    assert rank_offers(part(seller("Empty"), seller("Has", offer(pp(1, 1.0)))), 1, "USD")[0].seller.name == "Has"
    assert names(rank_offers(part(seller("Empty")), 1, "USD")) == []


def test_ranking_uses_the_price_at_the_asked_quantity() -> None:
    p = part(
        seller("SmallLot", offer(pp(1, 0.50), pp(1000, 0.45))),
        seller("Volume", offer(pp(1, 0.90), pp(1000, 0.20))),
    )
    assert names(rank_offers(p, 1, "USD")) == ["SmallLot", "Volume"]
    assert names(rank_offers(p, 1000, "USD")) == ["Volume", "SmallLot"]


def test_rank_offers_on_a_part_with_no_sellers() -> None:
    assert rank_offers(part(), 10, "USD") == []


# --- lifecycle -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Production", Lifecycle.PRODUCTION),
        ("production", Lifecycle.PRODUCTION),
        ("Active", Lifecycle.PRODUCTION),
        ("NRND", Lifecycle.NRND),
        ("nrnd", Lifecycle.NRND),
        ("Not Recommended for New Designs", Lifecycle.NRND),
        ("Obsolete", Lifecycle.OBSOLETE),
        ("Discontinued", Lifecycle.OBSOLETE),
        ("EOL", Lifecycle.EOL),
        ("End of Life", Lifecycle.EOL),
        ("Last Time Buy", Lifecycle.EOL),
        ("LTB", Lifecycle.EOL),
        ("Production (Last Time Buy)", Lifecycle.EOL),
        ("New", Lifecycle.NEW),
        ("New Product", Lifecycle.NEW),
        ("Preview", Lifecycle.NEW),
        ("", Lifecycle.UNKNOWN),
        (None, Lifecycle.UNKNOWN),
        ("   ", Lifecycle.UNKNOWN),
        ("Flux capacitor", Lifecycle.UNKNOWN),
        ("Geoloc", Lifecycle.UNKNOWN),
    ],
)
def test_parse_lifecycle(text: str | None, status: Lifecycle) -> None:
    assert parse_lifecycle(text) is status


def test_lifecycle_warning_statuses() -> None:
    assert {s for s in Lifecycle if s.is_warning} == {Lifecycle.NRND, Lifecycle.EOL, Lifecycle.OBSOLETE}


# --- exact match ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "found", "exact"),
    [
        ("AD7685ARM", "AD7685ARM", True),
        ("ad7685arm", "AD7685ARM", True),
        ("ATMEGA328P-AU", "atmega328pau", True),
        ("SN74LVC1G14DBVR/T", "SN74LVC1G14DBVRT", True),
        ("AD7685", "AD7685ARM", False),
        ("AD7685ARMZ", "AD7685ARM", False),
        ("LM358", "LM358DR", False),
    ],
)
def test_is_exact_match(asked: str, found: str, exact: bool) -> None:
    assert is_exact_match(asked, found) is exact


@pytest.mark.parametrize(
    ("level", "label"),
    [
        (1, "1"),
        (412, "412"),
        (1234567, "1,234,567"),
        (0, "out of stock"),
        (NON_STOCKED, "non-stocked"),
        (STOCK_UNKNOWN, "in stock"),
        (UNKNOWN, "unknown"),
        (RFQ, "RFQ"),
        (-99, "unknown"),
    ],
)
def test_stock_label(level: int, label: str) -> None:
    assert stock_label(level) == label


# --- properties ----------------------------------------------------------------------------------------

LADDERS = st.dictionaries(
    st.integers(1, 100_000),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10_000), places=5),
    min_size=1,
    max_size=10,
)


@FAST
@given(
    LADDERS,
    st.integers(1, 10_000_000),
    st.one_of(st.none(), st.integers(0, 50_000)),
    st.one_of(st.none(), st.integers(1, 5000)),
    st.permutations(range(10)),
)
def test_unit_price_property(
    ladder: dict[int, Decimal], qty: int, moq: int | None, multiple: int | None, order: list[int]
) -> None:
    points = [PricePoint(q, price, "USD") for q, price in ladder.items()]
    shuffled = [points[i] for i in order if i < len(points)]
    p = price_offer(S, offer(*shuffled, moq=moq, multiple=multiple), qty, "USD")
    minimum = max(moq or 1, min(ladder))
    step = multiple or 1
    # The smallest quantity ≥ the asked one and ≥ the minimum that is a whole number of steps.
    at = next(n for n in range(max(qty, minimum), max(qty, minimum) + step) if n % step == 0)
    expected_break = max(q for q in ladder if q <= at)
    assert p.unit_price == Money(ladder[expected_break], "USD")
    assert p.bought == at
    assert p.below_moq is (qty < minimum)
    assert p.rounded_up is (at > max(qty, minimum))
    assert p.extended_price == Money(ladder[expected_break] * at, "USD")
    assert p.estimated is False and p.currency == "USD"


OFFERS = st.builds(
    lambda stock, moq, multiple, ladder: offer(*(pp(q, v) for q, v in ladder.items()), stock=stock, moq=moq, multiple=multiple),
    st.sampled_from([0, NON_STOCKED, STOCK_UNKNOWN, UNKNOWN, RFQ, 1, 10, 100, 10_000]),
    st.one_of(st.none(), st.integers(1, 1000)),
    st.sampled_from([None, 1, 3, 250]),
    st.dictionaries(st.integers(1, 5000), st.floats(0.001, 100).map(lambda f: round(f, 4)), max_size=4),
)
SELLERS = st.builds(
    lambda name, offers, auth, broker: seller(name, *offers, authorized=auth, broker=broker),
    st.text(min_size=1, max_size=8),
    st.lists(OFFERS, max_size=3),
    st.booleans(),
    st.booleans(),
)


def _group(p: PricedOffer) -> int:
    """0 enough known stock, 1 priced with stock code -2, 2 partial stock, 3 in stock but
    unpriced, 4 out of stock / codes."""
    level, bought = p.offer.inventory_level, p.bought
    if p.unit_price is not None and bought is not None and 0 < bought <= level:
        return 0
    if p.unit_price is not None and level == STOCK_UNKNOWN:
        return 1
    if p.unit_price is not None and level > 0:
        return 2
    if level > 0 or level == STOCK_UNKNOWN:
        return 3
    return 4


@FAST
@given(st.lists(SELLERS, max_size=8), st.integers(1, 20_000), st.booleans())
def test_rank_offers_property(sellers: list[Seller], qty: int, all_sellers: bool) -> None:
    p = Part("X1", "M", sellers=tuple(sellers))
    ranked = rank_offers(p, qty, "USD", all_sellers)
    eligible = [s for s in sellers if s.offers and (all_sellers or (s.is_authorized and not s.is_broker))]
    assert len(ranked) == len(eligible)
    assert all(r.seller in eligible for r in ranked)
    groups = [_group(r) for r in ranked]
    assert groups == sorted(groups)
    for a, b in itertools.pairwise(ranked):
        if _group(a) == _group(b) and a.extended_price is not None and b.extended_price is not None:
            assert a.extended_price <= b.extended_price, "ranked by what the buyer really pays"
    assert [is_stocked(r) for r in ranked] == [g < 4 for g in groups]
    for r in ranked:
        best_of_seller = min(
            (price_offer(r.seller, o, qty, "USD") for o in r.seller.offers),
            key=lambda x: (_group(x), x.extended_price is None, x.extended_price.amount if x.extended_price else 0),
        )
        assert _group(r) == _group(best_of_seller)
        assert (r.extended_price is None) == (best_of_seller.extended_price is None)
        if r.extended_price is not None and best_of_seller.extended_price is not None:
            assert r.extended_price == best_of_seller.extended_price


def test_an_offer_that_sells_the_asked_quantity_beats_a_cheaper_reel() -> None:
    reel = seller("Arrow", offer(pp(2500, 0.10), stock=15_000, moq=2500))
    cut = seller("Digi-Key", offer(pp(1, 0.30), pp(100, 0.15), stock=5_000))
    ranked = rank_offers(Part("LM358DR", "TI", sellers=(reel, cut)), 100, "USD")
    assert [r.seller.name for r in ranked] == ["Digi-Key", "Arrow"]
    assert ranked[1].below_moq and ranked[1].priced_quantity == 2500


def test_offers_priced_only_in_another_currency_rank_after_the_asked_one() -> None:
    gbp = seller("Farnell", offer(pp(1, 1.0, "GBP"), stock=100))
    usd = seller("Mouser", offer(pp(1, 5.0), stock=100))
    ranked = rank_offers(Part("X", "M", sellers=(gbp, usd)), 1, "USD")
    assert [r.seller.name for r in ranked] == ["Mouser", "Farnell"]


def test_one_piece_in_stock_is_partial_stock_not_unpriced() -> None:
    one = seller("Mouser", offer(pp(1, 9.0), stock=1))
    unpriced = seller("Arrow", offer(stock=1000))
    ranked = rank_offers(Part("X", "M", sellers=(unpriced, one)), 5, "USD")
    assert [r.seller.name for r in ranked] == ["Mouser", "Arrow"]


def test_converted_prices_only_count_in_the_asked_currency() -> None:
    gbp = pp(1, 1.0, "GBP", 1.27, "USD")
    p = price_offer(S, offer(gbp, stock=10), 1, "EUR")
    assert (p.unit_price, p.currency, p.estimated) == (usd(1.0, "GBP"), "GBP", False)


def test_an_offer_with_native_prices_in_two_currencies_uses_the_asked_one() -> None:
    both = seller("TME", offer(pp(1, 2.0, "USD"), pp(1, 1.5, "EUR"), stock=10))
    ranked = rank_offers(Part("X", "M", sellers=(both,)), 1, "EUR")
    assert (ranked[0].unit_price, ranked[0].currency) == (usd(1.5, "EUR"), "EUR")


def test_pre_release_is_new() -> None:
    assert parse_lifecycle("Pre-Release") is Lifecycle.NEW


# --- order multiples, minimum orders and what is really bought ---------------------------------------


def test_the_quantity_bought_is_rounded_up_to_the_order_multiple() -> None:
    reel = offer(pp(4000, 0.05), moq=4000, multiple=4000, stock=40_000)
    p = price_offer(S, reel, 5000, "USD")
    assert (p.bought, p.rounded_up, p.below_moq) == (8000, True, False)
    assert p.extended_price == usd(400)
    p = price_offer(S, reel, 8000, "USD")
    assert (p.bought, p.rounded_up) == (8000, False)


def test_a_multiple_above_the_moq_rounds_the_moq_up_too() -> None:
    p = price_offer(S, offer(pp(1, 1.0), pp(100, 0.5), moq=10, multiple=4), 1, "USD")
    assert (p.bought, p.below_moq, p.rounded_up, p.unit_price) == (12, True, True, usd(1.0))


def test_a_multiple_can_reach_a_cheaper_break() -> None:
    p = price_offer(S, offer(pp(1, 1.0), pp(100, 0.5), multiple=60), 70, "USD")
    assert (p.bought, p.unit_price, p.extended_price) == (120, usd(0.5), usd(60))


def test_a_multiple_of_one_changes_nothing() -> None:
    p = price_offer(S, offer(*LADDER, multiple=1), 7, "USD")
    assert (p.bought, p.rounded_up, p.below_moq) == (7, False, False)


def test_a_reel_sold_in_multiples_is_ranked_by_what_is_really_paid() -> None:
    # Per piece the reel is cheapest, but 5,000 pieces in multiples of 4,000 means buying 8,000.
    reel = seller("Reel", offer(pp(1, 0.030), moq=4000, multiple=4000, stock=100_000))
    cut = seller("Cut", offer(pp(1, 0.045), stock=100_000))
    ranked = rank_offers(part(reel, cut), 5000, "USD")
    assert names(ranked) == ["Cut", "Reel"]
    assert [r.extended_price for r in ranked] == [usd(225), usd(240)]
    assert names(rank_offers(part(reel, cut), 8000, "USD")) == ["Reel", "Cut"]


def test_enough_stock_is_judged_at_the_quantity_bought() -> None:
    # 5,000 asked; multiples of 4,000 means 8,000 bought; 6,000 in stock is not enough.
    short = seller("Short", offer(pp(1, 0.01), multiple=4000, stock=6000))
    full = seller("Full", offer(pp(1, 0.05), stock=9000))
    ranked = rank_offers(part(short, full), 5000, "USD")
    assert names(ranked) == ["Full", "Short"]
    assert ranked[1].short_stock


def test_offers_in_other_currencies_are_grouped_by_currency_never_compared_as_numbers() -> None:
    sellers = (
        seller("Yen", offer(pp(1, 5.0, "JPY"), stock=100)),
        seller("Pound dear", offer(pp(1, 3.0, "GBP"), stock=100)),
        seller("Dollar", offer(pp(1, 90.0), stock=100)),
        seller("Pound cheap", offer(pp(1, 2.0, "GBP"), stock=100)),
    )
    ranked = rank_offers(Part("X", "M", sellers=sellers), 1, "USD")
    # The asked currency first (even at 90.0 against 5 JPY); then GBP cheapest first, then JPY.
    assert names(ranked) == ["Dollar", "Pound cheap", "Pound dear", "Yen"]


def test_a_converted_estimate_is_ranked_with_the_asked_currency() -> None:
    native = seller("Native", offer(pp(1, 1.10), stock=100))
    converted = seller("Converted", offer(pp(1, 1.0, "EUR", 1.05, "USD"), stock=100))
    ranked = rank_offers(Part("X", "M", sellers=(native, converted)), 1, "USD")
    assert names(ranked) == ["Converted", "Native"]
    assert ranked[0].estimated and ranked[0].unit_price == usd(1.05)


def test_two_breaks_at_one_quantity_use_the_first_listed() -> None:
    p = price_offer(S, offer(pp(1, 0.9), pp(1, 0.8), pp(10, 0.5)), 5, "USD")
    assert p.unit_price == usd(0.9)
    assert [b.quantity for b in p.breaks] == [1, 10]


@pytest.mark.parametrize(
    ("text", "clean", "status"),
    [
        ("Production (Last Updated: 2 years ago)", "Production", Lifecycle.PRODUCTION),
        ("EOL (Last Updated: 2 weeks ago)", "EOL", Lifecycle.EOL),
        ("NRND (Last Updated: 1 month ago)", "NRND", Lifecycle.NRND),
        ("Obsolete (last updated: yesterday)", "Obsolete", Lifecycle.OBSOLETE),
        ("Production (Last Time Buy)", "Production (Last Time Buy)", Lifecycle.EOL),
        ("  Active  ", "Active", Lifecycle.PRODUCTION),
        (None, "", Lifecycle.UNKNOWN),
    ],
)
def test_lifecycle_drops_nexars_last_updated_note(text: str | None, clean: str, status: Lifecycle) -> None:
    assert clean_lifecycle_text(text) == clean
    assert parse_lifecycle(text) is status


@pytest.mark.parametrize(
    ("converted", "shown"),
    [("16.548354", "16.55"), ("0.113478", "0.1135"), ("1234.5678", "1234.57"), ("0.00845123", "0.008451"), ("0.5", "0.50")],
)
def test_converted_estimates_keep_four_significant_digits(converted: str, shown: str) -> None:
    p = price_offer(S, offer(pp(1, 1.0, "EUR", converted, "USD")), 3, "USD")
    assert p.estimated and p.unit_price == Money(Decimal(shown), "USD")
    assert p.extended_price == Money(Decimal(shown) * 3, "USD")
