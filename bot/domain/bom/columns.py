"""Finding a BOM's columns by what their headers mean, and telling part numbers from
designators, values, symbol names and distributor SKUs by what the cells hold."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum


class Kind(IntEnum):
    """How surely a header names the manufacturer part number (higher wins)."""

    NONE = 0
    LOOSE = 1
    """`Part`, `LibRef`, `Name`: read only when the cells look like part numbers."""
    GENERIC = 2
    """`Part Number`, `P/N`: usually the MPN, unless the cells are distributor SKUs."""
    MPN = 3
    """`MPN`, `Manufacturer Part Number`, `Mfr. #`, `manf#` …"""


_MFR = r"(?:manufacturer|manufacture|manufactuer|manuf|manf|mfr|mfg|mrf|mf)"
_MPN_RE = re.compile(rf"{_MFR}(?:part|prt)?(?:number|num|no|#|pn|p/n|partnumber)?|mpn|mp|mfrpn|mfpn")
_MFR_RE = re.compile(rf"{_MFR}(?:name)?")
_GENERIC = {"partnumber", "part#", "partno", "pn", "p/n", "partnum", "partnr", "articlenumber"}
_LOOSE = {"part", "libref", "name", "partname"}
_DISTRIBUTOR = re.compile(
    r"digi-?key|digike_?y|mouser|lcsc|farnell|newark|arrow|avnet|element14|tme|jlc|supplier|vendor|distributor"
    r"|customer|sku|cat#|ordercode|octopart|^rs(?:\d|$)|internal"
)
_PER_BOARD = re.compile(r"(?:qty|quantity|quan)(?:per|/)(?:board|pcb|unit|assembly)|perboard|perpcb")
_QTY = re.compile(r"\*?(?:qty|quantity|quan|quant|amount|count|pcs|pieces|menge|anzahl)\.?")
_NOT_QTY = re.compile(r"avail|stock|backorder|moq|min|mult|spq|price|cost|unit\$|lead|pack")
_DNP_NEGATIVE = {"dnp", "dni", "dnf", "donotinsert", "donotplace", "donotpopulate", "donotfit", "nopop", "notfitted"}
_DNP_POSITIVE = {"fitted", "populate", "populated", "place", "mount", "mounted", "fit", "assemble"}


def compact(header: str) -> str:
    return re.sub(r"[^a-z0-9#/$]", "", header.lower())


def _strip_index(name: str) -> str:
    return re.sub(r"(?<=[a-z#])\d$", "", name)


def header_index(header: str) -> int:
    """The number a repeated header ends with (`MFG2` → 2), 0 for none."""
    m = re.search(r"(?<=[a-z#])(\d)$", compact(header))
    return int(m.group(1)) if m else 0


def mpn_kind(header: str) -> Kind:
    name = _strip_index(compact(header))
    if not name or _DISTRIBUTOR.search(name):
        return Kind.NONE
    if _MPN_RE.fullmatch(name) and not _MFR_RE.fullmatch(name):
        return Kind.MPN
    if name in _GENERIC:
        return Kind.GENERIC
    if name in _LOOSE:
        return Kind.LOOSE
    return Kind.NONE


def is_mfr(header: str) -> bool:
    return bool(_MFR_RE.fullmatch(_strip_index(compact(header))))


def qty_rank(header: str) -> int:
    """0: not a quantity; 3: per board; 2: a plain quantity; 1: an order or build quantity."""
    name = compact(header)
    if not name or (_NOT_QTY.search(name) and not _PER_BOARD.search(name)):
        return 0
    if _PER_BOARD.search(name):
        return 3
    if _QTY.fullmatch(name):
        return 2
    if "qty" in name or "quantity" in name:
        return 1
    return 0


def dnp_column(header: str) -> str | None:
    """ "negative" for a DNP column (a mark means leave out), "positive" for a Fitted column."""
    name = compact(header)
    if name in _DNP_NEGATIVE:
        return "negative"
    if name in _DNP_POSITIVE:
        return "positive"
    return None


_DNP_VALUE = re.compile(
    r"(?:dnp|dni|dnf|nf|no-?install|not ?fitted|not ?mounted|not ?populated|do ?not ?(?:place|populate|fit|mount|install))"
    r"(?:\b.*)?",
    re.IGNORECASE,
)
_FALSEY = {"", "0", "no", "n", "false", "-", "fitted", "yes"}


def is_dnp_cell(cell: str) -> bool:
    """A value, note or status cell that marks the line do-not-populate (`DNP`, `DNP - 0`, `NO-INSTALL`, `Not Fitted`)."""
    return bool(_DNP_VALUE.fullmatch(cell.strip()))


def dnp_mark(cell: str, kind: str) -> bool:
    value = cell.strip().lower()
    if kind == "negative":
        return value not in _FALSEY
    return value in {"no", "n", "false", "0", "not fitted", "dnp", "nofit", "not placed"}


_PLACEHOLDERS = {
    "",
    "-",
    "--",
    "---",
    "—",
    "–",
    "n/a",
    "na",
    "n.a.",
    "none",
    "tbd",
    "tba",
    "dnp",
    "dni",
    "dnf",
    "~",
    "?",
    "x",
    "nc",
    "null",
    "leave empty",
}


def is_placeholder(cell: str) -> bool:
    """`N/A`, `-`, `TBD` …, or a note in brackets (LCSC's `-(The data has been deleted.)`)."""
    text = cell.strip().lower()
    return text in _PLACEHOLDERS or bool(re.fullmatch(r"-?\((?:[^()]*\s[^()]*)\)", text))


_DESIGNATOR = re.compile(r"[A-Z]{1,3}\d{1,3}(?:\s*[,;]\s*[A-Z]{1,3}\d{1,3})*[,;]?")
_VALUE = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:[pnuµμmkKMGR]|meg)?\s*(?:F|H|Ω|ohms?|R|V|W|A|Hz)?(?:\s*[/ ]\s*\d+(?:\.\d+)?\s*[VWA%])*"
    r"|\d+[pnuµμkKMR]\d+[FHΩ]?",
    re.IGNORECASE,
)
_DIGIKEY = re.compile(r".+-ND", re.IGNORECASE)
_SYMBOL_PREFIX = re.compile(r"(?:RES|CAP|IND|LED|R|C|L|D|Q|U|J|SW|CONN|TP)_", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")


def looks_like_mpn(cell: str) -> bool:
    """Letters and digits mixed (or a long run of digits), not a designator, value or symbol name."""
    text = cell.strip()
    if not text or not re.search(r"\d", text):
        return False
    if text.isdigit():
        return len(text) >= 5
    if not re.search(r"[A-Za-z]", text):
        return False
    if _DESIGNATOR.fullmatch(text) or _VALUE.fullmatch(text) or _SYMBOL_PREFIX.match(text):
        return False
    words = re.split(r"[\s_]+", text)
    return not any(len(w) >= 3 and _WORD.fullmatch(w) for w in words)


def is_designator(cell: str) -> bool:
    return bool(_DESIGNATOR.fullmatch(cell.strip()))


def is_distributor_sku(cell: str) -> bool:
    """A Digi-Key (`…-ND`) or LCSC (`C25804`) order code."""
    text = cell.strip()
    return bool(_DIGIKEY.fullmatch(text) or re.fullmatch(r"C\d{3,8}", text))


@dataclass(frozen=True)
class ColumnVerdict:
    ok: bool
    why: str = ""


def judge_column(cells: Sequence[str], kind: Kind) -> ColumnVerdict:
    """Whether a candidate column holds manufacturer part numbers, from its non-placeholder cells."""
    values = [c.strip() for c in cells if not is_placeholder(c) and not is_dnp_cell(c)]
    if not values:
        return ColumnVerdict(kind == Kind.MPN, "it is empty")
    share = len(values)
    skus = sum(1 for v in values if is_distributor_sku(v))
    if skus * 2 > share:
        return ColumnVerdict(False, "it holds distributor order codes")
    designators = sum(1 for v in values if is_designator(v))
    if kind < Kind.MPN and designators * 2 > share:
        return ColumnVerdict(False, "it holds reference designators")
    if kind == Kind.MPN:
        return ColumnVerdict(True)
    mpns = sum(1 for v in values if looks_like_mpn(v))
    if mpns * 2 >= share and mpns:
        return ColumnVerdict(True)
    values_like = sum(1 for v in values if _VALUE.fullmatch(v))
    if values_like * 2 > share:
        return ColumnVerdict(False, "it holds component values")
    return ColumnVerdict(False, "it holds symbol or footprint names, not part numbers")


_LOCAL_NAME = re.compile(r"\s*[(（][^)）]*[^\x00-\x7f][^)）]*[)）]")
_GENERIC_MAKERS = {"any", "generic", "various", "std", "standard", "unknown", "none", "tbd", "multiple"}


def manufacturer(cell: str) -> str | None:
    """A manufacturer cell as Nexar can match it, or None when it names none.

    EasyEDA and LCSC add the maker's Chinese name in brackets ("YAGEO(国巨)"): that part is
    dropped, and a name with no Latin letters left ("国星光电"), a placeholder or a generic
    "Any" narrows nothing (narrowing by a name Nexar cannot match would lose the line)."""
    name = " ".join(_LOCAL_NAME.sub("", cell).split())[:100]
    if is_placeholder(name) or name.casefold() in _GENERIC_MAKERS or not re.search(r"[A-Za-z]", name):
        return None
    return name
