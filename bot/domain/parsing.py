"""The `/part` grammar and the plain-English reading of mentions. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from decimal import Decimal

from bot.domain.codes import COUNTRIES, CURRENCIES
from bot.domain.commands import Command, Help, Invalid, Lookup, Usage
from bot.domain.models import LineItem, Options, normalize_mpn

MAX_MPN_LENGTH = 40
MAX_ITEMS = 20
MAX_QUANTITY = 10_000_000
MAX_TEXT = 4000

_MPN_RE = re.compile(r"^[A-Za-z0-9\-_.,/+#()]+$")
# A line separator: `;`, a newline, or a comma standing before white space or the end
# (a comma inside a token is part of the MPN, which may contain commas).
_SPLIT_RE = re.compile(r"[;\n]|,(?=\s|$)")
_QTY_RE = re.compile(r"^(?:[x×]|qty[=:]?)?(\d+(?:\.\d+)?)(k?)$", re.IGNORECASE)
_OPTION_RE = re.compile(r"^--([a-z]+)(?:=(.*))?$", re.IGNORECASE)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t\r" for c in text)


def _parse_quantity(token: str) -> int | str | None:
    """An int, None when the token is not a quantity, or a string saying what is wrong."""
    m = _QTY_RE.match(token)
    if not m:
        return None
    number, k = m.groups()
    shown = _clip(token, 20)
    if len(number.partition(".")[0]) > 12:
        return f"`{shown}` is more than {MAX_QUANTITY:,} parts"
    value = Decimal(number) * (1000 if k else 1)
    if value != value.to_integral_value():
        return f"`{shown}` is not a whole number of parts"
    if value < 1:
        return f"`{shown}`: the quantity must be at least 1"
    if value > MAX_QUANTITY:
        return f"`{shown}` is more than {MAX_QUANTITY:,} parts"
    return int(value)


def check_mpn(token: str) -> str | None:
    if "*" in token or "?" in token:
        return f"`{_clip(token)}` has a wildcard; partbot looks up exact part numbers only"
    if len(token) > MAX_MPN_LENGTH:
        return f"`{_clip(token)}` is longer than {MAX_MPN_LENGTH} characters"
    if not _MPN_RE.match(token):
        return f"`{_clip(token)}` has characters a part number cannot contain"
    if not re.search(r"[A-Za-z0-9]", token):
        return f"`{_clip(token)}` is not a part number"
    return None


def _clip(text: str, n: int = 40) -> str:
    text = text.replace("`", "'")
    return text if len(text) <= n else text[: n - 1] + "…"


def _take_options(tokens: list[str], *, strict: bool = True) -> tuple[list[str], Options] | Invalid:
    """Split `--options` (anywhere, also glued to a `,`/`;` separator) from the other tokens.

    A bad option is an `Invalid`, or with `strict=False` skipped (with its value)."""
    opts = Options()
    rest: list[str] = []
    problem: Invalid | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        m = _OPTION_RE.match(tok.rstrip(",;"))
        if not m:
            rest.append(tok)
            continue
        separator = tok[-1] if tok[-1] in ",;" else None
        name, value = m.group(1).lower(), m.group(2)
        if name in ("currency", "country") and value is None and i < len(tokens):
            value, i = tokens[i], i + 1
            if value[-1:] in (",", ";"):
                value, separator = value[:-1], value[-1]
        if separator:
            rest.append(separator)
        if name == "help":
            rest.append("help")
        elif name in ("all", "public"):
            if value is not None:
                problem = problem or Invalid(f"`--{name}` takes no value")
            else:
                opts = replace(opts, all_sellers=True) if name == "all" else replace(opts, public=True)
        elif name not in ("currency", "country"):
            problem = problem or Invalid(
                f"`--{_clip(name, 20)}` is not an option",
                "Options are `--all`, `--currency EUR`, `--country DE` and `--public`.",
            )
        elif value is None:
            problem = problem or Invalid(f"`--{name}` needs a code, e.g. `--{name} {'EUR' if name == 'currency' else 'DE'}`")
        elif name == "currency":
            if value.upper() in CURRENCIES:
                opts = replace(opts, currency=value.upper())
            else:
                problem = problem or Invalid(f"`{_clip(value, 10)}` is not an ISO 4217 currency code", "Try `--currency EUR`.")
        elif value.upper() in COUNTRIES:
            opts = replace(opts, country=value.upper())
        else:
            problem = problem or Invalid(f"`{_clip(value, 10)}` is not an ISO 3166 country code", "Try `--country DE`.")
    if problem and strict:
        return problem
    return rest, opts


def _parse_item(chunk: str) -> LineItem | Invalid:
    tokens = chunk.split()
    mpn, rest = tokens[0], tokens[1:]
    problem = check_mpn(mpn)
    if problem:
        return Invalid(problem)
    if len(rest) == 2 and rest[0].lower() in ("x", "qty", "×"):
        rest = [rest[0] + rest[1]]
    if not rest:
        return LineItem(mpn, 1)
    if len(rest) > 1:
        return Invalid(f"I read `{_clip(mpn)}` as the part number but not `{_clip(' '.join(rest))}`")
    qty = _parse_quantity(rest[0])
    if qty is None:
        return Invalid(
            f"`{_clip(rest[0])}` is not a quantity for `{_clip(mpn)}`",
            "Quantities look like `x250`, `250`, `qty=250` or `x2.5k`.",
        )
    if isinstance(qty, str):
        return Invalid(qty, "Quantities look like `x250`, `250`, `qty=250` or `x2.5k`.")
    return LineItem(mpn, qty)


def parse_command(text: str) -> Command:
    """Read the text of `/part TEXT` by the precise grammar of the spec."""
    if len(text) > MAX_TEXT:
        return Invalid(f"that is {len(text):,} characters; partbot reads at most {MAX_TEXT:,}")
    if _has_control(text):
        return Invalid("the text has control characters")
    taken = _take_options(_tokens_keeping_lines(text))
    if isinstance(taken, Invalid):
        return taken
    words, options = taken
    body = " ".join(words).strip()
    if body.lower() in ("", "help", "?", "-h"):
        return Help()
    if body.lower() == "usage":
        return Usage()
    chunks = [c.strip() for c in _SPLIT_RE.split(body) if c.strip()]
    if not chunks:
        return Help()
    if len(chunks) > MAX_ITEMS:
        return Invalid(
            f"that is {len(chunks)} parts; one command takes at most {MAX_ITEMS}",
            "Split the list, or share it as a CSV file with a mention of @partbot.",
        )
    items: list[LineItem] = []
    for chunk in chunks:
        item = _parse_item(chunk)
        if isinstance(item, Invalid):
            return item
        items.append(item)
    return Lookup(tuple(items), options)


def _tokens_keeping_lines(text: str) -> list[str]:
    """Split on spaces but keep newlines as their own tokens (they separate parts)."""
    out: list[str] = []
    for i, line in enumerate(text.replace("\r\n", "\n").split("\n")):
        if i:
            out.append("\n")
        out.extend(line.split())
    return out


# --- plain English -------------------------------------------------------------------

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)k?"
_WORD_QTY = re.compile(
    rf"(?:\b(?:qty|quantity|at)\s*[:=]?\s*|\b[x×]\s?)({_NUMBER})\b"
    rf"|\b({_NUMBER})\s*(?:pcs|pieces|pc|units|off|each|ea\b|x\b|of\b)",
    re.IGNORECASE,
)
_VALUE_LIKE = re.compile(r"^\d+(\.\d+)?[a-zµΩ]{1,4}$", re.IGNORECASE)
_NOT_MPNS = frozenset({"MP3", "MP4", "I2C", "USB2", "USB3", "COVID19", "H264", "CO2", "ROHS3", "Q1", "Q2", "Q3", "Q4"})
_MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def _looks_like_mpn(token: str) -> bool:
    return (
        len(token) >= 4
        and bool(re.search(r"[A-Za-z]", token))
        and bool(re.search(r"\d", token))
        and not _VALUE_LIKE.match(token)
        and token.upper() not in _NOT_MPNS
        and check_mpn(token) is None
    )


def strip_mentions(text: str) -> str:
    return _MENTION_RE.sub(" ", text).strip()


def parse_mention(text: str) -> Command:
    """Read the text of a mention: the precise grammar first, else plain English."""
    text = strip_mentions(text)
    precise = parse_command(text)
    if isinstance(precise, (Help, Usage)):
        return precise
    if isinstance(precise, Lookup) and all(_looks_like_mpn(i.mpn) for i in precise.items):
        return precise
    if len(text) > MAX_TEXT or _has_control(text):
        return precise
    return _parse_english(text)


def _lenient_options(text: str) -> tuple[list[str], Options]:
    taken = _take_options(text.split(), strict=False)
    return taken if not isinstance(taken, Invalid) else (text.split(), Options())


def parse_options(text: str) -> Options:
    """Just the `--options` of a message (e.g. the one a BOM is shared with); bad ones are ignored."""
    return _lenient_options(text)[1]


def _parse_english(text: str) -> Command:
    """MPN-like tokens and quantities from free text. With one quantity, every part gets it;
    with several, each part takes the quantity written right after it (before the next part),
    else the one right before it."""
    words, options = _lenient_options(text)
    text = " ".join(words)
    quantities: list[tuple[int, int, int]] = []
    for m in _WORD_QTY.finditer(text):
        parsed = _parse_quantity((m.group(1) or m.group(2)).replace(",", ""))
        if isinstance(parsed, str):
            return Invalid(parsed)
        if parsed is not None:
            quantities.append((m.start(), m.end(), parsed))
    mpns: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for m in re.finditer(r"\S+", text):
        if any(start <= m.start() < end for start, end, _ in quantities):
            continue
        token = m.group().strip("?!.,;:\"'()[]{}")
        if _looks_like_mpn(token) and normalize_mpn(token) not in seen:
            seen.add(normalize_mpn(token))
            mpns.append((m.start(), m.end(), token))
    if not mpns:
        return Invalid(
            "I could not find a part number in that",
            "Mention me with a part number, e.g. `@partbot AD7685ARM x250`, or say `@partbot help`.",
        )
    if len(mpns) > MAX_ITEMS:
        return Invalid(f"that names {len(mpns)} parts; one message takes at most {MAX_ITEMS}")
    bound = _bind_quantities(text, mpns, quantities)
    items = tuple(
        LineItem(mpn, bound.get(n, quantities[0][2] if len(quantities) == 1 else 1)) for n, (_, _, mpn) in enumerate(mpns)
    )
    understood = ", ".join(f"{i.mpn} × {i.quantity:,}" for i in items)
    return Lookup(items, options, understood=understood)


def _bind_quantities(text: str, mpns: list[tuple[int, int, str]], quantities: list[tuple[int, int, int]]) -> dict[int, int]:
    """Which part each quantity belongs to: "500 pcs of X" → the next part; otherwise the
    nearest part (the one before it on a tie, as in "X x500 Y")."""
    bound: dict[int, int] = {}
    for start, end, qty in quantities:
        before = [n for n, m in enumerate(mpns) if m[1] <= start]
        after = [n for n, m in enumerate(mpns) if m[0] >= end]
        words = text[start:end].lower() + " " + text[end : end + 4].lower()
        if re.search(r"\bof\b", words) and after:
            target = after[0]
        elif before and after:
            target = before[-1] if start - mpns[before[-1]][1] <= mpns[after[0]][0] - end else after[0]
        elif before or after:
            target = before[-1] if before else after[0]
        else:
            continue
        bound.setdefault(target, qty)
    return bound
