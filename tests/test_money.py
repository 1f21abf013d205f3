"""Money (bot.domain.money): exact amounts with currencies, formatting, totals per currency,
and cached answers that keep every digit."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.codes import COUNTRIES, CURRENCIES
from bot.domain.models import Lifecycle, Offer, Part, PricePoint, SearchResult, Seller
from bot.domain.money import CurrencyMismatch, Money, Totals, format_money, plain_amount, to_decimal
from bot.ports import Store
from bot.service.cache import AnswerCache


def m(amount: str, currency: str = "USD") -> Money:
    return Money(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("0.0123", "USD", "$0.0123"),
        ("0.01", "USD", "$0.01"),
        ("0.1", "USD", "$0.10"),
        ("0.00123", "USD", "$0.00123"),
        ("0.000845", "USD", "$0.000845"),
        ("12.5", "USD", "$12.50"),
        ("12.50000", "USD", "$12.50"),
        ("1234.567", "USD", "$1,234.567"),
        ("1000000", "USD", "$1,000,000.00"),
        ("0", "USD", "$0.00"),
        ("12.5", "EUR", "€12.50"),
        ("12.5", "GBP", "£12.50"),
        ("125", "JPY", "¥125"),
        ("0.5", "JPY", "¥0.5"),
        ("1", "CAD", "CA$1.00"),
        ("1", "CHF", "1.00 CHF"),
        ("0.0123", "CHF", "0.0123 CHF"),
        ("1234.5", "SEK", "1,234.50 SEK"),
        ("3.2", "SGD", "3.20 SGD"),
    ],
)
def test_format_money(amount: str, currency: str, text: str) -> None:
    assert format_money(m(amount, currency)) == text
    assert str(m(amount, currency)) == text


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**9), places=6))
def test_formatting_never_loses_a_digit(amount: Decimal) -> None:
    text = format_money(Money(amount, "USD"))
    assert text.startswith("$")
    assert Decimal(text[1:].replace(",", "")) == amount


def test_amounts_are_decimal_and_carry_a_currency() -> None:
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(Decimal(1), "")


def test_unlike_currencies_never_add_or_compare() -> None:
    assert m("0.1") + m("0.2") == m("0.3")
    assert m("0.0123") * 1000 == m("12.3")
    with pytest.raises(CurrencyMismatch):
        m("1") + m("1", "EUR")
    with pytest.raises(CurrencyMismatch):
        _ = m("1") < m("2", "EUR")
    with pytest.raises(TypeError):
        m("1") * 1.5  # type: ignore[operator]


def test_totals_keep_one_sum_per_currency() -> None:
    totals = Totals([m("10"), m("1000", "EUR"), m("0.5"), m("0.25", "EUR")])
    assert list(totals) == [m("10.5"), m("1000.25", "EUR")]
    assert totals.text() == "$10.50 + €1,000.25"
    assert Totals().text() == "nothing priced"
    assert totals.get("GBP") is None


@pytest.mark.parametrize(
    ("value", "exact"),
    [(0.1, "0.1"), (0.0123, "0.0123"), ("0.00845", "0.00845"), (21, "21"), ("1E+2", "100"), (1e-05, "0.00001")],
)
def test_to_decimal_reads_json_numbers_as_written(value: object, exact: str) -> None:
    assert to_decimal(value) == Decimal(exact)


@pytest.mark.parametrize("value", [None, True, "", "abc", "NaN", "Infinity", [1]])
def test_to_decimal_refuses_what_is_not_an_amount(value: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(value)


@pytest.mark.parametrize(
    ("amount", "text"), [("0.0123", "0.0123"), ("12.3000", "12.30"), ("4000", "4000.00"), ("1E+3", "1000.00")]
)
def test_plain_amount_for_files(amount: str, text: str) -> None:
    assert plain_amount(Decimal(amount)) == text


def _result() -> SearchResult:
    prices = (
        PricePoint(1, Decimal("0.012345678901234567890"), "USD"),
        PricePoint(1000, Decimal("0.00845"), "EUR", Decimal("0.0091234"), "USD"),
    )
    offer = Offer("SKU", 5000, 10, "Reel", "https://example.com", None, prices, order_multiple=4000)
    part = Part(
        "LM358DR", "TI", lifecycle=Lifecycle.EOL, lifecycle_text="EOL", sellers=(Seller("Digi-Key", True, False, (offer,)),)
    )
    return SearchResult(part, hits=3, suggestions=("LM358",))


def test_cached_answers_keep_exact_decimals_as_strings() -> None:
    import json

    result = _result()
    stored = json.loads(json.dumps(result.to_json()))
    point = stored["part"]["sellers"][0]["offers"][0]["prices"][0]
    assert point["price"] == "0.012345678901234567890"
    assert SearchResult.from_json(stored) == result


def test_cache_entries_written_with_floats_still_read() -> None:
    import json

    old = json.loads(json.dumps(_result().to_json()))
    offer = old["part"]["sellers"][0]["offers"][0]
    del offer["order_multiple"]  # entries from before orderMultiple was asked for
    offer["prices"] = [
        {"quantity": 1, "price": 0.0123, "currency": "USD", "converted_price": None, "converted_currency": None},
        {"quantity": 100, "price": 0.1, "currency": "USD", "converted_price": 0.11, "converted_currency": "USD"},
    ]
    read = SearchResult.from_json(json.loads(json.dumps(old)))
    assert read.part is not None
    got = read.part.sellers[0].offers[0]
    assert got.order_multiple is None
    assert [p.price for p in got.prices] == [Decimal("0.0123"), Decimal("0.1")]
    assert got.prices[1].converted == Money(Decimal("0.11"), "USD")


def test_iso_codes_come_from_current_iso_data() -> None:
    assert {"USD", "EUR", "JPY", "XCG", "ZWG"} <= CURRENCIES
    assert not {"ANG", "BGN", "ZWL", "XAU", "XXX", "XTS"} & CURRENCIES
    assert {"US", "DE", "CN", "GB"} <= COUNTRIES
    assert all(len(c) == 3 and c.isupper() for c in CURRENCIES)
    assert all(len(c) == 2 and c.isupper() for c in COUNTRIES)


def test_exact_amounts_survive_every_store(store: Store) -> None:
    """Through the real SQLite and Redis stores (a fresh cache, as another process would read it)."""
    result = _result()
    AnswerCache(store, ttl=600).put("k", result, time.time())
    read = AnswerCache(store, ttl=600).get("k")
    assert read is not None and read[0] == result
    part = read[0].part
    assert part is not None
    assert part.sellers[0].offers[0].prices[0].price == Decimal("0.012345678901234567890")
