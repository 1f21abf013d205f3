"""ISO code lists used to validate `--currency` and `--country`, from pycountry's ISO data
(kept current by its maintainers: XCG and ZWG in, withdrawn ANG, BGN and ZWL out)."""

from __future__ import annotations

import pycountry

NOT_SOLD_IN = frozenset(
    {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XAD", "XTS", "XXX"}
    | {"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"}
)
"""ISO 4217 codes no part is sold in: metals, units of account, funds, testing, "none"."""

CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies) - NOT_SOLD_IN
COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)
