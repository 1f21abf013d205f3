"""Undoing Slack's message markup before parsing: what the user typed, not how Slack shows it.

Slack keeps the markup characters in a message's `text` (and a slash command's text):
`` `code` ``, ```` ```blocks``` ````, `*bold*`, `_italic_`, `~strike~`, and it escapes
`&`, `<` and `>` as `&amp;`, `&lt;`, `&gt;`. Pure functions.
"""

from __future__ import annotations

import re

_MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# Code first: nothing inside code is styled. A block's lines stay lines (each one a part).
_CODE_RE = re.compile(r"```(.*?)```|`([^`\n]+)`", re.DOTALL)
# A style marker opens at the start of a word (after a space, the start, or a bracket
# or quote that starts a word), closes before a space,
# punctuation or the end, and holds something that does not start or end with a space,
# so `LM*`, `NE5*` (wildcards) and `PART_1_A` (an MPN) keep their characters.
_STYLE_RE = re.compile(
    r"(?:^|(?<=\s)|(?<=^[(\[{\"'])|(?<=\s[(\[{\"']))([*_~])(?=\S)(.+?)(?<=\S)\1(?![^\s)\]}\"'.,;:!?*_~])"
)
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"))


def strip_mentions(text: str) -> str:
    """Remove `<@U123>` user mentions (the bot's own among them)."""
    return _MENTION_RE.sub(" ", text).strip()


def _unstyle(text: str) -> str:
    for _ in range(3):  # nested styles: *_bold italic_*
        plain = _STYLE_RE.sub(r"\2", text)
        if plain == text:
            break
        text = plain
    return text


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def unformat(text: str) -> str:
    """The text without Slack's markup; a Unicode minus or dash becomes `-`.

    Call it once per text: `&amp;lt;` is the user's `&lt;`, not `<`."""
    out: list[str] = []
    pos = 0
    for m in _CODE_RE.finditer(text):
        out.append(_unstyle(text[pos : m.start()]))
        block, inline = m.groups()
        out.append(f"\n{block}\n" if block is not None else inline)
        pos = m.end()
    out.append(_unstyle(text[pos:]))
    return _unescape("".join(out)).translate(_DASHES)
