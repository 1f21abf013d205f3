"""The bundled offline sample catalog: Nexar-shaped data with invented stock and prices.

Used when no Nexar credentials are set (or PARTBOT_OFFLINE=1), so the bot answers on a
fresh clone. Every answer built from it is labelled as sample data.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from typing import Any

from bot.adapters.part_json import parse_part
from bot.domain.models import LookupKey, Part, PricePoint, SearchResult, Seller, normalize_mpn
from bot.ports import SourceError

# Fixed sample exchange rates (units per USD), for the sample data only.
SAMPLE_RATES = {
    c: Decimal(r)
    for c, r in {"USD": "1", "EUR": "0.92", "GBP": "0.79", "JPY": "150", "CHF": "0.88", "CAD": "1.37", "CNY": "7.2"}.items()
}
_CONVERTED_PLACES = Decimal("0.000001")


class SampleCatalog:
    billed = False
    is_sample = True

    def __init__(self, parts: Sequence[dict[str, Any]] | None = None) -> None:
        self._raw = parts
        self._parts: list[Part] | None = None
        self._similar: dict[str, tuple[int, ...]] = {}
        self._lock = threading.Lock()

    def parts(self) -> list[Part]:
        return self._load()[0]

    def _load(self) -> tuple[list[Part], dict[str, tuple[int, ...]]]:
        """The parts, and for each (by normalized MPN) the indexes of its similar parts."""
        with self._lock:
            if self._parts is None:
                raw = self._raw
                if raw is None:
                    text = resources.files("bot").joinpath("data/sample_catalog.json").read_text("utf-8")
                    raw = json.loads(text)["parts"]
                self._parts = [parse_part(p) for p in raw]
                self._similar = similar_by_specs(raw)
            return self._parts, self._similar

    def _matches(self, mpn: str) -> list[Part]:
        q = normalize_mpn(mpn)
        if not q:
            return []
        exact, prefix, inside = [], [], []
        for part in self.parts():
            n = normalize_mpn(part.mpn)
            if n == q:
                exact.append(part)
            elif n.startswith(q):
                prefix.append(part)
            elif q in n:
                inside.append(part)
        return exact + prefix + inside

    def _view(self, part: Part, key: LookupKey) -> Part:
        """The part as Nexar would return it for `key`: seller filter and converted prices."""
        rate = SAMPLE_RATES.get(key.currency)
        sellers: list[Seller] = []
        for s in part.sellers:
            if not key.all_sellers and (not s.is_authorized or s.is_broker):
                continue
            offers = tuple(replace(o, prices=tuple(self._convert(p, key.currency, rate) for p in o.prices)) for o in s.offers)
            sellers.append(replace(s, offers=offers))
        return replace(part, sellers=tuple(sellers))

    @staticmethod
    def _convert(p: PricePoint, currency: str, rate: Decimal | None) -> PricePoint:
        source = SAMPLE_RATES.get(p.currency)
        if rate is None or source is None:
            return replace(p, converted_price=None, converted_currency=None)
        converted = (p.price / source * rate).quantize(_CONVERTED_PLACES)
        return replace(p, converted_price=converted, converted_currency=currency)

    def _by_link(self, key: LookupKey) -> list[Part]:
        """Parts by a seller's SKU, or by the Octopart id that ends their Octopart URL."""
        wanted = normalize_mpn(key.mpn)
        if key.by == "sku":
            return [p for p in self.parts() if any(normalize_mpn(o.sku) == wanted for s in p.sellers for o in s.offers)]
        return [p for p in self.parts() if (p.octopart_url or "").rsplit("-", 1)[-1] == key.mpn]

    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult:
        found = self._matches(key.mpn) if key.by == "mpn" else self._by_link(key)
        part = self._view(found[0], key) if found and limit > 0 else None
        return SearchResult(part=part, hits=len(found))

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        return [self.search_mpn(k, limit) for k in keys]

    def similar(self, key: LookupKey) -> tuple[SearchResult, tuple[Part, ...]]:
        """The best match and the catalog's own parts that share a telling spec with it."""
        result = self.search_mpn(key, 1)
        if result.part is None:
            return result, ()
        parts, similar = self._load()
        return result, tuple(self._view(parts[i], key) for i in similar.get(normalize_mpn(result.part.mpn), ()))

    def suggest(self, text: str) -> tuple[str, ...]:
        q = normalize_mpn(text)
        scored = []
        for part in self.parts():
            n = normalize_mpn(part.mpn)
            common = 0
            for a, b in zip(n, q, strict=False):
                if a != b:
                    break
                common += 1
            if common >= 3:
                scored.append((-common, part.mpn))
        return tuple(mpn for _, mpn in sorted(scored)[:5])


_COMMON_SPECS = {"lifecyclestatus", "case_package", "rohs"}


def similar_by_specs(raw: Sequence[dict[str, Any]]) -> dict[str, tuple[int, ...]]:
    """Parts that share a spec other than the ones every part has (lifecycle, package, RoHS):
    the sample catalog's stand-in for Nexar's `similarParts`."""
    kinds = [{str(s["attribute"]["shortname"]) for s in p.get("specs") or ()} - _COMMON_SPECS for p in raw]
    return {
        normalize_mpn(str(p["mpn"])): tuple(j for j, other in enumerate(kinds) if j != i and kinds[i] & other)
        for i, p in enumerate(raw)
    }
