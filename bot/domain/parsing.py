"""The `/part` grammar, and which texts go to the plain-English reader instead. Pure functions.

Both `/part TEXT` and a mention's text have Slack's markup undone first (`markup`).
`/part` text written in the grammar gets the grammar's answer, mistakes named; text
that is not written in the grammar at all (a sentence) is read as plain English.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from decimal import Decimal

from bot.domain.codes import COUNTRIES, CURRENCIES
from bot.domain.commands import Command, Help, Invalid, Lookup, Usage
from bot.domain.english import looks_like_mpn, read_english
from bot.domain.markup import strip_mentions, unformat
from bot.domain.models import LineItem, Options, normalize_mpn
from bot.domain.watch_grammar import VERBS, read_watch

__all__ = [
    "MAX_ITEMS",
    "MAX_MPN_LENGTH",
    "MAX_QUANTITY",
    "MAX_TEXT",
    "check_mpn",
    "normalize_mpn",
    "parse_command",
    "parse_mention",
    "parse_options",
    "strip_mentions",
    "unformat",
]

MAX_MPN_LENGTH = 40
MAX_ITEMS = 20
MAX_QUANTITY = 10_000_000
MAX_TEXT = 4000
MAX_MFR_LENGTH = 80

_MPN_CHARS = r"[A-Za-z0-9\-_.,/+#()=]"
# With `spaces=True` single spaces inside are allowed: a quoted MPN (`"PTS645SM43SMTR92 LFS"`).
_MPN_RE = re.compile(rf"^{_MPN_CHARS}+$")
_SPACED_MPN_RE = re.compile(rf"^{_MPN_CHARS}+(?: {_MPN_CHARS}+)*$")
# A token: a run of non-space characters and "quoted" stretches (straight or curly quotes).
_TOKEN_RE = re.compile(r'(?:"[^"\n]*"|“[^”\n]*”|[^\s"“”])+|["“”]')
# A part separator: `;`, a newline, or a comma before white space or the end (a comma
# inside a token is part of the MPN). Quoted stretches are skipped over, never split.
_SEPARATOR_RE = re.compile(r'"[^"\n]*"|“[^”\n]*”|[;\n]|,(?=\s|$)')
_QTY_RE = re.compile(r"^(?:[x×]|qty[=:]?)?(\d+(?:\.\d+)?)(k?)$", re.IGNORECASE)
_OPTION_RE = re.compile(r"^--([a-z]+)(?:=(.*))?$", re.IGNORECASE | re.DOTALL)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’]*[?!.,:;]*")
_VALUE_OPTIONS = ("currency", "country", "mfr", "boards")
_FLAG_OPTIONS = ("all", "public", "alternates")
OPTIONS_HINT = (
    "Options are `--all`, `--currency EUR`, `--country DE`, `--public`, `--mfr NAME`, `--alternates` "
    "and, with a BOM file, `--boards 50`."
)
QUANTITY_HINT = "Quantities look like `x250`, `250`, `qty=250` or `x2.5k`."
COMMAND_HINT = "Write a part number, e.g. `/part AD7685ARM x250`; `/part help` shows more."
MENTION_HINT = "Mention me with a part number, e.g. `@partbot AD7685ARM x250`, or say `@partbot help`."
BOARDS_PROBLEM = "`--boards` (or `x50 boards`) multiplies the lines of a BOM file, and there is none here"
BOARDS_HINT = "Share the BOM as a file in a message that mentions @partbot, or write each quantity: `LM358 x500`."


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


def check_mpn(token: str, *, spaces: bool = False) -> str | None:
    """What is wrong with `token` as a part number, or None. `spaces`: single spaces inside
    are allowed (a quoted MPN; the whole cell of a BOM)."""
    if "*" in token or "?" in token:
        return f"`{_clip(token)}` has a wildcard; partbot looks up exact part numbers only"
    if len(token) > MAX_MPN_LENGTH:
        return f"`{_clip(token)}` is longer than {MAX_MPN_LENGTH} characters"
    if not (_SPACED_MPN_RE if spaces else _MPN_RE).match(token):
        return f"`{_clip(token)}` has characters a part number cannot contain"
    if not re.search(r"[A-Za-z0-9]", token):
        return f"`{_clip(token)}` is not a part number"
    return None


def _clip(text: str, n: int = 40) -> str:
    text = text.replace("`", "'")
    return text if len(text) <= n else text[: n - 1] + "…"


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def _unquote(token: str) -> str:
    """`"A B"` → `A B` (inner white space collapsed, a sentence's `?!.` after it dropped);
    other tokens unchanged."""
    m = re.fullmatch(r'"([^"]*)"[?!.]*|“([^”]*)”[?!.]*', token)
    return " ".join((m.group(1) if m.group(1) is not None else m.group(2)).split()) if m else token


def _option_value(name: str, value: str, opts: Options) -> Options | Invalid:
    if name == "mfr":
        mfr = _unquote(value)
        if not mfr or mfr.startswith("--"):
            return Invalid('`--mfr` needs a manufacturer, e.g. `--mfr TI` or `--mfr "Texas Instruments"`')
        if len(mfr) > MAX_MFR_LENGTH:
            return Invalid(f"`{_clip(mfr)}` is longer than {MAX_MFR_LENGTH} characters; is it a manufacturer?")
        return replace(opts, mfr=mfr)
    if name == "boards":
        boards = _parse_quantity(value)
        if not isinstance(boards, int):
            return Invalid(boards or f"`{_clip(value, 20)}` is not a number of boards", "Write it as `--boards 50`.")
        return replace(opts, boards=boards)
    code = value.upper()
    if name == "currency":
        if code in CURRENCIES:
            return replace(opts, currency=code)
        return Invalid(f"`{_clip(value, 10)}` is not an ISO 4217 currency code", "Try `--currency EUR`.")
    if code in COUNTRIES:
        return replace(opts, country=code)
    return Invalid(f"`{_clip(value, 10)}` is not an ISO 3166 country code", "Try `--country DE`.")


def _flag(opts: Options, name: str) -> Options:
    if name == "all":
        return replace(opts, all_sellers=True)
    return replace(opts, public=True) if name == "public" else replace(opts, alternates=True)


def _take_options(tokens: list[str], *, strict: bool = True) -> tuple[list[str], Options] | Invalid:
    """Split `--options` (anywhere, also glued to a `,`/`;` separator) and `x50 boards` from
    the other tokens. A bad option is an `Invalid`, or with `strict=False` skipped (with its value)."""
    opts = Options()
    rest: list[str] = []
    problem: Invalid | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok.lower().rstrip(",;") in ("board", "boards") and rest and isinstance(_parse_quantity(rest[-1]), int):
            boards = _parse_quantity(rest.pop())
            assert isinstance(boards, int)
            opts = replace(opts, boards=boards)
            if tok[-1] in ",;":
                rest.append(tok[-1])
            continue
        m = _OPTION_RE.match(tok.rstrip(",;"))
        if not m:
            rest.append(tok)
            continue
        separator = tok[-1] if tok[-1] in ",;" else None
        name, value = m.group(1).lower(), m.group(2)
        if name in _VALUE_OPTIONS and value is None and i < len(tokens) and tokens[i] != "\n":
            value, i = tokens[i], i + 1
            if value[-1:] in (",", ";"):
                value, separator = value[:-1], value[-1]
        if separator:
            rest.append(separator)
        found: Options | Invalid = opts
        if name == "help":
            rest.append("help")
        elif name in _FLAG_OPTIONS:
            found = Invalid(f"`--{name}` takes no value") if value is not None else _flag(opts, name)
        elif name not in _VALUE_OPTIONS:
            found = Invalid(f"`--{_clip(name, 20)}` is not an option", OPTIONS_HINT)
        elif value is None:
            example = {"currency": "EUR", "country": "DE", "mfr": "TI", "boards": "50"}[name]
            word = {"mfr": "manufacturer", "boards": "number"}.get(name, "code")
            found = Invalid(f"`--{name}` needs a {word}, e.g. `--{name} {example}`")
        else:
            found = _option_value(name, value, opts)
        if isinstance(found, Invalid):
            problem = problem or found
        else:
            opts = found
    if problem and strict:
        return problem
    return rest, opts


def _parse_item(chunk: str) -> LineItem | Invalid:
    tokens = _tokens(chunk)
    mpn, rest = _unquote(tokens[0]), tokens[1:]
    problem = check_mpn(mpn, spaces=mpn != tokens[0])
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
        return Invalid(f"`{_clip(rest[0])}` is not a quantity for `{_clip(mpn)}`", QUANTITY_HINT)
    if isinstance(qty, str):
        return Invalid(qty, QUANTITY_HINT)
    return LineItem(mpn, qty)


def _chunks(body: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _SEPARATOR_RE.finditer(body):
        if m.group()[0] not in '"“':
            out.append(body[start : m.start()])
            start = m.end()
    out.append(body[start:])
    return [c.strip() for c in out if c.strip()]


def _tokens_keeping_lines(text: str) -> list[str]:
    """Split into tokens but keep newlines as their own tokens (they separate parts)."""
    out: list[str] = []
    for i, line in enumerate(text.replace("\r\n", "\n").split("\n")):
        if i:
            out.append("\n")
        out.extend(_tokens(line))
    return out


def _screen(text: str) -> Invalid | None:
    if len(text) > MAX_TEXT:
        return Invalid(f"that is {len(text):,} characters; partbot reads at most {MAX_TEXT:,}")
    if _has_control(text):
        return Invalid("the text has control characters")
    return None


def _parse_grammar(text: str) -> Command:
    """The precise grammar of the spec, on text whose markup is already undone."""
    taken = _take_options(_tokens_keeping_lines(text))
    if isinstance(taken, Invalid):
        return taken
    words, options = taken
    if words and words[0].lower() in VERBS:
        return read_watch(words, options, parse_quantity=_parse_quantity, check_mpn=check_mpn, unquote=_unquote)
    body = " ".join(words).strip()
    if body.lower() in ("", "help", "?", "-h"):
        return Help()
    if body.lower() == "usage":
        return Usage()
    chunks = _chunks(body)
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


def _is_word(token: str) -> bool:
    return bool(_WORD_RE.fullmatch(token)) and token.lower().rstrip("?!.,:;") not in ("x", "qty", "k")


def _mpn_attempt(token: str) -> bool:
    """Letters and digits, and not a value or a count (`100nF`, `10x`)."""
    return bool(re.search(r"[A-Za-z]", token) and re.search(r"\d", token)) and not re.fullmatch(
        r"\d+(?:\.\d+)?[a-zµΩ]{0,4}", token, re.IGNORECASE
    )


def _count(token: str) -> bool:
    return _parse_quantity(token) is not None or bool(re.fullmatch(r"\d+[x×]", token, re.IGNORECASE))


def _grammar_shaped(text: str, *, command: bool) -> bool:
    """Whether `text` is an attempt at the grammar (a mistake in it deserves a message that
    names it) rather than a sentence. Every part is one token, optionally followed by one
    quantity token (`x 250` counts as one); a sentence starts a part with a word ("what
    would…", "support start") or a count ("100 LM358"), or has more tokens. For `/part`, text with no word at all is
    grammar; in a mention the part must look like an MPN and every token hold a digit
    (`LM358 x10O` is a mistake; "thanks!", "NE555DR please" and "10x 2N2222A" are English)."""
    taken = _take_options(_tokens_keeping_lines(text), strict=False)
    words = taken[0] if not isinstance(taken, Invalid) else []
    chunks = _chunks(" ".join(words))
    parts = [_tokens(c) for c in chunks]
    if any(len(t) > 1 and _count(t[0]) and _parse_quantity("".join(t[1:])) is None for t in parts):
        return False
    if command and not any(_is_word(t) for tokens in parts for t in tokens):
        return True
    for tokens in parts:
        if len(tokens) == 3 and tokens[1].lower() in ("x", "qty", "×"):
            tokens = [tokens[0], tokens[1] + tokens[2]]
        if not command and not (_mpn_attempt(tokens[0]) and all(any(c.isdigit() for c in t) for t in tokens)):
            return False
        if len(tokens) == 1 or (len(tokens) == 2 and not _is_word(tokens[0])):
            continue
        return False
    return True


def _english(text: str, hint: str) -> Command:
    taken = _take_options(_tokens(text), strict=False)
    words, options = taken if not isinstance(taken, Invalid) else (_tokens(text), Options())
    return read_english(
        " ".join(words),
        options,
        hint=hint,
        max_items=MAX_ITEMS,
        parse_quantity=_parse_quantity,
        check_mpn=check_mpn,
    )


def _no_boards(command: Command) -> Command:
    """Typed parts are not a BOM: `--boards` would be silently ignored, so it is refused."""
    if isinstance(command, Lookup) and command.options.boards != 1:
        return Invalid(BOARDS_PROBLEM, BOARDS_HINT)
    return command


def parse_command(text: str) -> Command:
    """Read the text of `/part TEXT`: the grammar, or plain English when it is not written
    in the grammar at all (then the answer says what was understood)."""
    problem = _screen(text)
    if problem:
        return problem
    text = unformat(text)
    precise = _parse_grammar(text)
    if _is_watch(text) or not isinstance(precise, Invalid) or _grammar_shaped(text, command=True):
        return _no_boards(precise)
    if isinstance(_take_options(_tokens_keeping_lines(text)), Invalid):
        return precise  # a bad option is a grammar mistake wherever it stands
    return _no_boards(_english(text, COMMAND_HINT))


def parse_mention(text: str) -> Command:
    """Read the text of a mention: the precise grammar first, else plain English."""
    text = strip_mentions(text)
    problem = _screen(text)
    if problem:
        return problem
    text = unformat(text)
    precise = _parse_grammar(text)
    if isinstance(precise, (Help, Usage)) or _is_watch(text):
        return precise
    if isinstance(precise, Lookup) and all(looks_like_mpn(i.mpn, check_mpn) for i in precise.items):
        return _no_boards(precise)
    if isinstance(precise, Invalid) and _grammar_shaped(text, command=False):
        return precise
    return _no_boards(_english(text, MENTION_HINT))


def _is_watch(text: str) -> bool:
    """Whether `text` is a watch command (then a mistake in it is named, never read as English)."""
    words = _take_options(_tokens(text), strict=False)
    return not isinstance(words, Invalid) and bool(words[0]) and words[0][0].lower() in VERBS


def parse_options(text: str) -> Options:
    """Just the options of a message (e.g. the one a BOM is shared with, `x50 boards`
    included); bad ones are ignored."""
    taken = _take_options(_tokens(unformat(strip_mentions(text))), strict=False)
    return taken[1] if not isinstance(taken, Invalid) else Options()
