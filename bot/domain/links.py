"""Which part a distributor's or Octopart's page URL names, for link unfurls. No I/O.

Shapes read (any country domain of Digi-Key and Mouser, any locale segment):
- Digi-Key `/en/products/detail/<mfr>/<MPN>/<id>` and the older
  `/product-detail/en/[<mfr>/]<MPN>/<Digi-Key SKU>/<id>`;
- Mouser `/ProductDetail/<mfr>/<MPN>` and `/ProductDetail/<SKU>` (`595-LM358DR`: the
  seller's own SKU, matched as such);
- Octopart `/<mpn>-<mfr>-<id>` (the part id ends the slug) and `/part/<mfr>/<MPN>`.
Searches, category pages, short links and `?qs=`-only Mouser links name no part: None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus, urlsplit

from bot.domain.models import Options, Part, normalize_mpn
from bot.domain.models import PartBy as By

UNFURL_OPTIONS = Options()
"""Unfurls are public, read by everyone in the channel: authorized sellers, USD, US."""

MAX_VALUE = 40
_VALUE = re.compile(r"^[0-9A-Za-z\-_.,/+#()= ]+$")
_DIGIKEY = re.compile(r"(?:^|\.)digikey\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$")
_MOUSER = re.compile(r"(?:^|\.)mouser\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$")
_OCTOPART = re.compile(r"(?:^|\.)octopart\.com$")
_MOUSER_SKU = re.compile(r"^\d{2,4}-[0-9A-Za-z]")
_OCTOPART_SLUG = re.compile(r"^[^/]+-[^/]+-(\d{1,12})$")
_MAKER_NOISE = frozenset(
    ["inc", "incorporated", "co", "corp", "corporation", "company", "ltd", "llc", "limited", "gmbh", "ag", "sa", "bv", "plc", "usa", "america", "international", "group", "technology", "technologies", "tech", "electronics", "electronic", "semiconductor", "semiconductors", "devices", "components", "industries", "products", "solutions", "systems", "the", "and", "of"]
)


@dataclass(frozen=True)
class PartLink:
    """A part named by a URL: `value` is an MPN, a seller's SKU or an Octopart part id (`by`).
    `maker` is the manufacturer as the URL spells it (a slug turned into words), if it does."""

    url: str
    site: str
    by: By
    value: str
    maker: str | None = None


def part_link(url: str) -> PartLink | None:
    """The part `url` names, or None when it names none (or is not a site partbot reads)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if _DIGIKEY.search(host):
        found = _digikey(segments)
        site = "Digi-Key"
    elif _MOUSER.search(host):
        found = _mouser(segments)
        site = "Mouser"
    elif _OCTOPART.search(host):
        found = _octopart(segments)
        site = "Octopart"
    else:
        return None
    if found is None:
        return None
    by, value, maker = found
    if not value or len(value) > MAX_VALUE or not _VALUE.match(value) or not normalize_mpn(value):
        return None
    return PartLink(url, site, by, value, maker or None)


def _words(slug: str) -> str:
    return " ".join(unquote_plus(slug).replace("-", " ").split())


def _digikey(segments: list[str]) -> tuple[By, str, str] | None:
    lower = [s.lower() for s in segments]
    for i in range(len(lower) - 1):
        if lower[i] == "products" and lower[i + 1] == "detail":
            rest = segments[i + 2 :]
            if len(rest) == 3 and rest[2].isdigit():
                return "mpn", unquote(rest[1]), _words(rest[0])
            return None
    if "product-detail" in lower:
        rest = segments[lower.index("product-detail") + 1 :]
        if rest and len(rest[0]) == 2:  # the locale: /product-detail/en/…
            rest = rest[1:]
        if len(rest) == 4 and rest[3].isdigit():
            return "mpn", unquote(rest[1]), _words(rest[0])
        if len(rest) == 3 and rest[2].isdigit():
            return "mpn", unquote(rest[0]), ""
    return None


def _mouser(segments: list[str]) -> tuple[By, str, str] | None:
    lower = [s.lower() for s in segments]
    if "productdetail" not in lower:
        return None
    rest = [unquote(s) for s in segments[lower.index("productdetail") + 1 :]]
    if len(rest) == 2:
        return "mpn", rest[1], _words(rest[0])
    if len(rest) == 1:
        return ("sku" if _MOUSER_SKU.match(rest[0]) else "mpn"), rest[0], ""
    return None


def _octopart(segments: list[str]) -> tuple[By, str, str] | None:
    if len(segments) == 3 and segments[0].lower() == "part":
        return "mpn", unquote(segments[2]), _words(segments[1])
    if len(segments) == 1:
        match = _OCTOPART_SLUG.match(segments[0])
        if match:
            return "id", match.group(1), ""
    return None


def _maker_words(name: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", name.casefold()) if w not in _MAKER_NOISE and len(w) > 1}


def same_maker(slug: str, name: str) -> bool:
    """Whether a distributor's manufacturer slug plausibly names `name` (Nexar's manufacturer):
    a distinctive word in common ("vishay dale" and "Vishay"), or one name running into the
    other ("on semiconductor" and "onsemi", "alps alpine" and "ALPSALPINE")."""
    a, b = _maker_words(slug), _maker_words(name)
    if a & b:
        return True
    joined_a = "".join(re.findall(r"[a-z0-9]+", slug.casefold()))
    joined_b = "".join(re.findall(r"[a-z0-9]+", name.casefold()))
    short, long = sorted((joined_a, joined_b), key=len)
    return len(short) >= 3 and long.startswith(short)


def names_part(link: PartLink, part: Part) -> bool:
    """Whether `part` (what Nexar answered) is the part `link` names: the same MPN (and maker,
    when the URL says one), an offer with that SKU, or (by id) whatever Nexar returned."""
    if link.by == "id":
        return True
    if link.by == "sku":
        wanted = normalize_mpn(link.value)
        return any(normalize_mpn(o.sku) == wanted for s in part.sellers for o in s.offers)
    if normalize_mpn(link.value) != normalize_mpn(part.mpn):
        return False
    return link.maker is None or same_maker(link.maker, part.manufacturer)
