"""The watch commands' grammar: `watch MPN [xQTY] [below PRICE] [stock]`, `watches`,
`unwatch ID|MPN`. Pure functions; `parsing` hands over the words left after the options."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from bot.domain.commands import AddWatch, Command, Invalid, ListWatches, Unwatch
from bot.domain.models import LineItem, Options

VERBS = ("watch", "watches", "unwatch")
WATCH_HINT = (
    "Write it as `/part watch LM358 x1000 below 0.20`, `/part watch LM358 x1000 stock`, `/part watches` or `/part unwatch ID`."
)
MAX_PRICE = Decimal(1_000_000)
MAX_PRICE_DECIMALS = 6
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_PRICE_RE = re.compile(r"^([$€£]?)(\d+(?:[.,]\d+)?|[.,]\d+)$")


def parse_price(token: str, options: Options) -> tuple[Decimal, Options] | str:
    """A unit price (`0.20`, `$0.20`, `0,20`) in the watch's currency; a currency symbol
    sets the currency when `--currency` did not say otherwise. A string says what is wrong."""
    m = _PRICE_RE.match(token.strip())
    if not m:
        return f"`{token[:20]}` is not a price; write it like `0.20`"
    symbol, number = m.groups()
    try:
        price = Decimal(number.replace(",", "."))
    except InvalidOperation:
        return f"`{token[:20]}` is not a price; write it like `0.20`"
    if price <= 0 or price > MAX_PRICE:
        return f"`{token[:20]}`: the price must be above 0 and at most {MAX_PRICE:,}"
    if -price.as_tuple().exponent > MAX_PRICE_DECIMALS:  # type: ignore[operator]
        return f"`{token[:20]}` has more than {MAX_PRICE_DECIMALS} decimals"
    if symbol:
        currency = _SYMBOLS[symbol]
        if options.currency not in ("USD", currency):
            return f"`{token[:20]}` is in {currency} but the watch is in {options.currency}"
        options = replace(options, currency=currency)
    return price, options


def read_watch(
    words: Sequence[str],
    options: Options,
    *,
    parse_quantity: Callable[[str], int | str | None],
    check_mpn: Callable[..., str | None],
    unquote: Callable[[str], str],
) -> Command:
    """`words[0]` is one of `VERBS` (any case); the rest is that command's arguments."""
    verb, rest = words[0].lower(), [w for w in words[1:] if w != "\n"]
    if verb == "watches":
        return ListWatches() if not rest else Invalid("`watches` takes nothing after it", WATCH_HINT)
    if not rest:
        return Invalid(f"`{verb}` needs a part number" + (" or a watch ID" if verb == "unwatch" else ""), WATCH_HINT)
    target = unquote(rest[0])
    problem = check_mpn(target, spaces=target != rest[0])
    if problem:
        return Invalid(problem, WATCH_HINT)
    if verb == "unwatch":
        return Unwatch(target) if len(rest) == 1 else Invalid("`unwatch` takes one watch ID or part number", WATCH_HINT)
    return _watch(target, rest[1:], options, parse_quantity)


def _watch(mpn: str, rest: list[str], options: Options, parse_quantity: Callable[[str], int | str | None]) -> Command:
    quantity, below = 1, None
    i = 0
    while i < len(rest):
        token = rest[i].lower()
        i += 1
        if token == "stock":  # without `below` a watch waits for stock; with it, stock is implied
            continue
        if token == "below":
            if i >= len(rest):
                return Invalid("`below` needs a unit price, e.g. `below 0.20`", WATCH_HINT)
            found = parse_price(rest[i], options)
            i += 1
            if isinstance(found, str):
                return Invalid(found, WATCH_HINT)
            below, options = found
            continue
        if token in ("x", "qty", "×") and i < len(rest):
            token, i = token + rest[i], i + 1
        qty = parse_quantity(token)
        if isinstance(qty, int):
            quantity = qty
            continue
        return Invalid(qty or f"I read `{mpn}` as the part to watch but not `{rest[i - 1][:20]}`", WATCH_HINT)
    if options.boards != 1 or options.alternates or options.public:
        return Invalid("a watch takes `--currency`, `--country`, `--mfr` and `--all` only", WATCH_HINT)
    return AddWatch(LineItem(mpn, quantity, options.mfr), options, below)
