"""Money: an exact `Decimal` amount with its ISO 4217 currency, never mixed with another.

Formatting is babel's (CLDR symbols and digits per currency); amounts keep every digit
they have beyond the currency's usual ones, so a unit price of 0.0123 stays 0.0123.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import UnknownCurrencyError, format_currency, get_currency_symbol

LOCALE = "en_US"


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were added or compared."""


def to_decimal(value: Any) -> Decimal:
    """An exact Decimal from JSON: a string (as partbot stores it), an int, or a float as
    written in the JSON text (its shortest repr, so 0.1 stays 0.1)."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {value!r}") from exc
    else:
        raise ValueError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return result


@dataclass(frozen=True, order=False)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amounts are Decimal, not {type(self.amount).__name__}")
        if not self.currency:
            raise ValueError("Money needs a currency")

    def _same(self, other: Money) -> Money:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError("Money is multiplied by a whole quantity")
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __str__(self) -> str:
        return format_money(self)


def format_money(money: Money) -> str:
    """`$0.0123`, `€1,234.50`, `¥125`, `12.50 SGD` (a code where CLDR has no symbol)."""
    amount = money.amount
    try:
        text = format_currency(amount, money.currency, locale=LOCALE, decimal_quantization=False)
        symbol = get_currency_symbol(money.currency, locale=LOCALE)
    except UnknownCurrencyError:
        return f"{amount:,f} {money.currency}"
    if symbol == money.currency and text.startswith(symbol):
        return f"{text[len(symbol) :].strip()} {money.currency}"
    return text


class Totals:
    """Sums per currency: adding a EUR amount to a USD total keeps two totals."""

    def __init__(self, amounts: Iterable[Money] = ()) -> None:
        self._sums: dict[str, Money] = {}
        for m in amounts:
            self.add(m)

    def add(self, money: Money) -> None:
        current = self._sums.get(money.currency)
        self._sums[money.currency] = money if current is None else current + money

    def __iter__(self) -> Iterator[Money]:
        return iter(self._sums.values())

    def __len__(self) -> int:
        return len(self._sums)

    def get(self, currency: str) -> Money | None:
        return self._sums.get(currency)

    def text(self, empty: str = "nothing priced") -> str:
        """`$1,010.00 + €12.00`: one amount per currency, in the order first seen."""
        return " + ".join(format_money(m) for m in self._sums.values()) or empty


def plain_amount(amount: Decimal) -> str:
    """The exact amount as a plain number for files (`0.0123`, `12.30`, `4000.00`): no
    exponent, no grouping, trailing zeros dropped down to two decimals."""
    text = f"{amount:f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{whole}.{frac}"
